"""Reads of the data-protection officer's pages, each filtered by ``privacy.access``."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, F, OuterRef, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from cases import policy as cases_policy
from cases.models import Case, Consent, DisclosureBasis, FamilyMember, LegalHold
from participants import language as participants_language
from participants import policy as participants_policy
from participants.models import NetworkRole, User
from permissions import anchors
from permissions.models import AuditEvent
from operations.retention import years_before
from privacy import access
from privacy.models import DataSubjectRequest, ProcessingRestriction

SOON_DAYS = 30


def requests_for_user(user, *, open_only: bool = False) -> QuerySet:
    """Requests by deadline (the extended one where extended), open ones first."""
    requests = (access.requests_visible_to(user)
                .select_related("case", "family_member", "recorded_by", "caseworker", "instructed_by")
                .annotate(deadline_on=Coalesce("extended_due_on", "due_on")))
    if open_only:
        requests = requests.filter(closed_at__isnull=True)
    return requests.order_by(F("closed_at").asc(nulls_first=True), "deadline_on", "pk")


def get_request_for_user(user, pk: int) -> DataSubjectRequest:
    request = requests_for_user(user).select_related("case__network").filter(pk=pk).first()
    if request is None:
        raise Http404("No such request.")
    return request


def export_language(request: DataSubjectRequest) -> str:
    """The language of what the officer hands over to the request's person (the access export):
    hers by the one language rule (``participants.language``: her own setting, else her recorded
    language, her interpreter's, her case's network), never the officer's who downloads it."""
    return participants_language.for_family_member(request.family_member, network=request.case.network)


def case_for_request(user, reference: str) -> Case:
    """The case a request is recorded for: any case of the officer's networks, or a case the
    caseworker leads. 404 otherwise (same answer for "missing" and "not yours")."""
    found = list(cases_policy.legal_hold_cases(user).filter(reference=reference).select_related("network")[:2])
    if len(found) != 1:
        raise Http404("No such case.")
    return found[0]


def members_of(case: Case) -> QuerySet:
    return FamilyMember.objects.filter(case=case).order_by("pk")


def officers_of(network_id: int) -> QuerySet:
    return User.objects.filter(is_active=True, network_roles__network_id=network_id,
                               network_roles__role=NetworkRole.Role.DATA_PROTECTION_OFFICER).distinct().order_by("last_name", "username")


def restrictions_of(request: DataSubjectRequest) -> QuerySet:
    return (ProcessingRestriction.objects.filter(family_member_id=request.family_member_id)
            .select_related("set_by", "lifted_by").order_by(F("lifted_at").desc(nulls_first=True), "-set_at"))


def restrictions_with_reads(user, *, request: DataSubjectRequest) -> list[ProcessingRestriction]:
    """The person's restrictions, each with ``reads``: the audited reads under it (who, when, the
    reason given), newest first, for the network's officer only; a caseworker handling the request
    on her instruction gets no reads (the reasons may name what was looked for)."""
    restrictions = list(restrictions_of(request))
    officer = access.is_officer(user, request.case.network_id)
    reads: dict[str, list[AuditEvent]] = {}
    if officer and restrictions:
        events = (AuditEvent.objects.filter(action="restriction.read", object_type="privacy.processingrestriction",
                                            object_id__in=[str(r.pk) for r in restrictions])
                  .order_by("-at", "-pk"))
        for event in events:
            reads.setdefault(event.object_id, []).append(event)
    for restriction in restrictions:
        restriction.reads = reads.get(str(restriction.pk), [])
    return restrictions


def restrictions_for_reader(user) -> QuerySet:
    """Restrictions in force on people of the user's cases (for the read-with-a-reason page)."""
    return (access.restrictions_visible_to(user).select_related("family_member__case")
            .order_by("family_member__case__reference", "pk"))


def get_restriction_for_reader(user, pk: int) -> ProcessingRestriction:
    restriction = restrictions_for_reader(user).filter(pk=pk).first()
    if restriction is None:
        raise Http404("No such restriction.")
    return restriction


def get_restriction_for_officer(user, pk: int) -> ProcessingRestriction:
    restriction = (ProcessingRestriction.objects.filter(pk=pk, family_member__case__network_id__in=participants_policy.dpo_network_ids(user))
                   .select_related("family_member__case").first())
    if restriction is None:
        raise Http404("No such restriction.")
    return restriction


# --- the dashboard --------------------------------------------------------------------------------

@dataclass
class Dashboard:
    today: dt.date
    requests: list = field(default_factory=list)        # open, by deadline; ``overdue`` set on each
    holds_due: list = field(default_factory=list)       # in force, review due within SOON_DAYS (no reasons)
    consents_expiring: int = 0
    consents_first_end: dt.date | None = None
    bases_expiring: int = 0
    bases_first_end: dt.date | None = None
    retention_years: int = 0
    retention_due: int = 0                              # closed cases erased by the runs of the next SOON_DAYS
    retention_held: int = 0                             # of those, under a legal hold
    restrictions_in_force: int = 0
    last_verification: AuditEvent | None = None
    anchor_name: str = ""
    anchor_at: dt.datetime | None = None


def dashboard_for_officer(user) -> Dashboard:
    """Everything on the officer's dashboard for her networks; counts, never case content."""
    today = timezone.localdate()
    soon = today + dt.timedelta(days=SOON_DAYS)
    networks = participants_policy.dpo_network_ids(user)
    board = Dashboard(today=today)
    board.requests = list(requests_for_user(user, open_only=True))
    for request in board.requests:
        request.overdue = request.deadline_on < today
    board.holds_due = list(cases_policy.legal_holds_for_user(user).filter(lifted_at__isnull=True, review_on__lte=soon)
                           .select_related("case").order_by("review_on", "pk"))
    consents = Consent.objects.filter(case__network_id__in=networks, revoked_at__isnull=True,
                                      valid_until__gte=today, valid_until__lte=soon)
    board.consents_expiring = consents.count()
    board.consents_first_end = consents.order_by("valid_until").values_list("valid_until", flat=True).first()
    bases = DisclosureBasis.objects.filter(case__network_id__in=networks, ended_at__isnull=True,
                                           valid_until__gte=today, valid_until__lte=soon)
    board.bases_expiring = bases.count()
    board.bases_first_end = bases.order_by("valid_until").values_list("valid_until", flat=True).first()
    board.retention_years = settings.CASE_RETENTION_YEARS
    if board.retention_years:
        due = (Case.objects.filter(network_id__in=networks, status=Case.Status.CLOSED, erasure__isnull=True,
                                   closed_on__lt=years_before(soon, board.retention_years))
               .annotate(held=Exists(LegalHold.objects.filter(case=OuterRef("pk"), lifted_at__isnull=True))))
        board.retention_due = due.count()
        board.retention_held = due.filter(held=True).count()
    board.restrictions_in_force = ProcessingRestriction.objects.filter(
        lifted_at__isnull=True, family_member__case__network_id__in=networks).count()
    board.last_verification = AuditEvent.objects.filter(action="audit.verify").order_by("-at", "-pk").first()
    anchor = anchors.newest_anchor()
    if anchor is not None:
        board.anchor_name, board.anchor_at = anchor.name, anchors.anchor_created_at(anchor)
    return board
