"""People and institutions: networks, organisations, users, memberships, network roles (families and consent: ``cases``)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants.working_days import regions_of
from permissions.querysets import VisibleToManager


class Country(models.TextChoices):
    GERMANY = "DE", _("Germany")
    DENMARK = "DK", _("Denmark")


DEFAULT_GUIDELINE_ITEMS = [
    "Situation des Kindes",
    "Situation der Eltern",
    "Behandlung und Beratung",
    "Vereinbarungen",
    "Nächster Überprüfungstermin",
]


# The standard agenda items are stored text, written into each new protocol in the network's own
# language (a protocol keeps the words it was written with, whatever language a reader uses).
GUIDELINE_ITEMS_BY_COUNTRY = {
    "DE": DEFAULT_GUIDELINE_ITEMS,
    "DK": ["Barnets situation", "Forældrenes situation", "Behandling og rådgivning", "Aftaler", "Næste opfølgning"],
}


def default_guideline_items() -> list[str]:
    return list(DEFAULT_GUIDELINE_ITEMS)


class Network(models.Model):
    """A region whose institutions signed one cooperation agreement: the tenant boundary."""

    class FeedDetail(models.TextChoices):
        STANDARD = "standard", _("Case reference and conference kind")
        TERSE = "terse", _("Neutral title only")

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    country = models.CharField(_("country"), max_length=2, choices=Country.choices, default=Country.GERMANY)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Berlin")
    case_reference_prefix = models.CharField(_("case reference prefix"), max_length=6, default="HS")
    quorum_min_organisations = models.PositiveSmallIntegerField(_("quorum (organisations)"), default=3)
    reminder_days_before = models.PositiveSmallIntegerField(_("reminder days before a conference"), default=2)
    draft_release_working_days = models.PositiveSmallIntegerField(_("working days to release draft minutes"), default=5)
    correction_window_working_days = models.PositiveSmallIntegerField(_("correction window (working days)"), default=10)
    holiday_region = models.CharField(
        _("public holidays of"), max_length=3, blank=True,
        help_text=_("State whose public holidays count as non-working days, e.g. NW or TH; empty: the country's nationwide holidays only."),
    )
    feed_detail = models.CharField(_("calendar feed detail"), max_length=10, choices=FeedDetail.choices, default=FeedDetail.STANDARD)
    parents_require_mfa = models.BooleanField(_("parents and board members need a second factor"), default=False)
    guideline_items = models.JSONField(_("standard agenda items"), default=default_guideline_items)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("network")
        verbose_name_plural = _("networks")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # A new Danish network left with the (German) default agenda gets the Danish one.
        if self._state.adding and self.guideline_items == DEFAULT_GUIDELINE_ITEMS:
            self.guideline_items = list(GUIDELINE_ITEMS_BY_COUNTRY.get(self.country, DEFAULT_GUIDELINE_ITEMS))
        super().save(*args, **kwargs)

    @property
    def time_zone_name(self) -> str:
        """The network's time zone as people name it (\"German time (CET/CEST)\"), in the active
        language; a zone without a name here shows its city, never the database id."""
        return str(TIME_ZONE_NAMES.get(self.time_zone) or self.time_zone.rsplit("/", 1)[-1].replace("_", " "))

    def clean(self) -> None:
        try:
            zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationError({"time_zone": _("Unknown time zone.")})
        if not isinstance(self.guideline_items, list) or not all(isinstance(i, str) for i in self.guideline_items):
            raise ValidationError({"guideline_items": _("Enter a list of agenda item titles.")})
        if self.holiday_region and self.holiday_region not in regions_of(self.country):
            raise ValidationError({"holiday_region": _("Not a state or region of this country: %(regions)s.")
                                   % {"regions": ", ".join(regions_of(self.country))}})


TIME_ZONE_NAMES = {
    "Europe/Berlin": _("German time (CET/CEST)"),
    "Europe/Copenhagen": _("Danish time (CET/CEST)"),
}


class OrganisationKind(models.TextChoices):
    YOUTH_WELFARE = "youth_welfare", _("Youth welfare office")
    ADDICTION_COUNSELLING = "addiction_counselling", _("Addiction counselling")
    CLINIC = "clinic", _("Clinic")
    GYNAECOLOGY = "gynaecology", _("Gynaecology")
    MIDWIFERY = "midwifery", _("Midwifery")
    PAEDIATRICS = "paediatrics", _("Paediatrics")
    EARLY_HELP = "early_help", _("Early help")
    FAMILY_HELP = "family_help", _("Family help")
    SUBSTITUTION = "substitution", _("Substitution treatment")
    RESIDENTIAL_TREATMENT = "residential_treatment", _("Residential treatment")
    OTHER = "other", _("Other")


class Organisation(models.Model):
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="organisations", verbose_name=_("network"))
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganisationKind.choices)
    municipality = models.CharField(_("municipality"), max_length=120, blank=True)
    email = models.EmailField(_("contact e-mail"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["network__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["network", "name"], name="organisation_unique_name_per_network"),
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """Anyone who logs in. What they may do follows from memberships, roles and family links."""

    preferred_language = models.CharField(_("preferred language"), max_length=5, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        full = self.get_full_name()
        return full or self.username


def refuse_staff_in_role(user) -> None:
    """Separation of duties: a technical admin's account holds no membership, network role or
    family role (a person who needs both has two accounts)."""
    if user is not None and (user.is_staff or user.is_superuser):
        raise ValidationError({"user": _("A technical admin's account cannot hold a membership or a role. "
                                         "A person who needs both has two accounts.")})


class ProfessionalRole(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker (youth welfare)")
    COUNSELLOR = "counsellor", _("Addiction counsellor")
    CASE_MANAGER = "case_manager", _("Case manager")
    PHYSICIAN = "physician", _("Physician")
    MIDWIFE = "midwife", _("Midwife")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    OTHER = "other", _("Other professional")


class Membership(models.Model):
    """A user working for an organisation, with a professional role."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("organisation"))
    role = models.CharField(_("professional role"), max_length=32, choices=ProfessionalRole.choices)
    is_lead = models.BooleanField(_("leads the organisation"), default=False,
                                  help_text=_("Told when an administrator changes the organisation's memberships."))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique_user_organisation"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.organisation} ({self.get_role_display()})"

    def clean(self) -> None:
        refuse_staff_in_role(self.user if self.user_id else None)


class NetworkRole(models.Model):
    """A role in a network rather than in a case: board member, coordinator, data-protection officer."""

    class Role(models.TextChoices):
        BOARD_MEMBER = "board_member", _("Board member")
        COORDINATOR = "coordinator", _("Network coordinator")
        DATA_PROTECTION_OFFICER = "dpo", _("Data-protection officer")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="network_roles", verbose_name=_("user"))
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="roles", verbose_name=_("network"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="board_seats",
        verbose_name=_("represents organisation"),
    )

    class Meta:
        verbose_name = _("network role")
        verbose_name_plural = _("network roles (board, coordinator, data protection)")
        constraints = [
            models.UniqueConstraint(fields=["user", "network", "role"], name="networkrole_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.network} ({self.get_role_display()})"

    def clean(self) -> None:
        refuse_staff_in_role(self.user if self.user_id else None)


# The relations of a family member (``cases.FamilyMember.PARENT_RELATIONS``) that make her a parent of
# the case. The apps below ``cases`` read a user's family role through her account's relation
# (``user.family_members``, queried as ``family_member__…``) and need the same list; tests/cases/test_parent_relations.py keeps them equal.
PARENT_RELATIONS = ("mother", "father", "guardian")
