"""Audit events older than AUDIT_RETENTION_YEARS are pruned behind a checkpoint; the trail
still verifies afterwards, and tampering is still detected."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from permissions import audit
from permissions.models import AuditCheckpoint, AuditEvent
from operations.retention import retention_apply

pytestmark = pytest.mark.django_db

TWELVE_YEARS_AGO = timezone.now() - dt.timedelta(days=12 * 366)


def record_at(moment: dt.datetime, n: int, **kwargs) -> list[AuditEvent]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(audit.timezone, "now", lambda: moment)
        return [audit.record("tester", action="case.read", object_type="conferences.case", **kwargs) for _ in range(n)]


def raw(sql: str, params) -> None:
    """Change the table behind the ORM's back, as an attacker with database superuser access could
    (on PostgreSQL: replica mode skips the append-only trigger for this transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


@pytest.fixture
def trail(world):
    """An old day chain (entirely past retention) and a case chain with old and recent events."""
    old_day = record_at(TWELVE_YEARS_AGO, 3)
    old_case = record_at(TWELVE_YEARS_AGO, 3, case_id=world.case.pk, object_id=world.case.pk)
    recent_case = [audit.record("tester", action="case.read", obj=world.case, case_id=world.case.pk) for _ in range(2)]
    return {"day": old_day[0].chain_key, "case": old_case[0].chain_key, "recent": recent_case}


def test_old_events_are_deleted_behind_checkpoints_and_the_trail_still_verifies(trail, capsys):
    report = retention_apply()

    assert (report.audit_chains_pruned, report.audit_events_deleted) == (2, 6)
    assert not AuditEvent.objects.filter(at__lt=report.audit_cutoff).exclude(action__startswith="retention.").exists()
    assert list(AuditEvent.objects.filter(chain_key=trail["case"]).order_by("position").values_list("position", flat=True))[:2] == [4, 5]
    checkpoints = dict(AuditCheckpoint.objects.values_list("chain_key", "position"))
    assert checkpoints == {trail["day"]: 3, trail["case"]: 3}
    assert audit.verify_all() == []
    call_command("verify_audit")
    assert "intact" in capsys.readouterr().out


def test_the_run_itself_is_on_the_record(trail):
    retention_apply()

    event = AuditEvent.objects.get(action="retention.audit_pruned")
    assert event.detail["events"] == 6 and len(event.detail["checkpoints_sha256"]) == 64


def test_an_altered_event_after_the_checkpoint_is_still_detected(trail):
    retention_apply()
    raw("UPDATE permissions_auditevent SET detail = %s WHERE id = %s", ['{"forged": true}', trail["recent"][0].pk])

    broken = audit.verify_all()

    assert [(b.chain_key, b.position) for b in broken] == [(trail["case"], 4)]
    assert "altered" in broken[0].reason


def test_deleting_the_first_event_after_the_checkpoint_is_detected(trail):
    retention_apply()
    raw("DELETE FROM permissions_auditevent WHERE id = %s", [trail["recent"][0].pk])

    broken = audit.verify_all()

    assert [(b.chain_key, b.position) for b in broken] == [(trail["case"], 4)]


def test_a_forged_checkpoint_does_not_hide_a_cut(trail):
    retention_apply()
    AuditCheckpoint.objects.create(chain_key=trail["case"], position=4, hash="f" * 64, last_at=timezone.now(), events_deleted=1)
    raw("DELETE FROM permissions_auditevent WHERE id = %s", [trail["recent"][0].pk])

    assert [b.chain_key for b in audit.verify_all()] == [trail["case"]]


def test_a_chain_that_does_not_verify_is_not_pruned(trail, capsys):
    first_old = AuditEvent.objects.get(chain_key=trail["day"], position=2)
    raw("UPDATE permissions_auditevent SET action = %s WHERE id = %s", ["case.forged", first_old.pk])

    with pytest.raises(SystemExit):
        call_command("apply_retention")

    assert AuditEvent.objects.filter(chain_key=trail["day"]).count() == 3
    assert not AuditCheckpoint.objects.filter(chain_key=trail["day"]).exists()
    assert "NOT pruned" in capsys.readouterr().out
    assert AuditEvent.objects.filter(chain_key=trail["case"]).count() == 2  # the intact chain is pruned all the same


def test_a_second_run_and_a_dry_run_delete_nothing(trail):
    dry = retention_apply(dry_run=True)
    assert dry.audit_events_deleted == 6
    assert AuditEvent.objects.filter(chain_key__in=[trail["day"], trail["case"]]).count() == 8
    assert not AuditCheckpoint.objects.exists()

    retention_apply()
    again = retention_apply()

    assert (again.audit_chains_pruned, again.audit_events_deleted) == (0, 0)
    assert AuditCheckpoint.objects.count() == 2


def test_pruning_can_be_switched_off(trail, settings):
    settings.AUDIT_RETENTION_YEARS = 0

    report = retention_apply()

    assert report.audit_cutoff is None
    assert AuditEvent.objects.filter(chain_key=trail["day"]).count() == 3


def test_events_younger_than_the_limit_are_kept(world, settings):
    settings.AUDIT_RETENTION_YEARS = 13
    record_at(TWELVE_YEARS_AGO, 2)

    assert retention_apply().audit_events_deleted == 0


def test_checkpoints_cannot_be_changed_or_deleted_through_the_orm(trail):
    retention_apply()
    checkpoint = AuditCheckpoint.objects.first()
    for attempt in (checkpoint.save, checkpoint.delete, AuditCheckpoint.objects.all().delete,
                    lambda: AuditCheckpoint.objects.update(position=1)):
        with pytest.raises(PermissionError):
            attempt()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the database triggers exist on PostgreSQL only")
def test_postgresql_deletes_audit_events_only_through_the_retention_path(trail):
    old = AuditEvent.objects.get(chain_key=trail["day"], position=1)
    with pytest.raises(Exception), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM permissions_auditevent WHERE id = %s", [old.pk])
    with pytest.raises(Exception), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL fallkonferenz.audit_retention = 'on'")  # no checkpoint covers it
        cursor.execute("DELETE FROM permissions_auditevent WHERE id = %s", [old.pk])
    retention_apply()
    checkpoint = AuditCheckpoint.objects.first()
    with pytest.raises(Exception), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE permissions_auditcheckpoint SET hash = %s WHERE id = %s", ["0" * 64, checkpoint.pk])
    assert audit.verify_all() == []
