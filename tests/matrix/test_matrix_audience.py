"""Permission matrix: who may widen who reads a protocol item, per role, on the item page, the
API and the live channel (issue 15, finding 2; same rule on every channel).

Widening is a disclosure: only the organisation holding the item decides it. Two cells:

* ``professionals``: the world's item for professionals, written by the convenor (Jugendamt),
  widened to everyone. The Jugendamt holds it; the convenor and her colleague (who also write)
  may; the counsellor and the midwife read it but may not; the parent does not see it.
* ``held_by_counselling``: an item restricted to the Suchtberatung and the Jugendamt, held by the
  Suchtberatung, widened to all professionals under the mother's consent. Only the counsellor
  (who does not write the protocol) may; the Jugendamt's writers read it but may not.
* ``carried_over_from_counselling``: the carry-over item, in the next conference's protocol, of an
  open action agreed in an item for professionals that the counsellor wrote (review h12, H12-9).
  The Suchtberatung holds the copy as it holds the source: only the counsellor may open it to the
  parents, not the convenor who opened the protocol (and writes it).
"""
from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse
from django.utils import timezone

from cases.models import Consent, ConsentScope, InformationCategory
from conferences.models import Conference, Invitation
from protocols import services as protocol_services
from permissions.models import AuditEvent
from protocols.models import AgreedAction, Audience, ProtocolItem
from tests.matrix.roles import ROLES, client_for, user_for

URL_NAMES: set[str] = set()  # item_edit's GET cell is in test_matrix_protocols; these are its POST cells

CELLS = {
    # cell: (ok roles, roles that see the item, target audience)
    "professionals": ({"convenor", "lead_colleague"}, {"convenor", "lead_colleague", "counsellor", "midwife"}, Audience.EVERYONE),
    "held_by_counselling": ({"counsellor"}, {"convenor", "lead_colleague", "counsellor"}, Audience.PROFESSIONALS),
    "carried_over_from_counselling": ({"counsellor"}, {"convenor", "lead_colleague", "counsellor", "midwife"}, Audience.EVERYONE),
}


def held_by_counselling(world) -> ProtocolItem:
    item = ProtocolItem.objects.create(
        protocol=world.protocol, position=9, title="In der Suchtberatung anvertraut", text="Rückfall im Mai.",
        audience=Audience.RESTRICTED, holding_organisation=world.counselling, entrusted_by=world.mother,
        category=InformationCategory.ADDICTION_TREATMENT, created_by=world.convenor)
    item.restricted_to.set([world.counselling, world.youth_welfare])
    today = timezone.localdate()
    consent = Consent.objects.create(case=world.case, given_by=world.mother, from_organisation=world.counselling,
                                     valid_from=today, valid_until=today + dt.timedelta(days=30),
                                     form_reference="SB-7", recorded_by=world.counsellor)
    consent.to_organisations.set([world.youth_welfare, world.midwifery])
    ConsentScope.objects.create(consent=consent, category=InformationCategory.ADDICTION_TREATMENT)
    return item


def carried_over_from_counselling(world) -> ProtocolItem:
    source = ProtocolItem.objects.create(protocol=world.protocol, position=9, title="Einschätzung Suchtberatung",
                                         text="Nur für Fachkräfte.", audience=Audience.PROFESSIONALS, created_by=world.counsellor)
    action = AgreedAction.objects.create(case=world.case, item=source, title="Rückfallprophylaxe: Gruppe ab März",
                                         responsible_organisation=world.counselling, responsible_user=world.counsellor,
                                         due_on=timezone.localdate() + dt.timedelta(days=10))
    now = timezone.now()
    follow_up = Conference.objects.create(case=world.case, convenor=world.convenor, status=Conference.Status.SCHEDULED,
                                          starts_at=now - dt.timedelta(minutes=30), ends_at=now + dt.timedelta(minutes=60))
    Invitation.objects.create(conference=follow_up, family_member=world.mother)
    protocol = protocol_services.protocol_open(world.convenor, conference=follow_up)
    return ProtocolItem.objects.get(protocol=protocol, reviewed_action=action)


def item_for(world, cell: str) -> ProtocolItem:
    if cell == "carried_over_from_counselling":
        return carried_over_from_counselling(world)
    return world.item_professionals if cell == "professionals" else held_by_counselling(world)


def want(role: str, ok_roles: set[str], visible: set[str], ok: int, forbidden: int = 403) -> int:
    if role == "anonymous":
        return 302
    if role not in visible:
        return 404
    return ok if role in ok_roles else forbidden


def assert_outcome(item: ProtocolItem, target: str, allowed: bool) -> None:
    item.refresh_from_db()
    assert (item.audience == target) == allowed
    assert AuditEvent.objects.filter(action="protocol.item.disclose", object_id=str(item.pk)).exists() == allowed


@pytest.mark.django_db
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("role", ROLES)
def test_widening_on_the_item_page(client, world, role, cell):
    ok_roles, visible, target = CELLS[cell]
    item = item_for(world, cell)
    client = client_for(client, world, role)
    url = reverse("protocols:item_edit", args=[item.pk])
    assert client.get(url).status_code == want(role, ok_roles | {"convenor", "lead_colleague"}, visible, 200)
    response = client.post(url, {"title": item.title, "text": item.text, "audience": target, "version": item.version,
                                 "holding_organisation": item.holding_organisation_id or "", "category": item.category,
                                 "entrusted_by": item.entrusted_by_id or ""})
    assert response.status_code == want(role, ok_roles, visible, 302), role
    assert_outcome(item, target, role in ok_roles)


@pytest.mark.django_db
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("role", ROLES)
def test_widening_through_the_api(client, world, role, cell):
    ok_roles, visible, target = CELLS[cell]
    item = item_for(world, cell)
    response = client_for(client, world, role).patch(
        reverse("protocol-item-detail", args=[item.pk]), {"version": item.version, "audience": target},
        content_type="application/json")
    if role == "anonymous":
        assert response.status_code in {401, 403}
    else:
        assert response.status_code == want(role, ok_roles, visible, 200), (role, response.content[:200])
    assert_outcome(item, target, role in ok_roles)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
async def test_widening_through_the_live_channel(world, role, cell):
    from tests.websocket.test_live_protocol import open_socket, receive_until

    ok_roles, visible, target = CELLS[cell]
    item = await database_sync_to_async(item_for)(world, cell)
    socket = await open_socket(user_for(world, role), item.protocol_id)
    first = await socket.receive_output(timeout=10)
    if first["type"] == "websocket.close":  # not on the case at all: nothing to send a change through
        assert role not in visible and role not in {"parent"}
        await database_sync_to_async(assert_outcome)(item, target, False)
        return
    await socket.send_json_to({"type": "item_update", "item": item.pk, "version": item.version, "audience": target})
    reply = await receive_until(socket, "item_saved" if role in ok_roles else "error")
    if role not in ok_roles:
        assert reply["error"] == ("forbidden" if role in visible else "not_found"), reply
    await socket.disconnect()
    await database_sync_to_async(assert_outcome)(item, target, role in ok_roles)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["convenor", "counsellor", "midwife", "parent"])
def test_put_is_not_a_way_around_the_rule(client, world, role):
    """Only PATCH changes an item through the API; PUT is refused for everyone and changes nothing."""
    item = world.item_professionals
    response = client_for(client, world, role).put(reverse("protocol-item-detail", args=[item.pk]), {
        "version": item.version, "title": item.title, "text": item.text, "audience": Audience.EVERYONE},
        content_type="application/json")
    assert response.status_code in {404, 405}
    item.refresh_from_db()
    assert item.audience == Audience.PROFESSIONALS
