"""Consents, legal bases and explicit grants run out (or begin) at midnight. The policy filters by
date at query time; the daily ``expire_grants`` run tells the open protocol screens of exactly
the cases whose windows crossed a boundary, so that an item leaves a screen that is already open."""
from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from cases.models import DisclosureBasis
from access import grant_services
from conferences import policy as conferences_policy
from permissions import policy
from permissions.models import AuditEvent, GrantRefreshState
from protocols import access_windows
from protocols import policy as protocols_policy

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


@pytest.fixture
def told(monkeypatch):
    """The case ids whose open screens were told that access changed."""
    sent: list[int] = []
    monkeypatch.setattr(access_windows, "access_changed_on_commit", lambda *ids: sent.extend(ids))
    return sent


def expire(*args) -> str:
    out = StringIO()
    call_command("expire_grants", *args, stdout=out)
    return out.getvalue()


def test_after_a_consent_expires_the_item_is_hidden_and_the_daily_run_tells_the_case(world, clock, told):
    world.consent.valid_until = clock.today
    world.consent.save()
    assert protocols_policy.protocol_items_for_user(world.counsellor).filter(pk=world.item_restricted.pk).exists()

    clock.advance(1)
    assert not protocols_policy.protocol_items_for_user(world.counsellor).filter(pk=world.item_restricted.pk).exists()

    output = expire()

    assert "1 case(s) told" in output
    assert told == [world.case.pk]


def test_a_consent_that_starts_tomorrow_discloses_tomorrow(world, clock, told):
    world.consent.valid_from = clock.today + dt.timedelta(days=1)
    world.consent.save()
    assert not protocols_policy.protocol_items_for_user(world.counsellor).filter(pk=world.item_restricted.pk).exists()

    clock.advance(1)
    expire()

    assert protocols_policy.protocol_items_for_user(world.counsellor).filter(pk=world.item_restricted.pk).exists()
    assert told == [world.case.pk]


def test_an_expired_legal_basis_is_announced_at_the_next_run(world, clock, told):
    basis = DisclosureBasis.objects.create(
        case=world.case, basis="de_kkg_4", from_organisation=world.youth_welfare, invoked_by=world.convenor,
        justification="Akute Gefährdung", valid_until=clock.today, parents_informed=True,
    )
    basis.to_organisations.add(world.midwifery)
    assert protocols_policy.protocol_items_for_user(world.midwife).filter(pk=world.item_restricted.pk).exists()

    clock.advance(1)
    expire()

    assert not protocols_policy.protocol_items_for_user(world.midwife).filter(pk=world.item_restricted.pk).exists()
    assert told == [world.case.pk]


def test_an_ending_guest_grant_is_announced_to_its_case(world, clock, told):
    from tests.world import make_professional

    guest = make_professional("interpreter", world.early_help)
    grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest, valid_until=clock.today)
    told.clear()
    clock.advance(1)

    run = access_windows.expire_windows()

    assert run.case_ids == [world.case.pk]
    assert not conferences_policy.conferences_for_user(guest).exists()


def test_the_run_tells_only_cases_whose_windows_crossed_a_boundary(world, clock, told):
    world.consent.valid_until = clock.today
    world.consent.save()
    clock.advance(1)

    run = access_windows.expire_windows()

    assert run.case_ids == [world.case.pk]
    assert world.other_case.pk not in run.case_ids


def test_a_second_run_on_the_same_day_tells_nobody(world, clock, told):
    world.consent.valid_until = clock.today
    world.consent.save()
    clock.advance(1)
    expire()

    second = expire()

    assert "0 case(s) told" in second


def test_missed_days_are_caught_up_from_the_last_recorded_run(world, clock, told):
    GrantRefreshState.objects.create(key=access_windows.EXPIRY_STATE_KEY, last_run_on=clock.today - dt.timedelta(days=1),
                                     last_run_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    world.consent.valid_until = clock.today + dt.timedelta(days=1)
    world.consent.save()
    now = clock.advance(4)  # the job was down for three nights

    expire()

    assert told == [world.case.pk]
    assert GrantRefreshState.objects.get(key=access_windows.EXPIRY_STATE_KEY).last_run_on == now


def test_the_run_is_audited_and_can_be_queued_for_the_task_worker(world, clock, told):
    world.consent.valid_until = clock.today
    world.consent.save()
    clock.advance(1)

    output = expire("--enqueue")  # the immediate backend in tests runs it at once

    assert "queued task" in output
    event = AuditEvent.objects.filter(action="access.windows_passed").get()
    assert event.channel == AuditEvent.Channel.TASK
    assert event.detail["cases"] == [world.case.pk]
