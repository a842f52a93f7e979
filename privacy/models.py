"""Data-subject requests (GDPR Art. 15–18, 21) and restrictions of processing (Art. 18).

A request is recorded by the network's data-protection officer, or by a caseworker on her
recorded instruction, for one family member of a case, with or without an account of her own.
A restriction marks a family member's data so that the access policy refuses normal reads of it
(``protocols.policy``: items she entrusted and the actions in them; ``cases.policy``: her consents); a read for the restricting reason
goes through ``privacy.services.restricted_read`` and is audited with its reason.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DataSubjectRequest(models.Model):
    class Kind(models.TextChoices):
        ACCESS = "access", _("Access (Art. 15)")
        RECTIFICATION = "rectification", _("Rectification (Art. 16)")
        ERASURE = "erasure", _("Erasure (Art. 17)")
        RESTRICTION = "restriction", _("Restriction of processing (Art. 18)")
        OBJECTION = "objection", _("Objection (Art. 21)")

    class IdentityCheck(models.TextChoices):
        ACCOUNT = "account", _("Asked from her own signed-in account")
        DOCUMENT = "document", _("Identity document seen in person")
        KNOWN = "known", _("Known in person to the case team")
        CALLBACK = "callback", _("Answer sent to the address on file")

    class Outcome(models.TextChoices):
        GRANTED = "granted", _("Granted")
        PARTLY = "partly", _("Partly granted")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+", verbose_name=_("case"))
    family_member = models.ForeignKey("cases.FamilyMember", on_delete=models.PROTECT,
                                      related_name="data_subject_requests", verbose_name=_("person"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    received_on = models.DateField(_("received on"))
    identity_check = models.CharField(_("identity check"), max_length=12, choices=IdentityCheck.choices)
    identity_note = models.CharField(_("note on the identity check"), max_length=300, blank=True)
    description = models.TextField(_("what she asks for"), max_length=4000, blank=True)
    due_on = models.DateField(_("due on"))
    extended_due_on = models.DateField(_("extended to"), null=True, blank=True)
    extension_reason = models.TextField(_("reason for the extension"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    # The caseworker who handles the request on the officer's instruction (she sees it too), and
    # the officer who gave that instruction.
    caseworker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("caseworker on the instruction"))
    instructed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name=_("on the instruction of"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(_("note on the outcome"), max_length=4000, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("closed by"))

    class Meta:
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["closed_at", "due_on"], name="dsr_open_due")]

    def __str__(self) -> str:
        return f"{self.case} – {self.get_kind_display()}"

    @property
    def deadline(self):
        return self.extended_due_on or self.due_on

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class ProcessingRestriction(models.Model):
    """Art. 18: while in force, the family member's data is only stored, and read only for the
    restricting reason (``grounds``) with a reason recorded on each read's audit event."""

    family_member = models.ForeignKey("cases.FamilyMember", on_delete=models.PROTECT,
                                      related_name="processing_restrictions", verbose_name=_("person"))
    request = models.ForeignKey(DataSubjectRequest, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="restrictions", verbose_name=_("request"))
    grounds = models.TextField(_("restricted for"), max_length=2000)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("set by"))
    set_at = models.DateTimeField(_("set at"), default=timezone.now)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("lifted by"))

    class Meta:
        verbose_name = _("restriction of processing")
        verbose_name_plural = _("restrictions of processing")
        indexes = [models.Index(fields=["family_member", "lifted_at"], name="restriction_member_lifted")]

    def __str__(self) -> str:
        return f"{self.family_member} – {self.set_at:%Y-%m-%d}"

    @property
    def in_force(self) -> bool:
        return self.lifted_at is None
