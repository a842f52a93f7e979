"""Issue 15, findings 3 and 4: administrators administer, nothing more.

Second-factor secrets are encrypted at rest and never shown; no password is set in the admin (a
reset link is sent); a staff account holds no membership or role and opens no case; every admin
change is audited for the network's data-protection officer and the organisation's leads hear of
membership changes; parents' accounts are not listed; user names carry no case reference.
"""
from __future__ import annotations

import importlib
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from cryptography.fernet import Fernet
from django.apps import apps
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from cases import policy as cases_policy
from notifications.models import Kind, Notification
from cases.models import FamilyMember
from participants import policy as participants_policy
from participants.models import Membership, User
from permissions import mfa
from permissions.models import AuditEvent
from tests.access_offers import account_by_link

pytestmark = pytest.mark.django_db


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


# --- finding 3: second factor and passwords ----------------------------------------------------

def test_a_totp_secret_is_stored_encrypted_and_still_signs_in(world):
    secret = generate_totp_secret()
    totp = TOTP.activate(world.counsellor, secret)
    stored = Authenticator.objects.get(pk=totp.instance.pk).data["secret"]
    assert stored.startswith("fernet:") and secret not in stored
    assert TOTP(Authenticator.objects.get(pk=totp.instance.pk)).validate_code(current_code(secret))


def test_secrets_stored_in_the_clear_before_are_encrypted_by_the_data_migration(world):
    secret = generate_totp_secret()
    factor = Authenticator.objects.create(user=world.counsellor, type=Authenticator.Type.TOTP, data={"secret": secret})
    codes = Authenticator.objects.create(user=world.midwife, type=Authenticator.Type.RECOVERY_CODES,
                                         data={"seed": "abc123", "used_mask": 0})
    migration = importlib.import_module("permissions.migrations.0011_encrypt_mfa_secrets")
    migration.encrypt_secrets(apps, None)
    factor.refresh_from_db()
    codes.refresh_from_db()
    assert mfa.is_encrypted(factor.data["secret"]) and mfa.decrypt(factor.data["secret"]) == secret
    assert mfa.is_encrypted(codes.data["seed"]) and codes.data["used_mask"] == 0
    assert TOTP(factor).validate_code(current_code(secret))


