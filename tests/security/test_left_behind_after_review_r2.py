"""Review r2 (2026-12-06) of "who may read after leaving": a membership moved to another
organisation in the admin ended nothing; a closed case still offered its minute-takers to go on
writing; an overdue reminder reached someone who may no longer see the action."""
from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from access import grant_services
from cases import consent_services
from cases.models import Case, CaseTeamMember
from notifications.models import Notification
from participants.models import Membership, User
from protocols import policy as protocols_policy
from protocols import selectors
from protocols import services as protocol_services
from protocols.models import AgreedAction

pytestmark = pytest.mark.django_db


def admin_client(world) -> Client:
    admin = User.objects.create_superuser("r2admin", "r2admin@example.org", "x" * 20)
    client = Client()
    client.force_login(admin)
    return client


def test_the_admin_cannot_move_a_membership_to_another_organisation(world):
    """A move would leave her team rows for the old organisation active (and change them in one
    save with deactivation: the rows of the new one were looked for). It is an end and a new
    membership instead: the organisation of a saved membership is not changed by the form."""
    membership = Membership.objects.get(user=world.counsellor, organisation=world.counselling)
    response = admin_client(world).post(reverse("admin:participants_membership_change", args=[membership.pk]), {
        "user": world.counsellor.pk, "organisation": world.early_help.pk, "role": membership.role})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.organisation_id == world.counselling.pk and not membership.is_active
    row = CaseTeamMember.objects.get(case=world.case, user=world.counsellor, organisation=world.counselling)
    assert row.removed_at is not None


def test_a_closed_case_offers_its_delegated_minute_taker_no_more_writing(world):
    grant_services.minute_taker_delegate(world.convenor, protocol=world.protocol, delegate=world.lead_colleague)
    Case.objects.filter(pk=world.case.pk).update(status=Case.Status.CLOSED, closed_on=timezone.localdate())
    world.case.refresh_from_db()
    world.conference.refresh_from_db()
    assert not protocol_services.can_write_items(world.lead_colleague, world.protocol)
    steps = selectors.protocol_steps(world.lead_colleague, [world.conference])
    assert all(step.step != "continue" for step in steps)


def test_no_reminder_of_an_action_she_may_no_longer_see(world, django_capture_on_commit_callbacks):
    action = AgreedAction.objects.create(case=world.case, item=world.item_restricted, title="Begleitung",
                                         description="vertraulich", responsible_organisation=world.counselling,
                                         responsible_user=world.counsellor,
                                         due_on=timezone.localdate() - dt.timedelta(days=1))
    consent_services.consent_revoke(world.convenor, consent=world.consent)
    assert not protocols_policy.actions_for_user(world.counsellor).filter(pk=action.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        protocol_services.action_send_reminder(action_id=action.pk)
    assert not Notification.objects.filter(recipient=world.counsellor).exists()
