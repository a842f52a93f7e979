"""The carry-over of open actions into the next conference's protocol (``services.protocol_open``):
who reads the copy, and who holds it (review h12, H12-8 and H12-9).

A parent or a guest reads a carried-over item only where she reads the item the reviewed action
was agreed in (and so on up the chain), judged when she reads; the copy is held as its source is,
not by the convenor who opened the protocol."""
from __future__ import annotations

import datetime as dt
import html

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from access import grant_services
from config.routing import websocket_urlpatterns
from conferences.models import Conference, Invitation
from protocols import services
from protocols.models import AgreedAction, Audience, ProtocolItem
from tests.conferences.helpers import uninvite_mother
from tests.websocket.sessions import live_scope
from tests.world import make_professional

pytestmark = pytest.mark.django_db

TITLE = "Substitutionspraxis anrufen"
DETAIL = "Beikonsum laut Praxis seit März"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _action(world, item=None) -> AgreedAction:
    return AgreedAction.objects.create(case=world.case, item=item or world.item_everyone, title=TITLE, description=DETAIL,
                                       responsible_organisation=world.counselling, responsible_user=world.counsellor,
                                       due_on=timezone.localdate() + dt.timedelta(days=10))


def _next_conference(world, *, mother: bool = True) -> Conference:
    now = timezone.now()
    conference = Conference.objects.create(case=world.case, convenor=world.convenor, status=Conference.Status.SCHEDULED,
                                           starts_at=now - dt.timedelta(minutes=30), ends_at=now + dt.timedelta(minutes=60))
    if mother:
        Invitation.objects.create(conference=conference, family_member=world.mother)
    return conference


def _copy(protocol, action) -> ProtocolItem:
    return ProtocolItem.objects.get(protocol=protocol, reviewed_action=action)


