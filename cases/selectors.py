"""Reads for the case pages and the case API, built on the case policy (``cases/policy.py``).

Every list costs a fixed number of queries whatever its length; one object is fetched with
``get_case_for_user`` which answers 404 for a case that does not exist *and* for one the user
may not see, and records the read in the audit trail.
"""
from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from cases import policy as cases_policy
from cases.models import AccessOffer, Case, CaseTeamMember, FamilyMember, LegalHold
from participants.models import Membership, NetworkRole, Organisation, ProfessionalRole, User
from permissions import audit

def cases_for_list(user, *, status: str | None = None) -> QuerySet[Case]:
    """The cases the user may open, newest first, with what the list shows in the same query."""
    cases = (
        cases_policy.cases_for_user(user)
        .select_related("network", "lead_organisation", "lead_caseworker")
        # A correlated count, not a JOIN + GROUP BY: the list stays groupless, so the API's count
        # and page come in one statement (permissions.drf.BoundedLimitOffsetPagination).
        .annotate(team_size=Coalesce(Subquery(
            CaseTeamMember.objects.filter(case_id=OuterRef("pk"), removed_at__isnull=True).order_by()
            .values("case_id").annotate(n=Count("pk")).values("n")), 0))
        .order_by("-opened_on", "reference")
    )
    if status:
        cases = cases.filter(status=status)
    return cases


def family_cases_for_user(user) -> QuerySet[Case]:
    """The cases of her own family (a parent's account may be linked to several), newest first:
    not those she reaches as a professional or a guest. One query."""
    return (cases_policy.cases_for_user(user).filter(pk__in=cases_policy.parent_case_ids(user))
            .order_by("-opened_on", "pk"))


def get_case_for_user(user, pk: int, *, channel: str = audit.Channel.PAGE, audit_read: bool = True) -> Case:
    """One visible case, or 404 (missing and invisible look the same). The read is audited."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such case.") from None
    case = cases_policy.cases_for_user(user).select_related("network", "lead_organisation", "lead_caseworker").filter(pk=pk).first()
    if case is None:
        raise Http404("No such case.")
    if audit_read:
        basis = "family" if cases_policy.is_parent_of_case(user, case) else "team"
        audit.record(user, action="case.read", obj=case, case_id=case.pk, channel=channel, legal_basis=basis)
    return case


def _open_access_offers(member) -> QuerySet[AccessOffer]:
    return AccessOffer.objects.filter(member_id=member, used_at__isnull=True, revoked_at__isnull=True,
                                      expires_at__gt=timezone.now()).order_by("-pk")


def with_access_state(members: QuerySet[FamilyMember]) -> QuerySet[FamilyMember]:
    """Family members with ``access_offered_until``: the end of the open offer of access
    (``cases.access_services``), or None. The record shows "access offered" while it is open and its
    account is not linked (``user_id``), "account linked" once it is: the same whether or not an
    account received mail at the address when access was offered, so the case page tells the
    caseworker nothing about accounts elsewhere. ``access_offer_id`` is that offer, for the case
    page's "offer access" form (``open_access_offer_id``)."""
    open_offer = _open_access_offers(OuterRef("pk"))
    return members.annotate(access_offered_until=Subquery(open_offer.values("expires_at")[:1]),
                            access_offer_id=Subquery(open_offer.values("pk")[:1]))


def family_read_by(user, members: QuerySet[FamilyMember]) -> QuerySet[FamilyMember]:
    """``members`` as ``user`` reads them on the case page and in the case API: with their access
    state (``with_access_state``) and ``processing_restricted``, True for a member whose processing
    is restricted (Art. 18, ``cases_policy.restricted_member_ids``: never her own record). Of such a
    member only her name and relation are shown (review h11, H11-3); her year of birth and due
    date are left out of both, read from this one flag. In the same query."""
    restricted = cases_policy.restricted_member_ids(user).filter(pk=OuterRef("pk"))
    return with_access_state(members).annotate(processing_restricted=Exists(restricted))


def open_access_offer_id(member: FamilyMember) -> int | None:
    """The open offer of access of ``member`` now, or None. The case page's "offer access" form
    carries the one it was shown with: where they differ, the form was sent before (a reload of
    the page that showed the code) and must not make a second code."""
    return _open_access_offers(member.pk).values_list("pk", flat=True).first()


def access_state(member: FamilyMember) -> str:
    """"linked", "offered" or "none" for a member read through ``with_access_state``."""
    if member.user_id is not None:
        return "linked"
    return "offered" if getattr(member, "access_offered_until", None) else "none"


@dataclass
class CaseDetail:
    case: Case
    team: list[CaseTeamMember]
    family: list[FamilyMember]
    conferences: list  # the case's conferences (an upper app's rows, read through the relation and its policy)
    can_convene: bool
    is_parent: bool
    is_professional: bool = False
    can_reopen: bool = False
    can_open_legal_hold: bool = False


def case_detail(user, case: Case) -> CaseDetail:
    """What the case page shows. A parent sees the team and her family, and only conferences she is
    invited to; professionals see every conference of the case."""
    team = list(
        case.team.filter(removed_at__isnull=True)
        .select_related("organisation", "user")
        .order_by("organisation__name", "user__last_name", "pk")
    )
    family = list(family_read_by(user, case.family_members.order_by("pk")))
    conferences = list(
        case.conferences.visible_to(user).select_related("protocol", "case__network").order_by("-starts_at", "-pk")
    )
    return CaseDetail(
        case=case, team=team, family=family, conferences=conferences,
        can_convene=cases_policy.can_convene(user, case), is_parent=cases_policy.is_parent_of_case(user, case),
        is_professional=cases_policy.is_professional_on_case(user, case),
        can_reopen=cases_policy.can_reopen_case(user, case),
        can_open_legal_hold=cases_policy.can_open_legal_hold_page(user, case),
    )


