"""A relabel never frees information from the consent it was entrusted under (§ 65 SGB VIII).

The attack this closes, by a professional of the holding organisation, on page, API or
websocket alike: restrict the item to her own organisation while changing its category (or the
person who entrusted it) — nobody new reads it, so nothing is checked — and then name another
organisation, whose consent covers the new label only. The item now remembers the labels it was
first entrusted under, and a named organisation reads it only where a consent or legal basis
covers those as well as the current ones.
"""
from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import timezone

from cases.models import Consent, ConsentScope, DisclosureBasis, FamilyMember
from permissions.audit import record
from protocols import policy as protocols_policy
from conferences.models import Conference
from protocols import services
from protocols.models import AgreedAction, Audience, ProtocolItem

pytestmark = pytest.mark.django_db

PARENTING, PREGNANCY = "parenting_child_welfare", "pregnancy_health"


def sees(user, item) -> bool:
    return protocols_policy.protocol_items_for_user(user).filter(pk=item.pk).exists()


def consent(world, *, given_by, to, categories, from_organisation=None) -> Consent:
    today = timezone.localdate()
    given = Consent.objects.create(case=world.case, given_by=given_by, from_organisation=from_organisation or world.youth_welfare,
                                   valid_from=today, valid_until=today + dt.timedelta(days=30), form_reference="SE-L",
                                   recorded_by=world.convenor)
    given.to_organisations.set(to)
    for category in categories:
        ConsentScope.objects.create(consent=given, category=category)
    return given


def kkg_basis(world, to) -> DisclosureBasis:
    """§ 4 KKG from the youth-welfare office to ``to``, for ten days."""
    today = timezone.localdate()
    basis = DisclosureBasis.objects.create(case=world.case, basis="de_kkg_4", from_organisation=world.youth_welfare,
                                           invoked_by=world.convenor, justification="Gefährdung", invoked_on=today,
                                           valid_until=today + dt.timedelta(days=10), parents_informed=True)
    basis.to_organisations.set(to)
    return basis


def patch(client, item, **data):
    item.refresh_from_db()
    return client.patch(f"/api/protocol-items/{item.pk}/", {"version": item.version, **data}, content_type="application/json")


def test_relabelling_the_category_in_two_steps_does_not_let_a_consent_for_the_new_category_read_it(world, client):
    item = world.item_restricted
    assert item.category == PARENTING and not sees(world.midwife, item)
    consent(world, given_by=world.mother, to=[world.midwifery], categories=[PREGNANCY])
    client.force_login(world.convenor)
    # step 1: only the holder reads it, under another category: nobody new reads it
    response = patch(client, item, audience="restricted", restricted_to=[world.youth_welfare.pk], category=PREGNANCY)
    assert response.status_code == 200, response.content
    item.refresh_from_db()
    assert (item.first_category, item.first_holding_organisation, item.first_entrusted_by) == (
        PARENTING, world.youth_welfare, world.mother)
    # step 2: name the midwifery, whose consent covers pregnancy only
    response = patch(client, item, audience="restricted", restricted_to=[world.midwifery.pk])
    assert response.status_code == 200, response.content
    assert not sees(world.midwife, item)
    client.force_login(world.midwife)
    assert client.get(f"/api/protocol-items/{item.pk}/").status_code == 404
    page = client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode()
    assert item.title not in page


def test_relabelling_the_entrusting_person_in_two_steps_does_not_let_her_consent_read_it(world, client):
    item = world.item_restricted
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.")
    consent(world, given_by=father, to=[world.midwifery], categories=[PARENTING])
    client.force_login(world.convenor)
    assert patch(client, item, audience="restricted", restricted_to=[world.youth_welfare.pk], entrusted_by=father.pk).status_code == 200
    assert patch(client, item, audience="restricted", restricted_to=[world.midwifery.pk]).status_code == 200
    item.refresh_from_db()
    assert item.entrusted_by == father and item.first_entrusted_by == world.mother
    assert not sees(world.midwife, item)


def test_a_consent_under_the_first_labels_as_well_lets_the_named_organisation_read_it(world, client):
    item = world.item_restricted
    consent(world, given_by=world.mother, to=[world.midwifery], categories=[PREGNANCY, PARENTING])
    client.force_login(world.convenor)
    assert patch(client, item, audience="restricted", restricted_to=[world.youth_welfare.pk], category=PREGNANCY).status_code == 200
    assert patch(client, item, audience="restricted", restricted_to=[world.midwifery.pk]).status_code == 200
    assert sees(world.midwife, item)


def test_a_legal_basis_from_the_first_holder_covers_a_relabelled_item(world, client):
    item = world.item_restricted
    basis = kkg_basis(world, [world.midwifery])
    client.force_login(world.convenor)
    assert patch(client, item, audience="restricted", restricted_to=[world.youth_welfare.pk], category=PREGNANCY).status_code == 200
    assert patch(client, item, audience="restricted", restricted_to=[world.midwifery.pk]).status_code == 200
    assert sees(world.midwife, item)
    DisclosureBasis.objects.filter(pk=basis.pk).update(ended_at=timezone.now())
    assert not sees(world.midwife, item)


