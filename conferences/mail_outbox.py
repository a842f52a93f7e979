"""The convenor's view of her conference's outgoing e-mail: who is told when a message failed
for good. (The outbox itself knows no conference; it sends ``mail_failed`` after commit.)"""
from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from notifications.models import Kind
from notifications.services import notify
from outbox.signals import mail_failed

from conferences.models import Conference


def tell_convenor_of_failed_mail(sender, *, message, **kwargs) -> None:
    """A message about a conference could not be delivered: the convenor gets a notification
    (case reference only) that opens the conference's outbox page — one a day per conference,
    however many messages failed."""
    if message.conference_id is None:
        return
    conference = Conference.objects.select_related("case", "convenor").filter(pk=message.conference_id).first()
    if conference is None:
        return
    notify(recipients=[conference.convenor], kind=Kind.MAIL_FAILED, case=conference.case,
           url=reverse("conferences:conference_outbox", args=[conference.pk]),
           event_key=f"conference:{conference.pk}:mail_failed:{timezone.localdate().isoformat()}")


def connect() -> None:
    """Called from ``ConferencesConfig.ready``."""
    mail_failed.connect(tell_convenor_of_failed_mail, dispatch_uid="conferences.mail_failed")
