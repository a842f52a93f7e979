"""The live channel follows a parent's invitation as the other channels do (review h9, H9-1): her
socket on a protocol of a conference she is invited to is not sent an action of another conference
of the case that she was uninvited from, though it falls to her; an action of her own conference
still is; and withdrawing her invitation closes the socket she has open on that protocol."""
from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from conferences.models import Conference, Invitation
from protocols import services
from protocols.models import AgreedAction, Audience, Protocol, ProtocolItem
from tests.conferences.helpers import uninvite_mother
from tests.websocket.test_live_access_changes import assert_no_message_of
from tests.websocket.test_live_protocol import open_socket, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


def _second_conference(world) -> tuple[Protocol, AgreedAction]:
    """A second conference of the case the mother is invited to; an action in it falls to her."""
    start = timezone.now() + dt.timedelta(days=20)
    conference = Conference.objects.create(case=world.case, convenor=world.convenor, status=Conference.Status.SCHEDULED,
                                           starts_at=start, ends_at=start + dt.timedelta(hours=1))
    Invitation.objects.create(conference=conference, user=world.convenor, organisation=world.youth_welfare)
    Invitation.objects.create(conference=conference, family_member=world.mother)
    protocol = Protocol.objects.create(conference=conference, minute_taker=world.convenor)
    item = ProtocolItem.objects.create(protocol=protocol, position=1, title="Absprachen", audience=Audience.EVERYONE,
                                       created_by=world.convenor)
    action = AgreedAction.objects.create(case=world.case, item=item, title="Kinderarzt anrufen", responsible_family_member=world.mother,
                                         due_on=timezone.localdate() + dt.timedelta(days=9))
    return protocol, action


async def test_her_socket_on_another_conference_gets_no_action_of_the_one_she_was_uninvited_from(world):
    protocol, own = await database_sync_to_async(_second_conference)(world)
    await database_sync_to_async(uninvite_mother)(world)
    parent = await open_socket(world.parent, protocol.pk)
    await receive_until(parent, "hello")

    await database_sync_to_async(services.action_update_status)(world.convenor, action=world.action_parent, status="in_progress")
    await assert_no_message_of(parent, {"action"})

    await database_sync_to_async(services.action_update_status)(world.convenor, action=own, status="in_progress")
    assert (await receive_until(parent, "action"))["action"]["id"] == own.pk
    await parent.disconnect()


async def test_invited_to_both_her_socket_gets_her_action_of_the_other_conference(world):
    protocol, _own = await database_sync_to_async(_second_conference)(world)
    parent = await open_socket(world.parent, protocol.pk)
    await receive_until(parent, "hello")

    await database_sync_to_async(services.action_update_status)(world.convenor, action=world.action_parent, status="in_progress")
    assert (await receive_until(parent, "action"))["action"]["id"] == world.action_parent.pk
    await parent.disconnect()


async def test_withdrawing_her_invitation_closes_her_socket_on_its_protocol(world):
    parent = await open_socket(world.parent, world.protocol.pk)
    await receive_until(parent, "hello")

    await database_sync_to_async(uninvite_mother)(world)

    while (message := await parent.receive_output(timeout=10))["type"] != "websocket.close":
        assert message["type"] != "websocket.send" or '"action"' not in message.get("text", "")
    assert message["code"] == 4403
