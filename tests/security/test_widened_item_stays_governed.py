"""An item restricted to named organisations and then widened stays governed by consent (rules 4, 5).

The Suchtberatung holds what the mother entrusted to it (``held_by_counselling``: her consent
"SB-7" lets it go to the Jugendamt and the Hebammenpraxis) and widens it to all professionals, or
to everyone, under that consent. Afterwards
(a) an organisation that joins the case team later (the Frühe Hilfen) reads it only under a
    consent or legal basis of its own, and
(b) revoking (or the running out of) that consent takes it from the organisations it covered at
    once, in the policy, the page, the API, the live channel and the case's iCal feed, and the
    audit trail names the basis each read is under.
The holder keeps reading it; items never restricted are unchanged; the mother, who entrusted it,
keeps reading it once it was opened to everyone, but a parent who joins the case later does not,
and a guest of the conference reads it only under a consent to her organisation.
"""
from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from access import grant_services
from calendars import services as feed_services
from calendars.ical import action_uid
from calendars.models import FeedToken
from cases import consent_services
from cases import services as case_services
from cases.models import Consent, DisclosureBasis, FamilyMember
from conferences.models import Invitation
from protocols import policy as protocols_policy
from protocols import services
from protocols.models import AgreedAction, Audience, Protocol, ProtocolItem
from tests.matrix.test_matrix_audience import held_by_counselling
from tests.world import make_professional, make_user

pytestmark = pytest.mark.django_db

WIDER = [Audience.PROFESSIONALS, Audience.EVERYONE]


def sees(user, item) -> bool:
    return protocols_policy.protocol_items_for_user(user).filter(pk=item.pk).exists()


def widened(world, audience: str) -> tuple[ProtocolItem, Consent]:
    """The Suchtberatung's item, widened by its holder under the mother's consent, with an action
    that falls to the Suchtberatung (so others see it only through the item)."""
    item = held_by_counselling(world)
    item = services.item_update(world.counsellor, item=item, version=item.version, audience=audience)
    item.refresh_from_db()
    assert item.audience == audience and item.holding_organisation == world.counselling
    AgreedAction.objects.create(case=world.case, item=item, title="Substitution klären", responsible_organisation=world.counselling,
                                due_on=timezone.localdate() + dt.timedelta(days=7))
    return item, Consent.objects.get(form_reference="SB-7")


def join_early_help(world) -> None:
    case_services.case_team_member_add(world.convenor, case=world.case, organisation=world.early_help, user=world.outsider)


def revoke(consent) -> None:
    consent_services.consent_revoke(consent.given_by.user, consent=consent)


# --- the policy (every channel reads through it) -------------------------------------------------

@pytest.mark.parametrize("audience", WIDER)
def test_an_organisation_that_joins_the_team_later_does_not_read_the_widened_item(world, audience):
    item, _ = widened(world, audience)
    join_early_help(world)
    assert sees(world.outsider, world.item_professionals)  # an item never restricted: open to her
    assert not sees(world.outsider, item)
    assert sees(world.counsellor, item) and sees(world.convenor, item) and sees(world.midwife, item)
    assert not protocols_policy.actions_for_user(world.outsider).filter(item=item).exists()


@pytest.mark.parametrize("audience", WIDER)
def test_revoking_the_consent_takes_the_widened_item_from_the_organisations_it_covered(world, audience):
    item, consent = widened(world, audience)
    revoke(consent)
    assert not sees(world.convenor, item) and not sees(world.midwife, item)
    assert sees(world.counsellor, item)  # the holder
    assert sees(world.parent, item) is (audience == Audience.EVERYONE)  # the mother who entrusted it
    assert sees(world.midwife, world.item_professionals)  # an item never restricted: unchanged
    assert not protocols_policy.actions_for_user(world.midwife).filter(item=item).exists()


def test_an_expired_consent_takes_the_widened_item_away_like_a_revoked_one(world):
    item, consent = widened(world, Audience.PROFESSIONALS)
    today = timezone.localdate()
    Consent.objects.filter(pk=consent.pk).update(valid_from=today - dt.timedelta(days=10), valid_until=today - dt.timedelta(days=1))
    assert not sees(world.midwife, item) and sees(world.counsellor, item)


