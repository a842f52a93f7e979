"""The admin's membership changes reach the organisation's leads through an event after commit
(``permissions.events.memberships_changed_on_commit``, subscribed by
``notifications.membership_changes``): the leads named at the time of the change, or without a
lead a letter to the organisation's contact address; nothing for a rolled-back change."""
from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from notifications.models import Kind, Notification
from participants import admin_services
from participants.models import Membership

pytestmark = pytest.mark.django_db


def test_a_lead_whose_own_membership_is_deleted_hears_of_it(world, client, django_capture_on_commit_callbacks):
    membership = Membership.objects.get(user=world.outsider, organisation=world.early_help)
    Membership.objects.filter(pk=membership.pk).update(is_lead=True)
    client.force_login(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:participants_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert Notification.objects.get(recipient=world.outsider).kind == Kind.MEMBERSHIP_CHANGED


def test_an_organisation_without_a_lead_gets_a_letter_naming_no_one(world, client, django_capture_on_commit_callbacks):
    Membership.objects.filter(organisation=world.early_help).update(is_lead=False)
    world.early_help.email = "kontakt@fruehe-hilfen.example"
    world.early_help.save(update_fields=["email"])
    client.force_login(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:participants_membership_add"), {
            "user": world.counsellor.pk, "organisation": world.early_help.pk, "role": "other", "is_active": "on"})
    assert response.status_code == 302
    assert not Notification.objects.filter(kind=Kind.MEMBERSHIP_CHANGED).exists()
    letter, = [m for m in mail.outbox if m.to == ["kontakt@fruehe-hilfen.example"]]
    assert "Fallkonferenz" in letter.body
    assert world.counsellor.email not in letter.body and world.counsellor.first_name not in letter.body


def test_nothing_is_announced_for_a_rolled_back_change(world, django_capture_on_commit_callbacks):
    membership = Membership.objects.get(user=world.outsider, organisation=world.early_help)
    Membership.objects.filter(pk=membership.pk).update(is_lead=True)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                admin_services.admin_change_record(world.admin, obj=membership, verb="change", message="role")
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert callbacks == []
    assert not Notification.objects.filter(kind=Kind.MEMBERSHIP_CHANGED).exists()


def test_the_letter_to_an_organisation_of_a_danish_network_is_in_danish(world, client, django_capture_on_commit_callbacks):
    """An organisation's address is no person's: the language of its network
    (``participants.language``), whatever language the admin works in."""
    Membership.objects.filter(organisation=world.foreign_org).update(is_lead=False)
    world.foreign_org.email = "kontakt@kommune-anders.example"
    world.foreign_org.save(update_fields=["email"])
    client.force_login(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:participants_membership_add"), {
            "user": world.outsider.pk, "organisation": world.foreign_org.pk, "role": "other", "is_active": "on"},
            HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 302
    letter, = [m for m in mail.outbox if m.to == ["kontakt@kommune-anders.example"]]
    assert letter.subject == "Medlemskaberne af din organisation er blevet ændret"
