"""Offering a parent access: no existence oracle, and one account for the cases of one parent.

The caseworker's "offer access" once refused an address any account received mail at, saying so:
a caseworker of any network learned whether someone had an account (a parent in some case, or a
professional). And a parent with an account could never have it linked to her second case. Now the
caseworker sees the same in both paths — a linking code to hand over in person, one e-mail to the
address, the record "access offered" — and the parent links her record herself: with the set-up
link of an account made for the offer (no account at the address), or, signed in, with the code.
No link that takes the record is mailed to an address an account has (review H3-9).
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from cases import access_services
from cases import services as case_services
from cases.models import AccessOffer, Case, FamilyMember
from operations.retention import erase_case
from participants.models import User
from permissions.models import AuditEvent
from tests.access_offers import offer_form_data, offer_of
from tests.world import PASSWORD, make_user

pytestmark = pytest.mark.django_db

MOTHER, FATHER = FamilyMember.Relation.MOTHER, FamilyMember.Relation.FATHER


def _without_tokens(page: str) -> str:
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "csrf", page)
    page = re.sub(r'name="open_offer" value="[0-9]*"', "open_offer", page)
    return re.sub(r'nonce="[^"]+"', "nonce", page)


def _offer_page(client, world, member, capture):
    """The caseworker offers access on the case page: what she is shown, with the code taken out."""
    client.force_login(world.convenor)
    data = offer_form_data(client, world.case, member)
    with capture(execute=True):
        response = client.post(reverse("cases:case_family_account", args=[world.case.pk, member.pk]), data,
                               follow=True, HTTP_ACCEPT_LANGUAGE="de")
    page = response.content.decode()
    code = re.search(r'<p class="access-code"><strong>([A-Z0-9-]+)</strong></p>', page).group(1)
    page = _without_tokens(page.replace(code, "CODE"))
    api = client.get(f"/api/cases/{world.case.pk}/").json()
    again = _without_tokens(client.get(reverse("cases:case_detail", args=[world.case.pk])).content.decode())
    return response, page, api, again, code


def test_the_caseworker_sees_the_same_whether_or_not_an_account_has_the_address(client, world,
                                                                                django_capture_on_commit_callbacks):
    """The same member, first at an address a professional of another network receives mail at
    (allauth address), then — the professional's address changed — at one nobody has: the page
    that shows the code, its message, the case page, the API, her audit detail and the mail count agree;
    only the code differs."""
    father = FamilyMember.objects.create(case=world.case, relation=FATHER, display_name="V.", email="v.privat@example.org")
    EmailAddress.objects.create(user=world.foreign_professional, email="V.Privat@example.org", primary=False, verified=True)
    users = User.objects.count()

    with_account = _offer_page(client, world, father, django_capture_on_commit_callbacks)
    assert User.objects.count() == users  # nothing made
    EmailAddress.objects.filter(user=world.foreign_professional, email__iexact="v.privat@example.org").delete()
    mail_after_first = len(mail.outbox)
    without_account = _offer_page(client, world, father, django_capture_on_commit_callbacks)
    assert User.objects.count() == users + 1  # an account made for the offer, not linked yet

    (first, first_page, first_api, first_again, first_code), (second, second_page, second_api, second_again, second_code) = \
        with_account, without_account
    assert first.redirect_chain == second.redirect_chain == []  # the code is on the answer to the POST itself
    assert first_code != second_code
    assert first_page == second_page
    assert "Zugang angeboten" in first_page and "Verknüpfungscode für V." in first_page
    assert [str(m) for m in first.context["messages"]] == [str(m) for m in second.context["messages"]]
    assert first_again == second_again and "CODE" not in first_again and first_code not in first_again
    assert first_api == second_api
    assert [m["access"] for m in first_api["family"] if m["id"] == father.pk] == ["offered"]
    assert mail_after_first == 1 and len(mail.outbox) == 2
    assert [m.to for m in mail.outbox] == [["v.privat@example.org"], ["v.privat@example.org"]]
    offers = list(AuditEvent.objects.filter(action="family_member.access_offer", case=world.case).order_by("pk"))
    assert len(offers) == 2 and offers[0].actor_id == offers[1].actor_id == world.convenor.pk
    assert sorted(offers[0].detail) == sorted(offers[1].detail)
    # What the case's audit trail holds for her case is the same in both paths
    assert set(AuditEvent.objects.filter(case=world.case).values_list("action", flat=True)) >= {"family_member.access_offer"}
    assert not AuditEvent.objects.filter(case=world.case, action__startswith="account.").exists()
    father.refresh_from_db()
    assert father.user_id is None


def _parent_of_two(world) -> FamilyMember:
    """The mother of the world's case (with an account) is the mother in the other case too."""
    return FamilyMember.objects.create(case=world.other_case, relation=MOTHER, display_name="M.", email=world.parent.email)


