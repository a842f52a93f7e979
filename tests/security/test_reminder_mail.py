"""E-mails travel through servers nobody here controls: an overdue reminder names no case content."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from protocols import services
from protocols.models import AgreedAction

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_an_overdue_reminder_does_not_carry_the_action_title_or_the_case_reference(world):
    AgreedAction.objects.filter(pk=world.action_counselling.pk).update(
        title="Substitution mit Methadon prüfen", due_on=timezone.localdate() - dt.timedelta(days=2))
    assert services.action_send_reminder(action_id=world.action_counselling.pk)
    message = mail.outbox[0]
    for secret in ("Methadon", world.case.reference, world.mother.display_name):
        assert secret not in message.subject and secret not in message.body
    assert f"/actions/{world.action_counselling.pk}/" in message.body
