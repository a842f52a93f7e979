"""Every outgoing e-mail of the scheduling journey and of notifications waits here until the mail
server took it: pending → sent, or failed after the last attempt.

The outbox sits below the domain apps (it names the case and the conference as strings in
foreign keys and imports no domain model), so every app may queue mail through it.
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    INVITATION = "invitation", _("Invitation with calendar entry")
    CANCELLATION = "cancellation", _("Cancellation")
    POLL_INVITATION = "poll_invitation", _("Invitation to the date poll")
    REMINDER = "reminder", _("Reminder of the conference")
    REVIEW_REMINDER = "review_reminder", _("Reminder of the review date")
    POLL_DEADLINE = "poll_deadline", _("Reminder: poll deadline passed")
    NOTIFICATION = "notification", _("Notification")
    # Everything else sent through Django's mail API (outbox.backends.OutboxEmailBackend): board
    # invitations, account mails (password reset, address confirmation), the admin's letters.
    MAIL = "mail", _("E-mail")


class OutboxMessage(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Could not be sent")

    # Names the one logical message (e.g. the task run and the invitation it was for): queuing the
    # same key again does nothing, so a task that runs twice queues its mail once.
    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    conference = models.ForeignKey("conferences.Conference", on_delete=models.CASCADE, null=True, blank=True,
                                   related_name="+")
    recipient = models.CharField(_("recipient"), max_length=254)
    from_email = models.CharField(max_length=254)
    recipients = models.JSONField(default=list)
    # The whole MIME message as it was made (Date and Message-ID included, so every attempt sends
    # the same message); emptied once the mail server took it or the last attempt failed.
    raw = models.BinaryField(default=b"")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    # Why the last attempt failed: exception class and SMTP code only, never the message.
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("queued"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["conference", "status"], name="outbox_conference"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"
