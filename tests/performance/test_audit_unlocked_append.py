"""Issue 13: an audited read outside a transaction (every page and list read) appends its event
with two statements and nothing else: read the chain head, insert the event only while the head
is still what was read (``audit._append_unlocked``). No BEGIN/COMMIT, no savepoint. These tests run
in autocommit mode as production does (``transaction=True``), so the statements Django sends for a
transaction would be counted.

The chain stays intact: a writer that came in between makes the insert a no-op and the head is
read again; writers on one chain from several threads, mixing this path, the locked path inside a
transaction and ``record_many``, leave a gapless chain that verifies (PostgreSQL)."""
from __future__ import annotations

import json
import threading

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from permissions import audit
from permissions.models import AuditChainHead, AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)
TRANSACTION_SQL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def _read(world):
    return audit.record(world.counsellor, action="case.read", obj=world.case, case_id=world.case.pk, legal_basis="team")


def test_an_event_outside_a_transaction_is_two_statements_without_begin_or_commit(world, settings, tmp_path):
    settings.AUDIT_HEAD_JOURNAL, settings.AUDIT_ANCHOR_DIR = True, tmp_path
    assert connection.get_autocommit()
    first = _read(world)  # the chain exists from here on
    with CaptureQueriesContext(connection) as ctx:
        event = _read(world)
    sql = [q["sql"] for q in ctx.captured_queries]
    assert len(sql) == 2, "\n".join(sql)
    assert not [q for q in sql if q.startswith(TRANSACTION_SQL)], "\n".join(sql)
    assert event.pk and event.position == first.position + 1 and event.prev_hash == first.hash
    assert AuditEvent.objects.get(pk=event.pk).hash == event.hash
    head = AuditChainHead.objects.get(chain_key=event.chain_key)
    assert (head.position, head.hash) == (event.position, event.hash)
    assert audit.verify_all() == []
    # The keyed head journal still gets the committed head of every event.
    lines = [json.loads(line) for path in tmp_path.glob(f"{audit.JOURNAL_PREFIX}*.log") for line in path.read_text().splitlines()]
    assert {"c": event.chain_key, "p": event.position, "h": event.hash} in [{k: e[k] for k in "cph"} for e in lines]


def test_a_writer_in_between_makes_the_insert_a_no_op_and_the_head_is_read_again(world, monkeypatch):
    _read(world)
    real = audit._append_if_head
    calls = []

    def racing(conn, event, head):
        calls.append(event.position)
        if len(calls) == 1:  # another request appends to the same chain after this one read the head
            with transaction.atomic():
                _read(world)
        return real(conn, event, head)

    monkeypatch.setattr(audit, "_append_if_head", racing)
    event = _read(world)
    assert calls == [2, 3], calls  # linked to position 1 first: refused; then to the other writer's event
    events = list(AuditEvent.objects.filter(chain_key=event.chain_key).order_by("position").values_list("position", "prev_hash", "hash"))
    assert [p for p, _, _ in events] == [1, 2, 3]
    assert events[2][1] == events[1][2]
    assert audit.verify_all() == []


def test_a_chain_without_head_is_started_under_the_lock_as_before(world):
    event = audit.record(world.counsellor, action="case.read", object_type="x", object_id="1")  # the day's chain
    assert event.position == 1
    assert AuditChainHead.objects.get(chain_key=event.chain_key).position == 1
    assert audit.verify_all() == []


def test_writers_on_one_chain_in_parallel_leave_a_gapless_verified_chain(world):
    if connection.vendor != "postgresql":
        pytest.skip("parallel writers need PostgreSQL (the SQLite test database is one in-memory connection)")
    _read(world)
    per_thread, errors = 15, []

    def writer(mode: str) -> None:
        try:
            for n in range(per_thread):
                if mode == "locked":
                    with transaction.atomic():
                        _read(world)
                elif mode == "many" and n % 3 == 0:
                    audit.record_many([{"actor": world.counsellor, "action": "protocol.item.read", "object_type": "protocols.protocolitem",
                                        "object_id": world.item_restricted.pk, "case_id": world.case.pk, "channel": "websocket"}] * 3)
                else:
                    _read(world)
        except Exception as exc:  # noqa: BLE001 -- reported below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(mode,)) for mode in ("unlocked", "unlocked", "unlocked", "locked", "many")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    key = f"case:{world.case.pk}"
    positions = list(AuditEvent.objects.filter(chain_key=key).order_by("position").values_list("position", flat=True))
    assert positions == list(range(1, len(positions) + 1))
    assert len(positions) == 1 + 4 * per_thread + 5 * 3 + 10
    assert audit.verify_chain(key) is None


API_TOTALS = {  # endpoint -> (who asks, all statements of the request in autocommit mode)
    "/api/actions/": ("counsellor", 5),        # session+user, page, bases, audit head, audit insert
    "/api/cases/": ("convenor", 5),
    "/api/protocol-items/": ("counsellor", 5),  # organisations, amendments, actions in the page statement
}


@pytest.mark.parametrize("url", API_TOTALS)
def test_a_list_request_in_autocommit_runs_no_transaction_statements(world, client, url):
    who, most = API_TOTALS[url]
    client.force_login(getattr(world, who))
    client.get(url)
    client.get(url)  # the session's last-seen write falls into one of these, not into the count
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    assert not [q for q in sql if q.startswith(TRANSACTION_SQL)], "\n".join(q[:160] for q in sql)
    assert len([q for q in sql if "permissions_audit" in q[:120]]) == 2, "\n".join(q[:160] for q in sql)
    assert len(sql) <= most, "\n".join(q[:160] for q in sql)


def test_the_case_page_read_audit_costs_two_statements_and_no_transaction(world, client):
    client.force_login(world.counsellor)
    url = reverse("cases:case_detail", args=[world.case.pk])
    client.get(url)
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    assert not [q for q in sql if q.startswith(TRANSACTION_SQL)], "\n".join(q[:160] for q in sql)
    assert len([q for q in sql if "permissions_audit" in q[:120]]) == 2, "\n".join(q[:160] for q in sql)
