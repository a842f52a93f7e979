"""An agreed action is part of its item: an organisation that may not read a restricted item reads
none of its actions (review, 2026-12-06).

``world.item_restricted`` is held by the youth-welfare office and named for the counselling service
(the mother's consent covers it) and the midwifery (nothing covers it). An action agreed in it that
fell to the midwifery showed its title and description to the midwife on the actions page and API,
in her iCal feed, on her dashboard and on the live channel, although she may not read the item.
Now such an action is refused when agreed (a field error on "responsible", nothing saved) and, where
one exists (agreed before, or the consent covering it is revoked), it is shown to nobody who may not
read its item (rule 4: at once, in every channel).
"""
from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from calendars import services as calendar_services
from cases import consent_services
from protocols import live
from protocols import policy as protocols_policy
from protocols import services as protocol_services
from protocols.models import AgreedAction
from tests.websocket.test_live_protocol import open_socket, receive_until

pytestmark = pytest.mark.django_db

SECRET = "Rückfall im März besprechen"


def withheld_action(world, organisation, user=None) -> AgreedAction:
    """An action in the restricted item that falls to ``organisation`` (written directly: the
    service refuses it now; existing data may hold one). Overdue, so dashboards list it."""
    return AgreedAction.objects.create(case=world.case, item=world.item_restricted, title="Begleitung Substitution",
                                       description=SECRET, responsible_organisation=organisation, responsible_user=user,
                                       due_on=timezone.localdate() - dt.timedelta(days=1))


def revoke_consent(world) -> None:
    consent_services.consent_revoke(world.convenor, consent=world.consent)


def assert_not_shown(client, world, action) -> None:
    """Page, API (detail, lists), "my actions", dashboard, personal iCal feeds: nothing of it."""
    assert client.get(reverse("protocols:action_detail", args=[action.pk])).status_code == 404
    assert client.get(f"/api/actions/{action.pk}/").status_code == 404
    for query in ("", "?mine=1", "?limit=500"):
        assert action.pk not in {row["id"] for row in client.get(f"/api/actions/{query}").json()["results"]}
    for url in (reverse("dashboard"), reverse("protocols:my_actions"), reverse("protocols:protocol_detail", args=[world.protocol.pk])):
        body = client.get(url).content.decode()
        assert action.title not in body and SECRET not in body, url
    assert client.post(reverse("agreed-action-set-status", args=[action.pk]), {"status": "in_progress", "version": action.version},
                       content_type="application/json").status_code == 404


def assert_no_feed_shows(client, user, action) -> None:
    _, raw = calendar_services.feed_token_create(user)
    for name in ("calendars:feed", "calendars:feed_tasks"):
        response = client.get(reverse(name, args=[raw]))
        assert f"action-{action.pk}@".encode() not in response.content, name
        assert action.title.encode() not in response.content, name


# --- write time ---------------------------------------------------------------------------------

def test_agreeing_an_action_for_an_organisation_the_item_is_withheld_from_is_refused(world):
    with pytest.raises(ValidationError) as refused:
        protocol_services.action_create(world.convenor, item=world.item_restricted, title="Begleitung", description=SECRET,
                                        due_on=timezone.localdate() + dt.timedelta(days=7),
                                        responsible_organisation=world.midwifery, responsible_user=world.midwife)
    assert "responsible" in refused.value.message_dict
    assert not AgreedAction.objects.filter(item=world.item_restricted).exists()


def test_an_organisation_on_the_team_the_item_is_not_named_for_is_refused_too(world):
    world.item_restricted.restricted_to.set([world.counselling])
    with pytest.raises(ValidationError) as refused:
        protocol_services.action_create(world.convenor, item=world.item_restricted, title="Begleitung",
                                        due_on=timezone.localdate() + dt.timedelta(days=7), responsible_organisation=world.midwifery)
    assert "responsible" in refused.value.message_dict


def test_the_page_shows_the_refusal_on_the_field(world, client):
    client.force_login(world.convenor)
    response = client.post(reverse("protocols:action_create", args=[world.item_restricted.pk]), {
        "title": "Begleitung", "description": SECRET, "responsible": f"org:{world.midwifery.pk}",
        "due_on": (timezone.localdate() + dt.timedelta(days=7)).isoformat()})
    assert response.status_code == 400
    assert "may not read it" in response.content.decode()
    assert not AgreedAction.objects.filter(item=world.item_restricted).exists()


def test_the_holder_and_a_covered_organisation_may_be_responsible(world):
    due = timezone.localdate() + dt.timedelta(days=7)
    for organisation in (world.youth_welfare, world.counselling):
        protocol_services.action_create(world.convenor, item=world.item_restricted, title=f"Für {organisation.name}",
                                        due_on=due, responsible_organisation=organisation)
    assert AgreedAction.objects.filter(item=world.item_restricted).count() == 2


# --- read time -------------------------------------------------------------------------------

def test_an_existing_action_for_an_uncovered_organisation_is_not_shown_to_it(world, client):
    action = withheld_action(world, world.midwifery, world.midwife)
    assert not protocols_policy.actions_for_user(world.midwife).filter(pk=action.pk).exists()
    assert not protocols_policy.responsible_actions_for_user(world.midwife).filter(pk=action.pk).exists()
    client.force_login(world.midwife)
    assert_not_shown(client, world, action)
    client.logout()
    assert_no_feed_shows(client, world.midwife, action)
    # the convenor, whose organisation holds the item, still sees it (and can reassign or drop it)
    assert protocols_policy.actions_for_user(world.convenor).filter(pk=action.pk).exists()


def test_revoking_the_consent_hides_the_action_from_the_organisation_it_covered(world, client):
    action = withheld_action(world, world.counselling, world.counsellor)
    assert protocols_policy.responsible_actions_for_user(world.counsellor).filter(pk=action.pk).exists()  # the control
    revoke_consent(world)
    assert not protocols_policy.actions_for_user(world.counsellor).filter(pk=action.pk).exists()
    client.force_login(world.counsellor)
    assert_not_shown(client, world, action)
    client.logout()
    assert_no_feed_shows(client, world.counsellor, action)


@pytest.mark.django_db(transaction=True)
async def test_the_live_channel_does_not_push_it(world):
    action = await database_sync_to_async(withheld_action)(world, world.midwifery, world.midwife)
    midwife = await open_socket(world.midwife, world.protocol.pk)
    hello = await receive_until(midwife, "hello")
    assert SECRET not in str(hello)

    await assert_a_status_change_is_not_pushed(midwife, action)


async def assert_a_status_change_is_not_pushed(socket, action) -> None:
    """Change the action's status (its live event goes out after commit): the socket receives
    nothing of it, then closes."""
    def change():
        with transaction.atomic():
            AgreedAction.objects.filter(pk=action.pk).update(status=AgreedAction.Status.IN_PROGRESS)
            live.action_changed_on_commit(action.pk)

    await database_sync_to_async(change)()
    while not await socket.receive_nothing(timeout=0.5):
        message = await socket.receive_json_from()
        assert SECRET not in str(message) and action.title not in str(message), message
        assert message["type"] != "action", message
    await socket.disconnect()
