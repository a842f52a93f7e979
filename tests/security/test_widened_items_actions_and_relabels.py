"""Review r3 (2026-12-06): an item widened after it was restricted stays governed by consent, also
for its agreed actions (every channel, the live one included) and when it is restricted again under
another holder.

Each test asserts what may not happen (a failing one is a leak).
"""
from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from access import grant_services
from calendars import services as calendar_services
from cases import policy as cases_policy
from cases.models import Consent, FamilyMember
from conferences.models import Conference
from participants import policy as participants_policy
from permissions import policy as base
from privacy.models import ProcessingRestriction
from protocols import announce, live, services
from protocols.consumers import ProtocolConsumer
from protocols import policy as protocols_policy
from protocols.models import AgreedAction, Audience, Protocol, ProtocolItem
from tests.matrix.test_matrix_audience import held_by_counselling
from tests.security.test_actions_in_withheld_items import (
    SECRET, assert_a_status_change_is_not_pushed, assert_no_feed_shows, assert_not_shown)
from tests.security.test_widened_item_stays_governed import (
    WIDER, add_father_with_account, join_early_help, revoke, sees, widened)
from tests.websocket.test_live_protocol import open_socket, receive_until
from tests.world import make_professional

pytestmark = pytest.mark.django_db


def action_in(world, item, organisation, user=None, *, title="Begleitung Substitution") -> AgreedAction:
    """An action in ``item`` written directly (as existing data, or as the service lets through)."""
    return AgreedAction.objects.create(case=world.case, item=item, title=title, description=SECRET,
                                       responsible_organisation=organisation, responsible_user=user,
                                       due_on=timezone.localdate() - dt.timedelta(days=1))


# --- A. agreed actions in a governed widened item ------------------------------------------------

@pytest.mark.parametrize("audience", WIDER)
def test_A1_agreeing_an_action_for_a_late_joiner_in_a_widened_item_is_refused(world, audience):
    """``_refuse_withheld_item`` refuses it for a widened item as for a restricted one."""
    item, _ = widened(world, audience)
    join_early_help(world)
    assert not sees(world.outsider, item)
    with pytest.raises(ValidationError):
        services.action_create(world.convenor, item=item, title="Begleitung", description=SECRET,
                               due_on=timezone.localdate() + dt.timedelta(days=7),
                               responsible_organisation=world.early_help, responsible_user=world.outsider)


@pytest.mark.parametrize("audience", WIDER)
def test_A2_an_action_for_a_late_joiner_in_a_widened_item_is_not_shown_to_her(world, client, audience):
    """An action in an item widened after it was restricted, falling to an organisation that joined later: hidden (``_item_not_withheld``)."""
    item, _ = widened(world, audience)
    join_early_help(world)
    action = action_in(world, item, world.early_help, world.outsider)
    assert not sees(world.outsider, item)
    assert not protocols_policy.actions_for_user(world.outsider).filter(pk=action.pk).exists()
    assert not protocols_policy.responsible_actions_for_user(world.outsider).filter(pk=action.pk).exists()
    assert world.outsider not in announce.responsible_users(action)
    client.force_login(world.outsider)
    assert_not_shown(client, world, action)
    client.logout()
    assert_no_feed_shows(client, world.outsider, action)


@pytest.mark.parametrize("audience", WIDER)
def test_A3_revoking_the_consent_hides_the_action_in_the_widened_item_from_the_organisation_it_covered(world, client, audience):
    item, consent = widened(world, audience)
    # agreed through the service while the consent covered the midwifery
    action = services.action_create(world.convenor, item=item, title="Hebammenbesuch", description=SECRET,
                                    due_on=timezone.localdate() + dt.timedelta(days=7),
                                    responsible_organisation=world.midwifery, responsible_user=world.midwife)
    assert protocols_policy.actions_for_user(world.midwife).filter(pk=action.pk).exists()  # the control
    revoke(consent)
    assert not sees(world.midwife, item)
    assert not protocols_policy.actions_for_user(world.midwife).filter(pk=action.pk).exists()
    assert not protocols_policy.responsible_actions_for_user(world.midwife).filter(pk=action.pk).exists()
    assert not protocols_policy.can_update_action(world.midwife, action)
    client.force_login(world.midwife)
    assert_not_shown(client, world, action)
    client.logout()
    assert_no_feed_shows(client, world.midwife, action)


