"""A second membership opens nothing on a case whose team she is not on for it (review, 2026-12-06).

The read side of the bug fixed for writes the day before: the organisation-level read rules (a
restricted item her organisation holds, an item named for her organisation under a consent or
legal basis to it, an agreed action that falls to her organisation) counted every organisation a
professional works for. The midwife of the world is on the case team for the midwifery only; a
second membership at the youth-welfare office (which holds ``item_restricted``) or at the
counselling service (named for it, with the mother's consent) made her read what only they may
read, on the page, in the API, on the live channel, and see their actions. The rules now hold per
case, for the organisations she is on that case's team for (``cases.policy.team_rows_of``).
"""
from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse
from django.utils import timezone

from cases import policy as cases_policy
from cases.models import CaseTeamMember, Consent, ConsentScope, DisclosureBasis, InformationCategory
from participants.models import Membership, ProfessionalRole
from permissions.models import AuditEvent
from protocols import policy as protocols_policy
from protocols import rules, selectors, services
from protocols.models import AgreedAction, CorrectionProposal, Protocol
from tests.websocket.test_live_protocol import open_socket, receive_until

pytestmark = pytest.mark.django_db


def second_membership(world, organisation) -> None:
    Membership.objects.create(user=world.midwife, organisation=organisation, role=ProfessionalRole.SOCIAL_WORKER)


def also_on_team_for(world, organisation) -> None:
    CaseTeamMember.objects.create(case=world.case, organisation=organisation, user=world.midwife)


def sees(user, item) -> bool:
    return protocols_policy.protocol_items_for_user(user).filter(pk=item.pk).exists()


def team_orgs(world) -> set[int]:
    return set(cases_policy.team_organisation_ids(world.midwife, world.case).values_list("organisation_id", flat=True))


def consent_to(world, organisation) -> Consent:
    today = timezone.localdate()
    consent = Consent.objects.create(case=world.case, given_by=world.mother, from_organisation=world.youth_welfare,
                                     valid_from=today, valid_until=today + dt.timedelta(days=30), form_reference="SE-M",
                                     recorded_by=world.convenor)
    consent.to_organisations.set([organisation])
    ConsentScope.objects.create(consent=consent, category=InformationCategory.PARENTING_CHILD_WELFARE)
    return consent


def reads_nowhere(client, world, item) -> None:
    """Neither the API (detail and list) nor the protocol page shows ``item`` to the signed-in user."""
    assert client.get(f"/api/protocol-items/{item.pk}/").status_code == 404
    listed = client.get("/api/protocol-items/?limit=100").json()
    assert item.pk not in [row["id"] for row in listed["results"]]
    page = client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk]))
    assert page.status_code == 200
    assert item.title not in page.content.decode()


def test_the_midwife_is_on_the_team_for_the_midwifery_only_and_reads_no_restricted_item(world):
    assert team_orgs(world) == {world.midwifery.pk}
    assert not sees(world.midwife, world.item_restricted)


# --- the held route: an item held by an organisation she also works for ------------------------

def test_a_membership_at_the_holding_organisation_does_not_read_its_restricted_item(world, client):
    second_membership(world, world.youth_welfare)
    assert team_orgs(world) == {world.midwifery.pk}  # still on the team for the midwifery only

    assert not sees(world.midwife, world.item_restricted)
    assert protocols_policy.disclosure_basis_for(world.midwife, world.item_restricted) == "none"
    client.force_login(world.midwife)
    reads_nowhere(client, world, world.item_restricted)


def test_on_the_team_for_the_holder_too_she_reads_it_as_the_holder(world, client):
    second_membership(world, world.youth_welfare)
    also_on_team_for(world, world.youth_welfare)

    assert sees(world.midwife, world.item_restricted)
    assert protocols_policy.disclosure_basis_for(world.midwife, world.item_restricted) == "holding-organisation"
    assert protocols_policy.disclosure_bases_for_items(world.midwife, [world.item_restricted]) == {
        world.item_restricted.pk: "holding-organisation"}
    client.force_login(world.midwife)
    assert client.get(f"/api/protocol-items/{world.item_restricted.pk}/").status_code == 200
    page = client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode()
    assert world.item_restricted.title in page


def test_her_colleagues_team_row_for_the_holder_does_not_make_her_read_it_elsewhere(world):
    """On this case the youth-welfare office is on the team through the convenor and a colleague,
    personally: a youth-welfare membership of the midwife does not put her there for it; on
    another case where the youth-welfare office is on the team as an organisation, it does."""
    second_membership(world, world.youth_welfare)
    assert not sees(world.midwife, world.item_restricted)
    CaseTeamMember.objects.create(case=world.other_case, organisation=world.youth_welfare)  # the office, no person
    assert not sees(world.midwife, world.item_restricted)  # another case's team row counts only there


