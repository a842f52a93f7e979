"""Reminders: queued once by send_reminders, sent by the task."""
from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from cases.models import Case
from conferences.models import Conference, ReminderLog

pytestmark = pytest.mark.django_db


def run(committed):
    out = StringIO()
    with committed():
        call_command("send_reminders", stdout=out)
    return out.getvalue()


def test_invitees_are_reminded_once_in_the_configured_days_before(world, committed):
    start = timezone.now() + dt.timedelta(days=1, hours=3)
    Conference.objects.filter(pk=world.conference.pk).update(starts_at=start, ends_at=start + dt.timedelta(hours=1))
    assert "Queued 1 conference reminder" in run(committed)
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([world.convenor.email, world.counsellor.email, world.midwife.email, "parent@example.org"])
    assert all(world.case.reference in m.subject for m in mail.outbox)
    mail.outbox.clear()
    assert "Queued 0 conference reminder" in run(committed)
    assert mail.outbox == []


def test_a_conference_further_away_is_not_reminded_yet(world, committed):
    run(committed)  # the world's conference starts in 7 days, reminder 2 days before
    assert not ReminderLog.objects.exists() and mail.outbox == []


def test_the_convenor_is_reminded_of_an_approaching_review_without_a_conference(world, committed):
    Conference.objects.filter(pk=world.conference.pk).update(status=Conference.Status.HELD)
    Case.objects.filter(pk=world.case.pk).update(next_review_on=timezone.localdate() + dt.timedelta(days=10))
    assert "1 review reminder" in run(committed)
    assert [m.to for m in mail.outbox] == [[world.convenor.email]]
    assert "no conference" in mail.outbox[0].subject
    mail.outbox.clear()
    assert "0 review reminder" in run(committed)


def test_no_review_reminder_while_a_conference_is_scheduled(world, committed):
    Case.objects.filter(pk=world.case.pk).update(next_review_on=timezone.localdate() + dt.timedelta(days=10))
    assert "0 review reminder" in run(committed)