def _page(client, user, protocol) -> str:
    client.force_login(user)
    response = client.get(reverse("protocols:protocol_detail", args=[protocol.pk]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


# --- H12-8: who reads the copy ------------------------------------------------------------------

def test_the_mother_reads_the_carried_over_action_of_a_conference_she_was_invited_to(world, client):
    action = _action(world)
    protocol = services.protocol_open(world.convenor, conference=_next_conference(world))
    copy = _copy(protocol, action)
    assert TITLE in _page(client, world.parent, protocol)
    assert api(world.parent).get(f"/api/protocol-items/{copy.pk}/").status_code == 200


def test_the_withdrawn_mother_reads_the_carried_over_action_neither_on_the_page_nor_through_the_api(world, client):
    action = _action(world)
    uninvite_mother(world)
    protocol = services.protocol_open(world.convenor, conference=_next_conference(world))
    copy = _copy(protocol, action)
    page = _page(client, world.parent, protocol)
    assert TITLE not in page and DETAIL not in page
    assert api(world.parent).get(f"/api/protocol-items/{copy.pk}/").status_code == 404
    listed = api(world.parent).get("/api/protocol-items/", {"protocol": protocol.pk}).json()["results"]
    assert copy.pk not in {i["id"] for i in listed}
    # the professionals of the team still review it
    assert api(world.counsellor).get(f"/api/protocol-items/{copy.pk}/").status_code == 200


def test_withdrawing_the_mother_from_the_source_conference_later_hides_the_copy_at_once(world, client):
    action = _action(world)
    protocol = services.protocol_open(world.convenor, conference=_next_conference(world))
    copy = _copy(protocol, action)
    assert api(world.parent).get(f"/api/protocol-items/{copy.pk}/").status_code == 200
    uninvite_mother(world)
    assert api(world.parent).get(f"/api/protocol-items/{copy.pk}/").status_code == 404
    assert TITLE not in _page(client, world.parent, protocol)


def test_narrowing_the_source_item_to_the_professionals_hides_the_copy_from_the_mother(world):
    action = _action(world)
    protocol = services.protocol_open(world.convenor, conference=_next_conference(world))
    copy = _copy(protocol, action)
    source = ProtocolItem.objects.get(pk=world.item_everyone.pk)
    services.item_update(world.convenor, item=source, version=source.version, audience=Audience.PROFESSIONALS)
    assert api(world.parent).get(f"/api/protocol-items/{copy.pk}/").status_code == 404


def test_an_action_agreed_in_a_hidden_copy_stays_hidden_when_it_is_carried_over_again(world, client):
    first = _action(world)
    uninvite_mother(world)
    second_protocol = services.protocol_open(world.convenor, conference=_next_conference(world))
    hidden_copy = _copy(second_protocol, first)
    later = services.action_create(world.convenor, item=hidden_copy, title="Rückmeldung der Praxis einholen",
                                   due_on=timezone.localdate() + dt.timedelta(days=20),
                                   responsible_organisation=world.counselling)
    third_protocol = services.protocol_open(world.convenor, conference=_next_conference(world))
    assert api(world.parent).get(f"/api/protocol-items/{_copy(third_protocol, later).pk}/").status_code == 404
    assert "Rückmeldung der Praxis" not in _page(client, world.parent, third_protocol)
    assert api(world.parent).get(f"/api/actions/{later.pk}/").status_code == 404


def test_a_guest_of_the_next_conference_does_not_read_the_carried_over_action_of_the_earlier_one(world, client):
    action = _action(world)
    conference = _next_conference(world, mother=False)
    guest = make_professional("guest", world.early_help)
    grant_services.guest_invite(world.convenor, conference=conference, guest=guest)
    protocol = services.protocol_open(world.convenor, conference=conference)
    copy = _copy(protocol, action)
    mine = ProtocolItem.objects.create(protocol=protocol, position=50, title="Neue Lage", audience=Audience.EVERYONE,
                                       created_by=world.convenor)
    assert api(guest).get(f"/api/protocol-items/{mine.pk}/").status_code == 200  # the control: her conference
    assert api(guest).get(f"/api/protocol-items/{copy.pk}/").status_code == 404
    assert TITLE not in _page(client, guest, protocol)


async def _next(communicator, kind: str) -> dict:
    while True:
        message = await communicator.receive_json_from(timeout=10)
        if message["type"] == kind:
            return message


@pytest.mark.django_db(transaction=True)
async def test_the_withdrawn_mothers_socket_gets_no_live_change_of_the_carried_over_action(world):
    action = await database_sync_to_async(_action)(world)
    await database_sync_to_async(uninvite_mother)(world)
    conference = await database_sync_to_async(_next_conference)(world)
    protocol = await database_sync_to_async(services.protocol_open)(world.convenor, conference=conference)
    copy = await database_sync_to_async(_copy)(protocol, action)
    mine = await database_sync_to_async(ProtocolItem.objects.create)(
        protocol=protocol, position=50, title="Neue Lage", audience=Audience.EVERYONE, created_by=world.convenor)
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/protocols/{protocol.pk}/")
    await live_scope(communicator, world.parent)
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    await _next(communicator, "hello")
    await database_sync_to_async(services.item_update)(world.convenor, item=copy, version=copy.version,
                                                       text=f"{DETAIL}; Praxis meldet sich")
    await database_sync_to_async(services.item_update)(world.convenor, item=mine, version=mine.version, text="Kita ab Mai")
    received = await _next(communicator, "item")
    assert received["item"]["id"] == mine.pk, received
    await communicator.disconnect()


# --- H12-9: who holds the copy ------------------------------------------------------------------

def _counsellors_item_with_action(world) -> AgreedAction:
    source = ProtocolItem.objects.create(protocol=world.protocol, position=9, title="Einschätzung Suchtberatung",
                                         text="Nur für Fachkräfte.", audience=Audience.PROFESSIONALS,
                                         created_by=world.counsellor)
    return _action(world, item=source)


def test_the_convenor_cannot_open_the_copy_of_the_counsellors_item_to_the_parents_on_the_page(world, client):
    action = _counsellors_item_with_action(world)
    protocol = services.protocol_open(world.convenor, conference=_next_conference(world))
    copy = _copy(protocol, action)
    client.force_login(world.convenor)
    response = client.post(reverse("protocols:item_edit", args=[copy.pk]),
                           {"title": copy.title, "text": copy.text, "audience": Audience.EVERYONE, "version": copy.version})
    assert response.status_code == 403
    assert ProtocolItem.objects.get(pk=copy.pk).audience == Audience.PROFESSIONALS
    # the counselling service holds it: its counsellor is offered the audience form
    client.force_login(world.counsellor)
    assert client.get(reverse("protocols:item_edit", args=[copy.pk])).status_code == 200


def test_the_convenor_cannot_open_the_copy_through_the_api_but_its_holder_can(world):
    action = _counsellors_item_with_action(world)
    protocol = services.protocol_open(world.convenor, conference=_next_conference(world))
    copy = _copy(protocol, action)
    url = f"/api/protocol-items/{copy.pk}/"
    refused = api(world.convenor).patch(url, {"version": copy.version, "audience": Audience.EVERYONE}, format="json")
    assert refused.status_code == 403
    assert ProtocolItem.objects.get(pk=copy.pk).audience == Audience.PROFESSIONALS
    opened = api(world.counsellor).patch(url, {"version": copy.version, "audience": Audience.EVERYONE}, format="json")
    assert opened.status_code == 200, opened.content
    assert ProtocolItem.objects.get(pk=copy.pk).audience == Audience.EVERYONE
