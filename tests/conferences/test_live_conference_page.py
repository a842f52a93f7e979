"""The conference page's invitation table updates live: an answer given on the web or by a
calendar reply (``manage.py receive_mail``) reaches the open page of every case-team
professional — and no socket of anyone who may not see the table."""
from __future__ import annotations

import io
import sys

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from cases import services as case_services
from conferences import services
from cases.models import CaseTeamMember
from config.routing import websocket_urlpatterns
from tests.conferences.helpers import convene
from tests.conferences.mailfixtures import answer_to
from tests.websocket.sessions import live_scope, sign_in
from tests.world import build_world

pytestmark = pytest.mark.django_db(transaction=True)

app = URLRouter(websocket_urlpatterns)


async def open_page_socket(user, conference_id):
    communicator = WebsocketCommunicator(app, f"/ws/conferences/{conference_id}/")
    await live_scope(communicator, user)
    connected, code = await communicator.connect(timeout=10)
    assert connected, code
    return communicator


async def test_the_convenor_sees_an_answer_given_on_the_web_without_reloading():
    world = await database_sync_to_async(build_world)()
    conference = world.conference
    socket = await open_page_socket(world.convenor, conference.pk)
    counsellor = await database_sync_to_async(sign_in)(world.counsellor)  # her browser, signed in
    response = await database_sync_to_async(counsellor.post)(
        reverse("conferences:conference_rsvp", args=[conference.pk]), {"rsvp": "declined", "comment": "Bin krank"})
    assert response.status_code == 302
    assert await socket.receive_json_from(timeout=10) == {
        "type": "invitation.answered", "invitation": world.invitation_counsellor.pk, "rsvp": "declined",
        "comment": "Bin krank", "required": True,
    }
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


async def test_the_convenor_sees_an_answer_given_in_a_calendar_through_receive_mail(monkeypatch, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world = await database_sync_to_async(build_world)()
    conference = await database_sync_to_async(convene)(world)
    await database_sync_to_async(lambda: services.poll_pick(
        world.convenor, conference=conference, slot=conference.poll.slots.first()))()
    socket = await open_page_socket(world.convenor, conference.pk)
    request = [m for m in mail.outbox if m.to == [world.counsellor.email]][-1]  # the REQUEST after the pick
    raw = answer_to(request, client="gmail", partstat="TENTATIVE", comment="Komme später, ca. 10:15")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    out = io.StringIO()
    await database_sync_to_async(call_command)("receive_mail", stdout=out)
    assert out.getvalue().strip() == "applied"
    invitation = await database_sync_to_async(lambda: conference.invitations.get(user=world.counsellor))()
    assert await socket.receive_json_from(timeout=10) == {
        "type": "invitation.answered", "invitation": invitation.pk, "rsvp": "tentative",
        "comment": "Komme später, ca. 10:15", "required": True,
    }
    await socket.disconnect()


async def test_a_professional_taken_off_the_team_gets_no_answer_and_her_socket_is_closed():
    world = await database_sync_to_async(build_world)()
    socket = await open_page_socket(world.midwife, world.conference.pk)
    member = await database_sync_to_async(
        lambda: CaseTeamMember.objects.get(case=world.case, user=world.midwife, removed_at__isnull=True))()
    await database_sync_to_async(case_services.case_team_member_remove)(world.convenor, member=member)
    await database_sync_to_async(services.invitation_rsvp)(
        world.counsellor, invitation=world.invitation_counsellor, rsvp="accepted", comment="Gern")
    assert await socket.receive_output(timeout=10) == {"type": "websocket.close", "code": 4403}


async def test_an_answer_in_one_conference_reaches_no_page_of_another_conference():
    world = await database_sync_to_async(build_world)()
    other = await database_sync_to_async(convene)(world)
    socket = await open_page_socket(world.convenor, other.pk)
    await database_sync_to_async(services.invitation_rsvp)(
        world.counsellor, invitation=world.invitation_counsellor, rsvp="accepted")
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


def test_the_conference_page_names_its_live_table_and_works_without_javascript(client, world):
    client.force_login(world.convenor)
    page = client.get(reverse("conferences:conference_detail", args=[world.conference.pk])).content.decode()
    assert f'data-live-socket="/ws/conferences/{world.conference.pk}/"' in page
    assert f'data-invitation="{world.invitation_counsellor.pk}"' in page
    assert 'aria-live="polite"' in page and "conference-live.js" in page
    client.force_login(world.parent)
    parent_page = client.get(reverse("conferences:conference_detail", args=[world.conference.pk])).content.decode()
    assert "data-live-socket" not in parent_page and "conference-live.js" not in parent_page


async def test_the_conference_page_socket_asks_for_the_second_factor(settings):
    settings.MFA_REQUIRED_FOR_PROFESSIONALS = True
    world = await database_sync_to_async(build_world)()
    communicator = WebsocketCommunicator(app, f"/ws/conferences/{world.conference.pk}/")
    await live_scope(communicator, world.convenor)
    connected, code = await communicator.connect(timeout=10)
    assert not connected and code == 4403


async def test_logging_out_closes_the_conference_page_socket_at_once():
    world = await database_sync_to_async(build_world)()
    communicator = WebsocketCommunicator(app, f"/ws/conferences/{world.conference.pk}/")
    client = await live_scope(communicator, world.convenor)
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    await database_sync_to_async(client.logout)()
    assert await communicator.receive_output(timeout=10) == {"type": "websocket.close", "code": 4401}
