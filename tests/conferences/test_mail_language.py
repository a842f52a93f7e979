"""A caseworker of a Danish network who chose no language gets the reminders about her case in
Danish (``participants.language``: a professional without a setting, the case's network), as the
invitations to the same conference already were, not in the installation's default language."""
from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from cases.models import Case
from conferences.models import Conference, SlotPoll
from participants.models import Network, User
from tests.conferences.helpers import convene, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def danish(world):
    Network.objects.filter(pk=world.network.pk).update(country="DK", time_zone="Europe/Copenhagen")
    world.network.refresh_from_db()
    world.case.refresh_from_db()
    assert world.convenor.preferred_language == ""
    return world


def _reminders(committed) -> None:
    with committed():
        call_command("send_reminders", stdout=StringIO())


def _to_convenor(world) -> list:
    return [m for m in mail.outbox if m.to == [world.convenor.email]]


def test_her_review_reminder_is_in_danish(danish, committed):
    world = danish
    Conference.objects.filter(pk=world.conference.pk).update(status=Conference.Status.HELD)
    Case.objects.filter(pk=world.case.pk).update(next_review_on=timezone.localdate() + dt.timedelta(days=10))
    _reminders(committed)
    reminder, = _to_convenor(world)
    assert reminder.subject == f"Opfølgning for {world.case.reference} forfalder: intet møde planlagt"


def test_her_poll_deadline_reminder_is_in_danish(danish, committed):
    world = danish
    conference = convene(world, closes_at=local(5))
    SlotPoll.objects.filter(conference=conference).update(closes_at=timezone.now() - dt.timedelta(minutes=5))
    mail.outbox.clear()
    _reminders(committed)
    reminder, = _to_convenor(world)
    assert reminder.subject.startswith("Vælg en dato: afstemningen om")


def test_her_own_setting_still_comes_first(danish, committed):
    world = danish
    User.objects.filter(pk=world.convenor.pk).update(preferred_language="de")
    Conference.objects.filter(pk=world.conference.pk).update(status=Conference.Status.HELD)
    Case.objects.filter(pk=world.case.pk).update(next_review_on=timezone.localdate() + dt.timedelta(days=10))
    _reminders(committed)
    reminder, = _to_convenor(world)
    assert reminder.subject == f"Überprüfung für {world.case.reference} fällig: keine Konferenz geplant"

