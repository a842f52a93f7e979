"""A colleague who left her organisation hands nothing over to her substitute (review, 2026-12-06).

The counsellor of the world is on the case team personally, for the counselling service. A
colleague there stands in for her (an explicit substitute grant). The counsellor's membership of
the counselling service ends: her team row was still active, and the read filter counted a
colleague's row for any organisation the SUBSTITUTE works for, so the substitute went on reading
the case (page, API, live channel, iCal feed): a hand-over nobody decided. And the counsellor,
rejoining, got the case back silently through the same row.

Now a substitute reads a colleague's cases only through rows the colleague could read through
right now (``cases.policy.team_rows_of``), and ending a membership in the admin ends the
colleague's personal team rows for that organisation (kept, audited per case).
"""
from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from calendars import services as calendar_services
from calendars.models import FeedToken
from cases import policy as cases_policy
from cases import services as case_services
from cases.models import CaseTeamMember
from participants.models import Membership, ProfessionalRole
from permissions import grants
from permissions.models import AuditEvent, SubstituteGrant
from tests.websocket.test_live_protocol import app
from tests.websocket.sessions import live_scope
from tests.world import make_professional

pytestmark = pytest.mark.django_db


@pytest.fixture
def stand_in(world):
    """A colleague of the counsellor at the counselling service, standing in for her today."""
    user = make_professional("standin", world.counselling, ProfessionalRole.COUNSELLOR)
    today = timezone.localdate()
    SubstituteGrant.objects.create(user=user, content_object=world.counsellor, valid_from=today,
                                   valid_until=today + dt.timedelta(days=30), granted_by=world.counsellor,
                                   granted_at=timezone.now(), permission=grants.permission(SubstituteGrant))
    return user


def leaves_without_the_service(world) -> None:
    """Her membership ends by a write that bypasses the admin (an import, the shell, a migration):
    her team row stays active; the read filter alone must hold."""
    Membership.objects.filter(user=world.counsellor, organisation=world.counselling).update(is_active=False)


def leaves_in_the_admin(world) -> None:
    membership = Membership.objects.get(user=world.counsellor, organisation=world.counselling)
    client = Client()
    client.force_login(world.admin)
    response = client.post(reverse("admin:participants_membership_change", args=[membership.pk]), {
        "user": world.counsellor.pk, "organisation": world.counselling.pk, "role": membership.role})
    assert response.status_code == 302
    assert not Membership.objects.get(pk=membership.pk).is_active


def reads_case(user, world) -> bool:
    return cases_policy.cases_for_user(user).filter(pk=world.case.pk).exists()


def test_while_the_colleague_works_there_her_substitute_reads_her_cases(world, stand_in, client):
    assert reads_case(stand_in, world)
    client.force_login(stand_in)
    assert client.get(reverse("cases:case_detail", args=[world.case.pk])).status_code == 200


@pytest.mark.parametrize("leaves", [leaves_without_the_service, leaves_in_the_admin])
def test_the_substitute_of_a_colleague_who_left_reads_nothing_of_her_cases(world, stand_in, client, leaves):
    leaves(world)
    assert not reads_case(stand_in, world)
    assert not cases_policy.is_professional_on_case(stand_in, world.case)
    client.force_login(stand_in)
    assert client.get(reverse("cases:case_detail", args=[world.case.pk])).status_code == 404
    assert client.get(reverse("conferences:conference_detail", args=[world.conference.pk])).status_code == 404
    assert client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).status_code == 404
    assert client.get(f"/api/protocol-items/{world.item_everyone.pk}/").status_code == 404
    assert client.get("/api/protocol-items/").json()["results"] == []
    assert client.get(f"/api/actions/{world.action_counselling.pk}/").status_code == 404
    assert client.get("/api/actions/").json()["results"] == []


@pytest.mark.parametrize("leaves", [leaves_without_the_service, leaves_in_the_admin])
def test_her_substitutes_case_feed_shows_nothing_of_the_case_after_she_left(world, stand_in, client, leaves):
    _, raw = calendar_services.feed_token_create(stand_in, kind=FeedToken.Kind.CASE, case=world.case)
    before = client.get(reverse("calendars:feed", args=[raw]))
    assert f"conference-{world.conference.pk}@".encode() in before.content  # the control
    assert f"action-{world.action_counselling.pk}@".encode() in before.content
    leaves(world)
    response = client.get(reverse("calendars:feed", args=[raw]))
    assert f"action-{world.action_counselling.pk}@".encode() not in response.content
    assert f"conference-{world.conference.pk}@".encode() not in response.content
    assert world.action_counselling.title.encode() not in response.content


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("leaves", ["service", "admin"])
async def test_her_substitute_opens_no_live_protocol_after_she_left(world, stand_in, leaves):
    await database_sync_to_async(leaves_in_the_admin if leaves == "admin" else leaves_without_the_service)(world)
    communicator = WebsocketCommunicator(app, f"/ws/protocols/{world.protocol.pk}/")
    await live_scope(communicator, stand_in)
    assert (await communicator.connect(timeout=10))[0]
    assert (await communicator.receive_output(timeout=10))["type"] == "websocket.close"


def test_ending_her_membership_in_the_admin_ends_her_team_rows_for_it_kept_and_audited(world):
    other = CaseTeamMember.objects.create(case=world.other_case, organisation=world.counselling, user=world.counsellor)
    leaves_in_the_admin(world)
    rows = CaseTeamMember.objects.filter(user=world.counsellor, organisation=world.counselling)
    assert rows.count() == 2  # kept as history, not deleted
    assert all(row.removed_at is not None and row.removal_reason == CaseTeamMember.LEFT_ORGANISATION for row in rows)
    events = AuditEvent.objects.filter(action="case_team.end")
    assert sorted(e.case_id for e in events) == sorted([world.case.pk, other.case_id])
    assert all(e.actor_id == world.admin.pk and e.detail["reason"] == "membership_ended" for e in events)
    # the other rows of the case are untouched
    assert CaseTeamMember.objects.filter(case=world.case, removed_at__isnull=True).count() == 3


def test_rejoining_the_organisation_gives_her_no_case_back(world):
    leaves_in_the_admin(world)
    Membership.objects.filter(user=world.counsellor, organisation=world.counselling).update(is_active=True)
    assert not reads_case(world.counsellor, world)
    # the convenor decides: she adds her again
    case_services.case_team_member_add(world.convenor, case=world.case, organisation=world.counselling, user=world.counsellor)
    assert reads_case(world.counsellor, world)


def test_deleting_her_membership_in_the_admin_ends_her_team_rows_too(world):
    membership = Membership.objects.get(user=world.counsellor, organisation=world.counselling)
    client = Client()
    client.force_login(world.admin)
    response = client.post(reverse("admin:participants_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    row = CaseTeamMember.objects.get(case=world.case, user=world.counsellor)
    assert row.removed_at is not None and AuditEvent.objects.filter(action="case_team.end", case=world.case).exists()


def test_her_departure_does_not_bar_her_organisation_from_joining_on_a_referral(world):
    """Only the convenor's removals bar an organisation from joining on its own ground."""
    leaves_in_the_admin(world)
    assert cases_policy.self_admission_refusal(world.case.pk, world.counselling.pk) == ""