@pytest.mark.django_db(transaction=True)
async def test_A4_the_live_channel_does_not_push_an_action_in_a_widened_item_she_may_not_read(world):
    item, consent = await database_sync_to_async(widened)(world, Audience.PROFESSIONALS)
    action = await database_sync_to_async(action_in)(world, item, world.midwifery, world.midwife)
    await database_sync_to_async(revoke)(consent)
    midwife = await open_socket(world.midwife, world.protocol.pk)
    hello = await receive_until(midwife, "hello")
    assert SECRET not in str(hello) and item.pk not in [i["id"] for i in hello["items"]]

    await assert_a_status_change_is_not_pushed(midwife, action)


# --- B. relabel / re-restrict laundering ----------------------------------------------------------

def test_B1_the_holder_cannot_hand_a_widened_item_to_a_late_joiner_without_a_consent(world):
    """PROFESSIONALS -> RESTRICTED with another holder is a relabel of the holder's information in
    ``_check_disclosure`` (it was taken for plain narrowing): a consent is asked, as for a restricted item."""
    item, _ = widened(world, Audience.PROFESSIONALS)
    join_early_help(world)
    assert not sees(world.outsider, item)
    try:
        services.item_update(world.counsellor, item=item, version=item.version, audience=Audience.RESTRICTED,
                             restricted_to=[world.early_help, world.counselling], holding_organisation=world.early_help,
                             category=item.category, entrusted_by=world.mother)
    except (ValidationError, PermissionDenied):
        return  # refused: sound
    assert not sees(world.outsider, ProtocolItem.objects.get(pk=item.pk)), "the late joiner reads it as its 'holder'"


def test_B1_control_the_same_relabel_of_a_restricted_item_is_refused(world):
    item = held_by_counselling(world)
    join_early_help(world)
    with pytest.raises((ValidationError, PermissionDenied)):
        services.item_update(world.counsellor, item=item, version=item.version, audience=Audience.RESTRICTED,
                             restricted_to=[world.early_help, world.counselling], holding_organisation=world.early_help,
                             category=item.category, entrusted_by=world.mother)


def test_B2_a_writer_who_does_not_hold_it_cannot_make_her_organisation_the_holder_of_an_item_widened_to_everyone(world):
    """EVERYONE -> RESTRICTED under another holder is a relabel too (``_check_disclosure`` took any
    change of such an item for narrowing): the convenor (youth welfare, a writer, not the holder)
    may not name her own organisation as holder and so keep reading it once the mother's consent is
    revoked."""
    item, consent = widened(world, Audience.EVERYONE)
    assert sees(world.convenor, item)
    try:
        services.item_update(world.convenor, item=item, version=item.version, audience=Audience.RESTRICTED,
                             restricted_to=[world.youth_welfare], holding_organisation=world.youth_welfare,
                             category=item.category, entrusted_by=world.mother)
    except (ValidationError, PermissionDenied):
        return  # refused: sound
    revoke(consent)
    assert not sees(world.convenor, ProtocolItem.objects.get(pk=item.pk)), "laundered: youth welfare reads it as holder"


def test_B3_a_writer_restricting_a_widened_item_under_another_category_does_not_widen_who_reads(world):
    """Relabel by a writer (not the holder) while restricting: the first labels stay and still govern."""
    item, _ = widened(world, Audience.PROFESSIONALS)
    join_early_help(world)
    today = timezone.localdate()
    other = Consent.objects.create(case=world.case, given_by=world.mother, from_organisation=world.counselling,
                                   valid_from=today, valid_until=today + dt.timedelta(days=30), form_reference="SB-X",
                                   recorded_by=world.counsellor)
    other.to_organisations.set([world.early_help])
    other.scopes.create(category="parenting_child_welfare")
    try:
        services.item_update(world.convenor, item=item, version=item.version, audience=Audience.RESTRICTED,
                             restricted_to=[world.early_help, world.counselling], holding_organisation=world.counselling,
                             category="parenting_child_welfare", entrusted_by=world.mother)
    except (ValidationError, PermissionDenied):
        return
    item = ProtocolItem.objects.get(pk=item.pk)
    assert not sees(world.outsider, item)
    try:
        services.item_update(world.counsellor, item=item, version=item.version, audience=Audience.PROFESSIONALS)
    except (ValidationError, PermissionDenied):
        return
    assert not sees(world.outsider, ProtocolItem.objects.get(pk=item.pk))


