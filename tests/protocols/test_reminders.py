"""Overdue actions trigger a reminder to the responsible person, once a week."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from protocols.models import AgreedAction

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def make_overdue(action):
    AgreedAction.objects.filter(pk=action.pk).update(due_on=timezone.localdate() - dt.timedelta(days=2))


def test_the_command_reminds_the_responsible_person_of_an_overdue_action_once(world):
    make_overdue(world.action_counselling)
    out = io.StringIO()
    call_command("send_action_reminders", stdout=out)
    assert "Queued 1" in out.getvalue()
    assert [m.to for m in mail.outbox] == [[world.counsellor.email]]
    # Named by the case's pseudonymous reference only, never by the action's title.
    assert world.action_counselling.title not in mail.outbox[0].body + mail.outbox[0].subject
    assert world.case.reference in mail.outbox[0].body
    call_command("send_action_reminders", stdout=io.StringIO())
    assert len(mail.outbox) == 1
    assert AgreedAction.objects.get(pk=world.action_counselling.pk).last_reminded_on == timezone.localdate()


def test_a_parent_is_reminded_at_her_address_and_done_actions_are_left_alone(world):
    make_overdue(world.action_parent)
    make_overdue(world.action_counselling)
    AgreedAction.objects.filter(pk=world.action_counselling.pk).update(status="done", completed_on=timezone.localdate())
    call_command("send_action_reminders", stdout=io.StringIO())
    assert [m.to for m in mail.outbox] == [[world.parent.email]]