# --- the disclosed route: an item named for an organisation she also works for ------------------

def test_a_membership_at_the_consented_organisation_does_not_read_the_item_named_for_it(world, client):
    second_membership(world, world.counselling)
    assert sees(world.counsellor, world.item_restricted)  # named for the counselling, under its consent

    assert not sees(world.midwife, world.item_restricted)
    assert protocols_policy.disclosure_basis_for(world.midwife, world.item_restricted) == "none"
    client.force_login(world.midwife)
    reads_nowhere(client, world, world.item_restricted)


def test_on_the_team_for_the_consented_organisation_too_she_reads_it_under_the_consent(world, client):
    second_membership(world, world.counselling)
    also_on_team_for(world, world.counselling)

    assert sees(world.midwife, world.item_restricted)
    basis = f"consent:{world.consent.pk}"
    assert protocols_policy.disclosure_basis_for(world.midwife, world.item_restricted) == basis
    assert protocols_policy.disclosure_bases_for_items(world.midwife, [world.item_restricted]) == {world.item_restricted.pk: basis}
    client.force_login(world.midwife)
    assert client.get(f"/api/protocol-items/{world.item_restricted.pk}/").status_code == 200


def test_a_legal_basis_to_an_organisation_she_also_works_for_does_not_disclose_to_her(world, client):
    world.consent.to_organisations.clear()
    basis = DisclosureBasis.objects.create(
        case=world.case, basis="de_kkg_4", from_organisation=world.youth_welfare, invoked_by=world.convenor,
        justification="Akute Gefährdung", valid_until=timezone.localdate() + dt.timedelta(days=7), parents_informed=True)
    basis.to_organisations.add(world.counselling)
    second_membership(world, world.counselling)
    assert sees(world.counsellor, world.item_restricted)

    assert not sees(world.midwife, world.item_restricted)
    client.force_login(world.midwife)
    reads_nowhere(client, world, world.item_restricted)


def test_named_for_her_second_organisation_and_covered_for_her_own_is_not_enough(world):
    """Named only for the counselling (her second membership, not on this team for it), with a
    consent to the midwifery (hers on the team): neither organisation she reads for has both."""
    world.item_restricted.restricted_to.set([world.counselling])
    consent_to(world, world.midwifery)
    second_membership(world, world.counselling)

    assert not sees(world.midwife, world.item_restricted)
    world.item_restricted.restricted_to.set([world.counselling, world.midwifery])
    assert sees(world.midwife, world.item_restricted)  # named for the midwifery, consent to the midwifery


def test_reading_under_a_consent_is_audited_as_the_consent_not_as_the_holder_she_also_works_for(world, client):
    consented = consent_to(world, world.midwifery)
    second_membership(world, world.youth_welfare)
    assert sees(world.midwife, world.item_restricted)  # named for the midwifery, consent to the midwifery

    basis = f"consent:{consented.pk}"
    assert protocols_policy.disclosure_basis_for(world.midwife, world.item_restricted) == basis
    assert protocols_policy.disclosure_bases_for_items(world.midwife, [world.item_restricted]) == {world.item_restricted.pk: basis}
    bases, readable = protocols_policy.item_bases_and_readable(world.midwife, [world.item_restricted], readable=True)
    assert (bases, readable) == ({world.item_restricted.pk: basis}, {world.item_restricted.pk})
    client.force_login(world.midwife)
    assert client.get(f"/api/protocol-items/{world.item_restricted.pk}/").status_code == 200
    audited = set(AuditEvent.objects.filter(actor=world.midwife, object_id=str(world.item_restricted.pk))
                  .values_list("legal_basis", flat=True))
    assert audited == {basis}


# --- agreed actions that fall to an organisation she also works for ----------------------------

@pytest.fixture
def action_of_youth_welfare(world) -> AgreedAction:
    """An action in the restricted item, falling to the youth-welfare office."""
    return AgreedAction.objects.create(case=world.case, item=world.item_restricted, title="Hausbesuch des Jugendamts",
                                       responsible_organisation=world.youth_welfare,
                                       due_on=timezone.localdate() + dt.timedelta(days=10))


def test_an_action_falling_to_an_organisation_she_also_works_for_stays_hidden(world, client, action_of_youth_welfare):
    second_membership(world, world.youth_welfare)
    action = action_of_youth_welfare

    assert not protocols_policy.actions_for_user(world.midwife).filter(pk=action.pk).exists()
    assert not protocols_policy.responsible_actions_for_user(world.midwife).filter(pk=action.pk).exists()
    assert not protocols_policy.can_update_action(world.midwife, action)
    client.force_login(world.midwife)
    assert client.get(f"/api/actions/{action.pk}/").status_code == 404
    for query in ("", "?mine=1"):
        listed = client.get(f"/api/actions/{query}").json()
        assert action.pk not in [row["id"] for row in listed["results"]], query
    assert world.action_parent.pk in [row["id"] for row in client.get("/api/actions/").json()["results"]]
    assert action.title not in client.get(reverse("protocols:my_actions")).content.decode()