def test_the_first_labels_are_kept_through_later_relabels(world, client):
    item = world.item_restricted
    consent(world, given_by=world.mother, to=[world.midwifery], categories=["finances_housing"])
    client.force_login(world.convenor)
    assert patch(client, item, audience="restricted", restricted_to=[world.youth_welfare.pk], category=PREGNANCY).status_code == 200
    assert patch(client, item, audience="restricted", restricted_to=[world.youth_welfare.pk], category="finances_housing").status_code == 200
    item.refresh_from_db()
    assert item.first_category == PARENTING
    assert patch(client, item, audience="restricted", restricted_to=[world.midwifery.pk]).status_code == 200
    assert not sees(world.midwife, item)


def test_widening_and_restricting_again_under_another_label_keeps_the_first_labels(world, client):
    """Restricted -> professionals (covered) -> restricted under another category is a relabel too."""
    item = world.item_restricted
    basis = kkg_basis(world, [world.midwifery])
    client.force_login(world.convenor)
    assert patch(client, item, audience="professionals").status_code == 200
    assert patch(client, item, audience="restricted", restricted_to=[world.youth_welfare.pk], holding_organisation=world.youth_welfare.pk,
                 category=PREGNANCY, entrusted_by=world.mother.pk).status_code == 200
    item.refresh_from_db()
    assert item.first_category == PARENTING


def test_a_one_step_relabel_whose_new_labels_no_consent_covers_is_refused_with_a_reason(world, client):
    """Before, the check looked at the old labels only: the relabel was saved and the counselling,
    whose consent covers the old category only, silently stopped reading the item."""
    item = world.item_restricted
    client.force_login(world.convenor)
    response = patch(client, item, audience="restricted", restricted_to=[world.counselling.pk], category=PREGNANCY)
    assert response.status_code == 400
    assert "Suchtberatung Test" in response.json()["audience"][0]
    item.refresh_from_db()
    assert item.category == PARENTING and item.first_category == "" and sees(world.counsellor, item)


def test_information_a_relative_entrusted_never_goes_to_the_parents_after_a_relabel_to_the_mother(world, client):
    grandmother = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.OTHER_RELATIVE, display_name="G.")
    item = world.item_restricted
    ProtocolItem.objects.filter(pk=item.pk).update(entrusted_by=grandmother)
    basis = kkg_basis(world, world.case.team.values_list("organisation", flat=True).distinct())
    client.force_login(world.convenor)
    assert patch(client, item, audience="restricted", restricted_to=[world.youth_welfare.pk], entrusted_by=world.mother.pk).status_code == 200
    response = patch(client, item, audience="everyone")
    assert response.status_code == 400 and "audience" in response.json()
    item.refresh_from_db()
    assert item.audience == Audience.RESTRICTED
    assert not sees(world.parent, item)


def test_items_relabelled_before_the_fix_get_their_first_labels_back_from_the_audit_trail(world):
    item = world.item_restricted
    record(world.convenor, action="protocol.item.disclose", obj=item, case_id=world.case.pk, channel="api", legal_basis="",
           detail={"from": {"audience": "restricted", "holder": world.youth_welfare.pk, "entrusted_by": world.mother.pk,
                            "category": PARENTING, "orgs": []},
                   "to": {"audience": "restricted", "holder": world.youth_welfare.pk, "entrusted_by": world.mother.pk,
                          "category": PREGNANCY, "orgs": []}})
    ProtocolItem.objects.filter(pk=item.pk).update(category=PREGNANCY)
    consent(world, given_by=world.mother, to=[world.midwifery], categories=[PREGNANCY])
    assert sees(world.midwife, item)
    migration = importlib.import_module("protocols.migrations.0010_item_first_labels")
    migration.first_labels_from_the_audit_trail(django_apps, None)
    item.refresh_from_db()
    assert (item.first_category, item.first_holding_organisation_id, item.first_entrusted_by_id) == (
        PARENTING, world.youth_welfare.pk, world.mother.pk)
    assert not sees(world.midwife, item)  # the consent covers the new category, not the one it was entrusted under


def test_an_open_action_carried_over_keeps_the_labels_its_item_was_first_entrusted_under(world, client):
    """The next conference's review item is a copy: without the first labels, it would be a fresh
    item under the new labels only, and a consent for the new category would open it."""
    item = world.item_restricted
    consent(world, given_by=world.mother, to=[world.midwifery], categories=[PREGNANCY])
    client.force_login(world.convenor)
    assert patch(client, item, audience="restricted", restricted_to=[world.youth_welfare.pk], category=PREGNANCY).status_code == 200
    AgreedAction.objects.create(case=world.case, item=item, title="Vertraulich nachfassen", responsible_organisation=world.youth_welfare,
                                due_on=timezone.localdate() + dt.timedelta(days=3))
    start = timezone.now() + dt.timedelta(minutes=30)
    later = Conference.objects.create(case=world.case, convenor=world.convenor, status=Conference.Status.SCHEDULED,
                                      starts_at=start, ends_at=start + dt.timedelta(minutes=90))
    protocol = services.protocol_open(world.convenor, conference=later)
    copy = protocol.items.get(kind=ProtocolItem.Kind.CARRY_OVER, reviewed_action__title="Vertraulich nachfassen")
    assert (copy.first_category, copy.first_entrusted_by, copy.category) == (PARENTING, world.mother, PREGNANCY)
    assert patch(client, copy, audience="restricted", restricted_to=[world.midwifery.pk]).status_code == 200
    assert not sees(world.midwife, copy)
