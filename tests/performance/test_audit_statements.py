"""Issue 13: auditing a read costs at most two statements per event: lock and read the chain
head, insert the event (the database moves the head to it in the same statement, see
permissions migration 0014). The case page writes one event and so costs at most two more
statements than it would without auditing."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from permissions import audit
from permissions.models import AuditChainHead, AuditEvent

pytestmark = pytest.mark.django_db


def test_an_audit_event_on_an_existing_chain_is_two_statements_and_moves_the_head(world):
    audit.record(world.counsellor, action="case.read", obj=world.case, case_id=world.case.pk, legal_basis="team")
    with CaptureQueriesContext(connection) as ctx:
        event = audit.record(world.counsellor, action="case.read", obj=world.case, case_id=world.case.pk, legal_basis="team")
    sql = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(sql) == 2, "\n".join(sql)
    head = AuditChainHead.objects.get(chain_key=event.chain_key)
    assert (head.position, head.hash) == (event.position, event.hash)
    assert audit.verify_all() == []


def _insert(chain_key: str, position: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO permissions_auditevent (chain_key, position, at, actor_label, action, object_type, object_id,"
            " channel, legal_basis, detail, prev_hash, hash, key_id) VALUES (%s, %s, CURRENT_TIMESTAMP, 'x', 'case.read',"
            " 'conferences.case', '', 'page', '', '{}', %s, %s, '')", [chain_key, position, "0" * 64, f"{position:064d}"])


def test_the_database_moves_the_head_forward_only(world):
    AuditChainHead.objects.create(chain_key="day:1999-01-01", position=5, hash="5" * 64)
    _insert("day:1999-01-01", 3)  # behind the head (as a restore in another order would insert it)
    assert AuditChainHead.objects.values_list("position", "hash").get(chain_key="day:1999-01-01") == (5, "5" * 64)
    _insert("day:1999-01-01", 6)
    assert AuditChainHead.objects.values_list("position", "hash").get(chain_key="day:1999-01-01") == (6, f"{6:064d}")
    _insert("day:1999-01-02", 1)  # no head row: nothing to move, and no head is invented
    assert not AuditChainHead.objects.filter(chain_key="day:1999-01-02").exists()


def test_the_case_page_audits_its_read_with_at_most_two_statements(world, client):
    client.force_login(world.counsellor)
    url = reverse("cases:case_detail", args=[world.case.pk])
    assert client.get(url).status_code == 200  # warm per-process caches; the chain exists
    before = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    events = AuditEvent.objects.count() - before
    touching = [q["sql"] for q in ctx.captured_queries if "permissions_audit" in q["sql"]]
    assert events >= 1
    assert len(touching) <= 2 * events, "\n".join(touching)
    assert events == 1, f"the case page wrote {events} audit events"
