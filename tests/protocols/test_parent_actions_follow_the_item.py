"""One rule for a parent's actions and the item they are in: an action falls to a parent only in an
item she may hold actions in (one that carries no holder, whatever its audience, or one widened to
everyone that she entrusted herself). Narrowing an item so that she would lose it is refused while
she is responsible for an open action of it (page, API, live channel, service, in the draft and by
the holder after it), naming the action and the way on; and an action in an item she may no
longer read (narrowed before this rule, or after the action was closed) reaches her in no channel:
not on "my agreements", the API, her iCal feed or the live socket.

Also: narrowing an item narrows its copies carried over into later protocols that are not final
(``services._copies_narrowed``), and the organisation holding an item that was never restricted
(``services.holding_organisation_ids``) narrows it after the draft too."""
from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from calendars import services as calendar_services
from cases.models import FamilyMember, InformationCategory
from config.routing import websocket_urlpatterns
from conferences.models import Conference, Invitation
from permissions.models import AuditEvent
from protocols import live, policy as protocols_policy, services
from protocols.models import AgreedAction, Audience, Protocol, ProtocolItem
from tests.websocket.sessions import live_scope
from tests.world import hold_conference

pytestmark = pytest.mark.django_db

CATEGORY = InformationCategory.PARENTING_CHILD_WELFARE
DUE = timezone.localdate() + dt.timedelta(days=7)


def _release(world):
    hold_conference(world.conference)
    services.protocol_release(world.convenor, protocol=world.protocol)
    world.protocol.refresh_from_db()


def _entrusted_by_her(world, action_status=AgreedAction.Status.OPEN):
    """An item the counselling service holds, entrusted by the mother and widened to everyone (so
    she reads it), with an action that falls to her."""
    item = ProtocolItem.objects.create(protocol=world.protocol, position=20, title="Ihr Anliegen", text="Anvertraut",
                                       audience=Audience.EVERYONE, holding_organisation=world.counselling,
                                       entrusted_by=world.mother, category=CATEGORY, created_by=world.counsellor)
    action = AgreedAction.objects.create(case=world.case, item=item, title="Beratung aufsuchen", due_on=DUE,
                                         responsible_family_member=world.mother, status=action_status,
                                         completed_on=timezone.localdate() if action_status == AgreedAction.Status.DONE else None)
    return item, action


def _reads_action(user, action) -> bool:
    return protocols_policy.actions_for_user(user).filter(pk=action.pk).exists()


# --- 1(a): narrowing is refused while she holds an open action of the item ----------------------

def test_restricting_an_item_in_the_draft_is_refused_while_her_action_is_open(world):
    item = world.item_everyone
    with pytest.raises(ValidationError) as refused:
        services.item_update(world.convenor, item=item, version=item.version, audience=Audience.RESTRICTED,
                             restricted_to=[world.counselling], holding_organisation=world.youth_welfare, category=CATEGORY)
    message = refused.value.message_dict["audience"][0]
    assert world.action_parent.title in message and "Done" in message and "anew" in message
    item.refresh_from_db()
    assert item.audience == Audience.EVERYONE and item.holding_organisation_id is None
    assert not AuditEvent.objects.filter(action="protocol.item.update", object_id=str(item.pk)).exists()
    assert _reads_action(world.parent, world.action_parent)


def test_the_holder_is_refused_after_the_draft_and_narrows_once_the_action_is_closed(world):
    item, action = _entrusted_by_her(world)
    _release(world)
    with pytest.raises(ValidationError) as refused:
        services.item_narrow(world.counsellor, item=item, version=item.version, audience=Audience.PROFESSIONALS)
    assert "Beratung aufsuchen" in refused.value.message_dict["audience"][0]
    item.refresh_from_db()
    assert item.audience == Audience.EVERYONE
    services.action_update_status(world.parent, action=action, status=AgreedAction.Status.DONE, note="erledigt")
    item.refresh_from_db()
    narrowed = services.item_narrow(world.counsellor, item=item, version=item.version, audience=Audience.PROFESSIONALS)
    assert narrowed.audience == Audience.PROFESSIONALS
    # (b): closed, in an item she may no longer read: it reaches her no more
    assert not _reads_action(world.parent, action)


def test_narrowing_to_the_team_keeps_her_action_in_an_item_that_carries_no_holder(world):
    # an item for professionals that carries no organisation's information keeps its actions for her (rule 3)
    item = world.item_everyone
    services.item_update(world.convenor, item=item, version=item.version, audience=Audience.PROFESSIONALS)
    assert _reads_action(world.parent, world.action_parent)


def test_the_page_refuses_at_the_field(client, world):
    item, _action = _entrusted_by_her(world)
    _release(world)
    client.force_login(world.counsellor)
    response = client.post(reverse("protocols:item_edit", args=[item.pk]),
                           {"audience": Audience.PROFESSIONALS, "version": item.version})
    assert response.status_code == 400
    assert "Beratung aufsuchen" in response.context["form"].errors["audience"][0]
    item.refresh_from_db()
    assert item.audience == Audience.EVERYONE