# --- C. carry-over of an action in a governed item --------------------------------------------------

def _second_conference(world) -> Conference:
    start = timezone.now() + dt.timedelta(minutes=30)
    return Conference.objects.create(case=world.case, convenor=world.convenor, status=Conference.Status.SCHEDULED,
                                     starts_at=start, ends_at=start + dt.timedelta(minutes=90))


@pytest.mark.parametrize("audience", WIDER)
def test_C1_the_carry_over_of_an_action_in_a_widened_item_stays_governed(world, audience):
    item, consent = widened(world, audience)
    join_early_help(world)
    protocol = services.protocol_open(world.convenor, conference=_second_conference(world))
    carried = protocol.items.get(kind=ProtocolItem.Kind.CARRY_OVER, reviewed_action__item=item)
    assert carried.holding_organisation_id == world.counselling.pk and carried.audience == audience
    assert not sees(world.outsider, carried)
    assert sees(world.midwife, carried) and sees(world.counsellor, carried)
    revoke(consent)
    assert not sees(world.midwife, carried) and sees(world.counsellor, carried)


# --- D. the parents ----------------------------------------------------------------------------------

def test_D1_a_later_parent_sees_nothing_of_the_mothers_widened_item_on_the_parents_pages(world, client):
    item, _ = widened(world, Audience.EVERYONE)
    AgreedAction.objects.filter(item=item).update(description=SECRET)
    action = item.actions.get()
    father = add_father_with_account(world)
    client.force_login(father)
    for url in (reverse("protocols:protocol_detail", args=[world.protocol.pk]), reverse("protocols:my_agreements"),
                reverse("dashboard"), reverse("protocols:protocol_print", args=[world.protocol.pk])):
        response = client.get(url)
        body = response.content.decode()
        assert item.title not in body and item.text not in body and action.title not in body and SECRET not in body, url
    assert not protocols_policy.actions_for_user(father).filter(pk=action.pk).exists()
    rows = client.get("/api/actions/").json()["results"]
    assert action.pk not in {row["id"] for row in rows}
    # the mother still reads it, and its action
    client.force_login(world.parent)
    assert item.title in client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode()


def test_D2_an_item_widened_to_everyone_with_first_labels_of_another_entruster_stays_from_her(world):
    """Relabelled (first entrusted by the father), then entrusted_by set to the mother: she does not read it."""
    item = held_by_counselling(world)
    father_member = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.")
    ProtocolItem.objects.filter(pk=item.pk).update(audience=Audience.EVERYONE, first_holding_organisation=world.counselling,
                                                   first_entrusted_by=father_member, first_category=item.category)
    assert not sees(world.parent, item)


# --- E. the live consumer's in-memory decisions ----------------------------------------------------

@pytest.mark.django_db(transaction=True)
async def test_E1_a_late_joiners_socket_gets_a_never_restricted_item_live_but_not_the_widened_one(world):
    item, _ = await database_sync_to_async(widened)(world, Audience.PROFESSIONALS)
    await database_sync_to_async(join_early_help)(world)
    socket = await open_socket(world.outsider, world.protocol.pk)
    await receive_until(socket, "hello")
    plain = await database_sync_to_async(ProtocolItem.objects.get)(pk=world.item_professionals.pk)
    await database_sync_to_async(services.item_update)(world.convenor, item=plain, version=plain.version, text="neu")
    assert (await receive_until(socket, "item"))["item"]["id"] == plain.pk
    await database_sync_to_async(Protocol.objects.filter(pk=world.protocol.pk).update)(minute_taker=world.counsellor)
    item = await database_sync_to_async(ProtocolItem.objects.get)(pk=item.pk)
    await database_sync_to_async(services.item_update)(world.counsellor, item=item, version=item.version, text="geheim")
    while not await socket.receive_nothing(timeout=0.5):
        message = await socket.receive_json_from()
        assert "geheim" not in str(message), message
    await socket.disconnect()


# --- F. 9a212d7: the rewritten OR gives the same rows ---------------------------------------------

