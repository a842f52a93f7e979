"""Protocols, items, amendments, corrections, acknowledgements and agreed actions with their notes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, FamilyMember, InformationCategory
from conferences.models import Conference
from participants.models import Organisation
from permissions.querysets import VisibleToManager


class Protocol(models.Model):
    objects = VisibleToManager()

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RELEASED = "released", _("Draft released for corrections")
        FINAL = "final", _("Final")

    conference = models.OneToOneField(Conference, on_delete=models.PROTECT, related_name="protocol", verbose_name=_("conference"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    minute_taker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("minute-taker"))
    parent_summary = models.TextField(_("summary for the parents"), blank=True)
    next_review_on = models.DateField(_("next review"), null=True, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    corrections_until = models.DateField(_("corrections until"), null=True, blank=True)
    finalised_at = models.DateTimeField(_("finalised at"), null=True, blank=True)
    finalised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("protocol")
        verbose_name_plural = _("protocols")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="final") | Q(finalised_at__isnull=False),
                name="protocol_final_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Protocol')} {self.conference}"

    @property
    def is_final(self) -> bool:
        return self.status == self.Status.FINAL


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("Everyone, including the parents")
    PROFESSIONALS = "professionals", _("Professionals on the case team")
    RESTRICTED = "restricted", _("Restricted to named organisations")


class ProtocolItem(models.Model):
    objects = VisibleToManager()

    class Kind(models.TextChoices):
        CARRY_OVER = "carry_over", _("Review of an earlier action")
        GUIDELINE = "guideline", _("Standard item")
        FREE = "free", _("Item")

    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="items", verbose_name=_("protocol"))
    position = models.PositiveIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.FREE)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), blank=True)
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices, default=Audience.PROFESSIONALS)
    restricted_to = models.ManyToManyField(Organisation, blank=True, related_name="restricted_items", verbose_name=_("restricted to"))
    holding_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="held_items", verbose_name=_("organisation holding the information")
    )
    entrusted_by = models.ForeignKey(
        FamilyMember, on_delete=models.PROTECT, null=True, blank=True, related_name="entrusted_items", verbose_name=_("entrusted by")
    )
    category = models.CharField(_("information category"), max_length=32, choices=InformationCategory.choices, blank=True)
    # The labels the item carried before its first relabel (another holder, entrusting person or
    # category), empty while it was never relabelled. A relabel never frees the information from
    # the consent it was entrusted under: an organisation named later reads it only where a consent
    # or legal basis covers it under these labels too (``protocols.policy``), or the holder could
    # restrict it to herself, relabel it where nobody new reads it, and then name anyone.
    first_holding_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("organisation first holding the information"))
    first_entrusted_by = models.ForeignKey(
        FamilyMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("first entrusted by"))
    first_category = models.CharField(_("first information category"), max_length=32, choices=InformationCategory.choices,
                                      blank=True, default="", db_default="")
    reviewed_action = models.ForeignKey(
        "AgreedAction", on_delete=models.PROTECT, null=True, blank=True, related_name="review_items", verbose_name=_("action under review")
    )
    review_outcome = models.CharField(
        _("review outcome"), max_length=12, blank=True,
        choices=[("done", _("Done")), ("continued", _("Continued")), ("dropped", _("Dropped"))],
    )
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("protocol item")
        verbose_name_plural = _("protocol items")
        ordering = ["protocol", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(audience="restricted") | (Q(holding_organisation__isnull=False) & ~Q(category="")),
                name="protocolitem_restricted_has_holder_and_category",
                violation_error_message=_("A restricted item needs the organisation holding the information and its category."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Amendment(models.Model):
    """A correction to a final protocol: appended beside the item, never an edit."""

    item = models.ForeignKey(ProtocolItem, on_delete=models.PROTECT, related_name="amendments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("amendment"))
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        ordering = ["created_at"]


class CorrectionProposal(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        LAPSED = "lapsed", _("Not decided in time")

    item = models.ForeignKey(ProtocolItem, on_delete=models.PROTECT, related_name="corrections")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_text = models.TextField(_("proposed text"))
    # The item's version the proposal was written on. Accepting replaces the item's whole text, so
    # a proposal written on a text that has been corrected since is never accepted
    # (``services.correction_decide``): it would silently undo that correction. NULL only for
    # proposals decided before the version was recorded (migration 0011).
    base_version = models.PositiveIntegerField(_("item version proposed on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decision_reason = models.CharField(_("reason for the decision"), max_length=300, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("correction proposal")
        verbose_name_plural = _("correction proposals")

    @property
    def is_outdated(self) -> bool:
        """Pending, but written on an earlier text of the item: it can no longer be accepted."""
        return self.status == self.Status.PENDING and self.base_version != self.item.version


class Acknowledgement(models.Model):
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="acknowledgements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["protocol", "user"], name="acknowledgement_unique")]


class AgreedAction(models.Model):
    """Who does what by when. A professional's action also names her organisation, so that
    colleagues of that organisation see and update it."""

    objects = VisibleToManager()

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="actions", verbose_name=_("case"))
    item = models.ForeignKey(ProtocolItem, on_delete=models.PROTECT, related_name="actions", verbose_name=_("protocol item"))
    title = models.CharField(_("what"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    responsible_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="actions", verbose_name=_("responsible professional"))
    responsible_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="actions", verbose_name=_("responsible organisation"))
    responsible_family_member = models.ForeignKey(FamilyMember, on_delete=models.PROTECT, null=True, blank=True, related_name="actions", verbose_name=_("responsible parent"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    last_reminded_on = models.DateField(_("last reminder sent on"), null=True, blank=True)
    sequence = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # A digest of the progress notes, kept by a trigger on the notes (protocols/action_history.py):
    # the last note's status and time ("" and NULL without notes), and whether a note ever
    # followed one that closed the action. Never written by Python.
    history_status = models.CharField(max_length=12, blank=True, default="", editable=False)
    history_at = models.DateTimeField(null=True, blank=True, editable=False)
    history_reopened = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("agreed action")
        verbose_name_plural = _("agreed actions")
        ordering = ["due_on", "pk"]
        indexes = [
            # the board's figures read the notes of reopened actions only (board.figures.action_counts)
            models.Index(fields=["case"], condition=Q(history_reopened=True), name="agreedaction_reopened_case"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(responsible_family_member__isnull=False, responsible_organisation__isnull=True, responsible_user__isnull=True))
                | Q(responsible_family_member__isnull=True, responsible_organisation__isnull=False),
                name="agreedaction_one_responsible",
                violation_error_message=_("An action falls to a parent, or to an organisation (and optionally one of its professionals)."),
            ),
            models.CheckConstraint(
                condition=Q(status="done", completed_on__isnull=False) | (~Q(status="done") & Q(completed_on__isnull=True)),
                name="agreedaction_done_has_completion_date",
                violation_error_message=_("A done action needs its completion date, and only a done action has one."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ActionNote(models.Model):
    """Progress note with the status it set; the history is kept."""

    action = models.ForeignKey(AgreedAction, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=AgreedAction.Status.choices)
    note = models.CharField(_("progress note"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
