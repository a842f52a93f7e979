"""Review h8 (2026-12-07): an attacker's review of "offer a parent access" (``cases.access_services``,
``AccessOffer``, the code page "Mein Konto" → "Weiteren Fall verknüpfen", the ``password_reset``
signal, one account linked to one record in each of several cases), as a parent, the other parent,
a professional of another network, a caseworker of the case, a former professional and someone who
reads a mailbox.

A probe asserts what SHOULD hold. A probe marked ``xfail(strict=True)`` is a finding that is not
mended yet: it fails today; its reason names the fault (H8-n). Plain tests are findings that were
mended (they failed before the mend) or paths that were probed and held.
"""
from __future__ import annotations

import html
import re

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases import access_services
from cases import services as case_services
from cases.models import Case, FamilyMember
from operations.retention import erase_case
from participants.models import Membership, User
from permissions.models import AuditEvent
from tests.access_offers import offer_of
from tests.world import make_user

pytestmark = pytest.mark.django_db

MOTHER, FATHER = FamilyMember.Relation.MOTHER, FamilyMember.Relation.FATHER
NOT_VALID = "This code is not valid (any more) for this account. Check what you typed. A code works only for the account that receives mail at the e-mail address your caseworker recorded for you: if she recorded another address, ask her to record your account's address and to give you a new code."


def _set_up_link(user: User) -> str:
    return reverse("account_reset_password_from_key",
                   kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)})


def _choose_password(client, link: str) -> None:
    """Whoever reads the mailbox opens the set-up link and chooses a password."""
    page = client.get(link, follow=True)
    action = page.redirect_chain[-1][0] if page.redirect_chain else link
    client.post(action, {"password1": "postfach-passwort-2026", "password2": "postfach-passwort-2026"})


# --- H8-1: the code is a bearer token: another parent of the family takes the record with it ------

def test_h8_1_the_mother_cannot_take_the_fathers_record_with_his_code(world, client):
    """Both parents of a new case; the caseworker hands the father his code on paper. The mother
    (an account from her first case, at her own address) finds the paper at home and enters it
    first: her account would stand for the father in the new case — his consents, the items he
    entrusted, the actions that fall to him, his own access log — and he could no longer link.
    The code works only for an account that receives mail at the address recorded for him."""
    FamilyMember.objects.create(case=world.other_case, relation=MOTHER, display_name="M.", email=world.parent.email)
    father = FamilyMember.objects.create(case=world.other_case, relation=FATHER, display_name="V.",
                                         email="vater.neu@example.org")
    offered = access_services.family_member_access_offer(world.lead_colleague, member=father)

    client.force_login(world.parent)
    response = client.post(reverse("cases:access_code_enter"), {"code": offered.code})
    assert response.status_code == 400
    assert NOT_VALID in html.unescape(response.content.decode())
    father.refresh_from_db()
    assert father.user_id is None and offer_of(offered).used_at is None
    # counted like any wrong code: the refusal does not tell her the code was real
    assert AuditEvent.objects.filter(action=access_services.REFUSED, actor=world.parent).count() == 1
    assert not AuditEvent.objects.filter(action="family_member.account_link").exists()

    # the father himself, with the account made for the offer at his address, still links
    account = offer_of(offered).account
    account.set_password("vater-passwort-2026")
    account.save(update_fields=["password"])
    assert access_services.access_offer_take(account, code=offered.code).pk == father.pk


def test_h8_1_a_parent_of_another_family_with_the_code_links_nothing(world):
    """The same for anyone else who gets hold of the paper: a parent of another case."""
    second = FamilyMember.objects.create(case=world.other_case, relation=MOTHER, display_name="M.",
                                         email=world.parent.email)
    offered = access_services.family_member_access_offer(world.lead_colleague, member=second)
    stranger = make_user("fremde")
    with pytest.raises(ValidationError) as refused:
        access_services.access_offer_take(stranger, code=offered.code)
    assert refused.value.message_dict["code"] == [NOT_VALID]
    second.refresh_from_db()
    assert second.user_id is None
    # the mother, at the address recorded, links with the same code
    assert access_services.access_offer_take(world.parent, code=offered.code).pk == second.pk


# --- H8-2: erasing the case leaves the account made for an unused offer with her name and address --

def test_h8_2_erasing_a_case_strips_the_account_made_for_an_offer_she_never_used(world, client):
    """The caseworker offered the father access (no account at his address: one was made, with his
    first name and address, and a set-up link mailed). He never used it. The case is closed and
    erased: the account must not stay behind with his name and address, nor its link work."""
    father = FamilyMember.objects.create(case=world.case, relation=FATHER, display_name="Volker",
                                         email="volker@example.org")
    account = offer_of(access_services.family_member_access_offer(world.convenor, member=father)).account
    link = _set_up_link(account)
    Case.objects.filter(pk=world.case.pk).update(status=Case.Status.CLOSED, closed_on=timezone.localdate())
    world.case.refresh_from_db()
    with transaction.atomic():
        erase_case(world.case, now=timezone.now())
    account.refresh_from_db()
    assert (account.email, account.first_name, account.is_active) == ("", "", False)
    assert "volker" not in account.username.lower()
    _choose_password(client, link)
    account.refresh_from_db()
    assert not account.has_usable_password()


