"""Queue and deliver outgoing e-mail.

``mail_queue`` stores a message as a pending row in the caller's transaction and hands it to the
task worker after commit. ``mail_deliver`` sends one row while holding its row lock, and marks it
sent in the same transaction: two workers never send the same row, a row whose attempt failed
waits with exponential back-off, and after ``OUTBOX_MAX_ATTEMPTS`` it is marked failed and
``signals.mail_failed`` tells the upper apps (and the audit trail gets ``mail.failed``). A worker killed before the mail server accepted the
message leaves the row pending (the lock and the transaction end with its connection), so the
next attempt sends it once.
"""
from __future__ import annotations

import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from permissions import audit, jobs

from .mail import StoredMessage, serialise
from .models import OutboxMessage
from .signals import mail_failed

logger = logging.getLogger("fallkonferenz.outbox")


def queued_under(key_prefix: str) -> bool:
    """Some message whose key starts with ``key_prefix`` was queued (e.g. by one task run)."""
    return OutboxMessage.objects.filter(key__startswith=key_prefix).exists()


def mail_queue(message: EmailMessage, *, key: str, kind: str, case_id: int | None = None,
               conference_id: int | None = None) -> OutboxMessage | None:
    """Store ``message`` for sending after the current transaction commits. ``key`` names the
    logical message: a second call with the same key (a task run again) queues nothing and
    returns None."""
    recipients = message.recipients()
    if not recipients:
        return None
    row, created = OutboxMessage.objects.get_or_create(key=key[:200], defaults={
        "kind": kind, "case_id": case_id, "conference_id": conference_id, "recipient": ", ".join(recipients)[:254],
        "from_email": message.from_email or settings.DEFAULT_FROM_EMAIL, "recipients": recipients,
        "raw": serialise(message), "next_attempt_at": timezone.now(),
    })
    if not created:
        return None
    transaction.on_commit(lambda: _hand_to_worker(row.pk))
    return row


def _hand_to_worker(message_id: int, run_after: dt.datetime | None = None) -> None:
    task = jobs.get("outbox.tasks.deliver_mail")
    if run_after is not None:
        if not task.get_backend().supports_defer:
            return  # no deferred tasks (in-process backend): manage.py send_outbox retries it
        task = task.using(run_after=run_after)
    task.enqueue(message_id)


def retry_delay(attempts: int) -> dt.timedelta:
    """1×, 2×, 4× … the base delay after the 1st, 2nd, 3rd … failed attempt, capped at a day."""
    seconds = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, 86400))


def transport():
    """The connection that really sends (``OUTBOX_TRANSPORT_BACKEND``: SMTP in production).
    ``EMAIL_BACKEND`` is the outbox itself; sending through it would only queue the message again."""
    backend = settings.OUTBOX_TRANSPORT_BACKEND
    if backend == "outbox.backends.OutboxEmailBackend":
        raise ImproperlyConfigured("OUTBOX_TRANSPORT_BACKEND must be a real mail transport, not the outbox")
    return get_connection(backend, fail_silently=False)


def _reason(exc: BaseException) -> str:
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({answer[0] for answer in exc.recipients.values()})
        return f"SMTPRecipientsRefused {','.join(map(str, codes))}"
    return f"{type(exc).__name__}{f' {code}' if code else ''}"[:200]


def _permanent(exc: BaseException) -> bool:
    """The server refused for good (5xx): another attempt would be refused again."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(answer[0] >= 500 for answer in exc.recipients.values())
    code = getattr(exc, "smtp_code", None)
    return isinstance(exc, smtplib.SMTPResponseException) and code is not None and code >= 500


def mail_deliver(*, message_id: int, now: dt.datetime | None = None) -> str:
    """Send one queued message if it is pending and due. Returns what happened: "sent",
    "retry", "failed", or "skipped" (already sent or failed, not due, or being sent by another
    worker right now)."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (OutboxMessage.objects.select_for_update(skip_locked=True)
               .filter(pk=message_id, status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now).first())
        if row is None:
            return "skipped"
        message = StoredMessage(bytes(row.raw), from_email=row.from_email, recipients=row.recipients)
        row.attempts += 1
        try:
            transport().send_messages([message])
        except (smtplib.SMTPException, OSError) as exc:
            return _attempt_failed(row, exc, now=now)
        row.status = OutboxMessage.Status.SENT
        row.sent_at = timezone.now()
        row.raw = b""
        row.last_error = ""
        row.save(update_fields=["status", "sent_at", "raw", "last_error", "attempts"])
        return "sent"


def _attempt_failed(row: OutboxMessage, exc: BaseException, *, now: dt.datetime) -> str:
    row.last_error = _reason(exc)
    if row.attempts >= settings.OUTBOX_MAX_ATTEMPTS or _permanent(exc):
        row.status = OutboxMessage.Status.FAILED
        row.raw = b""  # never sent again: no copy of the text (a reset link, a case detail) is kept
        row.save(update_fields=["status", "attempts", "last_error", "raw"])
        logger.error("outbox: message %s (%s) failed for good after %s attempts (%s)", row.pk, row.kind, row.attempts,
                     row.last_error)
        # No address, subject or text: which message, what kind, why.
        audit.record("task", action="mail.failed", obj=row, case_id=row.case_id, channel=audit.Channel.TASK,
                     detail={"kind": row.kind, "attempts": row.attempts, "reason": row.last_error,
                             "conference": row.conference_id})
        transaction.on_commit(lambda: mail_failed.send(sender=OutboxMessage, message=row))
        return "failed"
    row.next_attempt_at = now + retry_delay(row.attempts)
    row.save(update_fields=["attempts", "last_error", "next_attempt_at"])
    logger.warning("outbox: message %s not sent (%s), attempt %s, next at %s", row.pk, row.last_error,
                   row.attempts, row.next_attempt_at.isoformat())
    next_at = row.next_attempt_at
    transaction.on_commit(lambda: _hand_to_worker(row.pk, run_after=next_at))
    return "retry"


def mail_flush(*, now: dt.datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Deliver every pending message that is due (``manage.py send_outbox``, every minute: the
    retries of the in-process backend, and a safety net for a hand-over to the worker that was
    lost). Stops at the first message that finds the mail server unreachable."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    due = (OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
           .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    for message_id in list(due):
        outcome = mail_deliver(message_id=message_id, now=now)
        counts[outcome] = counts.get(outcome, 0) + 1
        if outcome == "retry":
            break
    return counts


def mail_purge(*, now: dt.datetime | None = None) -> int:
    """Forget sent and failed messages after ``OUTBOX_KEEP_DAYS`` (their addresses are personal
    data and of no use later)."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.OUTBOX_KEEP_DAYS)
    deleted, _ = (OutboxMessage.objects.exclude(status=OutboxMessage.Status.PENDING)
                  .filter(created_at__lt=cutoff).delete())
    return deleted