def test_the_api_refuses_at_the_field(world):
    item, _action = _entrusted_by_her(world)
    api = APIClient()
    api.force_authenticate(world.counsellor)  # the holder, in the draft
    response = api.patch(reverse("protocol-item-detail", args=[item.pk]),
                         {"audience": Audience.PROFESSIONALS, "version": item.version}, format="json")
    assert response.status_code == 400, response.content
    assert "Beratung aufsuchen" in str(response.json()["audience"])
    item.refresh_from_db()
    assert item.audience == Audience.EVERYONE


# --- 1(b): an action in an item she may not read reaches her in no channel -----------------------

@pytest.fixture
def withheld(world):
    """Her action, done, in an item narrowed since to the team (as before the refusal existed, or
    after it was closed)."""
    item, action = _entrusted_by_her(world, action_status=AgreedAction.Status.DONE)
    ProtocolItem.objects.filter(pk=item.pk).update(audience=Audience.PROFESSIONALS)
    return action


def test_the_policy_and_her_lists_leave_it_out(world, withheld):
    assert not _reads_action(world.parent, withheld)
    assert not protocols_policy.responsible_actions_for_user(world.parent).filter(pk=withheld.pk).exists()
    # her other action, in an item for everyone that carries no holder, stays
    assert _reads_action(world.parent, world.action_parent)
    # the team still reads it
    assert _reads_action(world.counsellor, withheld)


def test_my_agreements_and_the_api_leave_it_out(client, world, withheld):
    client.force_login(world.parent)
    page = client.get(reverse("protocols:my_agreements")).content.decode()
    assert "Beratung aufsuchen" not in page and world.action_parent.title in page
    listed = {row["id"] for row in client.get("/api/actions/").json()["results"]}
    assert withheld.pk not in listed and world.action_parent.pk in listed
    assert client.get(f"/api/actions/{withheld.pk}/").status_code == 404


def test_her_feed_leaves_it_out(client, world, withheld):
    _, raw = calendar_services.feed_token_create(world.parent)
    for name in ("calendars:feed", "calendars:feed_tasks"):
        body = client.get(reverse(name, args=[raw])).content
        assert f"action-{withheld.pk}@".encode() not in body and b"Beratung aufsuchen" not in body
    assert f"action-{world.action_parent.pk}@".encode() in client.get(reverse("calendars:feed_tasks", args=[raw])).content


@pytest.mark.django_db(transaction=True)
async def test_the_live_socket_does_not_push_it(world):
    item, action = await database_sync_to_async(_entrusted_by_her)(world)
    await database_sync_to_async(ProtocolItem.objects.filter(pk=item.pk).update)(audience=Audience.PROFESSIONALS)
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/protocols/{world.protocol.pk}/")
    await live_scope(communicator, world.parent)
    assert (await communicator.connect(timeout=10))[0]
    assert (await communicator.receive_json_from(timeout=10))["type"] == "hello"

    def change():
        with transaction.atomic():
            AgreedAction.objects.filter(pk__in=[action.pk, world.action_parent.pk]).update(status=AgreedAction.Status.IN_PROGRESS)
            live.action_changed_on_commit(action.pk)
            live.action_changed_on_commit(world.action_parent.pk)

    await database_sync_to_async(change)()
    received = []
    while not await communicator.receive_nothing(timeout=0.5):
        message = await communicator.receive_json_from()
        assert "Beratung aufsuchen" not in str(message), message
        if message["type"] == "action":
            received.append(message["action"]["id"])
    assert received == [world.action_parent.pk]
    await communicator.disconnect()


# --- 2: copies carried into a later protocol follow a narrowing ----------------------------------

def _carried_over(world):
    """The counselling action of the first conference, carried over for review into the protocol of a
    second one (``services.protocol_open``); the item it was agreed in widened to everyone, by its
    holder, before the second protocol was opened."""
    start = timezone.now() + dt.timedelta(minutes=30)
    second = Conference.objects.create(case=world.case, convenor=world.convenor, status=Conference.Status.SCHEDULED,
                                       starts_at=start, ends_at=start + dt.timedelta(minutes=90))
    item = world.item_professionals
    ProtocolItem.objects.filter(pk=item.pk).update(audience=Audience.EVERYONE)
    protocol = services.protocol_open(world.convenor, conference=second)
    copy = protocol.items.get(kind=ProtocolItem.Kind.CARRY_OVER, reviewed_action=world.action_counselling)
    assert copy.audience == Audience.EVERYONE
    item.refresh_from_db()
    return item, copy


def test_narrowing_an_item_narrows_its_copy_in_a_later_draft(world):
    item, copy = _carried_over(world)
    _release(world)
    services.item_narrow(world.convenor, item=item, version=item.version, audience=Audience.RESTRICTED,
                         restricted_to=[world.counselling], category=CATEGORY)
    copy.refresh_from_db()
    assert copy.audience == Audience.RESTRICTED and copy.holding_organisation_id == world.youth_welfare.pk
    assert set(copy.restricted_to.values_list("pk", flat=True)) == {world.counselling.pk}
    assert not protocols_policy.protocol_items_for_user(world.midwife).filter(pk=copy.pk).exists()
    event = AuditEvent.objects.get(action="protocol.item.narrow", object_id=str(copy.pk))
    assert event.detail["carried_over_from"] == item.pk


