"""The cooperation board's models: half-year summaries, board meetings with their invitations,
and the Danish yearly report. They lived in ``protocols`` until issue 14 and keep their tables
(``db_table``), so moving them changed no row and needed no DDL (board/migrations/0001_initial.py)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

from participants.models import Network
from permissions.querysets import VisibleToManager


def half_year_label(year: int, half: int) -> str:
    """A half year as the board reads it, in the active language and in the form of the summary's
    heading: "2026 H1", "2026, 1. Halbjahr", "2026, 1. halvår". Frozen figures and file names keep
    the language-neutral "2026 H1" / "2026-h1"."""
    return gettext("%(year)s H%(half)s") % {"year": year, "half": half}


class HalfYearSummary(models.Model):
    objects = VisibleToManager()

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="summaries", verbose_name=_("network"))
    year = models.PositiveSmallIntegerField(_("year"))
    half = models.PositiveSmallIntegerField(_("half year"), choices=[(1, _("H1 (January–June)")), (2, _("H2 (July–December)"))])
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    figures = models.JSONField(_("figures"), default=dict)
    definitions_version = models.CharField(max_length=20)
    commentary = models.TextField(_("commentary"), blank=True)
    # Raised by every save of a stored summary (commentary, publication): a commentary form
    # carries the version it was opened at (``services.summary_set_commentary``).
    version = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    computed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        db_table = "protocols_halfyearsummary"  # kept from the protocols app (board/migrations/0001_initial.py)
        verbose_name = _("half-year summary")
        verbose_name_plural = _("half-year summaries")
        ordering = ["-year", "-half", "-computed_at"]
        constraints = [
            models.UniqueConstraint(fields=["network", "year", "half"], condition=Q(status="published"), name="summary_one_published_per_half"),
            models.CheckConstraint(condition=Q(half__in=[1, 2]), name="summary_half_1_or_2"),
        ]

    def __str__(self) -> str:
        return f"{self.network} {self.period_label}"

    @property
    def period_label(self) -> str:
        return half_year_label(self.year, self.half)


class BoardMeeting(models.Model):
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="board_meetings", verbose_name=_("network"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    location = models.CharField(_("place"), max_length=200, blank=True)
    summary = models.ForeignKey(HalfYearSummary, on_delete=models.PROTECT, null=True, blank=True, related_name="meetings", verbose_name=_("summary to discuss"))
    minutes = models.TextField(_("minutes and decisions"), blank=True)
    sequence = models.PositiveIntegerField(default=0)
    # Two counters, one per form of the meeting page, so that recording the minutes does not
    # refuse a change of the place opened meanwhile, nor the other way round: ``version`` is
    # raised by every save of the details (time, place, the summary to discuss; cancelling),
    # ``minutes_version`` by every save of the minutes and decisions.
    version = models.PositiveIntegerField(default=0)
    minutes_version = models.PositiveIntegerField(default=0)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Meetings scheduled together as one half-yearly series share this key.
    series_key = models.CharField(_("series"), max_length=40, blank=True, db_index=True)
    decisions = models.TextField(_("decisions"), blank=True)
    minutes_recorded_at = models.DateTimeField(_("minutes recorded at"), null=True, blank=True)
    minutes_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    invitations_sent_at = models.DateTimeField(_("invitations sent at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "protocols_boardmeeting"  # kept from the protocols app (board/migrations/0001_initial.py)
        verbose_name = _("board meeting")
        verbose_name_plural = _("board meetings")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="boardmeeting_ends_after_start",
                                   violation_error_message=_("A meeting must end after it starts.")),
        ]


class YearlyReport(models.Model):
    """The Danish yearly report of a network per municipality and calendar year. Like the
    half-year summary: the coordinator computes drafts and publishes one, frozen as shown."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="yearly_reports", verbose_name=_("network"))
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    figures = models.JSONField(_("figures"), default=dict)
    definitions_version = models.CharField(max_length=20)
    computed_at = models.DateTimeField(default=timezone.now)
    computed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        db_table = "protocols_yearlyreport"  # kept from the protocols app (board/migrations/0001_initial.py)
        verbose_name = _("yearly report")
        verbose_name_plural = _("yearly reports")
        ordering = ["-year", "-computed_at"]
        constraints = [
            models.UniqueConstraint(fields=["network", "year"], condition=Q(status="published"), name="yearly_report_one_published_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.network} {self.year}"


class BoardMeetingInvitation(models.Model):
    """One invited board member of one board meeting, with her answer (like an RSVP)."""

    class Response(models.TextChoices):
        PENDING = "pending", _("No answer yet")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    meeting = models.ForeignKey(BoardMeeting, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("board meeting"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="board_invitations", verbose_name=_("board member"))
    response = models.CharField(_("answer"), max_length=10, choices=Response.choices, default=Response.PENDING)
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    invited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "protocols_boardmeetinginvitation"  # kept from the protocols app (board/migrations/0001_initial.py)
        verbose_name = _("board meeting invitation")
        verbose_name_plural = _("board meeting invitations")
        ordering = ["meeting", "pk"]
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="board_invitation_unique")]


class ActionTally(models.Model):
    """How many agreed actions of a network share one combination of the half years that decide
    the summary's action figures (``board/action_tally.py``, issue 13). Written only by the
    database's triggers and by ``action_tally.backfill``; read only by ``board.figures``. Delta
    rows (``delta``) are folded into the compacted rows when the figures are read. Plain integer
    columns, not foreign keys: the rows of a deleted action's network are written while Django
    deletes it. A half year is ``year * 2 + (0 | 1)``, 0 "none"."""

    network_id = models.IntegerField()
    organisation_id = models.IntegerField()  # the responsible organisation, 0 for none
    parent = models.BooleanField()  # the action falls to a parent
    reopened = models.BooleanField()  # closed and reopened: dropped / open / overdue come from its notes
    created_h = models.IntegerField()
    done_h = models.IntegerField()
    dropped_h = models.IntegerField()
    closed_h = models.IntegerField()
    due_h = models.IntegerField()
    days = models.IntegerField()  # from creation to completion, for done actions
    # 0: an action's own row; 1 / 2: a reopened action's open interval / dropped half year (ActionSpan)
    span = models.SmallIntegerField(db_default=0)
    n = models.IntegerField()
    delta = models.BooleanField()

    class Meta:
        db_table = "board_actiontally"
        constraints = [
            models.UniqueConstraint(
                fields=["network_id", "organisation_id", "parent", "reopened", "created_h", "done_h", "dropped_h",
                        "closed_h", "due_h", "days", "span"],
                condition=Q(delta=False), name="actiontally_one_row_per_key_span"),
        ]
        indexes = [models.Index(fields=["network_id"], condition=Q(delta=True), name="actiontally_deltas")]


class ActionSpan(models.Model):
    """The rows one reopened action adds to the board's tally (``ActionTally.span`` 1 and 2): its
    intervals of half years at whose end it was open and the half years in which a note dropped it,
    from its notes (``board/action_tally.py``). Kept per action so that a change of its notes or its
    row replaces exactly what it had added. Written only by the database's triggers and by
    ``action_tally.backfill``; the same key columns as the tally."""

    action_id = models.BigIntegerField(db_index=True)
    network_id = models.IntegerField()
    organisation_id = models.IntegerField()
    parent = models.BooleanField()
    reopened = models.BooleanField()
    created_h = models.IntegerField()
    done_h = models.IntegerField()
    dropped_h = models.IntegerField()
    closed_h = models.IntegerField()
    due_h = models.IntegerField()
    days = models.IntegerField()
    span = models.SmallIntegerField()

    class Meta:
        db_table = "board_actionspan"
        indexes = [models.Index(fields=["network_id"], name="actionspan_network")]


class ConferencePresence(models.Model):
    """Who was present at one conference, for the half-year summary (``board/presence.py``,
    issue 13): the number of organisations with an attended, not withdrawn invitation, and
    whether a parent attended. One row per conference with at least one such invitation; written
    only by the database's triggers and by ``presence.backfill``; read only by ``board.figures``.
    A plain integer, not a foreign key: the row goes when the conference's invitations go."""

    conference_id = models.BigIntegerField(primary_key=True)
    organisations = models.IntegerField()
    parent = models.BooleanField()

    class Meta:
        db_table = "board_conferencepresence"