def test_on_the_team_for_that_organisation_the_action_falls_to_her(world, client, action_of_youth_welfare):
    second_membership(world, world.youth_welfare)
    also_on_team_for(world, world.youth_welfare)
    action = action_of_youth_welfare

    assert protocols_policy.responsible_actions_for_user(world.midwife).filter(pk=action.pk).exists()
    assert protocols_policy.can_update_action(world.midwife, action)
    client.force_login(world.midwife)
    assert action.pk in [row["id"] for row in client.get("/api/actions/?mine=1").json()["results"]]


def test_an_action_falling_to_her_second_organisation_in_an_item_she_reads_is_not_hers_to_update(world):
    """She sees it through the item (for everyone), but it does not fall to her: updating it is for
    the professionals on the team for that organisation."""
    second_membership(world, world.early_help)
    CaseTeamMember.objects.create(case=world.case, organisation=world.early_help, user=world.outsider)
    action = AgreedAction.objects.create(case=world.case, item=world.item_everyone, title="Frühe Hilfen anbieten",
                                         responsible_organisation=world.early_help,
                                         due_on=timezone.localdate() + dt.timedelta(days=10))

    assert protocols_policy.actions_for_user(world.midwife).filter(pk=action.pk).exists()
    assert not protocols_policy.responsible_actions_for_user(world.midwife).filter(pk=action.pk).exists()
    assert not protocols_policy.can_update_action(world.midwife, action)
    assert protocols_policy.can_update_action(world.outsider, action)


# --- corrections: the holder decides, through those on the team for it -------------------------

def test_a_membership_at_the_holder_does_not_make_her_decide_corrections_to_its_items(world):
    consent_to(world, world.midwifery)  # she reads the item, named for the midwifery
    second_membership(world, world.youth_welfare)
    Protocol.objects.filter(pk=world.protocol.pk).update(status=Protocol.Status.RELEASED)
    pending = CorrectionProposal.objects.create(item=world.item_restricted, author=world.counsellor, proposed_text="Korrektur")
    decided = CorrectionProposal.objects.create(item=world.item_restricted, author=world.counsellor, proposed_text="Alt",
                                                status=CorrectionProposal.Status.REJECTED, decided_by=world.convenor,
                                                decided_at=timezone.now())
    protocol = Protocol.objects.get(pk=world.protocol.pk)
    assert sees(world.midwife, world.item_restricted)

    assert not rules.can_decide_correction(world.midwife, pending)
    assert not rules.decidable_pending(world.midwife, protocol).exists()
    own, _ = rules.pending_counts(world.midwife, [protocol], team_case_ids={world.case.pk}, convened_case_ids=set())
    assert own == {}
    assert list(selectors.corrections_for_decider(world.midwife, protocol)) == []
    assert [u.pk for u in rules.correction_deciders(pending)] == [world.convenor.pk, world.lead_colleague.pk]
    # the holder's professionals on the team decide, as before
    assert rules.can_decide_correction(world.convenor, pending)
    assert {p.pk for p in selectors.corrections_for_decider(world.lead_colleague, protocol)} == {pending.pk, decided.pk}


# --- the live channel ---------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
async def test_the_live_channel_does_not_deliver_the_holders_item_or_action_to_her(world):
    await database_sync_to_async(second_membership)(world, world.youth_welfare)
    midwife = await open_socket(world.midwife, world.protocol.pk)
    convenor = await open_socket(world.convenor, world.protocol.pk)
    hello = await receive_until(midwife, "hello")
    assert world.item_restricted.pk not in [i["id"] for i in hello["items"]]
    await receive_until(convenor, "hello")

    await database_sync_to_async(services.item_update)(world.convenor, item=world.item_restricted,
                                                       version=world.item_restricted.version, text="Neu anvertraut.")
    await database_sync_to_async(services.action_create)(
        world.convenor, item=world.item_restricted, title="Vertraulicher Hausbesuch",
        due_on=timezone.localdate() + dt.timedelta(days=7), responsible_organisation=world.youth_welfare)

    assert (await receive_until(convenor, "action"))["action"]["title"] == "Vertraulicher Hausbesuch"
    while not await midwife.receive_nothing(timeout=0.5):
        message = await midwife.receive_json_from()
        assert message["type"] not in {"item", "item_added", "action"}, message
        assert "anvertraut" not in str(message) and "Hausbesuch" not in str(message), message
    await midwife.disconnect()
    await convenor.disconnect()