def test_a_parent_of_case_a_links_case_b_by_code_and_sees_it(client, world, django_capture_on_commit_callbacks):
    second = _parent_of_two(world)
    with django_capture_on_commit_callbacks(execute=True):
        offered = access_services.family_member_access_offer(world.lead_colleague, member=second)
    notice = mail.outbox[-1]
    assert notice.to == [world.parent.email] and offered.code not in notice.body
    assert "/accounts/password/reset/" not in notice.body and world.other_case.reference not in notice.body
    client.force_login(world.parent)
    assert client.get(reverse("cases:case_detail", args=[world.other_case.pk])).status_code == 404

    response = client.post(reverse("cases:access_code_enter"), {"code": offered.code.lower().replace("-", " ")})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    second.refresh_from_db()
    assert second.user_id == world.parent.pk
    world.mother.refresh_from_db()
    assert world.mother.user_id == world.parent.pk  # her first case stays hers
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert world.case.reference in dashboard and world.other_case.reference in dashboard
    page = client.get(reverse("cases:case_detail", args=[world.other_case.pk]))
    assert page.status_code == 200 and page.templates[0].name == "cases/case_parent.html"
    link = AuditEvent.objects.get(action="family_member.account_link")
    assert (link.actor_id, link.case_id, link.detail["by"]) == (world.parent.pk, world.other_case.pk, "code")
    offer = offer_of(offered)
    assert offer.used_at is not None and offer.used_by_id == world.parent.pk
    client.force_login(world.lead_colleague)
    assert "Konto verknüpft" in client.get(reverse("cases:case_detail", args=[world.other_case.pk]),
                                          HTTP_ACCEPT_LANGUAGE="de").content.decode()


@pytest.mark.parametrize("state", ["wrong", "expired", "used", "revoked_by_offering_again", "withdrawn", "address_corrected"])
def test_a_code_that_is_not_open_changes_nothing(world, state):
    second = _parent_of_two(world)
    offered = access_services.family_member_access_offer(world.lead_colleague, member=second)
    code = offered.code
    if state == "wrong":
        code = "ABCD-EFGH-JKLM" if code != "ABCD-EFGH-JKLM" else "ABCD-EFGH-JKLN"
    elif state == "expired":
        AccessOffer.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    elif state == "used":
        other = FamilyMember.objects.create(case=world.other_case, relation=FATHER, display_name="V.",
                                            email="vater@example.org")
        code = access_services.family_member_access_offer(world.lead_colleague, member=other).code
        stranger = make_user("vater")  # the father, at the address recorded for him
        access_services.access_offer_take(stranger, code=code)
    elif state == "revoked_by_offering_again":
        access_services.family_member_access_offer(world.lead_colleague, member=second)
    elif state == "withdrawn":
        assert access_services.family_member_access_withdraw(world.lead_colleague, member=second) == 1
    elif state == "address_corrected":
        case_services.family_member_update(world.lead_colleague, member=second, version=second.version,
                                           email="m.neu@example.org")
    links_before = AuditEvent.objects.filter(action="family_member.account_link").count()
    with pytest.raises(ValidationError) as refused:
        access_services.access_offer_take(world.parent, code=code)
    assert refused.value.message_dict["code"] == [
        "This code is not valid (any more) for this account. Check what you typed. A code works only for the account that receives mail at the e-mail address your caseworker recorded for you: if she recorded another address, ask her to record your account's address and to give you a new code."]
    second.refresh_from_db()
    assert second.user_id is None
    assert AuditEvent.objects.filter(action="family_member.account_link").count() == links_before
    assert AuditEvent.objects.filter(action=access_services.REFUSED, actor=world.parent).count() == 1


