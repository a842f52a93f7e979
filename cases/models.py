"""The case of one family: its team, its family members, their consents and the recorded legal
bases for disclosure, and legal holds on its erasure (issue 14: moved here from ``conferences`` and
``participants``, tables and rows kept, see migrations/0001_initial.py)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants.models import Country, Network, Organisation, ProfessionalRole, User
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
        db_table = "conferences_case"
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
    # Why a removed row ended: blank when the convenor took her off the team; LEFT_ORGANISATION when
    # her membership of the row's organisation ended (``services.team_rows_end_on_departure``). Only
    # the convenor's removals bar an organisation from joining again on its own
    # (``policy.self_admission_refusal``).
    LEFT_ORGANISATION = "left_organisation"
    removal_reason = models.CharField(_("removal reason"), max_length=20, blank=True, default="",
                                      choices=[(LEFT_ORGANISATION, _("Left the organisation"))])

    class Meta:
        db_table = "conferences_caseteammember"
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

    @classmethod
    def role_for(cls, *, kind: str, professional_role: str = "") -> str:
        """The form's default: the professional's own role where it names a case role (a case
        manager of a perinatal centre manages the case, she does not give medical care), else the
        organisation's kind. Caseworkers, social workers and others say nothing of their part."""
        by_profession = {
            ProfessionalRole.CASE_MANAGER: cls.CaseRole.CASE_MANAGEMENT, ProfessionalRole.COUNSELLOR: cls.CaseRole.COUNSELLING,
            ProfessionalRole.PHYSICIAN: cls.CaseRole.MEDICAL, ProfessionalRole.MIDWIFE: cls.CaseRole.MIDWIFERY,
        }
        return by_profession.get(professional_role) or cls.role_for_kind(kind)


# What an erasure leaves in a text field that held something (``privacy.services.ERASED``,
# ``operations.retention.ERASED``; the same value, a test says so): stored, so erasure stays
# idempotent whatever language the officer works in; shown through ``FamilyMember.name``.
ERASED_MARK = "[erased]"


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
    # What an erasure writes over her name (Art. 17: ``privacy.services``; the retention run).
    ERASED_NAME = ERASED_MARK

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="family_members", verbose_name=_("case"))
    relation = models.CharField(_("relation"), max_length=20, choices=Relation.choices)
    display_name = models.CharField(_("first name or initials"), max_length=60)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    due_date = models.DateField(_("expected due date"), null=True, blank=True)
    # One account may stand for the same person in several cases (a mother of two cases, or of a
    # new case after a closed one), once per case (``familymember_one_record_per_account_and_case``).
    # Linked only by the person herself (``cases.access_services``: a set-up link or a linking code).
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="family_members",
        related_query_name="family_member", verbose_name=_("account"),
    )
    email = models.EmailField(_("e-mail for invitations"), blank=True)
    interpreter_language = models.CharField(_("interpreter language"), max_length=40, blank=True)
    # The language letters and e-mails to her are written in, when she has no account of her own
    # (or has chosen none); blank: the network's language.
    language = models.CharField(_("language for letters and e-mails"), max_length=5, blank=True,
                                choices=settings.LANGUAGES)
    access_needs = models.CharField(_("access needs"), max_length=200, blank=True)
    # When her record was erased (Art. 17 granted: ``privacy.services``; the case's retention run:
    # ``operations.retention``). The fact itself, not the marker in her name: a correction typed
    # over the marker must not undo it, and nothing may be offered to her again.
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True, editable=False)
    # Raised by every save of the record: a correction names the version it started from, so two
    # caseworkers correcting at once never silently overwrite each other (``permissions.conflicts``).
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        db_table = "participants_familymember"
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
            models.UniqueConstraint(
                fields=["case", "user"], condition=Q(user__isnull=False),
                name="familymember_one_record_per_account_and_case",
                violation_error_message=_("This account is already linked to this case."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_relation_display()})"

    @property
    def name(self) -> str:
        """The name as people read it: after an Art. 17 erasure or the retention run the stored
        marker (``ERASED_MARK``) in the reader's language, not the English marker itself."""
        return str(_("[erased]")) if self.is_erased else self.display_name

    @property
    def is_parent(self) -> bool:
        return self.relation in self.PARENT_RELATIONS

    @property
    def is_erased(self) -> bool:
        """Her record was erased (Art. 17 granted, or the case's retention period ended). The one
        rule of every offer made to her: she gets no new poll link, letter, e-mail or offer of
        access (``conferences.services``, ``conferences.imip``, ``cases.access_services``); her record
        is not corrected any more (``cases.services.family_member_update``). Read from ``erased_at``,
        never from the marker in her name."""
        return self.erased_at is not None


class AccessOffer(models.Model):
    """A caseworker's offer of access to a parent's family-member record: a one-time linking code
    (stored only as a keyed hash) that the parent enters, signed in, on her account page; and,
    where no account received mail at her address, an account made for the offer
    (``account``) whose one-time set-up link takes the offer when she uses it.

    Open while neither used, revoked nor expired; offering again revokes the open one. The member
    is linked to an account only when the offer is taken (``cases.access_services``)."""

    member = models.ForeignKey(FamilyMember, on_delete=models.CASCADE, related_name="access_offers",
                               verbose_name=_("family member"))
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    offered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("offered by"))
    offered_at = models.DateTimeField(_("offered at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    # The account made for this offer (no account received mail at the address): its set-up link
    # takes the offer. Blank where an account existed: only the code does.
    account = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("account made for the offer"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    used_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("used by"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("access offer")
        verbose_name_plural = _("access offers")
        indexes = [models.Index(fields=["member", "revoked_at", "used_at"], name="accessoffer_member_open")]

    def __str__(self) -> str:
        return f"{self.member} – {self.offered_at:%Y-%m-%d}"

    def is_open(self, now: dt.datetime | None = None) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > (now or timezone.now())


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

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="consents", verbose_name=_("case"))
    given_by = models.ForeignKey(FamilyMember, on_delete=models.PROTECT, related_name="consents_given", verbose_name=_("given by"))
    from_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="consents_disclosing", verbose_name=_("disclosing organisation")
    )
    to_organisations = models.ManyToManyField(Organisation, related_name="consents_receiving", verbose_name=_("receiving organisations"),
                                              db_table="participants_consent_to_organisations")
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
        db_table = "participants_consent"
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
        db_table = "participants_consentscope"
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

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="disclosure_bases", verbose_name=_("case"))
    basis = models.CharField(_("legal basis"), max_length=32, choices=LegalBasis.choices)
    from_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("disclosing organisation"))
    to_organisations = models.ManyToManyField(Organisation, related_name="disclosure_bases_receiving", verbose_name=_("receiving organisations"),
                                              db_table="participants_disclosurebasis_to_organisations")
    invoked_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("invoked by"))
    justification = models.TextField(_("justification"))
    invoked_on = models.DateField(_("invoked on"), default=dt.date.today)
    valid_until = models.DateField(_("valid until"))
    parents_informed = models.BooleanField(_("parents informed"), default=False)
    not_informed_reason = models.TextField(_("reason parents were not informed"), blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        db_table = "participants_disclosurebasis"
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
        db_table = "conferences_legalhold"
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["review_on", "pk"]
        indexes = [models.Index(fields=["case", "lifted_at"], name="legalhold_case_lifted")]

    def __str__(self) -> str:
        return f"{self.case} – {self.get_ground_display()}"

    @property
    def in_force(self) -> bool:
        return self.lifted_at is None
