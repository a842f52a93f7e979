"""Permission matrix for the calendar page, feed tokens, feeds and .ics downloads."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from calendars import services as calendar_services
from calendars.models import FeedToken
from conferences import services
from board.models import BoardMeeting
from tests.matrix.roles import ROLES, client_for, user_for

URL_NAMES = {
    "calendars:calendar",
    "calendars:feed_token_create",
    "calendars:feed_token_revoke",
    "calendars:feed",
    "calendars:feed_tasks",
    "conferences:conference_ics",
    "calendars:board_meeting_ics",
}

pytestmark = pytest.mark.django_db

SEES_CONFERENCE = {"convenor", "lead_colleague", "counsellor", "midwife", "parent"}
TEAM = {"convenor", "lead_colleague", "counsellor", "midwife"}
BOARD = {"board_member", "coordinator"}
# Who finds the world's conference in her personal feed (invited and may see it).
INVITED = {"convenor", "counsellor", "midwife", "parent"}


@pytest.fixture
def meeting(world) -> BoardMeeting:
    start = timezone.now() + dt.timedelta(days=40)
    return BoardMeeting.objects.create(network=world.network, starts_at=start, ends_at=start + dt.timedelta(hours=2))


@pytest.mark.parametrize("role", ROLES)
def test_calendar_page(client, world, role):
    response = client_for(client, world, role).get(reverse("calendars:calendar"))
    assert response.status_code == (302 if role == "anonymous" else 200)


@pytest.mark.parametrize("role", ROLES)
def test_creating_a_personal_link_shows_it_once(client, world, role):
    response = client_for(client, world, role).post(reverse("calendars:feed_token_create"), {"kind": "personal"})
    if role == "anonymous":
        assert response.status_code == 302 and not FeedToken.objects.exists()
        return
    assert response.status_code == 200
    body = response.content.decode()
    assert "webcal://" in body and "/feeds/" in body
    assert FeedToken.objects.filter(user=user_for(world, role)).count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_creating_a_case_link(client, world, role):
    response = client_for(client, world, role).post(reverse("calendars:feed_token_create"),
                                                    {"kind": "case", "case": str(world.case.pk)})
    if role == "anonymous":
        assert response.status_code == 302
    else:
        assert response.status_code == (200 if role in TEAM else 400)
    assert FeedToken.objects.filter(kind="case").exists() == (role in TEAM)


@pytest.mark.parametrize("role", ROLES)
def test_creating_a_board_link(client, world, role):
    response = client_for(client, world, role).post(reverse("calendars:feed_token_create"),
                                                    {"kind": "board", "network": str(world.network.pk)})
    if role == "anonymous":
        assert response.status_code == 302
    else:
        assert response.status_code == (200 if role in BOARD else 400)
    assert FeedToken.objects.filter(kind="board").exists() == (role in BOARD)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_owner_revokes_a_link(client, world, role):
    token, _ = calendar_services.feed_token_create(world.counsellor)
    response = client_for(client, world, role).post(reverse("calendars:feed_token_revoke", args=[token.pk]))
    token.refresh_from_db()
    if role == "anonymous":
        assert response.status_code == 302 and token.revoked_at is None
    elif role == "counsellor":
        assert response.status_code == 302 and token.revoked_at is not None
    else:
        assert response.status_code == 404 and token.revoked_at is None


@pytest.mark.parametrize("role", ROLES)
def test_personal_feed_by_role(client, world, role):
    user = user_for(world, role)
    if user is None:
        assert client.get(reverse("calendars:feed", args=["B" * 43])).status_code == 404
        return
    _, raw = calendar_services.feed_token_create(user)
    response = client.get(reverse("calendars:feed", args=[raw]))  # no session: the token is the key
    assert response.status_code == 200
    assert (f"conference-{world.conference.pk}@".encode() in response.content) == (role in INVITED)
    tasks = client.get(reverse("calendars:feed_tasks", args=[raw]))
    assert tasks.status_code == 200
    mine = {"counsellor": world.action_counselling, "parent": world.action_parent}.get(role)
    assert (b"todo-action-" in tasks.content) == (mine is not None)


@pytest.mark.parametrize("role", ROLES)
def test_case_feed_by_role(client, world, role):
    user = user_for(world, role)
    if role in TEAM:
        _, raw = calendar_services.feed_token_create(user, kind=FeedToken.Kind.CASE, case=world.case)
    else:
        # A token the service would refuse (e.g. issued before she left the team) serves nothing.
        raw, digest = services.new_token()
        if user is not None:
            FeedToken.objects.create(user=user, kind=FeedToken.Kind.CASE, case=world.case, token_hash=digest)
    response = client.get(reverse("calendars:feed", args=[raw]))
    assert response.status_code == (200 if role in TEAM else 404)
    assert client.get(reverse("calendars:feed_tasks", args=[raw])).status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_conference_ics_download(client, world, role):
    response = client_for(client, world, role).get(reverse("conferences:conference_ics", args=[world.conference.pk]))
    expected = 302 if role == "anonymous" else (200 if role in SEES_CONFERENCE else 404)
    assert response.status_code == expected
    if expected == 200:
        assert response["Content-Type"] == "text/calendar; charset=utf-8"


@pytest.mark.parametrize("role", ROLES)
def test_board_meeting_ics_download(client, world, meeting, role):
    response = client_for(client, world, role).get(reverse("calendars:board_meeting_ics", args=[meeting.pk]))
    expected = 302 if role == "anonymous" else (200 if role in BOARD else 404)
    assert response.status_code == expected