def test_wrong_codes_are_limited_per_account(world, client, monkeypatch):
    second = _parent_of_two(world)
    offered = access_services.family_member_access_offer(world.lead_colleague, member=second)
    for number in range(access_services.CODE_ATTEMPTS):
        with pytest.raises(ValidationError):
            access_services.access_offer_take(world.parent, code=f"WRNG-CODE-{number:04d}")
    client.force_login(world.parent)
    response = client.post(reverse("cases:access_code_enter"), {"code": offered.code}, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Zu viele falsche Codes." in page
    second.refresh_from_db()
    assert second.user_id is None  # even the right code waits
    # another account is not held back by hers
    other = FamilyMember.objects.create(case=world.other_case, relation=FATHER, display_name="V.", email="vater@example.org")
    code = access_services.family_member_access_offer(world.lead_colleague, member=other).code
    assert access_services.access_offer_take(make_user("vater"), code=code).pk == other.pk
    # the limit counts the last hour only
    monkeypatch.setattr(access_services, "CODE_WINDOW", dt.timedelta(0))
    assert access_services.access_offer_take(world.parent, code=offered.code).pk == second.pk


@pytest.mark.parametrize("role", ["counsellor", "convenor", "foreign_professional", "board_member", "dpo", "admin"])
def test_a_professional_or_admin_cannot_use_a_code(world, client, role):
    second = FamilyMember.objects.create(case=world.other_case, relation=MOTHER, display_name="M.",
                                         email=getattr(world, role).email)
    offered = access_services.family_member_access_offer(world.lead_colleague, member=second)
    with pytest.raises(PermissionDenied):
        access_services.access_offer_take(getattr(world, role), code=offered.code)
    client.force_login(getattr(world, role))
    assert client.post(reverse("cases:access_code_enter"), {"code": offered.code}).status_code == 403
    assert reverse("cases:access_code_enter") not in client.get(reverse("account")).content.decode()
    second.refresh_from_db()
    assert second.user_id is None and offer_of(offered).used_at is None


def test_a_parent_already_linked_to_the_case_keeps_the_code_unused(world):
    father = FamilyMember.objects.create(case=world.case, relation=FATHER, display_name="V.", email="v@example.org")
    offered = access_services.family_member_access_offer(world.convenor, member=father)
    with pytest.raises(ValidationError) as refused:
        access_services.access_offer_take(world.parent, code=offered.code)  # the mother of this case
    # not at the father's address: refused like any code not hers (review h8-1)
    assert refused.value.message_dict["code"] == [
        "This code is not valid (any more) for this account. Check what you typed. A code works only for the account that receives mail at the e-mail address your caseworker recorded for you: if she recorded another address, ask her to record your account's address and to give you a new code."]
    father.refresh_from_db()
    assert father.user_id is None and offer_of(offered).used_at is None


def test_the_mother_cannot_take_the_fathers_record_at_a_shared_address(world, client, django_capture_on_commit_callbacks):
    """Review H3-9 as it stands now: the father recorded at the mother's address in another case.
    She receives the notice, not the code; her own password reset links nothing."""
    father = FamilyMember.objects.create(case=world.other_case, relation=FATHER, display_name="V.", email=world.parent.email)
    with django_capture_on_commit_callbacks(execute=True):
        access_services.family_member_access_offer(world.lead_colleague, member=father)
    body = mail.outbox[-1].body
    assert mail.outbox[-1].to == [world.parent.email] and "/accounts/password/reset/" not in body
    client.post(reverse("account_reset_password"), {"email": world.parent.email})
    reset = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body).group(1)
    form_page = client.get(reset, follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else reset
    assert client.post(action, {"password1": "mutter-passwort-2026", "password2": "mutter-passwort-2026"}).status_code == 302
    father.refresh_from_db()
    assert father.user_id is None
    client.force_login(User.objects.get(pk=world.parent.pk))
    assert client.get(reverse("cases:case_detail", args=[world.other_case.pk])).status_code == 404


def test_offering_again_reuses_the_unused_account_made_for_her(world, django_capture_on_commit_callbacks):
    father = FamilyMember.objects.create(case=world.case, relation=FATHER, display_name="V.", email="v@example.org")
    first = offer_of(access_services.family_member_access_offer(world.convenor, member=father))
    with django_capture_on_commit_callbacks(execute=True):
        second = offer_of(access_services.family_member_access_offer(world.convenor, member=father))
    assert first.account_id == second.account_id and User.objects.filter(email="v@example.org").count() == 1
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert "/accounts/password/reset/key/" in mail.outbox[-1].body  # a new set-up link, to her address
    access_services.access_offer_take_by_link(second.account)
    father.refresh_from_db()
    assert father.user_id == second.account_id


def test_a_set_up_link_used_after_the_address_was_corrected_links_nothing(world):
    father = FamilyMember.objects.create(case=world.case, relation=FATHER, display_name="V.", email="falsch@example.org")
    offer = offer_of(access_services.family_member_access_offer(world.convenor, member=father))
    father = case_services.family_member_update(world.convenor, member=father, version=father.version,
                                                email="richtig@example.org")
    assert access_services.access_offer_take_by_link(offer.account) == []
    father.refresh_from_db()
    assert father.user_id is None


def test_the_code_page_ties_its_error_to_the_field_and_is_reached_from_the_account_page(client, world):
    client.force_login(world.parent)
    account_page = client.get(reverse("account"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert f'href="{reverse("cases:access_code_enter")}"' in account_page and "Weiteren Fall verknüpfen" in account_page
    response = client.post(reverse("cases:access_code_enter"), {"code": "ABCD-EFGH-JKLM"}, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 400
    page = response.content.decode()
    field = re.search(r"<input[^>]*name=\"code\"[^>]*>", page).group(0)
    assert 'aria-invalid="true"' in field and "id_code_error" in field
    assert 'id="id_code_error"' in page and "Dieser Code ist für dieses Konto nicht (mehr) gültig." in page
    assert '<label for="id_code">Verknüpfungscode:</label>' in page


def test_erasing_her_closed_first_case_keeps_the_account_of_her_second(world):
    second = _parent_of_two(world)
    access_services.access_offer_take(world.parent, code=access_services.family_member_access_offer(
        world.lead_colleague, member=second).code)
    Case.objects.filter(pk=world.case.pk).update(status=Case.Status.CLOSED, closed_on=timezone.localdate())
    world.case.refresh_from_db()
    with transaction.atomic():
        erase_case(world.case, now=timezone.now())
    parent = User.objects.get(pk=world.parent.pk)
    assert parent.is_active and parent.email == "parent@example.org" and parent.check_password(PASSWORD)
    second.refresh_from_db()
    assert second.user_id == parent.pk
    assert not AccessOffer.objects.filter(member__case=world.case).exists()


def test_one_account_is_linked_to_one_record_per_case(world):
    other = FamilyMember.objects.create(case=world.case, relation=FATHER, display_name="V.")
    with pytest.raises(IntegrityError), transaction.atomic():
        FamilyMember.objects.filter(pk=other.pk).update(user=world.parent)
    other.refresh_from_db()
    assert other.user_id is None


def test_her_own_account_at_another_address_cannot_take_the_code_and_the_mail_says_what_to_do(
        world, django_capture_on_commit_callbacks):
    """Recorded in the second case at an address no account has, the mother gets a set-up link for an
    account made for the offer. Her own account (another address) cannot take the code (review h8-1:
    a code on paper is taken only by the account at the recorded address), and nothing changes; the
    mail tells her to have her account's address recorded instead. The link stays hers to use."""
    second = FamilyMember.objects.create(case=world.other_case, relation=MOTHER, display_name="Sarah",
                                         email="sarah.privat@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        offered = access_services.family_member_access_offer(world.lead_colleague, member=second)
    made = offer_of(offered).account
    assert made is not None and made.pk != world.parent.pk
    message = mail.outbox[-1]
    assert message.to == ["sarah.privat@example.org"]
    assert "with another e-mail address" in message.body and "record the address of your account" in message.body
    assert offered.code not in message.body

    with pytest.raises(ValidationError):
        access_services.access_offer_take(world.parent, code=offered.code)
    second.refresh_from_db()
    made.refresh_from_db()
    assert second.user_id is None and made.is_active
    assert offer_of(offered).used_at is None
    assert access_services.access_offer_take_by_link(made) == [second]  # the link still takes it


def test_once_she_links_by_the_set_up_link_the_code_is_dead(world, django_capture_on_commit_callbacks):
    second = FamilyMember.objects.create(case=world.other_case, relation=MOTHER, display_name="Sarah",
                                         email="sarah.privat@example.org")
    offered = access_services.family_member_access_offer(world.lead_colleague, member=second)
    made = offer_of(offered).account
    assert access_services.access_offer_take_by_link(made) == [second]
    with pytest.raises(ValidationError):
        access_services.access_offer_take(world.parent, code=offered.code)
    second.refresh_from_db()
    made.refresh_from_db()
    assert second.user_id == made.pk and made.is_active  # her account from the link stays hers
