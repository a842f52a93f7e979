"""The audit trail names a basis that admits the read, also for a relabelled item.

Since migration protocols/0010 a relabelled item is read only where a consent or legal basis
covers the labels it was first entrusted under as well as its current ones
(``protocols.policy._covered``). The basis a read is audited under (the officer's audit
log, the parents' "who read my family's data") was still chosen by the current labels only: of a
consent for the new category only and one for both, it named the older — the one that does not
let her read the item. The name is now built from the same definitions as the read filter.
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from access import selectors as access_selectors
from cases.models import Consent, ConsentScope, DisclosureBasis, FamilyMember
from permissions import audit_labels
from permissions.models import AuditEvent
from protocols import policy as protocols_policy
from protocols.models import AgreedAction

pytestmark = pytest.mark.django_db

PARENTING, PREGNANCY = "parenting_child_welfare", "pregnancy_health"


def consent(world, *, categories, to=None, given_by=None, from_organisation=None) -> Consent:
    today = timezone.localdate()
    given = Consent.objects.create(case=world.case, given_by=given_by or world.mother,
                                   from_organisation=from_organisation or world.youth_welfare, valid_from=today,
                                   valid_until=today + dt.timedelta(days=30), form_reference="SE-A", recorded_by=world.convenor)
    given.to_organisations.set(to or [world.midwifery])
    for category in categories:
        ConsentScope.objects.create(consent=given, category=category)
    return given


def kkg_basis(world, *, to=None, from_organisation=None) -> DisclosureBasis:
    today = timezone.localdate()
    basis = DisclosureBasis.objects.create(case=world.case, basis="de_kkg_4", from_organisation=from_organisation or world.youth_welfare,
                                           invoked_by=world.convenor, justification="Gefährdung", invoked_on=today,
                                           valid_until=today + dt.timedelta(days=10), parents_informed=True)
    basis.to_organisations.set(to or [world.midwifery])
    return basis


def patch(client, item, **data):
    item.refresh_from_db()
    return client.patch(f"/api/protocol-items/{item.pk}/", {"version": item.version, **data}, content_type="application/json")


def relabel_to_pregnancy(world, client) -> None:
    """The holder relabels the restricted item (parenting -> pregnancy) while only she reads it, then
    names the midwifery again, through the API as a professional would."""
    item = world.item_restricted
    client.force_login(world.convenor)
    assert patch(client, item, audience="restricted", restricted_to=[world.youth_welfare.pk], category=PREGNANCY).status_code == 200
    response = patch(client, item, audience="restricted", restricted_to=[world.midwifery.pk])
    assert response.status_code == 200, response.content
    item.refresh_from_db()
    assert (item.category, item.first_category) == (PREGNANCY, PARENTING)


def sees(user, item) -> bool:
    return protocols_policy.protocol_items_for_user(user).filter(pk=item.pk).exists()


def read_bases(world, client) -> set[str]:
    """The midwife reads the item through the API; the bases her read events name."""
    client.force_login(world.midwife)
    assert client.get(f"/api/protocol-items/{world.item_restricted.pk}/").status_code == 200
    return set(AuditEvent.objects.filter(actor=world.midwife, action="protocol.item.read").values_list("legal_basis", flat=True))


def test_the_read_is_audited_under_the_consent_that_covers_both_labels_not_the_older_one_for_the_new_label(world, client):
    only_new = consent(world, categories=[PREGNANCY])           # A: the older, covers the new category only
    both = consent(world, categories=[PREGNANCY, PARENTING])    # B: covers both
    relabel_to_pregnancy(world, client)
    assert sees(world.midwife, world.item_restricted)

    assert read_bases(world, client) == {f"consent:{both.pk}"}
    assert protocols_policy.disclosure_basis_for(world.midwife, world.item_restricted) == f"consent:{both.pk}"
    # revoking the consent the audit names ends the read: it was the one that admitted it
    Consent.objects.filter(pk=both.pk).update(revoked_at=timezone.now())
    assert not sees(world.midwife, world.item_restricted)
    assert protocols_policy.disclosure_basis_for(world.midwife, world.item_restricted) == "none"
    assert only_new.revoked_at is None


def test_the_protocol_page_names_that_consent_too(world, client):
    only_new = consent(world, categories=[PREGNANCY])
    both = consent(world, categories=[PREGNANCY, PARENTING])
    relabel_to_pregnancy(world, client)
    client.force_login(world.midwife)
    page = client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk]))
    assert world.item_restricted.title in page.content.decode()
    event = AuditEvent.objects.filter(actor=world.midwife, action="protocol.item.list").latest("pk")
    assert event.detail["bases"][f"consent:{both.pk}"] == [world.item_restricted.pk]
    assert f"consent:{both.pk}" in event.legal_basis.split()
    assert f"consent:{only_new.pk}" not in event.legal_basis.split()


def test_a_legal_basis_that_covers_both_is_named_rather_than_a_consent_for_the_new_label_only(world, client):
    consent(world, categories=[PREGNANCY])
    basis = kkg_basis(world)  # from the holder: covers every category, before and after
    relabel_to_pregnancy(world, client)
    assert read_bases(world, client) == {f"de_kkg_4:{basis.pk}"}


def test_where_no_single_consent_covers_both_labels_the_two_that_do_are_named(world, client):
    new = consent(world, categories=[PREGNANCY])
    old = consent(world, categories=[PARENTING])
    relabel_to_pregnancy(world, client)
    assert sees(world.midwife, world.item_restricted)
    assert read_bases(world, client) == {f"consent:{new.pk} consent:{old.pk}"}
    # the parents' access log says "your consent", once
    event = AuditEvent.objects.filter(actor=world.midwife, action="protocol.item.read").latest("pk")
    assert access_selectors.family_access_rows(world.parent, [event])[0]["basis"] == audit_labels.basis_label(f"consent:{new.pk}")
    # either consent revoked ends the read
    Consent.objects.filter(pk=old.pk).update(revoked_at=timezone.now())
    assert not sees(world.midwife, world.item_restricted)
    assert protocols_policy.disclosure_basis_for(world.midwife, world.item_restricted) == "none"


def test_an_action_in_the_relabelled_item_is_audited_under_the_same_consent(world, client):
    consent(world, categories=[PREGNANCY])
    both = consent(world, categories=[PREGNANCY, PARENTING])
    relabel_to_pregnancy(world, client)
    action = AgreedAction.objects.create(case=world.case, item=world.item_restricted, title="Vorsorge begleiten",
                                         responsible_organisation=world.youth_welfare,
                                         due_on=timezone.localdate() + dt.timedelta(days=5))
    client.force_login(world.midwife)
    assert client.get(f"/api/actions/{action.pk}/").status_code == 200
    event = AuditEvent.objects.filter(actor=world.midwife, action="protocol.action.read").latest("pk")
    assert event.legal_basis == f"consent:{both.pk}"


def test_widening_the_relabelled_item_is_audited_under_the_consents_that_cover_both(world, client):
    """The write side names its bases by the same rule: the disclosure event of opening the
    relabelled item to every professional of the team."""
    consent(world, categories=[PREGNANCY])
    both = consent(world, categories=[PREGNANCY, PARENTING])
    ConsentScope.objects.create(consent=world.consent, category=PREGNANCY)  # the counselling's covers both too
    relabel_to_pregnancy(world, client)
    response = patch(client, world.item_restricted, audience="professionals")
    assert response.status_code == 200, response.content
    event = AuditEvent.objects.filter(action="protocol.item.disclose").latest("pk")
    assert event.detail["bases"] == {str(world.counselling.pk): f"consent:{world.consent.pk}",
                                     str(world.midwifery.pk): f"consent:{both.pk}"}
    assert event.legal_basis == " ".join(sorted([f"consent:{world.consent.pk}", f"consent:{both.pk}"]))


def test_a_disclosure_under_two_bases_is_filed_under_each_for_the_officer(world, client):
    """The disclosure event joined its bases with a comma: the officer's filter by a legal basis
    missed it, and her log named the first only."""
    basis = kkg_basis(world)
    client.force_login(world.convenor)
    assert patch(client, world.item_restricted, audience="professionals").status_code == 200
    event = AuditEvent.objects.get(action="protocol.item.disclose")
    assert event.legal_basis == f"consent:{world.consent.pk} de_kkg_4:{basis.pk}"
    assert event in access_selectors.audit_log_for_user(world.dpo, basis="de_kkg_4")
    assert event in access_selectors.audit_log_for_user(world.dpo, basis="consent")


SCENARIOS = {
    # name: (consents as (categories, given by the father?), legal basis?, relabel the category?)
    "one consent, not relabelled": ([([PARENTING], False)], False, False),
    "consent for the new label only": ([([PREGNANCY], False)], False, True),
    "consent for the old label only": ([([PARENTING], False)], False, True),
    "one for each label": ([([PREGNANCY], False), ([PARENTING], False)], False, True),
    "new only, then both": ([([PREGNANCY], False), ([PREGNANCY, PARENTING], False)], False, True),
    "the father's for both": ([([PREGNANCY, PARENTING], True)], False, True),
    "new only and a legal basis": ([([PREGNANCY], False)], True, True),
    "a legal basis alone": ([], True, True),
    "nothing": ([], False, True),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_basis_is_named_exactly_when_the_read_filter_admits_the_read_and_it_alone_admits_it(world, client, name):
    """The one rule, two ways: the named basis is "none" exactly where the item is not readable,
    and with every other consent and basis of the case ended, the named ones still admit the read."""
    consents, with_basis, relabel = SCENARIOS[name]
    Consent.objects.filter(pk=world.consent.pk).update(revoked_at=timezone.now())
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.")
    for categories, by_father in consents:
        consent(world, categories=categories, given_by=father if by_father else None)
    if with_basis:
        kkg_basis(world)
    if relabel:
        relabel_to_pregnancy(world, client)
    item = world.item_restricted
    readable = sees(world.midwife, item)
    named = protocols_policy.disclosure_basis_for(world.midwife, item)
    bases, readable_ids = protocols_policy.item_bases_and_readable(world.midwife, [item], readable=True)
    assert bases == {item.pk: named} and (item.pk in readable_ids) == readable
    assert (named != "none") == readable, (named, readable)
    if readable:
        codes = named.split()
        named_consents = [int(code.split(":")[1]) for code in codes if code.startswith("consent:")]
        named_bases = [int(code.split(":")[1]) for code in codes if not code.startswith("consent:")]
        Consent.objects.exclude(pk__in=named_consents).update(revoked_at=timezone.now())
        DisclosureBasis.objects.exclude(pk__in=named_bases).update(ended_at=timezone.now())
        assert sees(world.midwife, item)
        assert protocols_policy.disclosure_basis_for(world.midwife, item) == named
