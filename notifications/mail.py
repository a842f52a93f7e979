"""E-mail about notifications: one per notification, or a daily digest, in the reader's language.

An e-mail carries the notification's sentence (case reference, a date) and its link, nothing else.
Before anything is sent, the policy is asked again (``visible_notifications``). E-mails go to the
outbox (sent with retries) in the same transaction that marks the notifications e-mailed, so each
notification is e-mailed once even when a task runs twice.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from outbox.models import Kind as MailKind
from outbox.services import mail_queue
from participants import language
from participants.models import User
from permissions import audit

from .messages import text_of
from .models import Notification, NotificationPreference
from .selectors import visible_notifications


def _absolute(url: str) -> str:
    return f"{settings.SITE_URL}{url}"


def _case_of(notifications: list[Notification]):
    """The case an e-mail is about, for its language: its notification's; a digest about
    several cases, that of its first notification about a case."""
    for note in notifications:
        if note.case_id:
            return note.case
    return None


def build_email(user: User, notifications: list[Notification], *, digest: bool) -> EmailMultiAlternatives | None:
    """One e-mail to ``user`` listing ``notifications`` (already filtered), in her language
    (``participants.language.for_user``: her own choice; a parent's record in the case it is about)."""
    if not user.email or not notifications or "\n" in user.email or "\r" in user.email:
        return None
    case = _case_of(notifications)
    with translation.override(language.for_user(user, network=case.network if case else None,
                                                case_id=case.pk if case else None)):
        lines = [{"text": text_of(n), "link": _absolute(n.url)} for n in notifications]
        if digest:
            subject = _("Fallkonferenz: %(count)s new notifications") % {"count": len(lines)}
        else:
            subject = _("Fallkonferenz: %(text)s") % {"text": lines[0]["text"]}
        body = render_to_string("notifications/email/notification.txt", {
            "lines": lines, "digest": digest,
            "list_link": _absolute(reverse("notifications:list")),
            "settings_link": _absolute(reverse("notifications:settings")),
        })
    return EmailMultiAlternatives(subject=subject.replace("\n", " ")[:200], body=body,
                                  from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email])


def _mail_key(user: User, notifications: list[Notification]) -> str:
    ids = ",".join(str(n.pk) for n in sorted(notifications, key=lambda n: n.pk))
    return f"notification:{user.pk}:{hashlib.sha256(ids.encode()).hexdigest()[:32]}"


@transaction.atomic
def _send(user: User, notifications: list[Notification], *, digest: bool) -> bool:
    message = build_email(user, notifications, digest=digest)
    now = timezone.now()
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(emailed_at=now)
    if message is None:
        return False
    case_ids = {n.case_id for n in notifications if n.case_id}
    mail_queue(message, key=_mail_key(user, notifications), kind=MailKind.NOTIFICATION,
               case_id=next(iter(case_ids)) if len(case_ids) == 1 else None)
    for case_id in sorted({n.case_id for n in notifications if n.case_id}):
        audit.record("task", action="notification.mail_sent", object_type="notifications.notification",
                     object_id=user.pk, case_id=case_id, channel=audit.Channel.EMAIL,
                     detail={"kinds": sorted({n.kind for n in notifications if n.case_id == case_id}), "digest": digest})
    return True


def notification_emails_send(*, notification_ids: list[int]) -> int:
    """Send the immediate e-mails of these notifications (those still unsent and still visible
    to their recipient). Returns the number of e-mails sent."""
    pending = (Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True)
               .select_related("recipient", "case__network"))
    sent = 0
    for note in pending:
        with transaction.atomic():
            # Taken by this run (a run of the same task after a crash finds it e-mailed).
            if not Notification.objects.select_for_update().filter(pk=note.pk, emailed_at__isnull=True).exists():
                continue
            visible = visible_notifications(note.recipient).filter(pk=note.pk).exists()
            if not visible:
                Notification.objects.filter(pk=note.pk).update(emailed_at=timezone.now())
                continue
            sent += _send(note.recipient, [note], digest=False)
    return sent


def digest_send(*, now: dt.datetime | None = None) -> int:
    """Send each digest reader one e-mail with everything that waits for her and was not
    e-mailed yet (re-checked against the policy now). Run daily (``send_notification_digest``)."""
    now = now or timezone.now()
    users = User.objects.filter(
        is_active=True, notification_preference__email=NotificationPreference.Email.DAILY,
        notifications__emailed_at__isnull=True,
    ).distinct()
    sent = 0
    for user in users:
        with transaction.atomic():
            notes = list(visible_notifications(user).filter(emailed_at__isnull=True, read_at__isnull=True)
                         .select_related("case__network").order_by("created_at", "pk"))
            # Invisible or already read ones need no e-mail any more.
            Notification.objects.filter(recipient=user, emailed_at__isnull=True).exclude(
                pk__in=[n.pk for n in notes]).update(emailed_at=now)
            if notes:
                sent += _send(user, notes, digest=True)
            NotificationPreference.objects.filter(user=user).update(last_digest_at=now)
    return sent