def _old_action_visible(user):
    pieces = dict(protocols_policy._action_pieces(user))
    # the one set of every item she reads on her team's cases, as the pieces had it then (since
    # 2026-12-07 two sets: ``open_on_team`` and ``governed_readable_on_team``)
    team, _other = protocols_policy._item_routes(user, on=timezone.localdate(), include_restricted=True)
    pieces["readable_on_team"] = base.compiled(base.union_ids(*(r.values("pk") for r in team)))
    not_withheld = protocols_policy._item_not_governed(pieces) | Q(item_id__in=pieces["readable_on_team"])
    return Q(base.AnyOf(F("case_id"), pieces["her_cases"])) & (
        (Q(case_id__in=pieces["team_cases"]) & ((protocols_policy._falls_to(user, pieces) & not_withheld)
                                                | Q(item_id__in=pieces["readable_on_team"])))
        | Q(item_id__in=pieces["readable_elsewhere"])
        | protocols_policy._falls_to_parent(pieces)
    ) & protocols_policy._not_restricted(pieces)


def test_F1_the_rewritten_action_filter_gives_the_same_rows(world):
    item, consent = widened(world, Audience.PROFESSIONALS)
    join_early_help(world)
    for org, user in ((world.midwifery, world.midwife), (world.early_help, world.outsider), (world.counselling, None)):
        action_in(world, world.item_restricted, org, user, title=f"r-{org.pk}")
        action_in(world, item, org, user, title=f"w-{org.pk}")
    revoke(consent)
    users = [world.convenor, world.lead_colleague, world.counsellor, world.midwife, world.outsider, world.parent]
    for user in users:
        new = set(AgreedAction.objects.filter(protocols_policy._action_visible(user)).values_list("pk", flat=True))
        old = set(AgreedAction.objects.filter(_old_action_visible(user)).values_list("pk", flat=True))
        assert new == old, user


# --- G. query counts: no per-row queries for widened items ------------------------------------------

def test_G1_the_item_list_and_audit_cost_the_same_for_one_and_for_six_widened_items(world, client):
    client.force_login(world.midwife)
    url = f"/api/protocol-items/?protocol={world.protocol.pk}"

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    widened(world, Audience.PROFESSIONALS)
    client.get(url)
    one = count()
    for n in range(5):
        source = ProtocolItem.objects.get(title="In der Suchtberatung anvertraut", audience=Audience.PROFESSIONALS)
        ProtocolItem.objects.create(protocol=world.protocol, position=20 + n, title=f"w{n}", text="x", audience=Audience.PROFESSIONALS,
                                    holding_organisation=world.counselling, entrusted_by=world.mother, category=source.category,
                                    created_by=world.convenor)
    client.get(url)
    assert count() == one
    client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk]))
    with CaptureQueriesContext(connection) as six_page:
        client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk]))
    ProtocolItem.objects.filter(title__startswith="w").delete()
    client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk]))
    with CaptureQueriesContext(connection) as one_page:
        client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk]))
    assert len(six_page.captured_queries) == len(one_page.captured_queries)


# --- H. audit naming ------------------------------------------------------------------------------

def test_H1_the_mother_reads_the_widened_item_under_audience_everyone_and_the_holder_as_holder(world):
    item, consent = widened(world, Audience.EVERYONE)
    assert protocols_policy.disclosure_basis_for(world.parent, item) == "audience:everyone"
    revoke(consent)
    assert protocols_policy.disclosure_basis_for(world.parent, item) == "audience:everyone"
    assert protocols_policy.disclosure_basis_for(world.counsellor, item) == "holding-organisation"


def _socket(*, professional=False, parent=False, guest=False, orgs=()):
    consumer = ProtocolConsumer.__new__(ProtocolConsumer)
    consumer.is_professional, consumer.is_parent, consumer.is_guest = professional, parent, guest
    consumer.org_ids, consumer.restricted_members = set(orgs), set()
    return consumer


