"""A disclosure is covered for ONE organisation, never pieced together from two (review, 2026-12-06).

README rule 4: a restricted item is read by a member of another organisation only while a consent
(or a recorded legal basis) covers *that disclosure*: to an organisation the item is named for,
under the labels it carries and, once relabelled, the labels it was first entrusted under. The
relabel check (``services._check_disclosure``) always asked this of each named organisation on its
own. The read filter did not: it let a professional on the case team for two organisations read an
item that one of them is named for while the consent went to the other, or a relabelled item whose
current labels are covered to one and whose first labels are covered to the other. Neither
organisation may read it; nor did she, through either of them, but she read it anyway: on the
page, in the API, on the live channel, in her case's calendar feed.
"""
from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse
from django.utils import timezone

from calendars import services as calendar_services
from calendars.models import FeedToken
from cases.models import CaseTeamMember, Consent, ConsentScope, DisclosureBasis, InformationCategory
from participants.models import Membership, ProfessionalRole
from permissions.models import AuditEvent
from protocols import policy as protocols_policy
from protocols import services
from protocols.models import AgreedAction
from tests.websocket.test_live_protocol import open_socket, receive_until
from tests.world import make_professional

pytestmark = pytest.mark.django_db

PARENTING, PREGNANCY = InformationCategory.PARENTING_CHILD_WELFARE, InformationCategory.PREGNANCY_HEALTH


def on_team_for_counselling_too(world) -> None:
    """The midwife also works for the counselling service and sits on this case's team for it."""
    Membership.objects.create(user=world.midwife, organisation=world.counselling, role=ProfessionalRole.COUNSELLOR)
    CaseTeamMember.objects.create(case=world.case, organisation=world.counselling, user=world.midwife)


def consent(world, *, to, categories) -> Consent:
    today = timezone.localdate()
    given = Consent.objects.create(case=world.case, given_by=world.mother, from_organisation=world.youth_welfare,
                                   valid_from=today, valid_until=today + dt.timedelta(days=30), form_reference="SE-O",
                                   recorded_by=world.convenor)
    given.to_organisations.set([to])
    for category in categories:
        ConsentScope.objects.create(consent=given, category=category)
    return given


def kkg_basis(world, *, to) -> DisclosureBasis:
    today = timezone.localdate()
    basis = DisclosureBasis.objects.create(case=world.case, basis="de_kkg_4", from_organisation=world.youth_welfare,
                                           invoked_by=world.convenor, justification="Gefährdung", invoked_on=today,
                                           valid_until=today + dt.timedelta(days=10), parents_informed=True)
    basis.to_organisations.set([to])
    return basis


def patch(client, item, **data):
    item.refresh_from_db()
    return client.patch(f"/api/protocol-items/{item.pk}/", {"version": item.version, **data}, content_type="application/json")


def relabel_to_pregnancy_and_name(world, client, named) -> None:
    """The holder relabels the item (parenting -> pregnancy) while only she reads it, then names
    ``named`` again, through the API as a professional would (naming is no disclosure)."""
    item = world.item_restricted
    client.force_login(world.convenor)
    assert patch(client, item, audience="restricted", restricted_to=[world.youth_welfare.pk], category=PREGNANCY).status_code == 200
    response = patch(client, item, audience="restricted", restricted_to=[o.pk for o in named])
    assert response.status_code == 200, response.content
    item.refresh_from_db()
    assert (item.category, item.first_category) == (PREGNANCY, PARENTING)
    client.logout()


def sees(user, item) -> bool:
    return protocols_policy.protocol_items_for_user(user).filter(pk=item.pk).exists()


@pytest.fixture
def split_relabel(world, client):
    """Relabelled, named for the counselling and the midwifery: the counselling has the mother's
    consent for the first labels (parenting, ``world.consent``), the midwifery one for the current
    labels (pregnancy). Neither organisation is covered for both."""
    on_team_for_counselling_too(world)
    consent(world, to=world.midwifery, categories=[PREGNANCY])
    relabel_to_pregnancy_and_name(world, client, [world.counselling, world.midwifery])
    return world.item_restricted


@pytest.fixture
def named_here_consented_there(world):
    """Named for the midwifery only, while the consent goes to the counselling (``world.consent``)."""
    on_team_for_counselling_too(world)
    world.item_restricted.restricted_to.set([world.midwifery])
    return world.item_restricted


SPLITS = ["split_relabel", "named_here_consented_there"]


@pytest.fixture(params=SPLITS)
def split(request):
    return request.getfixturevalue(request.param)


