"""Consents and legal bases run out (or begin) at midnight; the daily ``expire_grants`` run makes the
guardian grants follow, recomputing only the cases whose windows crossed a boundary."""
from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from participants.models import DisclosureBasis
from permissions import grants, policy
from permissions.models import AuditEvent, GrantRefreshState

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    """Move the policy's idea of "today" forward without touching the system clock."""
    real_today = policy._today()
    state = {"today": real_today}
    monkeypatch.setattr(policy, "_today", lambda: state["today"])

    class Clock:
        today = real_today

        def advance(self, days: int) -> dt.date:
            state["today"] = state["today"] + dt.timedelta(days=days)
            return state["today"]

    return Clock()


def expire(*args) -> str:
    out = StringIO()
    call_command("expire_grants", *args, stdout=out)
    return out.getvalue()


def test_after_a_consent_expires_the_daily_run_removes_the_grant_and_leaves_no_drift(world, clock):
    world.consent.valid_until = clock.today
    world.consent.save()
    assert grants.has_object_perm(world.counsellor, "view_protocolitem", world.item_restricted)

    clock.advance(1)
    assert not policy.protocol_items_for_user(world.counsellor).filter(pk=world.item_restricted.pk).exists()
    assert grants.all_drift(), "before the run the guardian grant lingers"

    output = expire()

    assert "1 case(s) recomputed" in output
    assert not grants.has_object_perm(world.counsellor, "view_protocolitem", world.item_restricted)
    grants.assert_no_drift()


def test_a_consent_that_starts_tomorrow_is_granted_by_tomorrows_run(world, clock):
    world.consent.valid_from = clock.today + dt.timedelta(days=1)
    world.consent.save()
    assert not grants.has_object_perm(world.counsellor, "view_protocolitem", world.item_restricted)

    clock.advance(1)
    expire()

    assert grants.has_object_perm(world.counsellor, "view_protocolitem", world.item_restricted)
    grants.assert_no_drift()


def test_an_expired_legal_basis_loses_its_grant_at_the_next_run(world, clock):
    basis = DisclosureBasis.objects.create(
        case=world.case, basis="de_kkg_4", from_organisation=world.youth_welfare, invoked_by=world.convenor,
        justification="Akute Gefährdung", valid_until=clock.today, parents_informed=True,
    )
    basis.to_organisations.add(world.midwifery)
    assert grants.has_object_perm(world.midwife, "view_protocolitem", world.item_restricted)

    clock.advance(1)
    expire()

    assert not grants.has_object_perm(world.midwife, "view_protocolitem", world.item_restricted)
    grants.assert_no_drift()


def test_the_run_recomputes_only_cases_whose_windows_crossed_a_boundary(world, clock):
    world.consent.valid_until = clock.today
    world.consent.save()
    clock.advance(1)

    run = grants.expire_grants()

    assert run.case_ids == [world.case.pk]
    assert world.other_case.pk not in run.case_ids


def test_a_second_run_on_the_same_day_changes_nothing(world, clock):
    world.consent.valid_until = clock.today
    world.consent.save()
    clock.advance(1)
    expire()

    second = expire()

    assert "0 case(s) recomputed, 0 grant(s) removed, 0 added" in second
    grants.assert_no_drift()


def test_missed_days_are_caught_up_from_the_last_recorded_run(world, clock):
    GrantRefreshState.objects.create(key=grants.EXPIRY_STATE_KEY, last_run_on=clock.today - dt.timedelta(days=1),
                                     last_run_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    world.consent.valid_until = clock.today + dt.timedelta(days=1)
    world.consent.save()
    now = clock.advance(4)  # the job was down for three nights

    expire()

    assert not grants.has_object_perm(world.counsellor, "view_protocolitem", world.item_restricted)
    assert GrantRefreshState.objects.get(key=grants.EXPIRY_STATE_KEY).last_run_on == now
    grants.assert_no_drift()


def test_the_run_is_audited_and_can_be_queued_for_the_task_worker(world, clock):
    world.consent.valid_until = clock.today
    world.consent.save()
    clock.advance(1)

    output = expire("--enqueue")  # the immediate backend in tests runs it at once

    assert "queued task" in output
    event = AuditEvent.objects.filter(action="grants.windows_refreshed").get()
    assert event.channel == AuditEvent.Channel.TASK
    assert event.detail["cases"] == [world.case.pk]
    grants.assert_no_drift()
