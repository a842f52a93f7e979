"""The audit trail: append-only, hash-chained, verifiable; the DPO's log and a parent's export."""
from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse

from permissions import audit
from permissions.models import AuditEvent

pytestmark = pytest.mark.django_db


def make_events(world, n=3):
    return [audit.record(world.convenor, action="case.read", obj=world.case, case_id=world.case.pk) for _ in range(n)]


def test_events_chain_to_their_predecessor(world):
    first, second, third = make_events(world)
    assert (second.prev_hash, third.prev_hash) == (first.hash, second.hash)
    assert audit.verify_all() == []


def test_the_orm_refuses_to_change_or_delete_events(world):
    event = make_events(world, 1)[0]
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


def test_the_admin_does_not_offer_audit_events():
    assert AuditEvent not in admin.site._registry


def _raw(sql, params):
    """Change the table behind the ORM's back, as an attacker with database superuser access could
    (on PostgreSQL: replica mode skips the append-only trigger for this transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


def test_verify_audit_names_the_first_altered_row(world, capsys):
    events = make_events(world, 4)
    call_command("verify_audit")
    assert "intact" in capsys.readouterr().out
    _raw("UPDATE permissions_auditevent SET actor_label = %s WHERE id = %s", ["someone-else", events[1].pk])
    with pytest.raises(SystemExit):
        call_command("verify_audit")
    out = capsys.readouterr().out
    assert f"chain case:{world.case.pk}, position 2 (event id {events[1].pk})" in out and "altered" in out


def test_verify_audit_notices_a_deleted_row_and_a_cut_tail(world):
    events = make_events(world, 4)
    _raw("DELETE FROM permissions_auditevent WHERE id = %s", [events[3].pk])
    assert "head says 4" in audit.verify_all()[0].reason
    _raw("DELETE FROM permissions_auditevent WHERE id = %s", [events[1].pk])
    assert audit.verify_all()[0].position == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the database trigger exists on PostgreSQL only")
def test_postgresql_refuses_raw_updates(world):
    event = make_events(world, 1)[0]
    with pytest.raises(Exception), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE permissions_auditevent SET action='x' WHERE id=%s", [event.pk])


def test_the_dpo_filters_the_log_and_sees_only_her_network(world, client):
    make_events(world, 2)
    audit.record(world.foreign_professional, action="case.read", object_type="conferences.case", object_id=999)
    client.force_login(world.dpo)
    page = client.get(reverse("access:audit_log"), {"case": world.case.reference, "person": "convenor"})
    assert page.status_code == 200
    events = list(page.context["page"])
    assert len(events) == 2 and all(e.case_id == world.case.pk for e in events)
    everything = list(client.get(reverse("access:audit_log")).context["page"])
    assert all(e.actor_label != "foreigner" for e in everything)
    bad = client.get(reverse("access:audit_log"), {"date_from": "2026-05-02", "date_until": "2026-05-01"})
    assert "date_until" in bad.context["form"].errors


def test_the_audit_log_page_shows_every_event_including_the_oldest_and_her_own_view(world, client):
    """Her own view is recorded before the log is read: recorded between the paginator's count and
    its slice, it pushed the page's oldest event (here the counsellor's read) out of sight."""
    from access import selectors

    audit.record(world.counsellor, action="case.read", obj=world.case, case_id=world.case.pk, legal_basis="team")
    client.force_login(world.dpo)
    page = client.get(reverse("access:audit_log")).context["page"]
    shown = [e.pk for e in page]
    assert len(shown) == page.paginator.count
    assert set(shown) == set(selectors.audit_log_for_user(world.dpo).values_list("pk", flat=True))
    assert [e.action for e in page][0] == "audit_log.view"
    assert any(e.actor_id == world.counsellor.pk and e.action == "case.read" for e in page)


def test_non_dpos_get_no_audit_log(world, client):
    for user in (world.convenor, world.admin, world.board_member, world.parent):
        client.force_login(user)
        assert client.get(reverse("access:audit_log")).status_code == 404


def test_a_parent_downloads_who_read_her_familys_data(world, client):
    make_events(world, 2)
    audit.record(world.convenor, action="case.read", obj=world.other_case, case_id=world.other_case.pk)
    client.force_login(world.parent)
    rows = list(csv.DictReader(io.StringIO(client.get(reverse("access:my_data"), {"format": "csv"}).content.decode())))
    # Plain words for the parent: the person's name and organisation, never a user name or a code.
    assert len(rows) == 2 and {r["Who"] for r in rows} == {"Convenor (Jugendamt Test)"}
    data = json.loads(client.get(reverse("access:my_data"), {"format": "json"}).content)
    assert len(data["events"]) == 2
    assert client.get(reverse("access:my_data")).status_code == 200
    client.force_login(world.convenor)
    assert client.get(reverse("access:my_data")).status_code == 404