def test_a_consent_or_legal_basis_to_the_new_organisation_lets_it_read_and_names_the_basis(world):
    item, _ = widened(world, Audience.PROFESSIONALS)
    join_early_help(world)
    today = timezone.localdate()
    basis = DisclosureBasis.objects.create(case=world.case, basis="de_kkg_4", from_organisation=world.counselling,
                                           invoked_by=world.counsellor, justification="Gefährdung", invoked_on=today,
                                           valid_until=today + dt.timedelta(days=10), parents_informed=True)
    basis.to_organisations.set([world.early_help])
    assert sees(world.outsider, item)
    assert protocols_policy.disclosure_basis_for(world.outsider, item) == f"de_kkg_4:{basis.pk}"


def test_a_consent_for_another_category_does_not_cover_the_widened_item(world):
    item, consent = widened(world, Audience.PROFESSIONALS)
    join_early_help(world)
    other = Consent.objects.create(case=world.case, given_by=world.mother, from_organisation=world.counselling,
                                   valid_from=timezone.localdate(), valid_until=timezone.localdate() + dt.timedelta(days=30),
                                   form_reference="SB-8", recorded_by=world.counsellor)
    other.to_organisations.set([world.early_help])
    other.scopes.create(category="parenting_child_welfare")
    assert item.category != "parenting_child_welfare"
    assert not sees(world.outsider, item)


# --- audit naming -------------------------------------------------------------------------------

@pytest.mark.parametrize("audience", WIDER)
def test_the_audit_names_the_consent_the_widened_item_is_read_under_and_none_once_revoked(world, audience):
    item, consent = widened(world, audience)
    assert protocols_policy.disclosure_basis_for(world.midwife, item) == f"consent:{consent.pk}"
    assert protocols_policy.disclosure_basis_for(world.counsellor, item) == "holding-organisation"
    assert protocols_policy.disclosure_bases_for_items(world.convenor, [item, world.item_professionals]) == {
        item.pk: f"consent:{consent.pk}", world.item_professionals.pk: "team"}
    # Named only for items she reads (``item_bases_and_readable``): one widened to everyone that
    # no consent opens to her is "audience:everyone", the basis a parent of the case reads it under.
    unread = "none" if audience == Audience.PROFESSIONALS else "audience:everyone"
    join_early_help(world)
    assert protocols_policy.disclosure_basis_for(world.outsider, item) == unread
    revoke(consent)
    assert protocols_policy.disclosure_basis_for(world.midwife, item) == unread
    assert protocols_policy.disclosure_basis_for(world.convenor, item) == unread
    if audience == Audience.EVERYONE:
        assert protocols_policy.disclosure_basis_for(world.parent, item) == "audience:everyone"


# --- the page and the API -----------------------------------------------------------------------

@pytest.mark.parametrize("audience", WIDER)
def test_the_protocol_page_leaves_the_widened_item_out_for_a_late_joiner_and_after_revocation(world, client, audience):
    item, consent = widened(world, audience)
    url = reverse("protocols:protocol_detail", args=[world.protocol.pk])
    client.force_login(world.midwife)
    assert item.title in client.get(url).content.decode()
    join_early_help(world)
    client.force_login(world.outsider)
    page = client.get(url).content.decode()
    assert world.item_professionals.title in page and item.title not in page and item.text not in page
    revoke(consent)
    client.force_login(world.midwife)
    page = client.get(url).content.decode()
    assert world.item_professionals.title in page and item.title not in page and item.text not in page
    client.force_login(world.counsellor)
    assert item.title in client.get(url).content.decode()


