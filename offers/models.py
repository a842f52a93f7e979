"""The network's directory of offers, the central case manager, referrals, programme tracks and
low-threshold contact requests (layer 5: imports participants, conferences and permissions only).

Multi-valued directory fields (target groups, languages, postcodes) are stored as comma-wrapped
code lists (",de,en,") so that a filter is one ``LIKE '%,de,%'`` on the offer row: the public
search stays one SQL statement on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from participants.models import Network, Organisation


class TargetGroup(models.TextChoices):
    PREGNANT = "pregnant", _("Pregnant women")
    YOUNG_PARENTS = "young_parents", _("Mothers and fathers with a baby or toddler")
    FAMILIES = "families", _("Families with children")
    SUBSTANCE_USE = "substance_use", _("People who use alcohol or drugs")
    RELATIVES = "relatives", _("Relatives and friends")
    PROFESSIONALS = "professionals", _("Professionals")


LANGUAGES = [
    ("de", _("German")), ("da", _("Danish")), ("en", _("English")), ("tr", _("Turkish")), ("ar", _("Arabic")),
    ("ru", _("Russian")), ("uk", _("Ukrainian")), ("pl", _("Polish")), ("fa", _("Persian")), ("ro", _("Romanian")),
    ("so", _("Somali")),
]
LANGUAGE_CODES = frozenset(code for code, _label in LANGUAGES)


def pack_codes(values) -> str:
    """[" de", "en"] -> ",de,en," (empty list -> "")."""
    codes = sorted({str(v).strip() for v in values or [] if str(v).strip()})
    return f",{','.join(codes)}," if codes else ""


def unpack_codes(packed: str) -> list[str]:
    return [code for code in (packed or "").split(",") if code]


class Offer(models.Model):
    """A service an organisation offers; a track when it has a defined course of sessions."""

    class Kind(models.TextChoices):
        SERVICE = "service", _("Service")
        TRACK = "track", _("Programme track")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public (anyone, without signing in)")
        NETWORK = "network", _("Network only (signed-in professionals of the network)")

    class Availability(models.TextChoices):
        ACCEPTING = "accepting", _("Accepting new clients")
        WAITLIST = "waitlist", _("Waiting list")
        NOT_ACCEPTING = "not_accepting", _("Not accepting at the moment")

    class CapacityUnit(models.TextChoices):
        CONCURRENT = "concurrent", _("places at the same time")
        PER_YEAR = "per_year", _("places per year")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="offers", verbose_name=_("organisation"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SERVICE)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"))
    target_groups = models.CharField(_("target groups"), max_length=200, blank=True)
    eligibility = models.TextField(_("who can come (eligibility)"), blank=True)
    languages = models.CharField(_("languages"), max_length=120, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    municipalities = models.CharField(_("municipalities covered"), max_length=500, blank=True,
                                      help_text=_("Separate several municipalities with commas."))
    postcodes = models.CharField(_("postcodes covered"), max_length=500, blank=True,
                                 help_text=_("Separate several postcodes with commas."))
    directions = models.TextField(_("how to get there"), blank=True)
    accessibility = models.TextField(_("accessibility"), blank=True)
    opening_hours = models.TextField(_("opening times"), blank=True)
    contact_phone = models.CharField(_("phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("e-mail"), blank=True)
    cost = models.CharField(_("cost"), max_length=200, blank=True, default="")
    is_free = models.BooleanField(_("free of charge"), default=True)
    anonymous_contact = models.BooleanField(_("anonymous first contact possible"), default=False)
    accepts_contact_requests = models.BooleanField(_("accept contact requests from the public page"), default=False)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    capacity_unit = models.CharField(_("capacity counted as"), max_length=12, choices=CapacityUnit.choices, default=CapacityUnit.CONCURRENT)
    availability = models.CharField(_("availability"), max_length=16, choices=Availability.choices, default=Availability.ACCEPTING)
    expected_wait_weeks = models.PositiveSmallIntegerField(_("expected wait (weeks)"), null=True, blank=True)
    availability_updated_at = models.DateTimeField(_("availability last updated"), default=timezone.now)
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.NETWORK)
    planned_sessions = models.PositiveSmallIntegerField(_("sessions in the course"), null=True, blank=True)
    is_residential_treatment = models.BooleanField(_("residential treatment for pregnant women"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Raised by every save of the offer's details: an edit names the version it started from, so two
    # staff members editing at once never silently overwrite each other (``permissions.conflicts``).
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="offer_unique_name_per_organisation"),
            models.CheckConstraint(
                condition=~Q(availability="waitlist") | Q(expected_wait_weeks__isnull=False),
                name="offer_waitlist_has_expected_wait",
                violation_error_message=_("Say how many weeks the expected wait is."),
            ),
            models.CheckConstraint(
                condition=Q(kind="service") | Q(planned_sessions__isnull=False),
                name="offer_track_has_sessions",
                violation_error_message=_("A programme track needs its number of sessions."),
            ),
        ]
        indexes = [models.Index(fields=["visibility", "is_active", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def target_group_list(self) -> list[str]:
        return unpack_codes(self.target_groups)

    @property
    def language_list(self) -> list[str]:
        return unpack_codes(self.languages)

    def target_group_labels(self) -> list[str]:
        labels = dict(TargetGroup.choices)
        return [str(labels.get(code, code)) for code in self.target_group_list]

    def language_labels(self) -> list[str]:
        labels = dict(LANGUAGES)
        return [str(labels.get(code, code)) for code in self.language_list]

    def municipality_list(self) -> list[str]:
        return [m.strip() for m in self.municipalities.split(",") if m.strip()]


class NetworkOfferSettings(models.Model):
    """What a network sets for its referrals and contact requests."""

    network = models.OneToOneField(Network, on_delete=models.CASCADE, related_name="offer_settings", verbose_name=_("network"))
    referral_answer_working_days = models.PositiveSmallIntegerField(_("working days to answer a referral"), default=5)
    contact_request_retention_days = models.PositiveSmallIntegerField(_("days a handled contact request is kept"), default=14)

    class Meta:
        verbose_name = _("referral settings of a network")
        verbose_name_plural = _("referral settings of networks")

    def __str__(self) -> str:
        return str(self.network)


class CentralCaseManager(models.Model):
    """A professional named by her network as central case manager (e.g. at the perinatal centre)."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="central_case_managers", verbose_name=_("network"))
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="central_case_manager_roles", verbose_name=_("case manager"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("central case manager")
        verbose_name_plural = _("central case managers")
        constraints = [models.UniqueConstraint(fields=["network", "user"], name="centralcasemanager_unique")]

    def __str__(self) -> str:
        return f"{self.user} – {self.organisation}"


class SupportRequest(models.Model):
    """A professional's request to a central case manager: a conversation between the two only."""

    class Kind(models.TextChoices):
        CONSULTATION = "consultation", _("Anonymous consultation")
        REFERRAL = "referral", _("Referral of a client (with consent)")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="support_requests", verbose_name=_("network"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="support_requests_sent", verbose_name=_("sent by"))
    sender_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation"))
    case_manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="support_requests_received", verbose_name=_("case manager"))
    situation = models.TextField(_("situation"))
    asked_for = models.TextField(_("what is asked for"), blank=True)
    client_label = models.CharField(_("client (first name or initials)"), max_length=60, blank=True)
    consent_reference = models.CharField(_("signed consent form reference"), max_length=80, blank=True)
    consent_given_on = models.DateField(_("consent given on"), null=True, blank=True)
    consent_sender_sees_content = models.BooleanField(_("consent: the referring professional may see what the offers answer"), default=False)
    consent_sender_on_team = models.BooleanField(_("consent: the referring professional may join the case team"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="support_requests", verbose_name=_("case"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("support request")
        verbose_name_plural = _("support requests")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="referral") | (Q(client_label="", consent_reference="", consent_given_on__isnull=True, case__isnull=True)),
                name="supportrequest_consultation_is_anonymous",
                violation_error_message=_("An anonymous consultation carries no personal data."),
            ),
            models.CheckConstraint(
                condition=Q(kind="consultation") | (~Q(consent_reference="") & Q(consent_given_on__isnull=False) & ~Q(client_label="")),
                name="supportrequest_referral_has_consent",
                violation_error_message=_("A referral needs the client's documented consent."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class SupportMessage(models.Model):
    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="messages", verbose_name=_("request"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author"))
    text = models.TextField(_("message"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]


class Referral(models.Model):
    """A client referred to an offer, with the closed-loop status of FHIR SDOH referral tasks."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        RECEIVED = "received", _("Received")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WAITLISTED = "waitlisted", _("On the waiting list")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN_STATUSES = ("requested", "received", "waitlisted")
    HOLDS_PLACE = ("accepted", "in_progress")
    CLOSED_STATUSES = ("declined", "completed", "cancelled")

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("offer"))
    support_request = models.ForeignKey(SupportRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals", verbose_name=_("support request"))
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals_made", verbose_name=_("referred by"))
    referred_by_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("referring organisation"))
    client_label = models.CharField(_("client (first name or initials)"), max_length=60)
    municipality = models.CharField(_("municipality"), max_length=120, blank=True)
    note = models.TextField(_("what is asked for"), blank=True)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals", verbose_name=_("case"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED)
    decline_reason = models.TextField(_("reason"), blank=True)
    answer = models.TextField(_("answer of the offer"), blank=True)
    created_at = models.DateTimeField(_("referred at"), default=timezone.now)
    received_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    place_offered_at = models.DateTimeField(_("place offered at"), null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    overdue_flagged_at = models.DateTimeField(_("flagged as unanswered at"), null=True, blank=True)
    # The family's documented consent that the receiving organisation joins the case team (a case
    # opened from the referral, or the case it was attached to); recorded by the receiving staff.
    team_consent_reference = models.CharField(_("signed consent form reference (case team)"), max_length=80, blank=True)
    team_consent_given_on = models.DateField(_("consent to join the case team given on"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""),
                name="referral_declined_has_reason",
                violation_error_message=_("Give a reason for declining."),
            ),
            models.CheckConstraint(
                condition=Q(team_consent_reference="", team_consent_given_on__isnull=True)
                | (~Q(team_consent_reference="") & Q(team_consent_given_on__isnull=False)),
                name="referral_team_consent_complete",
                violation_error_message=_("Record the consent form's reference and the day it was given."),
            ),
        ]
        indexes = [models.Index(fields=["offer", "status", "waitlisted_at"])]

    def __str__(self) -> str:
        return f"{self.offer} – {self.client_label}"


class Enrolment(models.Model):
    """A family in a programme track, from a referral or directly."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        ENDED_EARLY = "ended_early", _("Ended early")

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("track"))
    referral = models.OneToOneField(Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="enrolment", verbose_name=_("referral"))
    family_label = models.CharField(_("family (first name or initials)"), max_length=60)
    family_email = models.EmailField(_("e-mail for reminders"), blank=True)
    municipality = models.CharField(_("municipality"), max_length=120, blank=True)
    birth_site = models.CharField(_("birth site"), max_length=120, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    end_reason = models.TextField(_("reason for ending early"), blank=True)
    enrolled_on = models.DateField(_("enrolled on"), default=timezone.localdate)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    waited_days = models.PositiveIntegerField(_("days on the waiting list"), default=0)
    enrolled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("enrolled by"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-enrolled_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="ended_early") | ~Q(end_reason=""),
                name="enrolment_ended_early_has_reason",
                violation_error_message=_("Give a reason for ending early."),
            ),
            models.CheckConstraint(
                condition=Q(status="active", ended_on__isnull=True) | (~Q(status="active") & Q(ended_on__gte=F("enrolled_on"))),
                name="enrolment_end_date_matches_status",
            ),
        ]
        indexes = [models.Index(fields=["offer", "enrolled_on"])]

    def __str__(self) -> str:
        return f"{self.offer} – {self.family_label}"


class Session(models.Model):
    """An appointment of an enrolment, in the staff member's calendar."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("enrolment"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="offer_sessions", verbose_name=_("staff member"))
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    location = models.CharField(_("place"), max_length=200, blank=True)
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    sequence = models.PositiveIntegerField(default=0)
    reminded_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start",
                                   violation_error_message=_("A session must end after it starts.")),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment} – {self.starts_at:%Y-%m-%d %H:%M}"


class ContactRequest(models.Model):
    """A woman's wish to be contacted, from a public offer page: minimal and short-lived."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="contact_requests", verbose_name=_("offer"))
    name = models.CharField(_("name (optional)"), max_length=60, blank=True)
    reach_by = models.CharField(_("how to reach you"), max_length=120)
    preferred_time = models.CharField(_("preferred time"), max_length=120, blank=True)
    language = models.CharField(_("language"), max_length=5, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("contact request")
        verbose_name_plural = _("contact requests")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.offer} #{self.pk}"
