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


def _text(message) -> str:
    return "\n".join([message.subject, message.body, *(content for content, _mime in getattr(message, "alternatives", []))])


def test_an_overdue_reminder_names_the_case_by_its_pseudonymous_reference_only_never_the_action_title(world):
    # Notification e-mails name the case by its pseudonymous reference and link behind sign-in, never
    # content (ARCHITECTURE: Notification): no action title (it may hold health terms), no family names.
    AgreedAction.objects.filter(pk=world.action_counselling.pk).update(
        title="Substitution mit Methadon prüfen", due_on=timezone.localdate() - dt.timedelta(days=2))
    assert services.action_send_reminder(action_id=world.action_counselling.pk)
    assert mail.outbox
    for message in mail.outbox:
        text = _text(message)
        for secret in ("Methadon", "Substitution", world.mother.display_name, world.expected_child.display_name,
                       world.item_restricted.title, world.protocol.conference.case.lead_organisation.name):
            assert secret not in text, (message.to, secret)
    (message,) = [m for m in mail.outbox if m.to == [world.counsellor.email]]
    assert world.case.reference in message.subject
    assert f"/actions/{world.action_counselling.pk}/" in message.body
