"""Review h6: the audit pruning keeps a case's chain whole while a legal hold is in force on the
case, as the case erasure keeps the case: who read it is what a complaint or court proceedings may
turn on. The run reports the chain as held; once the hold is lifted, the next run prunes it behind a
checkpoint, and the trail still verifies and still shows tampering."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from cases import hold_services
from cases.models import LegalHold
from operations import retention
from operations.retention import retention_apply
from permissions import audit
from permissions.models import AuditCheckpoint, AuditEvent
from tests.retention.conftest import TODAY
from tests.retention.test_audit_pruning import TWELVE_YEARS_AGO, raw, record_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(world):
    """An old case chain and an old day chain; a hold in force on the case."""
    old_case = record_at(TWELVE_YEARS_AGO, 3, case_id=world.case.pk, object_id=world.case.pk)
    old_day = record_at(TWELVE_YEARS_AGO, 2)
    hold = hold_services.legal_hold_set(world.dpo, case=world.case, ground=LegalHold.Ground.COMPLAINT,
                                        reason="Beschwerde wegen unbefugter Einsicht", review_on=TODAY + dt.timedelta(days=90))
    return {"case": old_case[0].chain_key, "day": old_day[0].chain_key, "events": old_case, "hold": hold}


def test_a_held_cases_chain_is_kept_whole_and_reported_other_chains_are_pruned(world, held):
    report = retention_apply()

    assert AuditEvent.objects.filter(pk__in=[e.pk for e in held["events"]]).count() == 3
    assert not AuditCheckpoint.objects.filter(chain_key=held["case"]).exists()
    assert report.audit_chains_held == [world.case.reference]
    assert report.as_dict()["audit_chains_held"] == [world.case.reference]
    assert any(f"kept under legal hold: 1 chain(s) ({world.case.reference})" in line for line in report.lines())
    # the day chain is pruned as before
    assert (report.audit_chains_pruned, report.audit_events_deleted) == (1, 2)
    assert AuditEvent.objects.get(action="retention.audit_pruned").detail["held"] == [held["case"]]
    assert audit.verify_all() == []


def test_a_lifted_hold_no_longer_keeps_the_chain_and_the_pruned_chain_verifies(world, held, capsys):
    retention_apply()
    assert AuditEvent.objects.filter(pk__in=[e.pk for e in held["events"]]).count() == 3
    hold_services.legal_hold_lift(world.dpo, hold=held["hold"])

    report = retention_apply()

    assert report.audit_chains_held == []
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in held["events"]]).exists()
    assert AuditCheckpoint.objects.get(chain_key=held["case"]).position == 3
    # the hold's own events (set, lift) are recent and stay, after the checkpoint
    assert list(AuditEvent.objects.filter(chain_key=held["case"]).order_by("position")
                .values_list("position", "action")) == [(4, "legal_hold.set"), (5, "legal_hold.lift")]
    assert audit.verify_all() == []
    call_command("verify_audit")
    assert "intact" in capsys.readouterr().out
    # and tampering after the checkpoint is still detected
    first_kept = AuditEvent.objects.get(chain_key=held["case"], position=4)
    raw("UPDATE permissions_auditevent SET action = %s WHERE id = %s", ["case.forged", first_kept.pk])
    assert [(b.chain_key, b.position) for b in audit.verify_all()] == [(held["case"], 4)]


def test_a_hold_set_after_the_run_looked_is_seen_under_the_chains_lock(world):
    """``_prune_chain`` asks again under the chain's lock, so a hold set between the run's first
    look and the pruning of that chain keeps it too."""
    events = record_at(TWELVE_YEARS_AGO, 2, case_id=world.case.pk, object_id=world.case.pk)
    hold_services.legal_hold_set(world.dpo, case=world.case, ground=LegalHold.Ground.COURT,
                                 reason="12 F 34/26", review_on=TODAY + dt.timedelta(days=90))
    cutoff = timezone.now() - dt.timedelta(days=10 * 366)
    try:
        outcome = retention._prune_chain(events[0].chain_key, cutoff=cutoff)
    except Exception as refused:  # noqa: BLE001 -- what matters first is that nothing was deleted
        outcome = refused
    assert AuditEvent.objects.filter(pk__in=[e.pk for e in events]).count() == 2
    assert not AuditCheckpoint.objects.exists()
    assert type(outcome).__name__ == "_ChainHeld"


def test_a_dry_run_reports_the_held_chain(world, held):
    report = retention_apply(dry_run=True)
    assert report.audit_events_deleted == 2  # the day chain's only
    assert report.audit_chains_held == [world.case.reference]
