"""Cases, case teams, conferences, invitations, slot polls and written reports (feed tokens: ``calendars``)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants.models import FamilyMember, Network, Organisation
from permissions.querysets import VisibleToManager

CASE_REFERENCE_VALIDATOR = RegexValidator(
    r"^[A-Z]{2,6}-\d{4}-\d{3,5}$",
    _("Use a pseudonymous reference such as HS-2026-014 (prefix, year, number) – never a name."),
)


class Case(models.Model):
    """One family. Only a pseudonymous reference, never a name, identifies it."""

    objects = VisibleToManager()

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="cases", verbose_name=_("network"))
    reference = models.CharField(_("reference"), max_length=24, validators=[CASE_REFERENCE_VALIDATOR])
    lead_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="led_cases", verbose_name=_("lead organisation"))
    lead_caseworker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="led_cases", verbose_name=_("lead caseworker")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    opened_on = models.DateField(_("opened on"), default=timezone.localdate)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    next_review_on = models.DateField(_("next review"), null=True, blank=True)
    expected_child_at_opening = models.BooleanField(_("expected child at opening"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_on", "reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "reference"], name="case_unique_reference_per_network",
                violation_error_message=_("This reference is already used in this network."),
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("opened_on")),
                name="case_closed_after_opened",
                violation_error_message=_("A case cannot be closed before it was opened."),
            ),
            models.CheckConstraint(
                condition=Q(status="closed", closed_on__isnull=False) | (~Q(status="closed") & Q(closed_on__isnull=True)),
                name="case_closed_status_matches_date",
                violation_error_message=_("A closed case needs a closing date, and only a closed case has one."),
            ),
        ]
        permissions = [("view_case_content", "Can view case content")]

    def __str__(self) -> str:
        return self.reference


class CaseTeamMember(models.Model):
    """A professional (user + organisation) or a whole organisation on a case.

    Removal keeps the row (``removed_at``) so that who was on the team when stays traceable.
    """

    class CaseRole(models.TextChoices):
        LEAD = "lead", _("Lead caseworker")
        COUNSELLING = "counselling", _("Addiction counselling")
        MEDICAL = "medical", _("Medical care")
        MIDWIFERY = "midwifery", _("Midwifery")
        CASE_MANAGEMENT = "case_management", _("Case management")
        EARLY_HELP = "early_help", _("Early help")
        FAMILY_HELP = "family_help", _("Family help")
        OTHER = "other", _("Other")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="team", verbose_name=_("case"))
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="case_teams", verbose_name=_("organisation"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="case_teams",
        verbose_name=_("professional"),
    )
    case_role = models.CharField(_("case role"), max_length=20, choices=CaseRole.choices, default=CaseRole.OTHER)
    added_at = models.DateTimeField(_("added at"), default=timezone.now)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("case team member")
        verbose_name_plural = _("case team members")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "organisation", "user"], condition=Q(removed_at__isnull=True),
                name="caseteam_unique_active_member",
                violation_error_message=_("This member is already on the case team."),
            ),
            models.UniqueConstraint(
                fields=["case", "organisation"], condition=Q(removed_at__isnull=True, user__isnull=True),
                name="caseteam_unique_active_organisation",
                violation_error_message=_("This organisation is already on the case team."),
            ),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True) | Q(removed_at__gte=F("added_at")),
                name="caseteam_removed_after_added",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} – {self.user or self.organisation}"

    @classmethod
    def role_for_kind(cls, kind: str) -> str:
        """The case role a member of an organisation of ``kind`` usually has (the form's default)."""
        return {
            "addiction_counselling": cls.CaseRole.COUNSELLING, "residential_treatment": cls.CaseRole.COUNSELLING,
            "substitution": cls.CaseRole.MEDICAL, "clinic": cls.CaseRole.MEDICAL, "gynaecology": cls.CaseRole.MEDICAL,
            "paediatrics": cls.CaseRole.MEDICAL, "midwifery": cls.CaseRole.MIDWIFERY, "early_help": cls.CaseRole.EARLY_HELP,
            "family_help": cls.CaseRole.FAMILY_HELP,
        }.get(kind, cls.CaseRole.OTHER)


class Conference(models.Model):
    objects = VisibleToManager()

    class Kind(models.TextChoices):
        PARTICIPANT = "participant", _("Participant conference")
        FOLLOW_UP = "follow_up", _("Follow-up conference")
        CRISIS = "crisis", _("Crisis conference")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        POLLING = "polling", _("Finding a date")
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        PROTOCOL_FINAL = "protocol_final", _("Protocol final")
        CANCELLED = "cancelled", _("Cancelled")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="conferences", verbose_name=_("case"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PARTICIPANT)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    convenor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="convened_conferences", verbose_name=_("convenor"))
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=90)
    location = models.CharField(_("place"), max_length=200, blank=True)
    video_link = models.URLField(_("video link"), blank=True)
    interpreter_language = models.CharField(_("interpreter language"), max_length=40, blank=True)
    access_needs = models.CharField(_("access needs"), max_length=200, blank=True)
    sequence = models.PositiveIntegerField(_("iCalendar sequence"), default=0)
    reschedule_count = models.PositiveSmallIntegerField(_("times rescheduled"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("conference")
        verbose_name_plural = _("conferences")
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True, ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="conference_ends_after_start",
                violation_error_message=_("A conference must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "polling", "cancelled"]) | Q(starts_at__isnull=False),
                name="conference_scheduled_has_time",
                violation_error_message=_("A scheduled or held conference needs a time."),
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=15, duration_minutes__lte=480),
                name="conference_duration_range",
                violation_error_message=_("A conference lasts between 15 minutes and 8 hours."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference} – {self.get_kind_display()}"


class Invitation(models.Model):
    """One participant of a conference: a professional (user + organisation) or a family member."""

    class Rsvp(models.TextChoices):
        NEEDS_ACTION = "needs_action", _("No answer yet")
        ACCEPTED = "accepted", _("Accepted")
        TENTATIVE = "tentative", _("Tentative")
        DECLINED = "declined", _("Declined")

    conference = models.ForeignKey(Conference, on_delete=models.PROTECT, related_name="invitations", verbose_name=_("conference"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="invitations", verbose_name=_("professional"))
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="invitations", verbose_name=_("organisation"))
    family_member = models.ForeignKey(FamilyMember, on_delete=models.PROTECT, null=True, blank=True, related_name="invitations", verbose_name=_("family member"))
    required = models.BooleanField(_("required"), default=True)
    rsvp = models.CharField(_("answer"), max_length=16, choices=Rsvp.choices, default=Rsvp.NEEDS_ACTION)
    rsvp_comment = models.CharField(_("comment"), max_length=300, blank=True)
    rsvp_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    # Only meaningful when ``attended`` is False: absent with an excuse given beforehand.
    excused = models.BooleanField(_("excused"), default=False)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    # SEQUENCE of the last REQUEST or CANCEL sent to her: a calendar answer to an older one is stale.
    sequence_sent = models.PositiveIntegerField(null=True, blank=True)
    # SEQUENCE of the last REQUEST or CANCEL queued for her: a queued message older than that is
    # superseded and dropped by the worker.
    sequence_queued = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.CheckConstraint(
                condition=(Q(family_member__isnull=False, user__isnull=True, organisation__isnull=True))
                | (Q(family_member__isnull=True, organisation__isnull=False)),
                name="invitation_professional_or_family",
                violation_error_message=_("Invite either a family member or a professional with her organisation."),
            ),
            models.UniqueConstraint(
                fields=["conference", "user"], condition=Q(user__isnull=False, removed_at__isnull=True),
                name="invitation_unique_user",
            ),
            models.UniqueConstraint(
                fields=["conference", "family_member"], condition=Q(family_member__isnull=False, removed_at__isnull=True),
                name="invitation_unique_family_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conference} – {self.family_member or self.user or self.organisation}"

    @property
    def attendance(self) -> str:
        """"present", "excused", "absent", or "" while not recorded."""
        if self.attended is None:
            return ""
        return "present" if self.attended else ("excused" if self.excused else "absent")

    def get_attendance_display(self) -> str:
        labels = {"present": _("present"), "excused": _("excused"), "absent": _("absent"), "": _("not recorded")}
        return str(labels[self.attendance])


class SlotPoll(models.Model):
    conference = models.OneToOneField(Conference, on_delete=models.PROTECT, related_name="poll", verbose_name=_("conference"))
    closes_at = models.DateTimeField(_("answers until"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    chosen_slot = models.ForeignKey("PollSlot", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("chosen slot"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("date poll")
        verbose_name_plural = _("date polls")

    def __str__(self) -> str:
        return str(self.conference)


class PollSlot(models.Model):
    """A candidate time of a date poll."""

    poll = models.ForeignKey(SlotPoll, on_delete=models.CASCADE, related_name="slots", verbose_name=_("poll"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))

    class Meta:
        verbose_name = _("candidate time")
        verbose_name_plural = _("candidate times")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="pollslot_ends_after_start",
                                   violation_error_message=_("A candidate time must end after it starts.")),
            models.UniqueConstraint(fields=["poll", "starts_at"], name="pollslot_unique_start"),
        ]


class SlotVote(models.Model):
    class Answer(models.TextChoices):
        YES = "yes", _("Yes")
        IF_NEED_BE = "if_need_be", _("If need be")
        NO = "no", _("No")

    slot = models.ForeignKey(PollSlot, on_delete=models.CASCADE, related_name="votes", verbose_name=_("slot"))
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="votes", verbose_name=_("invitation"))
    answer = models.CharField(_("answer"), max_length=12, choices=Answer.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [models.UniqueConstraint(fields=["slot", "invitation"], name="slotvote_unique")]


class PollLink(models.Model):
    """A personal, expiring, revocable link for a parent without an account to answer one poll."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="poll_links")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class WrittenReport(models.Model):
    """A short written report an invited organisation submits before the conference."""

    conference = models.ForeignKey(Conference, on_delete=models.PROTECT, related_name="reports", verbose_name=_("conference"))
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="reports", verbose_name=_("organisation"))
    due_on = models.DateField(_("due on"))
    text = models.TextField(_("report"), blank=True)
    shareable_with_parents = models.BooleanField(_("may be shared with the parents"), default=False)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("written report")
        verbose_name_plural = _("written reports")
        constraints = [models.UniqueConstraint(fields=["conference", "organisation"], name="writtenreport_unique")]


class ReminderLog(models.Model):
    """One reminder that was queued, so that ``send_reminders`` enqueues each reminder only once
    however often cron or a worker runs it."""

    class Kind(models.TextChoices):
        CONFERENCE = "conference", _("Reminder before a conference")
        REVIEW = "review", _("Next review approaching without a conference")
        POLL_DEADLINE = "deadline", _("Poll deadline passed without a date")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, null=True, blank=True, related_name="reminders")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reminders")
    # What the reminder is about (the conference's start, or the review date), so a moved
    # conference or a new review date gets its own reminder.
    about = models.CharField(max_length=40)
    queued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(fields=["kind", "conference", "about"], condition=Q(conference__isnull=False),
                                    name="reminderlog_unique_conference"),
            models.UniqueConstraint(fields=["kind", "case", "about"], condition=Q(conference__isnull=True),
                                    name="reminderlog_unique_case"),
        ]


class CalendarReply(models.Model):
    """One incoming e-mail to the reply address (iMIP REPLY or COUNTER, or anything else),
    kept so that a message is handled once however often the mailbox is read, and so that a
    counter-proposal can be shown to the convenor. Holds no message text: a digest of the
    Message-ID, what was read from the calendar part, and why it was applied or refused."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Answer recorded")
        COUNTER = "counter", _("Other time proposed")
        REFUSED = "refused", _("Refused")

    message_digest = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    source = models.CharField(max_length=8)  # "pipe" or "imap"
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    reason = models.CharField(max_length=40, blank=True)
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, null=True, blank=True, related_name="calendar_replies")
    partstat = models.CharField(max_length=16, blank=True)
    sequence = models.PositiveIntegerField(null=True, blank=True)
    stamp = models.DateTimeField(null=True, blank=True)
    proposed_starts_at = models.DateTimeField(_("proposed start"), null=True, blank=True)
    proposed_ends_at = models.DateTimeField(_("proposed end"), null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar reply")
        verbose_name_plural = _("calendar replies")
        indexes = [models.Index(fields=["invitation", "outcome"], name="calreply_invitation_outcome")]


class LegalHold(models.Model):
    """A case whose erasure must wait: court proceedings, a § 8a procedure or a pending complaint.

    While a hold is in force (not lifted) the retention run skips the case; after it is lifted the
    next run erases the case as usual. Who set and lifted it, and on whose instruction when a lead
    caseworker acted for the data-protection officer, stays on the row and in the audit trail.
    """

    class Ground(models.TextChoices):
        COURT = "court", _("Court proceedings")
        CHILD_PROTECTION = "section_8a", _("Child-protection procedure (§ 8a SGB VIII)")
        COMPLAINT = "complaint", _("Pending complaint")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="legal_holds", verbose_name=_("case"))
    ground = models.CharField(_("ground"), max_length=20, choices=Ground.choices)
    reason = models.TextField(_("reason"), max_length=2000)
    review_on = models.DateField(_("review on"))
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("set by"))
    set_at = models.DateTimeField(_("set at"), default=timezone.now)
    set_on_instruction_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("set on the instruction of"),
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("lifted by"),
    )
    lifted_on_instruction_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("lifted on the instruction of"),
    )

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["review_on", "pk"]
        indexes = [models.Index(fields=["case", "lifted_at"], name="legalhold_case_lifted")]

    def __str__(self) -> str:
        return f"{self.case} – {self.get_ground_display()}"

    @property
    def in_force(self) -> bool:
        return self.lifted_at is None