def test_neither_organisation_alone_reads_the_item(world, split):
    colleague = make_professional("midwife2", world.midwifery, ProfessionalRole.MIDWIFE)
    CaseTeamMember.objects.create(case=world.case, organisation=world.midwifery, user=colleague)
    assert not sees(world.counsellor, split)  # on the team for the counselling only
    assert not sees(colleague, split)  # on the team for the midwifery only


def test_the_professional_on_the_team_for_both_does_not_read_it(world, split):
    assert not sees(world.midwife, split)
    assert protocols_policy.disclosure_basis_for(world.midwife, split) == "none"
    bases, readable = protocols_policy.item_bases_and_readable(world.midwife, [split], readable=True)
    assert (bases, readable) == ({split.pk: "none"}, set())


def test_not_in_the_api_nor_on_the_page(world, split, client):
    client.force_login(world.midwife)
    assert client.get(f"/api/protocol-items/{split.pk}/").status_code == 404
    listed = client.get("/api/protocol-items/?limit=100").json()
    assert split.pk not in [row["id"] for row in listed["results"]]
    page = client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk]))
    assert page.status_code == 200
    assert split.title not in page.content.decode()
    assert not AuditEvent.objects.filter(actor=world.midwife, action="protocol.item.read", object_id=str(split.pk)).exists()


def test_its_action_is_in_neither_the_api_nor_her_case_feed(world, split, client):
    action = AgreedAction.objects.create(case=world.case, item=split, title="Vertraulicher Hausbesuch",
                                         responsible_organisation=world.youth_welfare,
                                         due_on=timezone.localdate() + dt.timedelta(days=7))
    assert not protocols_policy.actions_for_user(world.midwife).filter(pk=action.pk).exists()
    client.force_login(world.midwife)
    assert client.get(f"/api/actions/{action.pk}/").status_code == 404
    _, raw = calendar_services.feed_token_create(world.midwife, kind=FeedToken.Kind.CASE, case=world.case)
    feed = client.get(reverse("calendars:feed", args=[raw]))
    assert feed.status_code == 200
    assert "Vertraulicher Hausbesuch" not in feed.content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("split", SPLITS, indirect=True)
async def test_the_live_channel_neither_greets_nor_updates_her_with_it(world, split):
    midwife = await open_socket(world.midwife, world.protocol.pk)
    convenor = await open_socket(world.convenor, world.protocol.pk)
    hello = await receive_until(midwife, "hello")
    assert split.pk not in [i["id"] for i in hello["items"]]
    await receive_until(convenor, "hello")
    await database_sync_to_async(split.refresh_from_db)()
    await database_sync_to_async(services.item_update)(world.convenor, item=split, version=split.version,
                                                       text="Neu anvertraut.")
    assert (await receive_until(convenor, "item"))["item"]["id"] == split.pk
    while not await midwife.receive_nothing(timeout=0.5):
        message = await midwife.receive_json_from()
        assert message["type"] not in {"item", "item_added"}, message
        assert "anvertraut" not in str(message), message
    await midwife.disconnect()
    await convenor.disconnect()


# --- what still reads: one organisation covered for all of it ----------------------------------

def test_a_consent_to_the_named_organisation_for_both_labels_lets_her_read_it(world, split_relabel):
    both = consent(world, to=world.midwifery, categories=[PREGNANCY, PARENTING])
    assert sees(world.midwife, split_relabel)
    assert protocols_policy.disclosure_basis_for(world.midwife, split_relabel) == f"consent:{both.pk}"


def test_two_consents_to_the_same_organisation_one_per_label_let_her_read_it(world, split_relabel):
    """The counselling's first-label consent plus one for the current labels, both to the counselling."""
    new = consent(world, to=world.counselling, categories=[PREGNANCY])
    assert sees(world.counsellor, split_relabel)
    assert sees(world.midwife, split_relabel)
    assert protocols_policy.disclosure_basis_for(world.midwife, split_relabel) == f"consent:{new.pk} consent:{world.consent.pk}"


def test_a_legal_basis_to_the_named_organisation_lets_her_read_it(world, named_here_consented_there):
    basis = kkg_basis(world, to=world.midwifery)
    assert sees(world.midwife, named_here_consented_there)
    assert protocols_policy.disclosure_basis_for(world.midwife, named_here_consented_there) == f"de_kkg_4:{basis.pk}"


def test_naming_the_consented_organisation_as_well_lets_her_read_it_under_that_consent(world, named_here_consented_there):
    named_here_consented_there.restricted_to.add(world.counselling)
    assert sees(world.midwife, named_here_consented_there)
    assert protocols_policy.disclosure_basis_for(world.midwife, named_here_consented_there) == f"consent:{world.consent.pk}"
