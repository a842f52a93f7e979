"""A delegated minute-taker who left her organisation writes no more minutes (review, 2026-12-06).

The convenor delegated the minutes (an explicit grant, ``access.grant_services.minute_taker_delegate``:
to a professional on the case team) to her colleague at the youth-welfare office, on the team for
it. The colleague left the youth-welfare office and the convenor put her on the team for the
midwifery, where she works now: the write check asked only "grant in force and on the team", so she
went on writing the protocol (page, API, live channel) on a delegation given to her as a member of
the lead organisation. As with the lead caseworker (``test_lead_caseworker_who_left.py``), the
delegation now holds while she is on the team as she was when it was given
(``protocols.policy.delegated_protocol_ids``).
"""
from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from access import grant_services
from cases import services as case_services
from cases.models import CaseTeamMember
from participants.models import Membership, ProfessionalRole
from protocols import selectors
from protocols import services as protocol_services
from protocols.models import ProtocolItem
from tests.websocket.sessions import live_scope
from tests.websocket.test_live_protocol import app, receive_until

pytestmark = pytest.mark.django_db


def delegate_to_the_colleague(world) -> None:
    grant_services.minute_taker_delegate(world.convenor, protocol=world.protocol, delegate=world.lead_colleague)
    assert protocol_services.can_write_items(world.lead_colleague, world.protocol)  # the control
    assert [step.step for step in selectors.protocol_steps(world.lead_colleague, [world.conference])] == ["continue"]


def moves_to_the_midwifery(world, *, in_the_admin: bool = False) -> None:
    """She leaves the youth-welfare office, works for the midwifery, and the convenor puts her on
    the case team for it."""
    membership = Membership.objects.get(user=world.lead_colleague, organisation=world.youth_welfare)
    if in_the_admin:
        client = Client()
        client.force_login(world.admin)
        response = client.post(reverse("admin:participants_membership_change", args=[membership.pk]), {
            "user": world.lead_colleague.pk, "organisation": world.youth_welfare.pk, "role": membership.role})
        assert response.status_code == 302
    else:
        Membership.objects.filter(pk=membership.pk).update(is_active=False)
    Membership.objects.create(user=world.lead_colleague, organisation=world.midwifery, role=ProfessionalRole.MIDWIFE)
    case_services.case_team_member_add(world.convenor, case=world.case, organisation=world.midwifery, user=world.lead_colleague)


@pytest.mark.parametrize("in_the_admin", [False, True])
def test_she_no_longer_writes_the_minutes_delegated_to_her(world, in_the_admin):
    delegate_to_the_colleague(world)
    moves_to_the_midwifery(world, in_the_admin=in_the_admin)
    assert CaseTeamMember.objects.filter(case=world.case, user=world.lead_colleague, removed_at__isnull=True).exists()

    assert not protocol_services.can_write_items(world.lead_colleague, world.protocol)
    with pytest.raises(PermissionDenied):
        protocol_services.item_create(world.lead_colleague, protocol=world.protocol, title="Nach dem Wechsel")
    with pytest.raises(PermissionDenied):
        protocol_services.item_update(world.lead_colleague, item=world.item_everyone, version=world.item_everyone.version,
                                      title="Überschrieben")
    steps = selectors.protocol_steps(world.lead_colleague, [world.conference])
    assert all(step.step != "continue" for step in steps)


def test_the_page_and_the_api_refuse_her_writes(world, client):
    delegate_to_the_colleague(world)
    moves_to_the_midwifery(world)
    client.force_login(world.lead_colleague)
    page = client.post(reverse("protocols:item_create", args=[world.protocol.pk]),
                       {"title": "Nach dem Wechsel", "text": "", "audience": "professionals"})
    assert page.status_code == 403
    api = client.post("/api/protocol-items/", {"protocol": world.protocol.pk, "title": "Nach dem Wechsel",
                                               "audience": "professionals"}, content_type="application/json")
    assert api.status_code == 403
    edit = client.post(reverse("protocols:item_edit", args=[world.item_everyone.pk]),
                       {"title": "Überschrieben", "text": "", "version": world.item_everyone.version})
    assert edit.status_code == 403
    assert not ProtocolItem.objects.filter(title__in=["Nach dem Wechsel", "Überschrieben"]).exists()


def test_a_delegate_who_stays_where_she_was_still_writes(world):
    """The grant as given: to a professional on the team for any organisation (the midwife)."""
    grant_services.minute_taker_delegate(world.convenor, protocol=world.protocol, delegate=world.midwife)
    assert protocol_services.can_write_items(world.midwife, world.protocol)
    delegate_to_the_colleague(world)
    protocol_services.item_create(world.lead_colleague, protocol=world.protocol, title="Notiz")


def test_delegated_again_after_the_move_she_writes(world):
    delegate_to_the_colleague(world)
    moves_to_the_midwifery(world)
    grant_services.minute_taker_delegate(world.convenor, protocol=world.protocol, delegate=world.lead_colleague)
    assert protocol_services.can_write_items(world.lead_colleague, world.protocol)


@pytest.mark.django_db(transaction=True)
async def test_the_live_channel_refuses_her_writes(world):
    await database_sync_to_async(delegate_to_the_colleague)(world)
    await database_sync_to_async(moves_to_the_midwifery)(world)
    communicator = WebsocketCommunicator(app, f"/ws/protocols/{world.protocol.pk}/")
    await live_scope(communicator, world.lead_colleague)
    assert (await communicator.connect(timeout=10))[0]
    hello = await receive_until(communicator, "hello")
    assert hello["can_write"] is False
    await communicator.send_json_to({"type": "item_create", "title": "Über den Socket", "audience": "professionals"})
    reply = await receive_until(communicator, "error")
    assert reply["error"] == "forbidden"
    assert not await database_sync_to_async(ProtocolItem.objects.filter(title="Über den Socket").exists)()
    await communicator.disconnect()