@pytest.mark.parametrize("who, audience, holder, expected", [
    ("pro", Audience.PROFESSIONALS, None, True),
    ("pro", Audience.PROFESSIONALS, 1, True),       # her team organisation holds it
    ("pro", Audience.PROFESSIONALS, 2, None),       # widened, held elsewhere: the policy decides
    ("pro", Audience.EVERYONE, None, True),
    ("pro", Audience.EVERYONE, 2, None),
    ("pro", Audience.RESTRICTED, 1, True),
    ("parent", Audience.EVERYONE, None, True),
    ("parent", Audience.EVERYONE, 2, None),
    ("parent", Audience.PROFESSIONALS, None, False),
    ("parent", Audience.PROFESSIONALS, 2, False),
    ("guest", Audience.EVERYONE, None, None),
    ("guest", Audience.PROFESSIONALS, 2, False),
    ("pro+parent", Audience.EVERYONE, 2, None),
])
def test_E2_the_sockets_in_memory_decision(who, audience, holder, expected):
    consumer = _socket(professional="pro" in who, parent="parent" in who, guest=who == "guest", orgs={1})
    # An item that is no carry-over copy says so (``reviewed_action``: None); a parent's or guest's
    # socket asks the policy about a copy, and about an event that does not say (review h12, H12-8).
    event = {"audience": audience, "holding_organisation": holder, "entrusted_by": None, "restricted_to": [1] if holder else [],
             "reviewed_action": None}
    assert consumer._may_read(event) is expected
    if who in ("parent", "guest"):
        copy_expected = None if audience == Audience.EVERYONE else False
        assert consumer._may_read({**event, "reviewed_action": 7}) is copy_expected
        assert consumer._may_read({k: v for k, v in event.items() if k != "reviewed_action"}) is copy_expected


@pytest.mark.parametrize("audience", WIDER)
def test_A5_every_channel_that_shows_the_late_joiner_the_action_in_the_widened_item(world, client, audience):
    """A2 per channel: none shows the action (title/description) to an organisation that may not read its item."""
    item, _ = widened(world, audience)
    join_early_help(world)
    action = action_in(world, item, world.early_help, world.outsider)
    client.force_login(world.outsider)
    leaks = []
    if client.get(reverse("protocols:action_detail", args=[action.pk])).status_code == 200:
        leaks.append("action page")
    if client.get(f"/api/actions/{action.pk}/").status_code == 200:
        leaks.append("api detail")
    for query in ("", "?mine=1"):
        if action.pk in {row["id"] for row in client.get(f"/api/actions/{query}").json()["results"]}:
            leaks.append(f"api list {query}")
    for name in ("dashboard", "protocols:my_actions"):
        if SECRET in client.get(reverse(name)).content.decode() or action.title in client.get(reverse(name)).content.decode():
            leaks.append(name)
    if client.post(reverse("agreed-action-set-status", args=[action.pk]), {"status": "in_progress", "version": action.version},
                   content_type="application/json").status_code == 200:
        leaks.append("status write")
    client.logout()
    AgreedAction.objects.filter(pk=action.pk).update(due_on=timezone.localdate() + dt.timedelta(days=3))
    _, raw = calendar_services.feed_token_create(world.outsider)
    for name in ("calendars:feed", "calendars:feed_tasks"):
        if f"action-{action.pk}@".encode() in client.get(reverse(name, args=[raw])).content:
            leaks.append(name)
    if world.outsider in announce.responsible_users(action):
        leaks.append("notification recipients")
    assert not leaks, " | ".join(leaks)


# --- I. issue 13: the smaller statements give the same rows ----------------------------------------

def _old_item_routes(user, on):
    """``protocols_policy._item_routes`` as it was before the statements were made smaller (two guest
    members, the parent's route joined to the protocols, ``IN`` for the named items), with its Art. 18
    exclusion: the reference the new routes and the actions built on them are compared with."""
    governed = protocols_policy._GOVERNED
    orgs = base.compiled(participants_policy.organisation_ids(user))
    protocol_orgs = protocols_policy._team_pairs(user)[1]
    team_protocols = base.compiled(Protocol.objects.filter(
        conference__case_id__in=base.compiled(cases_policy.professional_case_ids(user))).values("pk"))
    open_to_team = ProtocolItem.objects.filter(protocol_id__in=team_protocols, audience__in=[Audience.EVERYONE, Audience.PROFESSIONALS],
                                               holding_organisation_id__isnull=True)
    held = ProtocolItem.objects.filter(protocols_policy._held_by_team(protocol_orgs), protocol_id__in=team_protocols)
    widened_ = ProtocolItem.objects.filter(governed, protocol_id__in=team_protocols, audience__in=[Audience.EVERYONE, Audience.PROFESSIONALS]
                                           ).filter(protocols_policy._widened_disclosed_to_team(orgs, protocol_orgs, on))
    named = base.compiled(ProtocolItem.restricted_to.through.objects.filter(organisation_id__in=orgs).values("protocolitem_id"))
    disclosed = ProtocolItem.objects.filter(pk__in=named, audience=Audience.RESTRICTED, protocol_id__in=team_protocols).filter(
        protocols_policy._disclosed_to_team(protocol_orgs, on))
    parent = ProtocolItem.objects.filter(protocol__conference__case_id__in=base.compiled(cases_policy.parent_case_ids(user)),
                                         audience=Audience.EVERYONE).filter(protocols_policy._family_may_read(user))
    guest_conferences = base.compiled(base.guest_conference_ids(user))
    guest_open = ProtocolItem.objects.filter(~governed, protocol__conference_id__in=guest_conferences, audience=Audience.EVERYONE)
    guest_protocols = base.compiled(Protocol.objects.filter(conference_id__in=guest_conferences).values("pk"))
    guest_covered = ProtocolItem.objects.filter(base.AnyOf(F("protocol_id"), guest_protocols), governed,
                                                audience=Audience.EVERYONE).filter(protocols_policy._guest_covered(orgs, on))
    restricted = base.compiled(cases_policy.restricted_member_ids(user))
    return ([r.exclude(entrusted_by_id__in=restricted) for r in (open_to_team, held, disclosed, widened_)],
            [r.exclude(entrusted_by_id__in=restricted) for r in (parent, guest_open, guest_covered)])


