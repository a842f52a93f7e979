"""A case under a legal hold is kept past its retention period; lifting the hold lets the next
run erase it."""
from __future__ import annotations

import datetime as dt

import pytest

from cases import hold_services
from cases.models import LegalHold
from permissions.models import AuditEvent, CaseErasure
from operations.retention import retention_apply
from tests.retention.conftest import TODAY, occurrences

pytestmark = pytest.mark.django_db


def _hold(world, old_case) -> LegalHold:
    return hold_services.legal_hold_set(world.dpo, case=old_case.case, ground=LegalHold.Ground.COURT,
                                        reason="Familiengericht 12 F 34/26", review_on=TODAY + dt.timedelta(days=90))


def test_a_held_case_past_its_retention_period_is_not_erased(world, old_case):
    _hold(world, old_case)
    report = retention_apply()
    assert report.erased_cases == []
    assert report.held_cases == [old_case.case.reference]
    assert not CaseErasure.objects.filter(case=old_case.case).exists()
    assert occurrences(old_case.secrets[0])
    assert any("kept under legal hold: 1" in line for line in report.lines())


def test_after_the_hold_is_lifted_the_next_run_erases_the_case(world, old_case):
    hold = _hold(world, old_case)
    retention_apply()
    hold_services.legal_hold_lift(world.dpo, hold=hold)
    report = retention_apply()
    assert report.erased_cases == [old_case.case.reference]
    assert report.held_cases == []
    for secret in old_case.secrets:
        assert occurrences(secret) == [], secret


def test_a_lifted_hold_among_one_in_force_still_keeps_the_case(world, old_case):
    hold_services.legal_hold_lift(world.dpo, hold=_hold(world, old_case))
    _hold(world, old_case)
    assert retention_apply().held_cases == [old_case.case.reference]


def test_a_dry_run_reports_the_held_case(world, old_case):
    _hold(world, old_case)
    report = retention_apply(dry_run=True)
    assert report.held_cases == [old_case.case.reference]
    assert report.as_dict()["held_cases"] == [old_case.case.reference]


def test_setting_and_lifting_are_audited_without_the_reason(world, old_case):
    hold = _hold(world, old_case)
    hold_services.legal_hold_lift(world.dpo, hold=hold)
    events = list(AuditEvent.objects.filter(action__startswith="legal_hold.").order_by("at", "pk"))
    assert [e.action for e in events] == ["legal_hold.set", "legal_hold.lift"]
    assert all(e.actor_id == world.dpo.pk and e.case_id == old_case.case.pk for e in events)
    assert all("12 F 34/26" not in str(e.detail) for e in events)