def test_narrowing_on_the_page_narrows_the_copy(client, world):
    item, copy = _carried_over(world)
    client.force_login(world.convenor)
    response = client.post(reverse("protocols:item_edit", args=[item.pk]),
                           {"title": item.title, "text": item.text, "audience": Audience.PROFESSIONALS, "version": item.version})
    assert response.status_code == 302
    copy.refresh_from_db()
    assert copy.audience == Audience.PROFESSIONALS
    client.force_login(world.parent)
    assert "Review: " + world.action_counselling.title not in client.get(
        reverse("protocols:protocol_detail", args=[copy.protocol_id])).content.decode()


def test_a_final_copy_stays_as_it_was_recorded(world):
    item, copy = _carried_over(world)
    Protocol.objects.filter(pk=copy.protocol_id).update(status=Protocol.Status.FINAL, finalised_at=timezone.now())
    services.item_update(world.convenor, item=item, version=item.version, audience=Audience.PROFESSIONALS)
    copy.refresh_from_db()
    assert copy.audience == Audience.EVERYONE


# --- 3: the holder of an item never restricted narrows it after the draft -----------------------

def test_the_authors_organisation_narrows_an_item_never_restricted_after_the_draft(world):
    item = world.item_professionals  # written by the convenor (youth welfare): youth welfare holds it
    _release(world)
    assert services.holder_may_narrow(world.convenor, item) and not services.holder_may_narrow(world.midwife, item)
    narrowed = services.item_update(world.convenor, item=item, version=item.version, audience=Audience.RESTRICTED,
                                    restricted_to=[world.counselling], category=CATEGORY)
    assert narrowed.audience == Audience.RESTRICTED and narrowed.holding_organisation_id == world.youth_welfare.pk
    assert not protocols_policy.protocol_items_for_user(world.midwife).filter(pk=item.pk).exists()
    event = AuditEvent.objects.get(action="protocol.item.narrow", object_id=str(item.pk))
    assert event.detail["from"]["audience"] == Audience.PROFESSIONALS


def test_nobody_else_narrows_an_item_never_restricted(client, world):
    item = world.item_professionals
    _release(world)
    client.force_login(world.midwife)
    assert client.get(reverse("protocols:item_edit", args=[item.pk])).status_code == 403


def test_the_page_offers_it_and_narrows_to_the_team(client, world):
    item = world.item_everyone
    # her action stays hers in an item for the team that carries no holder (rule 3)
    hold_conference(world.conference)
    services.protocol_release(world.convenor, protocol=world.protocol)
    client.force_login(world.convenor)
    url = reverse("protocols:item_edit", args=[item.pk])
    assert url in client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode()
    response = client.post(url, {"audience": Audience.PROFESSIONALS, "version": item.version})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.audience == Audience.PROFESSIONALS
    assert AuditEvent.objects.filter(action="protocol.item.narrow", object_id=str(item.pk)).exists()
    # restricting it now is refused while the mother's open action is in it
    response = client.post(url, {"audience": Audience.RESTRICTED, "restricted_to": [world.counselling.pk],
                                 "category": CATEGORY, "version": item.version})
    assert response.status_code == 400
    assert world.action_parent.title in response.context["form"].errors["audience"][0]


def test_the_api_narrows_an_item_never_restricted_after_the_draft(world):
    item = world.item_professionals
    _release(world)
    api = APIClient()
    api.force_authenticate(world.convenor)
    response = api.patch(reverse("protocol-item-detail", args=[item.pk]),
                         {"audience": Audience.RESTRICTED, "restricted_to": [world.counselling.pk], "category": CATEGORY,
                          "version": item.version}, format="json")
    assert response.status_code == 200, response.content
    item.refresh_from_db()
    assert item.audience == Audience.RESTRICTED and item.holding_organisation_id == world.youth_welfare.pk


def test_a_parent_without_an_account_is_not_reminded_of_an_action_in_an_item_she_may_not_read(world):
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.",
                                         email="vater@example.org")
    Invitation.objects.create(conference=world.conference, family_member=father)
    item = ProtocolItem.objects.create(protocol=world.protocol, position=21, title="Sein Anliegen", text="Anvertraut",
                                       audience=Audience.EVERYONE, holding_organisation=world.counselling,
                                       entrusted_by=father, category=CATEGORY, created_by=world.counsellor)
    action = AgreedAction.objects.create(case=world.case, item=item, title="Termin wahrnehmen",
                                         due_on=timezone.localdate() - dt.timedelta(days=3), responsible_family_member=father)
    assert services.reminder_recipients(action) == ["vater@example.org"]
    ProtocolItem.objects.filter(pk=item.pk).update(audience=Audience.PROFESSIONALS)
    action.refresh_from_db()
    assert services.reminder_recipients(action) == []
