"""Conferences, invitations, slot polls and written reports (cases: ``cases``; feed tokens: ``calendars``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, FamilyMember, InformationCategory
from participants.models import Organisation
from permissions.querysets import VisibleToManager

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
    # The conference's own note on access (the convenor's, read by everyone invited). A family
    # member's own needs stay on her record (``FamilyMember.access_needs``): the team reads them
    # with the conference, each parent only her own (``policy.access_needs_for_user``).
    access_needs = models.CharField(_("access needs"), max_length=200, blank=True)
    # A note from before that rule that may hold family members' needs and could not be split
    # among them (migration 0015): read by the case team only.
    access_needs_team_only = models.BooleanField(_("access needs for the case team only"), default=False, db_default=False)
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
        # the board's summary finds each case's first held conference in this index's order
        # alone (board.figures._conference_figures_pg; issue 13)
        indexes = [models.Index(fields=["case", "starts_at"], condition=Q(status__in=["held", "protocol_final"]),
                                name="conference_held_case_start")]

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
    def answers_by_poll_link(self) -> bool:
        """A family member without an account answers the poll through a personal link; everyone
        with an account answers it signed in (``services.poll_link_create`` refuses her a link)."""
        return bool(self.family_member_id) and self.family_member.user_id is None

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
    """A short written report an invited organisation submits before the conference.

    Who reads it is its audience, decided by the organisation that writes it (its holder): the
    professionals on the case team (the parents too, where ``shareable_with_parents``), or only
    the organisations it names, each of them only while a consent of the person who entrusted the
    information, or a recorded legal basis, covers the disclosure to it (README, rules 4 and 5;
    ``conferences.policy``). The organisation that writes it always reads it."""

    objects = VisibleToManager()

    class Audience(models.TextChoices):
        # the values of ``protocols.models.Audience``, so that both read alike in the audit trail
        PROFESSIONALS = "professionals", _("Professionals on the case team")
        RESTRICTED = "restricted", _("Restricted to named organisations")

    conference = models.ForeignKey(Conference, on_delete=models.PROTECT, related_name="reports", verbose_name=_("conference"))
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="reports", verbose_name=_("organisation"))
    due_on = models.DateField(_("due on"))
    text = models.TextField(_("report"), blank=True)
    shareable_with_parents = models.BooleanField(_("may be shared with the parents"), default=False)
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices, default=Audience.PROFESSIONALS)
    # A restricted report: the organisations it names besides its own, the category of the
    # information and, where one person entrusted it, who (the consent that covers it must be hers).
    restricted_to = models.ManyToManyField(Organisation, blank=True, related_name="restricted_reports",
                                           verbose_name=_("restricted to"))
    category = models.CharField(_("information category"), max_length=32, choices=InformationCategory.choices, blank=True)
    entrusted_by = models.ForeignKey(FamilyMember, on_delete=models.PROTECT, null=True, blank=True, related_name="entrusted_reports",
                                     verbose_name=_("entrusted by"))
    # A report widened to the team after it was restricted keeps its category and who entrusted it
    # (a non-empty ``category`` on a report for the team): its information is still what was
    # entrusted to its organisation, so each other organisation reads it only while a consent or
    # legal basis covers the disclosure to it (``conferences.policy``), as a protocol item widened
    # after it was restricted. The labels before its first relabel (another person or category),
    # empty while it was never relabelled: a relabel never frees the information from the consent
    # it was entrusted under (``protocols.models.ProtocolItem.first_category``; its holder, the
    # organisation that writes it, never changes).
    first_entrusted_by = models.ForeignKey(FamilyMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                           verbose_name=_("first entrusted by"))
    first_category = models.CharField(_("first information category"), max_length=32, choices=InformationCategory.choices,
                                      blank=True, default="", db_default="")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # Raised by every submission: a revision based on an older one is refused, not saved over it.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("written report")
        verbose_name_plural = _("written reports")
        constraints = [
            models.UniqueConstraint(fields=["conference", "organisation"], name="writtenreport_unique"),
            models.CheckConstraint(
                condition=~Q(audience="restricted") | (~Q(category="") & Q(shareable_with_parents=False)),
                name="writtenreport_restricted_has_category_not_parents",
                violation_error_message=_("A restricted report needs its information category and is not shared with the parents."),
            ),
            models.CheckConstraint(
                condition=Q(entrusted_by__isnull=True) | ~Q(category=""),
                name="writtenreport_entrusted_has_category",
                violation_error_message=_("A report that names who entrusted its information names its category too."),
            ),
        ]

    @property
    def is_restricted(self) -> bool:
        return self.audience == self.Audience.RESTRICTED

    @property
    def is_governed(self) -> bool:
        """Restricted, or widened to the team after it was: it carries its labels, and another
        organisation reads it only under a consent or legal basis."""
        return bool(self.category)


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