def _old_items(user) -> set[int]:
    team, other = _old_item_routes(user, timezone.localdate())
    return set(ProtocolItem.objects.filter(pk__in=base.union_ids(*(r.values("pk") for r in team + other))).values_list("pk", flat=True))


def _old_actions(user) -> set[int]:
    """``_action_visible`` on the pieces as they were built before (each route with its own Art. 18 exclusion)."""
    pieces = dict(protocols_policy._action_pieces(user))
    team, other = _old_item_routes(user, timezone.localdate())
    pieces["readable_on_team"] = base.compiled(base.union_ids(*(r.values("pk") for r in team)))
    pieces["readable_elsewhere"] = base.compiled(base.union_ids(*(r.values("pk") for r in other)))
    condition = Q(base.AnyOf(F("case_id"), pieces["her_cases"])) & (
        (Q(case_id__in=pieces["team_cases"]) & ((protocols_policy._falls_to(user, pieces) & protocols_policy._item_not_governed(pieces))
                                                | Q(item_id__in=pieces["readable_on_team"])))
        | Q(item_id__in=pieces["readable_elsewhere"])
        | protocols_policy._falls_to_parent(pieces)
    ) & protocols_policy._not_restricted(pieces)
    return set(AgreedAction.objects.filter(condition).values_list("pk", flat=True))


def test_I1_the_smaller_item_and_action_statements_give_the_same_rows(world):
    """Guests of another and of a covered organisation, a late joiner, the parents, with an item
    widened to everyone, one restricted, actions in each; then the mother's processing restricted
    (Art. 18: the actions' filter now leaves those out once, not in every route)."""
    item, _consent = widened(world, Audience.EVERYONE)
    join_early_help(world)
    covered_guest = make_professional("guest_midwifery", world.midwifery)
    other_guest = make_professional("guest_early_help", world.early_help)
    for guest in (covered_guest, other_guest):
        grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest)
    for org, user in ((world.midwifery, world.midwife), (world.early_help, world.outsider), (world.counselling, None)):
        action_in(world, world.item_restricted, org, user, title=f"r-{org.pk}")
        action_in(world, item, org, user, title=f"w-{org.pk}")
        action_in(world, world.item_everyone, org, user, title=f"e-{org.pk}")
    users = [world.convenor, world.lead_colleague, world.counsellor, world.midwife, world.outsider, world.parent,
             covered_guest, other_guest]
    assert protocols_policy.protocol_items_for_user(covered_guest).filter(pk=item.pk).exists()  # the controls
    assert not protocols_policy.protocol_items_for_user(other_guest).filter(pk=item.pk).exists()
    for restricted in (False, True):
        if restricted:
            ProcessingRestriction.objects.create(family_member=world.mother, grounds="Art. 18", set_by=world.convenor)
        base.STATEMENTS.clear()
        for user in users:
            new_items = set(protocols_policy.protocol_items_for_user(user).values_list("pk", flat=True))
            assert new_items == _old_items(user), (user, restricted)
            new_actions = set(protocols_policy.actions_for_user(user).values_list("pk", flat=True))
            assert new_actions == _old_actions(user), (user, restricted)
        assert protocols_policy.protocol_items_for_user(covered_guest).filter(pk=item.pk).exists() is not restricted
