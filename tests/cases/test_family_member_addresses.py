"""A family member's e-mail address reaches her and nobody else (review h3 follow-up of H3-9).

A parent without an account gets her poll links at the address recorded for her; a link meant
for one parent must not reach the other. Recording or correcting a family member therefore refuses
an address recorded for another member of the same family, or one the account of another member
of it receives mail at (contact or allauth address). Addresses elsewhere are not compared: the
answer would tell the caseworker that someone is known in another case (perhaps another network),
and a mother of two cases is reached at her own address in both. Her own address, and her own
account's, stay hers. An offer of access checks the family's addresses again; whether an account
elsewhere has the address it never says (``cases.access_services``, tests/cases/test_access_offers.py)."""
from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases import access_services
from cases import services as case_services
from cases.models import AccessOffer, FamilyMember
from permissions.models import AuditEvent

pytestmark = pytest.mark.django_db

FATHER = FamilyMember.Relation.FATHER


def _add(world, email: str) -> FamilyMember:
    return case_services.family_member_add(world.convenor, case=world.case, relation=FATHER, display_name="V.", email=email)


@pytest.fixture
def elsewhere(world) -> FamilyMember:
    """A mother without an account in the other case, reached at her own address."""
    return FamilyMember.objects.create(case=world.other_case, relation=FamilyMember.Relation.MOTHER, display_name="A.",
                                       email="anna@example.org")


@pytest.mark.parametrize("whose", ["the_other_parents_account", "the_other_parents_account_in_capitals",
                                   "the_other_parents_allauth_address", "the_other_parents_record"])
def test_a_family_member_is_not_recorded_at_another_family_members_address(world, whose):
    EmailAddress.objects.create(user=world.parent, email="zweit@example.org", primary=False, verified=True)
    FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.GUARDIAN, display_name="O.",
                                email="oma@example.org")
    email = {
        "the_other_parents_account": world.mother.email,  # the mother's, with an account at it
        "the_other_parents_account_in_capitals": world.parent.email.upper(),
        "the_other_parents_allauth_address": "Zweit@Example.org",
        "the_other_parents_record": "OMA@example.org",
    }[whose]
    with pytest.raises(ValidationError) as refused:
        _add(world, email)
    assert list(refused.value.message_dict) == ["email"]
    said = " ".join(refused.value.messages)
    assert "@" not in said  # whose address it is stays unsaid
    assert not world.case.family_members.filter(relation=FATHER).exists()
    assert not AuditEvent.objects.filter(action="family_member.add").exists()


@pytest.mark.parametrize("whose", ["an_account", "an_allauth_address", "a_member_of_another_case", "a_parent_of_another_case"])
def test_an_address_known_outside_this_family_is_neither_refused_nor_revealed(world, elsewhere, whose):
    """No oracle: the caseworker learns nothing about accounts or other cases from the form, and the
    mother of two cases (or of a new case after a closed one) is recorded at her own address."""
    EmailAddress.objects.create(user=world.counsellor, email="zweit@example.org", primary=False, verified=True)
    email = {"an_account": world.counsellor.email, "an_allauth_address": "Zweit@Example.org",
             "a_member_of_another_case": "ANNA@example.org", "a_parent_of_another_case": world.other_parent.email}[whose]
    assert _add(world, email).email == email


def test_the_other_parent_without_an_account_keeps_her_address_to_herself(world):
    """Two parents of one case never share an address, with an account or without."""
    mother = FamilyMember.objects.create(case=world.other_case, relation=FamilyMember.Relation.MOTHER, display_name="B.",
                                         email="familie@example.org")
    with pytest.raises(ValidationError):
        case_services.family_member_add(world.lead_colleague, case=world.other_case, relation=FATHER, display_name="C.",
                                        email="Familie@example.org")
    assert list(world.other_case.family_members.filter(email__iexact=mother.email)) == [mother]


def test_a_family_member_with_her_own_address_is_recorded(world, elsewhere):
    member = _add(world, "vater@example.org")
    assert member.email == "vater@example.org"
    assert _add(world, "").email == ""  # no address at all is no one's


