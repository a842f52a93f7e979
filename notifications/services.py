"""Telling people what waits for them: in-app notifications and e-mail.

Every other app announces events through ``notify``; it is called inside the announcing
service's transaction and acts only after that transaction commits, so a rolled-back change
never notifies anyone. Who receives a notification is decided by the access policy twice: when
it is made (a recipient who may not see the case gets nothing) and whenever it is read or
e-mailed (``selectors.visible_notifications``), so that a person who leaves the case team stops
seeing what waits there at once.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from participants.models import User
from permissions import audit

from .messages import COUNTED
from .models import Kind, Notification, NotificationPreference
from .selectors import visible_cases, visible_notifications
from .tasks import send_notification_emails


class NotificationError(ValueError):
    """A notification that cannot be made as asked (a programming error in the caller)."""


def _is_local_path(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//") and "\\" not in url and len(url) <= 300


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    case=None,
    url: str,
    due_on: dt.date | None = None,
    event_key: str = "",
    exclude: User | None = None,
    email: bool = True,
    count: int | None = None,
) -> None:
    """Notify ``recipients`` (users with an account) of an event, after the current transaction
    commits.

    Arguments:
      recipients -- users; duplicates, inactive users and ``exclude`` (usually the acting user)
                    are dropped, and so is everyone who may not see ``case`` under the access
                    policy (``Case.objects.visible_to``, ``cases/policy.py``) when the notification is made.
      kind       -- a ``notifications.models.Kind`` value; it chooses the sentence shown.
      case       -- the ``conferences.Case`` the event belongs to; only its pseudonymous
                    reference is ever shown. Never pass protocol text or action titles anywhere.
      url        -- a local path (``/protocols/7/``) the notification opens.
      due_on     -- an optional date shown in the sentence (deadline, due date, conference day).
      event_key  -- optional; the same (recipient, event_key) is notified only once, e.g.
                    ``"action:17:overdue"`` for the daily overdue check.

      exclude    -- a user who is never notified (the acting user: she knows what she did).
      email      -- False when the announcing app already sends its own e-mail for this event
                    (iMIP invitations and cancellations, poll invitations with a personal link):
                    the notification is then in-app only.
      count      -- for the kinds whose sentence counts (``messages.COUNTED``): how many things the
                    one notice stands for (a number only, never what they are).

    E-mail follows each recipient's preference (immediately — queued as a task after commit —,
    as a daily digest, or never) in the recipient's language, and carries the same sentence
    and link only. People without an account are reached by the announcing app's own letters.
    """
    if kind not in Kind.values:
        raise NotificationError(f"unknown notification kind {kind!r}")
    if not _is_local_path(url):
        raise NotificationError(f"notification link must be a local path, not {url!r}")
    if (kind in COUNTED) != (count is not None) or (count is not None and count < 1):
        raise NotificationError(f"notification kind {kind!r} takes a count of one or more exactly when its sentence counts")
    ids = {u.pk for u in recipients if u is not None and u.pk is not None}
    if exclude is not None:
        ids.discard(exclude.pk)
    if not ids:
        return
    case_id = case.pk if case is not None else None
    transaction.on_commit(lambda: _create(ids, kind=kind, case_id=case_id, url=url, due_on=due_on, event_key=event_key,
                                          email=email, count=count))


def notifications_redate(*, kind: str, url: str, due_on: dt.date | None) -> int:
    """The date in the sentences already shown for one event (``kind`` at ``url``) follows a
    change of that date, e.g. a written report's due date after its conference was moved: an
    overview must not go on naming the old deadline. Called by the service that changed the
    date, which checked who may change it and audited it; returns how many were changed."""
    if kind not in Kind.values:
        raise NotificationError(f"unknown notification kind {kind!r}")
    return Notification.objects.filter(kind=kind, url=url).exclude(due_on=due_on).update(due_on=due_on)


def _may_see(user: User, case_id: int | None) -> bool:
    return case_id is None or visible_cases(user).filter(pk=case_id).exists()


def _create(ids: set[int], *, kind: str, case_id: int | None, url: str, due_on, event_key: str,
            email: bool = True, count: int | None = None) -> list[int]:
    immediate: list[int] = []
    users = User.objects.filter(pk__in=ids, is_active=True).select_related("notification_preference")
    for user in users:
        if not _may_see(user, case_id):
            continue
        preference = preference_of(user)
        skip_mail = not email or preference == NotificationPreference.Email.NEVER or not user.email
        try:
            with transaction.atomic():
                note = Notification.objects.create(
                    recipient=user, kind=kind, case_id=case_id, url=url, due_on=due_on, event_key=event_key, count=count,
                    emailed_at=timezone.now() if skip_mail else None,
                )
        except IntegrityError:  # this event was already announced to her
            continue
        if not skip_mail and preference == NotificationPreference.Email.IMMEDIATELY:
            immediate.append(note.pk)
    if immediate:
        send_notification_emails.enqueue(immediate)
    return immediate


def preference_of(user: User) -> str:
    try:
        return user.notification_preference.email
    except NotificationPreference.DoesNotExist:
        return NotificationPreference.Email.IMMEDIATELY


def notification_open(actor: User, *, notification: Notification) -> Notification:
    """Mark one of the actor's own notifications read (she opened it)."""
    if notification.recipient_id != actor.pk:
        raise Notification.DoesNotExist
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(actor: User) -> int:
    return visible_notifications(actor).filter(read_at__isnull=True).update(read_at=timezone.now())


def preference_set(actor: User, *, email: str) -> NotificationPreference:
    """The actor chooses how she is e-mailed about notifications (her own setting only)."""
    if email not in NotificationPreference.Email.values:
        raise NotificationError(email)
    preference, _created = NotificationPreference.objects.update_or_create(user=actor, defaults={"email": email})
    audit.record(actor, action="notification.preference_set", obj=preference, detail={"email": email})
    return preference
