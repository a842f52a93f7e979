"""The admin's user form gives no account an address another account already receives mail at
(review h3 follow-up of H3-9). Sign-in is by e-mail and a password-reset link goes to every
account at the address asked for, so a second account at one address hands each holder the other's
links. Refused with a form error on add and on change, in any capitals, counting allauth's
addresses and parents' accounts (which the admin does not list) - without saying whose it is."""
from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from participants.models import User
from permissions.models import AuditEvent

pytestmark = pytest.mark.django_db

REFUSAL = "This e-mail address already belongs to another account."


def _add(client, email: str, **headers):
    return client.post(reverse("admin:participants_user_add"), {
        "username": "neue.fachkraft", "email": email, "first_name": "Neu", "last_name": "", "preferred_language": "",
    }, **headers)


def _change(client, user: User, email: str, **extra):
    return client.post(reverse("admin:participants_user_change", args=[user.pk]), {
        "username": user.username, "email": email, "first_name": user.first_name, "last_name": user.last_name,
        "preferred_language": user.preferred_language or "", "is_active": "on", **extra,
    })


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    EmailAddress.objects.create(user=world.counsellor, email="zweit@example.org", primary=False, verified=True)
    return client


@pytest.mark.parametrize("whose", ["a_professionals", "in_capitals", "an_allauth_address", "a_parents_account"])
def test_a_new_account_is_not_made_on_another_accounts_address(world, admin_client, django_capture_on_commit_callbacks,
                                                               whose):
    email = {"a_professionals": world.midwife.email, "in_capitals": world.midwife.email.upper(),
             "an_allauth_address": "Zweit@Example.org", "a_parents_account": world.parent.email}[whose]
    with django_capture_on_commit_callbacks(execute=True):
        response = _add(admin_client, email)
    assert response.status_code == 200  # the form again, with the refusal
    said = response.context["adminform"].form.errors["email"]
    assert said == [REFUSAL + " Each account needs an address of its own: sign-in and password links are sent there."]
    assert "@" not in said[0]  # whose it is stays unsaid
    assert not User.objects.filter(username="neue.fachkraft").exists()
    assert mail.outbox == [] and not AuditEvent.objects.filter(action="admin.user.add").exists()


def test_a_new_account_on_its_own_address_is_made(world, admin_client):
    assert _add(admin_client, "neu@example.org").status_code == 302
    assert User.objects.get(username="neue.fachkraft").email == "neu@example.org"


@pytest.mark.parametrize("whose", ["a_professionals", "in_capitals", "an_allauth_address", "a_parents_account"])
def test_an_account_is_not_changed_to_another_accounts_address(world, admin_client, django_capture_on_commit_callbacks,
                                                              whose):
    email = {"a_professionals": world.midwife.email, "in_capitals": world.midwife.email.upper(),
             "an_allauth_address": "zweit@example.org", "a_parents_account": world.parent.email.upper()}[whose]
    with django_capture_on_commit_callbacks(execute=True):
        response = _change(admin_client, world.outsider, email)
    assert response.status_code == 200
    assert REFUSAL in " ".join(response.context["adminform"].form.errors["email"])
    assert User.objects.get(pk=world.outsider.pk).email == "outsider@example.org"
    assert mail.outbox == [] and not AuditEvent.objects.filter(action="admin.user.change").exists()


def test_an_account_keeps_its_own_address_and_its_own_allauth_address(world, admin_client):
    assert _change(admin_client, world.counsellor, world.counsellor.email, first_name="Clara").status_code == 302
    assert User.objects.get(pk=world.counsellor.pk).first_name == "Clara"
    assert _change(admin_client, world.counsellor, world.counsellor.email.upper()).status_code == 302
    assert _change(admin_client, world.counsellor, "zweit@example.org").status_code == 302  # her own second address
    assert User.objects.get(pk=world.counsellor.pk).email == "zweit@example.org"
    assert _change(admin_client, world.outsider, "ganz.neu@example.org").status_code == 302


def test_an_account_already_sharing_an_address_can_still_be_deactivated(world, admin_client):
    """An address shared before this check (older data) does not hold up other changes of the
    account - deactivating one of the two is what an admin may well want to do."""
    User.objects.filter(pk=world.outsider.pk).update(email=world.midwife.email)
    outsider = User.objects.get(pk=world.outsider.pk)
    response = admin_client.post(reverse("admin:participants_user_change", args=[outsider.pk]), {
        "username": outsider.username, "email": outsider.email, "first_name": outsider.first_name,
        "last_name": outsider.last_name, "preferred_language": "",
    })
    assert response.status_code == 302
    assert not User.objects.get(pk=outsider.pk).is_active


@pytest.mark.parametrize(("language", "message"), [
    ("de", "Diese E-Mail-Adresse gehört bereits zu einem anderen Konto. Jedes Konto braucht eine eigene Adresse: "
           "Anmelde- und Passwort-Links werden dorthin gesendet."),
    ("da", "Denne e-mailadresse tilhører allerede en anden konto. Hver konto skal have sin egen adresse: "
           "links til login og adgangskode sendes dertil."),
])
def test_the_refusal_is_translated(world, admin_client, language, message):
    response = _add(admin_client, world.midwife.email, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200 and message in response.content.decode()


@pytest.mark.parametrize("whose", ["a_professionals", "an_allauth_address", "a_parents_account"])
def test_the_e_mail_address_admin_gives_no_account_another_accounts_address(world, admin_client, whose):
    """The same rule where the admin adds or edits an account's allauth addresses."""
    email = {"a_professionals": world.midwife.email.upper(), "an_allauth_address": "zweit@example.org",
             "a_parents_account": world.parent.email}[whose]
    added = admin_client.post(reverse("admin:account_emailaddress_add"),
                              {"user": world.outsider.pk, "email": email, "verified": "on"})
    assert added.status_code == 200 and REFUSAL in " ".join(added.context["adminform"].form.errors["email"])
    own = EmailAddress.objects.create(user=world.outsider, email=world.outsider.email, primary=True, verified=True)
    changed = admin_client.post(reverse("admin:account_emailaddress_change", args=[own.pk]),
                                {"user": world.outsider.pk, "email": email, "primary": "on", "verified": "on"})
    assert changed.status_code == 200
    assert list(EmailAddress.objects.filter(user=world.outsider).values_list("email", flat=True)) == [world.outsider.email]


def test_the_e_mail_address_admin_keeps_an_accounts_own_addresses(world, admin_client):
    own = EmailAddress.objects.create(user=world.outsider, email=world.outsider.email, primary=True, verified=False)
    assert admin_client.post(reverse("admin:account_emailaddress_change", args=[own.pk]), {
        "user": world.outsider.pk, "email": world.outsider.email, "primary": "on", "verified": "on"}).status_code == 302
    assert admin_client.post(reverse("admin:account_emailaddress_add"), {
        "user": world.outsider.pk, "email": "outsider.zwei@example.org", "verified": "on"}).status_code == 302
    assert EmailAddress.objects.filter(user=world.outsider).count() == 2
