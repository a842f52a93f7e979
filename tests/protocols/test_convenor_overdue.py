"""What the convenor's dashboard flags as overdue: actions of her cases and minutes steps."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case, CaseTeamMember
from conferences.models import Conference
from protocols import services
from protocols.models import AgreedAction, Audience, Protocol, ProtocolItem
from protocols.selectors import convenor_overdue_for_user
from tests.world import hold_conference

pytestmark = pytest.mark.django_db

LATER = dt.timedelta(days=40)  # past the world's action due dates and the draft release deadline


def test_open_actions_past_their_due_date_are_flagged_for_the_convenor_oldest_first(world):
    overdue = convenor_overdue_for_user(world.convenor, today=timezone.localdate() + LATER)
    assert [a.pk for a in overdue.actions] == [world.action_counselling.pk, world.action_parent.pk]


def test_done_and_not_yet_due_actions_are_not_flagged(world):
    services.action_update_status(world.counsellor, action=world.action_counselling, status=AgreedAction.Status.DONE)
    overdue = convenor_overdue_for_user(world.convenor, today=world.action_parent.due_on)
    assert overdue.actions == []


def test_a_participant_who_does_not_convene_gets_nothing_flagged(world):
    for user in (world.counsellor, world.midwife, world.parent, world.outsider, world.admin):
        assert not convenor_overdue_for_user(user, today=timezone.localdate() + LATER), user


def test_a_caseworker_of_the_lead_organisation_convenes_too(world):
    overdue = convenor_overdue_for_user(world.lead_colleague, today=timezone.localdate() + LATER)
    assert world.action_counselling.pk in [a.pk for a in overdue.actions]


def test_a_draft_not_released_in_time_is_an_overdue_release_step(world):
    conference_day = timezone.localdate(world.conference.starts_at)
    due = services.add_working_days(conference_day, world.network.draft_release_working_days, world.network)
    assert convenor_overdue_for_user(world.convenor, today=due).minutes_steps == []
    steps = convenor_overdue_for_user(world.convenor, today=due + dt.timedelta(days=1)).minutes_steps
    assert [(s["protocol"].pk, s["step"], s["due_on"]) for s in steps] == [(world.protocol.pk, "release", due)]


def test_a_passed_correction_window_without_finalisation_is_an_overdue_finalise_step(world):
    hold_conference(world.conference)
    protocol = services.protocol_release(world.convenor, protocol=world.protocol)
    steps = convenor_overdue_for_user(world.convenor, today=protocol.corrections_until + dt.timedelta(days=1)).minutes_steps
    assert [(s["step"], s["due_on"]) for s in steps] == [("finalise", protocol.corrections_until)]
    assert convenor_overdue_for_user(world.convenor, today=protocol.corrections_until).minutes_steps == []
    services.protocol_finalise(world.convenor, protocol=protocol, confirm_early=True)
    assert convenor_overdue_for_user(world.convenor, today=protocol.corrections_until + dt.timedelta(days=1)).minutes_steps == []


def _more_cases(world, count: int, *, first: int = 0) -> None:
    today = timezone.localdate()
    for n in range(first, first + count):
        case = Case.objects.create(network=world.network, reference=f"KT-2026-9{n:02d}", lead_organisation=world.youth_welfare,
                                   lead_caseworker=world.convenor, status=Case.Status.ACTIVE, opened_on=today - dt.timedelta(days=90))
        CaseTeamMember.objects.create(case=case, organisation=world.youth_welfare, user=world.convenor,
                                      case_role=CaseTeamMember.CaseRole.LEAD)
        CaseTeamMember.objects.create(case=case, organisation=world.counselling, user=world.counsellor)
        start = timezone.now() - dt.timedelta(days=30)
        conference = Conference.objects.create(case=case, convenor=world.convenor, status=Conference.Status.HELD,
                                               starts_at=start, ends_at=start + dt.timedelta(hours=1))
        protocol = Protocol.objects.create(conference=conference, minute_taker=world.convenor)
        item = ProtocolItem.objects.create(protocol=protocol, title="Vereinbarungen", audience=Audience.PROFESSIONALS,
                                           created_by=world.convenor)
        AgreedAction.objects.create(case=case, item=item, title=f"Aufgabe {n}", responsible_organisation=world.counselling,
                                    due_on=today - dt.timedelta(days=n + 1))


def test_the_query_count_does_not_grow_with_cases_actions_and_protocols(world):
    _more_cases(world, 1)
    with CaptureQueriesContext(connection) as few:
        small = convenor_overdue_for_user(world.convenor)
    _more_cases(world, 6, first=1)
    with CaptureQueriesContext(connection) as many:
        large = convenor_overdue_for_user(world.convenor)
    assert len(small.actions) == 1 and len(large.actions) == 7
    assert len(small.minutes_steps) == 1 and len(large.minutes_steps) == 7
    assert len(many.captured_queries) == len(few.captured_queries) == 2