def test_rotating_the_key_re_encrypts_every_secret_under_the_new_one(world, settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.MFA_ENCRYPTION_KEYS = [old_key]
    secret = generate_totp_secret()
    factor = TOTP.activate(world.counsellor, secret).instance
    settings.MFA_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_mfa_keys", stdout=open("/dev/null", "w"))
    settings.MFA_ENCRYPTION_KEYS = [new_key]
    factor.refresh_from_db()
    assert mfa.decrypt(factor.data["secret"]) == secret


def test_the_admin_never_shows_a_second_factor_secret_and_a_reset_is_audited(world, client):
    secret = generate_totp_secret()
    factor = TOTP.activate(world.counsellor, secret).instance
    client.force_login(world.admin)
    page = client.get(reverse("admin:mfa_authenticator_change", args=[factor.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert secret not in body and factor.data["secret"] not in body and "fernet:" not in body
    assert client.get(reverse("admin:mfa_authenticator_add")).status_code == 403
    response = client.post(reverse("admin:mfa_authenticator_delete", args=[factor.pk]), {"post": "yes"})
    assert response.status_code == 302 and not Authenticator.objects.filter(pk=factor.pk).exists()
    event = AuditEvent.objects.get(action="admin.authenticator.delete")
    assert event.detail["network"] == world.network.pk and event.channel == "admin"


def test_the_admin_cannot_set_anyones_password(world, client):
    client.force_login(world.admin)
    assert client.get(reverse("admin:auth_user_password_change", args=[world.convenor.pk])).status_code == 404
    page = client.get(reverse("admin:participants_user_change", args=[world.convenor.pk])).content.decode()
    assert reverse("admin:auth_user_password_change", args=[world.convenor.pk]) not in page
    assert 'name="password' not in page and "pbkdf2" not in page
    before = User.objects.get(pk=world.convenor.pk).password
    client.post(reverse("admin:auth_user_password_change", args=[world.convenor.pk]),
                {"password1": "Neu-Passwort-2026!", "password2": "Neu-Passwort-2026!"})
    assert User.objects.get(pk=world.convenor.pk).password == before


def test_a_new_account_gets_a_link_to_choose_its_password_and_never_one_from_the_admin(
        world, client, django_capture_on_commit_callbacks):
    client.force_login(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:participants_user_add"), {
            "username": "neue.fachkraft", "email": "neu@example.org", "first_name": "Neu", "last_name": "", "preferred_language": "",
        })
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="neue.fachkraft")
    assert not user.has_usable_password()
    message, = mail.outbox
    assert message.to == ["neu@example.org"] and "/accounts/password/reset/key/" in message.body


def test_the_admin_sends_a_reset_link_instead_of_a_password(world, client, django_capture_on_commit_callbacks):
    client.force_login(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:participants_user_changelist"),
                               {"action": "send_password_reset_link", "_selected_action": [world.counsellor.pk]})
    assert response.status_code == 302
    message, = mail.outbox
    assert message.to == [world.counsellor.email]
    assert AuditEvent.objects.filter(action="admin.user.password_link", object_id=str(world.counsellor.pk)).exists()


# --- finding 4: separation of duties, audit, parents --------------------------------------------

def membership_form(world, user, organisation, **extra):
    return {"user": user.pk, "organisation": organisation.pk, "role": "other", "is_active": "on", **extra}


def test_the_admin_cannot_give_himself_a_membership_that_opens_a_case(world, client):
    client.force_login(world.admin)
    response = client.post(reverse("admin:participants_membership_add"), membership_form(world, world.admin, world.midwifery))
    assert response.status_code == 200  # the form again, with the refusal
    assert not Membership.objects.filter(user=world.admin).exists()
    assert client.get(reverse("cases:case_detail", args=[world.case.pk])).status_code == 404


def test_a_staff_account_opens_no_case_even_with_a_membership_slipped_past_the_admin(world, client):
    Membership.objects.create(user=world.admin, organisation=world.midwifery, role="other")
    assert not cases_policy.cases_for_user(world.admin).exists()
    client.force_login(world.admin)
    assert client.get(reverse("cases:case_detail", args=[world.case.pk])).status_code == 404
    assert client.get(f"/api/protocol-items/{world.item_everyone.pk}/").status_code == 404


def test_a_professional_cannot_be_made_staff_while_she_holds_a_membership(world, client):
    client.force_login(world.admin)
    response = client.post(reverse("admin:participants_user_change", args=[world.midwife.pk]), {
        "username": world.midwife.username, "email": world.midwife.email, "first_name": "Midwife", "last_name": "",
        "preferred_language": "", "is_active": "on", "is_staff": "on",
    })
    assert response.status_code == 200
    assert not User.objects.get(pk=world.midwife.pk).is_staff


def test_a_membership_change_is_audited_for_the_dpo_and_the_organisations_lead_is_notified(
        world, client, django_capture_on_commit_callbacks):
    Membership.objects.filter(user=world.outsider).update(is_lead=True)
    client.force_login(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:participants_membership_add"),
                               membership_form(world, world.counsellor, world.early_help))
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.membership.add")
    assert event.actor == world.admin and event.detail["network"] == world.network.pk
    assert participants_policy.audit_events_for_user(world.dpo).filter(pk=event.pk).exists()
    notification = Notification.objects.get(recipient=world.outsider)
    assert notification.kind == Kind.MEMBERSHIP_CHANGED
    client.force_login(world.outsider)
    page = client.get(notification.url).content.decode()
    assert "Counsellor" in page


def test_changes_to_organisations_and_networks_are_audited_for_their_dpo_only(world, client):
    client.force_login(world.admin)
    response = client.post(reverse("admin:participants_organisation_change", args=[world.foreign_org.pk]), {
        "network": world.other_network.pk, "name": "Kommune Anders Nord", "kind": world.foreign_org.kind,
        "municipality": "", "email": "", "is_active": "on",
    })
    assert response.status_code == 302, response.content.decode()[:1500]
    event = AuditEvent.objects.get(action="admin.organisation.change")
    assert event.detail["network"] == world.other_network.pk
    assert not participants_policy.audit_events_for_user(world.dpo).filter(pk=event.pk).exists()


def test_parents_accounts_are_not_listed_in_the_admin(world, client):
    client.force_login(world.admin)
    page = client.get(reverse("admin:participants_user_changelist")).content.decode()
    assert world.parent.email not in page and world.other_parent.username not in page
    assert world.counsellor.username in page
    response = client.get(reverse("admin:participants_user_change", args=[world.parent.pk]))
    assert response.status_code == 302  # "does not exist", back to the index


def test_a_generated_parent_user_name_contains_no_case_reference(world):
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.",
                                         email="vater@example.org")
    user = account_by_link(world.convenor, father)
    assert world.case.reference.lower() not in user.username.lower()
    assert "2026" not in user.username


def test_existing_user_names_with_a_case_reference_are_renamed_by_the_migration(world):
    User.objects.filter(pk=world.parent.pk).update(username=f"m.{world.case.reference.lower()}")
    migration = importlib.import_module("participants.migrations.0005_usernames_without_case_reference")
    # the models as that migration knew them (FamilyMember has lived in ``cases`` since issue 14)
    migration.rename(MigrationLoader(connection).project_state(("participants", "0005_usernames_without_case_reference")).apps, None)
    renamed = User.objects.get(pk=world.parent.pk).username
    assert world.case.reference.lower() not in renamed and renamed.startswith("m.")