@pytest.mark.parametrize("audience", WIDER)
def test_the_api_detail_and_list_leave_the_widened_item_out_for_a_late_joiner_and_after_revocation(world, client, audience):
    item, consent = widened(world, audience)
    join_early_help(world)

    def readable(user) -> tuple[int, set[int]]:
        client.force_login(user)
        listed = client.get(f"/api/protocol-items/?protocol={world.protocol.pk}").json()
        rows = listed["results"] if isinstance(listed, dict) else listed
        return client.get(f"/api/protocol-items/{item.pk}/").status_code, {row["id"] for row in rows}

    status, ids = readable(world.outsider)
    assert status == 404 and item.pk not in ids and world.item_professionals.pk in ids
    assert readable(world.midwife)[0] == 200
    revoke(consent)
    status, ids = readable(world.midwife)
    assert status == 404 and item.pk not in ids and world.item_professionals.pk in ids
    client.force_login(world.midwife)
    actions = client.get("/api/actions/").json()
    rows = actions["results"] if isinstance(actions, dict) else actions
    assert item.pk not in {row["item"] for row in rows}
    status, ids = readable(world.counsellor)
    assert status == 200 and item.pk in ids


# --- the case's iCal feed -----------------------------------------------------------------------

def feed_uids(client, user, case) -> set[str]:
    _, raw = feed_services.feed_token_create(user, kind=FeedToken.Kind.CASE, case=case)
    response = client.get(reverse("calendars:feed", args=[raw]))
    assert response.status_code == 200
    return {str(e["UID"]) for e in Calendar.from_ical(response.content).walk("VEVENT")}


@pytest.mark.parametrize("audience", WIDER)
def test_the_case_feed_leaves_the_widened_items_action_out_for_a_late_joiner_and_after_revocation(world, client, audience):
    item, consent = widened(world, audience)
    action = item.actions.get()
    assert action_uid(action.pk) in feed_uids(client, world.midwife, world.case)
    join_early_help(world)
    assert action_uid(action.pk) not in feed_uids(client, world.outsider, world.case)
    revoke(consent)
    assert action_uid(action.pk) not in feed_uids(client, world.midwife, world.case)
    assert action_uid(action.pk) in feed_uids(client, world.counsellor, world.case)


# --- the live channel ---------------------------------------------------------------------------

def _widened_with_counsellor_writing(world, audience):
    Protocol.objects.filter(pk=world.protocol.pk).update(minute_taker=world.counsellor)
    return widened(world, audience)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("audience", WIDER)
async def test_a_late_joiners_socket_neither_gets_the_widened_item_in_its_hello_nor_live(world, audience):
    from tests.websocket.test_live_protocol import assert_no_item_message, open_socket, receive_until

    item, _ = await database_sync_to_async(_widened_with_counsellor_writing)(world, audience)
    await database_sync_to_async(join_early_help)(world)
    socket = await open_socket(world.outsider, world.protocol.pk)
    hello = await receive_until(socket, "hello")
    ids = [i["id"] for i in hello["items"]]
    assert world.item_professionals.pk in ids and item.pk not in ids
    await database_sync_to_async(services.item_update)(world.counsellor, item=item, version=item.version, text="Neuer Stand")
    await assert_no_item_message(socket)
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("audience", WIDER)
async def test_revoking_the_consent_removes_the_widened_item_from_an_open_socket_and_keeps_it_away(world, audience):
    from tests.websocket.test_live_protocol import assert_no_item_message, open_socket, receive_until

    item, consent = await database_sync_to_async(_widened_with_counsellor_writing)(world, audience)
    socket = await open_socket(world.midwife, world.protocol.pk)
    assert item.pk in [i["id"] for i in (await receive_until(socket, "hello"))["items"]]
    await database_sync_to_async(revoke)(consent)
    assert await receive_until(socket, "item_removed") == {"type": "item_removed", "item": item.pk}
    item = await database_sync_to_async(ProtocolItem.objects.get)(pk=item.pk)
    await database_sync_to_async(services.item_update)(world.counsellor, item=item, version=item.version, text="Neuer Stand")
    await assert_no_item_message(socket)
    await socket.disconnect()
    late = await open_socket(world.midwife, world.protocol.pk)
    assert item.pk not in [i["id"] for i in (await receive_until(late, "hello"))["items"]]
    await late.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_the_holders_and_the_entrusting_mothers_sockets_still_get_the_item_widened_to_everyone_live(world):
    from tests.websocket.test_live_protocol import open_socket, receive_until

    item, consent = await database_sync_to_async(_widened_with_counsellor_writing)(world, Audience.EVERYONE)
    await database_sync_to_async(revoke)(consent)
    holder = await open_socket(world.counsellor, world.protocol.pk)
    mother = await open_socket(world.parent, world.protocol.pk)
    for socket in (holder, mother):
        assert item.pk in [i["id"] for i in (await receive_until(socket, "hello"))["items"]]
    item = await database_sync_to_async(ProtocolItem.objects.get)(pk=item.pk)
    await database_sync_to_async(services.item_update)(world.counsellor, item=item, version=item.version, text="Neuer Stand")
    for socket in (holder, mother):
        assert (await receive_until(socket, "item"))["item"]["text"] == "Neuer Stand"
        await socket.disconnect()


