"""Issue 15, finding 4: every admin change is an AuditEvent the data-protection officer sees –
users, memberships, organisations, networks, roles, and also Django's groups and their
permissions (what staff accounts may do), e-mail addresses (where reset links go) and staff
accounts, which belong to no network: installation-wide changes are shown to every DPO."""
from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory
from django.urls import reverse

from participants import policy as participants_policy
from participants.admin import AuditedAdminMixin
from participants.models import NetworkRole, User
from permissions.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_dpo(world):
    dpo = User.objects.create(username="dpo2", email="dpo2@example.org")
    NetworkRole.objects.create(user=dpo, network=world.other_network, role=NetworkRole.Role.DATA_PROTECTION_OFFICER)
    return dpo


def seen_by_every_dpo(world, other_dpo, event) -> bool:
    return all(participants_policy.audit_events_for_user(dpo).filter(pk=event.pk).exists() for dpo in (world.dpo, other_dpo))


def perm(codename: str) -> Permission:
    return Permission.objects.get(codename=codename)


def test_creating_a_group_with_permissions_is_audited_for_every_dpo(world, client, other_dpo):
    client.force_login(world.admin)
    response = client.post(reverse("admin:auth_group_add"), {
        "name": "Helpdesk", "permissions": [perm("change_user").pk, perm("view_membership").pk]})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.group.add")
    assert event.actor == world.admin and event.channel == "admin"
    assert event.detail["permissions_added"] == ["participants.change_user", "participants.view_membership"]
    assert event.detail["network"] == "all"
    assert seen_by_every_dpo(world, other_dpo, event)
    assert not participants_policy.audit_events_for_user(world.counsellor).filter(pk=event.pk).exists()


def test_changing_and_deleting_a_groups_permissions_is_audited(world, client, other_dpo):
    group = Group.objects.create(name="Helpdesk")
    group.permissions.set([perm("view_membership")])
    world.counsellor.groups.add(group)
    client.force_login(world.admin)
    response = client.post(reverse("admin:auth_group_change", args=[group.pk]), {
        "name": "Helpdesk", "permissions": [perm("change_membership").pk]})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.group.change")
    assert event.detail["permissions_added"] == ["participants.change_membership"]
    assert event.detail["permissions_removed"] == ["participants.view_membership"]
    assert event.detail["members"] == [world.counsellor.pk]
    assert seen_by_every_dpo(world, other_dpo, event)
    response = client.post(reverse("admin:auth_group_delete", args=[group.pk]), {"post": "yes"})
    assert response.status_code == 302 and not Group.objects.exists()
    assert seen_by_every_dpo(world, other_dpo, AuditEvent.objects.get(action="admin.group.delete"))


def test_making_an_account_superuser_is_audited_for_every_dpo(world, client, other_dpo):
    staff = User.objects.create(username="technik", email="technik@example.org")
    client.force_login(world.admin)
    response = client.post(reverse("admin:participants_user_change", args=[staff.pk]), {
        "username": "technik", "email": "technik@example.org", "first_name": "", "last_name": "",
        "preferred_language": "de", "is_active": "on", "is_staff": "on", "is_superuser": "on"})
    assert response.status_code == 302, response.content.decode()[:800]
    event = AuditEvent.objects.get(action="admin.user.change")
    assert event.detail["superuser"] is True and event.detail["staff"] is True
    assert seen_by_every_dpo(world, other_dpo, event)


def test_changing_an_accounts_e_mail_address_is_audited_for_her_networks_dpo(world, client, other_dpo):
    address = EmailAddress.objects.create(user=world.counsellor, email="counsellor@example.org", primary=True, verified=True)
    client.force_login(world.admin)
    response = client.post(reverse("admin:account_emailaddress_change", args=[address.pk]), {
        "user": world.counsellor.pk, "email": "attacker@example.org", "primary": "on", "verified": "on"})
    assert response.status_code == 302, response.content.decode()[:800]
    event = AuditEvent.objects.get(action="admin.emailaddress.change")
    assert event.detail["network"] == world.network.pk
    assert participants_policy.audit_events_for_user(world.dpo).filter(pk=event.pk).exists()
    assert not participants_policy.audit_events_for_user(other_dpo).filter(pk=event.pk).exists()


def test_marking_an_address_verified_through_the_admin_action_is_audited(world, client):
    address = EmailAddress.objects.create(user=world.counsellor, email="neu@example.org", primary=False, verified=False)
    client.force_login(world.admin)
    response = client.post(reverse("admin:account_emailaddress_changelist"),
                           {"action": "make_verified", "_selected_action": [address.pk]})
    assert response.status_code == 302
    address.refresh_from_db()
    assert address.verified
    assert AuditEvent.objects.filter(action="admin.emailaddress.change", object_id=str(address.pk)).exists()


def test_parents_e_mail_addresses_are_not_listed_in_the_admin(world, client):
    EmailAddress.objects.create(user=world.parent, email=world.parent.email, primary=True, verified=True)
    client.force_login(world.admin)
    page = client.get(reverse("admin:account_emailaddress_changelist")).content.decode()
    assert world.parent.email not in page


def test_every_admin_either_audits_its_changes_or_changes_nothing(world):
    """A model registered in the admin later cannot slip past the audit trail unnoticed."""
    request = RequestFactory().get("/admin/")
    request.user = world.admin
    unaudited = [
        model._meta.label for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, AuditedAdminMixin)
        and (model_admin.has_add_permission(request) or model_admin.has_change_permission(request)
             or model_admin.has_delete_permission(request))
    ]
    assert unaudited == []


def test_the_old_address_hears_when_an_admin_changes_an_accounts_e_mail(world, client, django_capture_on_commit_callbacks):
    """Changing the address, then sending a reset link, would hand the account over unnoticed."""
    from django.core import mail

    client.force_login(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:participants_user_change", args=[world.counsellor.pk]), {
            "username": world.counsellor.username, "email": "attacker@example.org", "first_name": "Counsellor",
            "last_name": "", "preferred_language": "de", "is_active": "on"})
    assert response.status_code == 302, response.content.decode()[:800]
    [notice] = mail.outbox
    assert notice.to == ["counsellor@example.org"] and "attacker@example.org" not in notice.body
    assert AuditEvent.objects.filter(action="admin.user.change", object_id=str(world.counsellor.pk)).exists()
    address = EmailAddress.objects.create(user=world.midwife, email="midwife@example.org", primary=True, verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:account_emailaddress_change", args=[address.pk]), {
            "user": world.midwife.pk, "email": "attacker2@example.org", "primary": "on", "verified": "on"})
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["midwife@example.org"]
