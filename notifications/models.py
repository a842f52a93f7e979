"""What waits for a person: in-app notifications and her e-mail preference.

A notification names its case by the case's pseudonymous reference only (read from the case when
it is shown) and never carries protocol text, action titles or names: kind + case + link.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    POLL_OPENED = "poll_opened", _("Date poll opened")
    REPORT_REQUESTED = "report_requested", _("Written report requested")
    INVITED = "invited", _("Invitation")
    CONFERENCE_CHANGED = "conference_changed", _("Conference changed")
    CONFERENCE_CANCELLED = "conference_cancelled", _("Conference cancelled")
    DRAFT_RELEASED = "draft_released", _("Draft minutes released for corrections")
    CORRECTION_PROPOSED = "correction_proposed", _("Correction proposed")
    CORRECTION_DECIDED = "correction_decided", _("Correction decided")
    PROTOCOL_FINALISED = "protocol_finalised", _("Minutes finalised")
    ACTION_ASSIGNED = "action_assigned", _("Action assigned")
    ACTION_ASSIGNED_ORGANISATION = "action_assigned_org", _("Action assigned to your organisation")
    ACTION_OVERDUE = "action_overdue", _("Action overdue")
    CONSENT_ENDING = "consent_ending", _("Consent about to end")
    BASIS_ENDING = "basis_ending", _("Legal basis about to end")
    CONSENT_RECORDED = "consent_recorded", _("Consent recorded in your name")
    MEMBERSHIP_CHANGED = "membership_changed", _("Membership of your organisation changed")
    MAIL_FAILED = "mail_failed", _("E-mail could not be delivered")
    # Offers and referrals (no case: the sentence names no person, only that something waits).
    SUPPORT_REQUEST = "support_request", _("Request to the case manager")
    SUPPORT_REPLY = "support_reply", _("Reply to a request")
    REFERRAL_RECEIVED = "referral_received", _("New referral to an offer")
    REFERRAL_STATUS = "referral_status", _("Referral status changed")
    REFERRAL_UNANSWERED = "referral_unanswered", _("Referral unanswered")
    PLACE_FREED = "place_freed", _("A place became free")
    CONTACT_REQUEST = "contact_request", _("Contact request from the public page")
    TEAM_JOINED_BY_REFERRAL = "team_joined_referral", _("An organisation joined the case team through a referral")
    INTERPRETER_CHANGED = "interpreter_changed", _("Interpreter language of a conference changed")
    INVITATION_ERASED = "invitation_erased", _("Invitation withdrawn after an erasure")
    ACTION_HANDED_OVER = "action_handed_over", _("Action handed over to someone else")
    ACTION_HANDED_OVER_ORGANISATION = "action_handed_over_org", _("Action of your organisation handed over to someone else")
    ACTION_RECEIVED = "action_received", _("Action handed over to you")
    ACTION_RECEIVED_ORGANISATION = "action_received_org", _("Action handed over to your organisation")
    ACTIONS_ERASED = "actions_erased", _("Open actions of a person whose data were erased")


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                                  verbose_name=_("recipient"))
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+", verbose_name=_("case"))
    url = models.CharField(_("link"), max_length=300)
    due_on = models.DateField(_("date"), null=True, blank=True)
    # How many things the one notice stands for (e.g. the open actions left by an erasure), for
    # the kinds whose sentence counts them (``messages.COUNTED``); a number, never what they are.
    count = models.PositiveIntegerField(null=True, blank=True)
    # Identifies the event so that the same event never notifies a person twice (e.g. the daily
    # overdue check), e.g. "action:17:overdue".
    event_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # E-mail: None while waiting (immediately or for the digest); set once sent or skipped.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["emailed_at", "recipient"], name="notification_mail_queue"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "event_key"], condition=~models.Q(event_key=""),
                                    name="notification_once_per_event"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient_id}"


class NotificationPreference(models.Model):
    class Email(models.TextChoices):
        IMMEDIATELY = "immediately", _("Immediately, one e-mail per notification")
        DAILY = "daily", _("Once a day, as a summary")
        NEVER = "never", _("No e-mail, only here in Fallkonferenz")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference",
                                verbose_name=_("user"))
    email = models.CharField(_("e-mail"), max_length=12, choices=Email.choices, default=Email.IMMEDIATELY)
    last_digest_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.email}"
