"""People and institutions: networks, organisations, users, memberships, families, consent."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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

    @property
    def time_zone_name(self) -> str:
        """The network's time zone as people name it (\"German time (CET/CEST)\"), in the active
        language; a zone without a name here shows its city, never the database id."""
        return str(TIME_ZONE_NAMES.get(self.time_zone) or self.time_zone.rsplit("/", 1)[-1].replace("_", " "))

    def clean(self) -> None:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationError({"time_zone": _("Unknown time zone.")})
        if not isinstance(self.guideline_items, list) or not all(isinstance(i, str) for i in self.guideline_items):
            raise ValidationError({"guideline_items": _("Enter a list of agenda item titles.")})
        from participants.working_days import regions_of

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


class FamilyMember(models.Model):
    """Parents, guardians and children of one case. Minimal data: a first name or initials only."""

    class Relation(models.TextChoices):
        MOTHER = "mother", _("Mother")
        FATHER = "father", _("Father")
        GUARDIAN = "guardian", _("Guardian")
        OTHER_RELATIVE = "other_relative", _("Other relative")
        CHILD = "child", _("Child")
        EXPECTED_CHILD = "expected_child", _("Expected child")

    PARENT_RELATIONS = (Relation.MOTHER, Relation.FATHER, Relation.GUARDIAN)

    case = models.ForeignKey("conferences.Case", on_delete=models.PROTECT, related_name="family_members", verbose_name=_("case"))
    relation = models.CharField(_("relation"), max_length=20, choices=Relation.choices)
    display_name = models.CharField(_("first name or initials"), max_length=60)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    due_date = models.DateField(_("expected due date"), null=True, blank=True)
    user = models.OneToOneField(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="family_member", verbose_name=_("account")
    )
    email = models.EmailField(_("e-mail for invitations"), blank=True)
    interpreter_language = models.CharField(_("interpreter language"), max_length=40, blank=True)
    # The language letters and e-mails to her are written in, when she has no account of her own
    # (or has chosen none); blank: the network's language.
    language = models.CharField(_("language for letters and e-mails"), max_length=5, blank=True,
                                choices=settings.LANGUAGES)
    access_needs = models.CharField(_("access needs"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("family member")
        verbose_name_plural = _("family members")
        constraints = [
            models.CheckConstraint(
                condition=Q(relation="expected_child", due_date__isnull=False) | (~Q(relation="expected_child") & Q(due_date__isnull=True)),
                name="familymember_due_date_only_for_expected_child",
                violation_error_message=_("An expected child needs a due date, and only an expected child has one."),
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=True) | Q(relation__in=["mother", "father", "guardian", "other_relative"]),
                name="familymember_account_only_for_adults",
                violation_error_message=_("Only a parent, guardian or relative can have an account."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_relation_display()})"

    @property
    def is_parent(self) -> bool:
        return self.relation in self.PARENT_RELATIONS


class InformationCategory(models.TextChoices):
    ADDICTION_TREATMENT = "addiction_treatment", _("Addiction treatment")
    PREGNANCY_HEALTH = "pregnancy_health", _("Pregnancy and health")
    PARENTING_CHILD_WELFARE = "parenting_child_welfare", _("Parenting and child welfare")
    FINANCES_HOUSING = "finances_housing", _("Finances and housing")


class Consent(models.Model):
    """A parent's release from confidentiality (Schweigepflichtentbindung / samtykke).

    Recorded either by a member of the disclosing organisation from the signed form (its
    reference kept), or given by the parent herself in the service. Revoking never deletes:
    ``revoked_at`` is set and the consent stays on record; a parent who says she never gave it
    objects, which revokes it and marks ``objected_at``.
    """

    objects = VisibleToManager()

    class RecordedAs(models.TextChoices):
        SIGNED_FORM = "signed_form", _("From the signed form, by the disclosing organisation")
        IN_SERVICE = "in_service", _("Given by the parent in the service")

    case = models.ForeignKey("conferences.Case", on_delete=models.PROTECT, related_name="consents", verbose_name=_("case"))
    given_by = models.ForeignKey(FamilyMember, on_delete=models.PROTECT, related_name="consents_given", verbose_name=_("given by"))
    from_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="consents_disclosing", verbose_name=_("disclosing organisation")
    )
    to_organisations = models.ManyToManyField(Organisation, related_name="consents_receiving", verbose_name=_("receiving organisations"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    form_reference = models.CharField(_("signed form reference"), max_length=80, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by"))
    recorded_as = models.CharField(_("recorded as"), max_length=12, choices=RecordedAs.choices, default=RecordedAs.SIGNED_FORM)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("revoked by"))
    objected_at = models.DateTimeField(_("objected to at"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-valid_from", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")),
                name="consent_valid_window",
                violation_error_message=_("A consent must end on or after the day it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} – {self.given_by} – {self.from_organisation}"

    def is_valid_on(self, day: dt.date) -> bool:
        return self.revoked_at is None and self.valid_from <= day <= self.valid_until


class ConsentScope(models.Model):
    """One information category a consent covers (a row per category keeps policy queries in SQL)."""

    consent = models.ForeignKey(Consent, on_delete=models.CASCADE, related_name="scopes")
    category = models.CharField(_("information category"), max_length=32, choices=InformationCategory.choices)

    class Meta:
        verbose_name = _("consent category")
        verbose_name_plural = _("consent categories")
        constraints = [models.UniqueConstraint(fields=["consent", "category"], name="consentscope_unique")]

    def __str__(self) -> str:
        return self.get_category_display()


class LegalBasis(models.TextChoices):
    """The fixed list of legal bases for a disclosure. Code, not configuration (ARCHITECTURE rule 5)."""

    DE_CONSENT = "de_65_1_1_consent", _("§ 65 (1) Nr. 1 SGB VIII – consent of the person who entrusted it")
    DE_FAMILY_COURT = "de_65_1_2_family_court", _("§ 65 (1) Nr. 2 SGB VIII – family court under § 8a")
    DE_CHANGE_OF_RESPONSIBILITY = "de_65_1_3_change", _("§ 65 (1) Nr. 3 SGB VIII – change of responsibility with risk indicators")
    DE_SPECIALIST_8A = "de_65_1_4_specialist", _("§ 65 (1) Nr. 4 SGB VIII – specialist consulted under § 8a")
    DE_203_POWERS = "de_65_1_5_203", _("§ 65 (1) Nr. 5 SGB VIII – powers equivalent to § 203 StGB")
    DE_KKG_4 = "de_kkg_4", _("§ 4 KKG – child endangerment")
    DK_CONSENT = "dk_consent", _("Samtykke (consent)")
    DK_LEGAL_DUTY = "dk_legal_duty", _("Legal duty (lovpligt)")
    DK_DUTY_TO_NOTIFY = "dk_underretning", _("Duty to notify (underretningspligt)")


CONSENT_BASES = frozenset({LegalBasis.DE_CONSENT, LegalBasis.DK_CONSENT})
BASES_BY_COUNTRY = {
    Country.GERMANY: [
        LegalBasis.DE_FAMILY_COURT, LegalBasis.DE_CHANGE_OF_RESPONSIBILITY, LegalBasis.DE_SPECIALIST_8A,
        LegalBasis.DE_203_POWERS, LegalBasis.DE_KKG_4,
    ],
    Country.DENMARK: [LegalBasis.DK_LEGAL_DUTY, LegalBasis.DK_DUTY_TO_NOTIFY],
}


class DisclosureBasis(models.Model):
    """A recorded legal basis that allows disclosure without (or despite withdrawn) consent."""

    objects = VisibleToManager()

    case = models.ForeignKey("conferences.Case", on_delete=models.PROTECT, related_name="disclosure_bases", verbose_name=_("case"))
    basis = models.CharField(_("legal basis"), max_length=32, choices=LegalBasis.choices)
    from_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("disclosing organisation"))
    to_organisations = models.ManyToManyField(Organisation, related_name="disclosure_bases_receiving", verbose_name=_("receiving organisations"))
    invoked_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("invoked by"))
    justification = models.TextField(_("justification"))
    invoked_on = models.DateField(_("invoked on"), default=dt.date.today)
    valid_until = models.DateField(_("valid until"))
    parents_informed = models.BooleanField(_("parents informed"), default=False)
    not_informed_reason = models.TextField(_("reason parents were not informed"), blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("legal basis for disclosure")
        verbose_name_plural = _("legal bases for disclosure")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("invoked_on")),
                name="disclosurebasis_valid_window",
                violation_error_message=_("The time limit must be on or after the day the basis was invoked."),
            ),
            models.CheckConstraint(
                condition=Q(parents_informed=True) | ~Q(not_informed_reason=""),
                name="disclosurebasis_reason_when_parents_not_informed",
                violation_error_message=_("Say why the parents were not informed."),
            ),
            models.CheckConstraint(
                condition=~Q(basis__in=["de_65_1_1_consent", "dk_consent"]),
                name="disclosurebasis_not_consent",
                violation_error_message=_("Consent is recorded as a consent, not as a legal basis."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} – {self.get_basis_display()}"