def caseworker_organisations(user) -> QuerySet[Organisation]:
    """Organisations in which the user works as a caseworker: where she may open a case."""
    if not getattr(user, "is_authenticated", False):
        return Organisation.objects.none()
    return (
        Organisation.objects.filter(
            is_active=True,
            memberships__user=user, memberships__is_active=True, memberships__role=ProfessionalRole.CASEWORKER,
        )
        .select_related("network")
        .order_by("network__name", "name")
        .distinct()
    )


def team_candidates(case: Case, actor: User | None = None) -> tuple[QuerySet[Organisation], QuerySet[Membership]]:
    """Active organisations and professionals of the case's network who are not on its team yet.

    With ``actor``: only those she may put on the team. Someone who convenes only as a
    colleague's substitute is offered neither herself nor an organisation she works for
    (``services.case_team_member_add`` refuses both), so the form offers no choice that is
    always refused."""
    active = CaseTeamMember.objects.filter(case=case, removed_at__isnull=True)
    organisations = (
        Organisation.objects.filter(network_id=case.network_id, is_active=True)
        .exclude(Exists(active.filter(organisation_id=OuterRef("pk"), user__isnull=True)))
        .order_by("name")
    )
    memberships = (
        Membership.objects.filter(organisation__network_id=case.network_id, organisation__is_active=True, is_active=True,
                                  user__is_active=True)
        .exclude(Exists(active.filter(organisation_id=OuterRef("organisation_id"), user_id=OuterRef("user_id"))))
        .select_related("user", "organisation")
        .order_by("organisation__name", "user__last_name", "user__first_name")
    )
    if actor is not None and not cases_policy.convenes_in_own_right(actor, case):
        own = Membership.objects.filter(user=actor, is_active=True).values("organisation_id")
        organisations = organisations.exclude(pk__in=own)
        memberships = memberships.exclude(user=actor)
    return organisations, memberships


def suggest_reference(network) -> str:
    """The next free reference of this year in the network, e.g. HS-2026-023 (a suggestion only)."""
    prefix = f"{network.case_reference_prefix}-{timezone.localdate().year}-"
    tails = Case.objects.filter(network=network, reference__startswith=prefix).values_list("reference", flat=True)
    numbers = [int(tail) for tail in (r[len(prefix):] for r in tails) if tail.isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"


# --- legal holds (issue 17) -------------------------------------------------------------------

def legal_holds_for_dpo(user) -> QuerySet:
    """Every hold of the officer's networks, in force first, then by review date."""
    return (cases_policy.legal_holds_for_user(user)
            .select_related("case", "set_by", "set_on_instruction_of", "lifted_by", "lifted_on_instruction_of")
            .order_by(F("lifted_at").asc(nulls_first=True), "review_on", "pk"))


def holds_in_force_on(case: Case) -> QuerySet:
    """For the case's hold page: grounds and review dates (the page shows no reasons)."""
    return LegalHold.objects.filter(case=case, lifted_at__isnull=True).order_by("review_on", "pk")


def officers_of(network_id: int) -> QuerySet:
    """The network's data-protection officers, for "on the instruction of"."""
    return User.objects.filter(is_active=True, network_roles__network_id=network_id,
                               network_roles__role=NetworkRole.Role.DATA_PROTECTION_OFFICER).distinct().order_by("last_name", "username")


def case_for_hold(user, *, pk: int | None = None, reference: str | None = None) -> Case:
    """The case a hold is set on: the officer finds any case of her networks (she is on no team);
    the lead caseworker only her own. 404 otherwise."""
    cases = cases_policy.legal_hold_cases(user)
    cases = cases.filter(pk=pk) if pk is not None else cases.filter(reference=reference)
    found = list(cases.select_related("network")[:2])
    if len(found) != 1:
        raise Http404("No such case.")
    return found[0]


def email_address_of_another_family_member(email: str, *, case: Case, member: FamilyMember | None = None) -> bool:
    """Whether ``email`` (case-insensitive, whitespace stripped) already reaches another person of
    this case's family than ``member`` (None: one not yet recorded): the address recorded for
    another family member of the case, or an address (contact or allauth) of the account linked to
    one. Poll links and sign-in links sent there are personal, and two parents never share them.

    Only this family: the caseworker sees its members' addresses anyway. Whether an address is
    known anywhere else (an account, a family member of another case) is not asked: the answer
    would tell her whether someone is a parent in another case, perhaps in another network, and a
    mother of two cases, or of a new case after a closed one, is reached at her own address in both."""
    email = (email or "").strip()
    if not email:
        return False
    others = FamilyMember.objects.filter(case=case)
    if member is not None and member.pk is not None:
        others = others.exclude(pk=member.pk)
    accounts = others.filter(user__isnull=False).values("user_id")
    if member is not None and member.user_id is not None:
        accounts = accounts.exclude(user_id=member.user_id)
    return (others.filter(email__iexact=email).exists()
            or User.objects.filter(pk__in=accounts, email__iexact=email).exists()
            or EmailAddress.objects.filter(user_id__in=accounts, email__iexact=email).exists())