def test_h8_2_erasure_keeps_an_offer_account_that_is_linked_elsewhere_or_a_professionals(world):
    """Held: an account made for an offer in the erased case that was since linked to another case
    stays hers; one that became a professional's stays his."""
    father = FamilyMember.objects.create(case=world.case, relation=FATHER, display_name="V.", email="v@example.org")
    account = offer_of(access_services.family_member_access_offer(world.convenor, member=father)).account
    FamilyMember.objects.create(case=world.other_case, relation=FATHER, display_name="V.", email="v@example.org")
    later = FamilyMember.objects.get(case=world.other_case, email="v@example.org")
    account.set_password("vater-passwort-2026")
    account.save(update_fields=["password"])
    access_services.access_offer_take(
        account, code=access_services.family_member_access_offer(world.lead_colleague, member=later).code)
    Case.objects.filter(pk=world.case.pk).update(status=Case.Status.CLOSED, closed_on=timezone.localdate())
    world.case.refresh_from_db()
    with transaction.atomic():
        erase_case(world.case, now=timezone.now())
    account.refresh_from_db()
    assert account.is_active and account.email == "v@example.org"
    later.refresh_from_db()
    assert later.user_id == account.pk


# --- H8-3: a withdrawn offer's set-up link still sets up the account at the old address -----------

@pytest.mark.parametrize("how", ["withdrawn", "address_corrected", "offered_again_elsewhere"])
def test_h8_3_an_ended_offers_set_up_link_no_longer_sets_up_the_account(world, client, how):
    """The mother was recorded at a wrong address (the father's mailbox): the offer made an account
    with her name and mailed its set-up link there. The caseworker notices and withdraws the offer
    (or corrects the address). The message says the e-mail link no longer works; it must not still
    let whoever reads that mailbox choose a password and hold a parent's account in her name."""
    member = FamilyMember.objects.create(case=world.other_case, relation=MOTHER, display_name="Maria",
                                         email="falsch@example.org")
    account = offer_of(access_services.family_member_access_offer(world.lead_colleague, member=member)).account
    link = _set_up_link(account)
    if how == "withdrawn":
        assert access_services.family_member_access_withdraw(world.lead_colleague, member=member) == 1
    elif how == "address_corrected":
        member = case_services.family_member_update(world.lead_colleague, member=member, version=member.version,
                                                    email="richtig@example.org")
    else:
        member = case_services.family_member_update(world.lead_colleague, member=member, version=member.version,
                                                    email="richtig@example.org")
        access_services.family_member_access_offer(world.lead_colleague, member=member)
    _choose_password(client, link)
    account.refresh_from_db()
    assert not account.has_usable_password()
    assert client.post(reverse("account_login"), {"login": account.username,
                                                 "password": "postfach-passwort-2026"}).status_code != 302
    member.refresh_from_db()
    assert member.user_id is None


def test_h8_3_offering_again_to_the_same_address_sends_a_link_that_works(world, client,
                                                                       django_capture_on_commit_callbacks):
    """Held after the mend: offering again to the same address reuses her account and the new link
    links (the old one is ended)."""
    member = FamilyMember.objects.create(case=world.other_case, relation=MOTHER, display_name="Maria",
                                         email="maria@example.org")
    access_services.family_member_access_offer(world.lead_colleague, member=member)
    with django_capture_on_commit_callbacks(execute=True):
        access_services.family_member_access_offer(world.lead_colleague, member=member)
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body).group(1)
    _choose_password(client, link)
    member.refresh_from_db()
    assert member.user_id is not None and User.objects.get(pk=member.user_id).has_usable_password()


# --- paths probed that held ------------------------------------------------------------------

def test_h8_held_an_ordinary_password_reset_of_a_parent_links_no_offer_made_to_her_address(world, client):
    """The mother's own "forgot password" link, with an offer of access to a record at her address
    open in another case (no account was made for it): nothing is linked by the link."""
    second = FamilyMember.objects.create(case=world.other_case, relation=MOTHER, display_name="M.",
                                         email=world.parent.email)
    access_services.family_member_access_offer(world.lead_colleague, member=second)
    _choose_password(client, _set_up_link(world.parent))
    second.refresh_from_db()
    assert second.user_id is None


def test_h8_held_a_former_professional_or_a_deactivated_parent_cannot_link(world):
    member = FamilyMember.objects.create(case=world.other_case, relation=MOTHER, display_name="M.",
                                         email="ehemalig@example.org")
    offered = access_services.family_member_access_offer(world.lead_colleague, member=member)
    account = offer_of(offered).account
    account.set_password("passwort-2026-x")
    account.is_active = False
    account.save(update_fields=["password", "is_active"])
    assert access_services.access_offer_take_by_link(account) == []
    account.is_active = True
    account.save(update_fields=["is_active"])
    # a former professional: her membership ended (inactive), the account stays
    Membership.objects.create(user=account, organisation=world.counsellor.memberships.first().organisation,
                              role="other", is_active=False)
    with pytest.raises(PermissionDenied):
        access_services.access_offer_take(account, code=offered.code)
    member.refresh_from_db()
    assert member.user_id is None


@pytest.mark.parametrize("name", ["cases:case_family_account", "cases:case_family_access_withdraw"])
def test_h8_held_the_caseworkers_steps_refuse_get_and_a_missing_csrf_token(world, name):
    member = FamilyMember.objects.create(case=world.case, relation=FATHER, display_name="V.", email="v@example.org")
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.convenor)
    url = reverse(name, args=[world.case.pk, member.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="family_member.access").exists()