@pytest.mark.parametrize("whose", ["the_other_parents_account", "the_other_parents_allauth_address", "the_other_parents_record"])
def test_a_correction_to_another_family_members_address_is_refused(world, whose):
    father = _add(world, "vater@example.org")
    EmailAddress.objects.create(user=world.parent, email="zweit@example.org", primary=False, verified=True)
    FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.GUARDIAN, display_name="O.",
                                email="oma@example.org")
    email = {"the_other_parents_account": world.mother.email.upper(), "the_other_parents_allauth_address": "zweit@example.org",
             "the_other_parents_record": "oma@example.org"}[whose]
    with pytest.raises(ValidationError) as refused:
        case_services.family_member_update(world.convenor, member=father, version=father.version, email=email)
    assert list(refused.value.message_dict) == ["email"]
    father.refresh_from_db()
    assert father.email == "vater@example.org"
    assert not AuditEvent.objects.filter(action="family_member.update").exists()


def test_she_keeps_her_own_address_and_her_own_accounts(world, elsewhere):
    """The mother's record carries her account's address; correcting anything else, or writing it
    in other capitals, or her account's second address, is hers to keep."""
    mother = case_services.family_member_update(world.convenor, member=world.mother, version=world.mother.version,
                                                display_name="Maria", email=world.mother.email)
    assert (mother.display_name, mother.email) == ("Maria", world.parent.email)
    mother = case_services.family_member_update(world.convenor, member=mother, version=mother.version,
                                                email=world.parent.email.upper())
    EmailAddress.objects.create(user=world.parent, email="maria.privat@example.org", primary=False, verified=True)
    mother = case_services.family_member_update(world.convenor, member=mother, version=mother.version,
                                                email="maria.privat@example.org")
    assert mother.email == "maria.privat@example.org"
    kept = case_services.family_member_update(world.lead_colleague, member=elsewhere, version=elsewhere.version,
                                              display_name="Anna", email="anna@example.org")
    kept = case_services.family_member_update(world.lead_colleague, member=kept, version=kept.version,
                                              email="Anna@Example.org")
    assert (kept.display_name, kept.email) == ("Anna", "Anna@Example.org")


@pytest.mark.parametrize(("language", "message"), [
    ("de", "Diese E-Mail-Adresse ist bereits für eine andere Person hinterlegt. Bitte erfassen Sie die eigene Adresse "
           "dieser Person: Links, die dorthin gehen, sind persönlich."),
    ("da", "Denne e-mailadresse er allerede registreret for en anden person. Registrér personens egen adresse: links, "
           "der sendes dertil, er personlige."),
    ("en", "This e-mail address is already recorded for another person. Record this person&#x27;s own address: links "
           "sent there are personal."),
])
def test_the_family_pages_refuse_another_persons_address_at_the_field(client, world, elsewhere, language, message):
    client.force_login(world.convenor)
    add = client.post(reverse("cases:case_family_add", args=[world.case.pk]),
                      {"relation": FATHER, "display_name": "V.", "email": world.mother.email}, HTTP_ACCEPT_LANGUAGE=language)
    assert add.status_code == 400 and message in add.content.decode()
    assert add.context["form"].errors["email"]
    assert not world.case.family_members.filter(relation=FATHER).exists()

    father = _add(world, "vater@example.org")
    edit = client.post(reverse("cases:case_family_edit", args=[world.case.pk, father.pk]),
                       {"relation": FATHER, "display_name": "V.", "email": world.mother.email, "birth_year": "",
                        "due_date": "", "version": father.version}, HTTP_ACCEPT_LANGUAGE=language)
    assert edit.status_code == 400 and message in edit.content.decode()
    assert edit.context["form"].errors["email"]
    father.refresh_from_db()
    assert father.email == "vater@example.org"


def test_access_is_not_offered_at_another_family_members_address_recorded_before_the_rule(world):
    """A record from before the family's address rule, at the mother's address: offering him access
    would mail to her what is his. The offer is refused at the field, as recording it would be;
    only this family's addresses are compared (``cases.access_services``: elsewhere an offer
    answers the same whether or not an account has the address)."""
    father = FamilyMember.objects.create(case=world.case, relation=FATHER, display_name="V.", email=world.mother.email)
    with pytest.raises(ValidationError) as refused:
        access_services.family_member_access_offer(world.convenor, member=father)
    assert list(refused.value.message_dict) == ["email"] and "@" not in " ".join(refused.value.messages)
    assert not AccessOffer.objects.exists()
    assert not AuditEvent.objects.filter(action="family_member.access_offer").exists()