# --- the family and the conference's guests ------------------------------------------------------
#
# The holder opens what the mother entrusted to everyone only while she is the only parent on the
# case (``services._refuse_other_parents``), and checks the consent against the team only. A
# parent who joins the case later, or a guest invited to the conference, reads it only as the
# rules allow: the parent never (it is the mother's), the guest under a consent to her organisation.

def add_father_with_account(world):
    """The father joins the case, with an account, and is invited to the conference."""
    father = make_user("father")
    member = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.", user=father)
    Invitation.objects.create(conference=world.conference, family_member=member)
    return father


def test_a_parent_who_joins_the_case_later_does_not_read_what_the_mother_entrusted(world, client):
    item, _ = widened(world, Audience.EVERYONE)
    father = add_father_with_account(world)
    assert sees(father, world.item_everyone) and not sees(father, item)
    assert sees(world.parent, item)  # the mother who entrusted it
    client.force_login(father)
    page = client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode()
    assert world.item_everyone.title in page and item.title not in page
    assert client.get(f"/api/protocol-items/{item.pk}/").status_code == 404


def test_an_item_widened_to_everyone_while_no_parent_was_on_the_case_stays_from_a_parent_who_joins(world):
    item = held_by_counselling(world)
    ProtocolItem.objects.filter(pk=item.pk).update(entrusted_by=None, audience=Audience.EVERYONE)
    assert not sees(world.parent, item)
    assert sees(world.parent, world.item_everyone)


def test_a_guest_of_the_conference_reads_the_widened_item_only_under_a_consent_to_her_organisation(world):
    item, _ = widened(world, Audience.EVERYONE)
    guest = make_professional("guest-gov", world.early_help)
    grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest)
    assert sees(guest, world.item_everyone) and not sees(guest, item)
    consent = Consent.objects.create(case=world.case, given_by=world.mother, from_organisation=world.counselling,
                                     valid_from=timezone.localdate(), valid_until=timezone.localdate() + dt.timedelta(days=30),
                                     form_reference="SB-9", recorded_by=world.counsellor)
    consent.to_organisations.set([world.early_help])
    consent.scopes.create(category=item.category)
    assert sees(guest, item)
    assert protocols_policy.disclosure_basis_for(guest, item) == f"consent:{consent.pk}"
    revoke(consent)
    assert not sees(guest, item)


@pytest.mark.django_db(transaction=True)
async def test_a_later_parents_and_a_guests_sockets_neither_get_the_item_widened_to_everyone(world):
    from tests.websocket.test_live_protocol import assert_no_item_message, open_socket, receive_until

    item, _ = await database_sync_to_async(_widened_with_counsellor_writing)(world, Audience.EVERYONE)
    father = await database_sync_to_async(add_father_with_account)(world)
    guest = await database_sync_to_async(make_professional)("guest-live-gov", world.early_help)
    await database_sync_to_async(grant_services.guest_invite)(world.convenor, conference=world.conference, guest=guest)
    sockets = [await open_socket(user, world.protocol.pk) for user in (father, guest)]
    for socket in sockets:
        ids = [i["id"] for i in (await receive_until(socket, "hello"))["items"]]
        assert world.item_everyone.pk in ids and item.pk not in ids
    await database_sync_to_async(services.item_update)(world.counsellor, item=item, version=item.version, text="Neuer Stand")
    for socket in sockets:
        await assert_no_item_message(socket)
        await socket.disconnect()
