"""The landing dashboard: what waits for each person, gathered from every app.

It sits in ``config`` (the top layer) because it reads cases, conferences, protocols and the
board's summaries; every list is built on the policy (``cases/``, ``conferences/``, ``protocols/policy.py``) and costs a fixed number of
queries, whatever the number of rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from board import policy as board_policy
from board.selectors import yearly_reports_for_user
from cases import policy as cases_policy
from cases.models import Case
from cases.selectors import family_cases_for_user
from conferences import policy as conferences_policy
from conferences.models import Conference
from conferences.selectors import answers_waiting_for
from offers import referral_selectors
from participants.policy import may_join_a_family
from participants.roles import Roles, roles_of
from permissions import audit
from protocols import policy as protocols_policy
from protocols.models import AgreedAction
from protocols.selectors import (
    final_protocols_to_confirm_for_parent, overdue_minutes_steps_for_user, protocol_tasks_for_user, released_drafts_for_parent,
)

DASHBOARD_LIMIT = 20


@dataclass
class ParentCase:
    """One of her family's cases on a parent's dashboard, with what belongs to it alone."""
    case: Case
    next_conference: Conference | None = None
    drafts: list = field(default_factory=list)      # released draft minutes
    finals: list = field(default_factory=list)      # final minutes she has not confirmed reading yet
    actions: list = field(default_factory=list)     # open actions that fall to her


@dataclass
class Dashboard:
    roles: Roles
    led_cases: list = field(default_factory=list)
    led_cases_more: bool = False
    upcoming_conferences: list = field(default_factory=list)
    open_actions: list = field(default_factory=list)
    overdue_actions: list = field(default_factory=list)
    case_overdue_actions: list = field(default_factory=list)
    overdue_minutes_steps: list = field(default_factory=list)
    protocol_tasks: list = field(default_factory=list)
    open_polls: list = field(default_factory=list)
    open_invitations: list = field(default_factory=list)
    open_reports: list = field(default_factory=list)
    parent_cases: list = field(default_factory=list)          # ParentCase: a parent's account may hold several
    parent_next_conferences: list = field(default_factory=list)
    parent_actions: list = field(default_factory=list)
    parent_drafts: list = field(default_factory=list)         # released draft minutes of her family's conferences
    parent_finals: list = field(default_factory=list)         # final minutes of them she has not confirmed
    summaries: list = field(default_factory=list)
    yearly_reports: list = field(default_factory=list)
    incoming_referrals: list = field(default_factory=list)   # to offers she manages, not answered yet
    open_requests: list = field(default_factory=list)        # to her as central case manager, open

    @property
    def has_role(self) -> bool:
        r = self.roles
        return r.is_professional or r.is_parent or r.is_board_member or r.is_coordinator or r.is_dpo


def _open_states() -> list[str]:
    return [AgreedAction.Status.OPEN, AgreedAction.Status.IN_PROGRESS]


def upcoming_conferences_for_user(user, *, limit: int = 10, case_ids: QuerySet | None = None) -> QuerySet:
    """Scheduled conferences still ahead that the user sees; only those of ``case_ids`` if given."""
    conferences = conferences_policy.conferences_for_user(user)
    if case_ids is not None:
        conferences = conferences.filter(case_id__in=case_ids)
    return (
        conferences
        .filter(status=Conference.Status.SCHEDULED, starts_at__gte=timezone.now())
        .select_related("case")
        .order_by("starts_at", "pk")[:limit]
    )


def open_actions_for_professional(user, *, limit: int = DASHBOARD_LIMIT) -> list:
    """Open actions that fall to the professional or her organisation, soonest due first."""
    return list(
        protocols_policy.responsible_actions_for_user(user)
        .filter(status__in=_open_states(), responsible_family_member__isnull=True)
        .select_related("case", "responsible_organisation", "item")
        .order_by("due_on", "pk")[:limit]
    )


def overdue_actions_of_led_cases(user, *, limit: int = DASHBOARD_LIMIT) -> list:
    """Overdue actions on the cases the caseworker leads, whoever they fall to (she follows them up)."""
    return list(
        protocols_policy.actions_for_user(user)
        .filter(case__lead_caseworker=user, status__in=_open_states(), due_on__lt=timezone.localdate())
        .select_related("case", "responsible_organisation", "responsible_user", "responsible_family_member", "item")
        .order_by("due_on", "pk")[:limit]
    )


def dashboard_for_user(user) -> Dashboard:
    roles = roles_of(user)
    board = Dashboard(roles=roles)
    today = timezone.localdate()
    if roles.is_professional or roles.is_parent:
        # What waits for her answer: polls and invitations (a parent's too), reports (professionals).
        board.open_polls, board.open_invitations, board.open_reports = answers_waiting_for(
            user, reports=roles.is_professional)
    if roles.is_professional:
        board.protocol_tasks = protocol_tasks_for_user(user)
        board.upcoming_conferences = list(upcoming_conferences_for_user(user))
        board.open_actions = open_actions_for_professional(user)
        board.overdue_actions = [a for a in board.open_actions if a.due_on < today]
        board.incoming_referrals = list(referral_selectors.referrals_awaiting_answer(user)[:DASHBOARD_LIMIT])
        board.open_requests = list(referral_selectors.requests_awaiting_answer(user)[:DASHBOARD_LIMIT])
    if roles.is_caseworker:
        led = list(
            cases_policy.cases_for_user(user)
            .filter(lead_caseworker=user)
            .exclude(status=Case.Status.CLOSED)
            .select_related("lead_organisation")
            .order_by("next_review_on", "reference")[: DASHBOARD_LIMIT + 1]
        )
        board.led_cases, board.led_cases_more = led[:DASHBOARD_LIMIT], len(led) > DASHBOARD_LIMIT
        board.case_overdue_actions = overdue_actions_of_led_cases(user)
        board.overdue_minutes_steps = overdue_minutes_steps_for_user(user)
    if roles.is_parent:
        _fill_parent_cases(user, board)
    if roles.is_board_member or roles.is_coordinator:
        board.summaries = list(board_policy.summaries_for_user(user).select_related("network")[:12])
        # A Danish network's board reads its yearly report per municipality
        board.yearly_reports = list(yearly_reports_for_user(user).order_by("-year", "-pk")[:6])
    _audit_dashboard(user, board)
    return board


def next_conference_per_case(user, *, case_ids) -> QuerySet:
    """The next scheduled conference she sees of each of ``case_ids``, at most one per case: one
    query, whatever the number of cases."""
    upcoming = conferences_policy.conferences_for_user(user).filter(
        status=Conference.Status.SCHEDULED, starts_at__gte=timezone.now())
    first_of_case = upcoming.filter(case_id=OuterRef("case_id")).order_by("starts_at", "pk").values("pk")[:1]
    return upcoming.filter(case_id__in=case_ids, pk=Subquery(first_of_case))


def _fill_parent_cases(user, board: Dashboard) -> None:
    """Each of her family's cases (an account may be linked to several), with its own next
    conference, released drafts, final minutes to confirm and her open actions. A fixed number of
    queries: each list is read once for all her cases and sorted to its case here. Only her own
    family's: not a conference of another family she is a guest of.

    All of them, without a limit: a parent has a few cases, and one cut off would be missed without
    a word — as would a case's actions or minutes cut off by a limit on the list of all her cases
    (its entry would say "nothing is open for you")."""
    cases = list(family_cases_for_user(user))
    if not cases:
        return
    entries = {case.pk: ParentCase(case=case) for case in cases}
    board.parent_next_conferences = list(next_conference_per_case(user, case_ids=list(entries)))
    board.parent_actions = list(
        protocols_policy.responsible_actions_for_user(user)
        .filter(status__in=_open_states(), responsible_family_member__user=user, case_id__in=list(entries))
        .order_by("due_on", "pk")
    )
    board.parent_drafts = released_drafts_for_parent(user, limit=None)
    board.parent_finals = final_protocols_to_confirm_for_parent(user, limit=None)
    for conference in board.parent_next_conferences:
        entries[conference.case_id].next_conference = conference
    for action in board.parent_actions:
        entries[action.case_id].actions.append(action)
    for protocol in board.parent_drafts:
        if protocol.conference.case_id in entries:
            entries[protocol.conference.case_id].drafts.append(protocol)
    for protocol in board.parent_finals:
        if protocol.conference.case_id in entries:
            entries[protocol.conference.case_id].finals.append(protocol)
    board.parent_cases = list(entries.values())


def _audit_dashboard(user, board: Dashboard) -> None:
    """The dashboard shows case content from several lists: one audit event naming, per kind, the
    ids it showed (summaries are anonymised figures and audited by the board's own pages)."""
    shown = {
        "shown_cases": [(c.pk, c.pk) for c in board.led_cases + [entry.case for entry in board.parent_cases]],
        "conferences": [(c.pk, c.case_id) for c in board.upcoming_conferences + board.open_polls + board.open_invitations
                        + [r.conference for r in board.open_reports]
                        + board.parent_next_conferences],
        "actions": [(a.pk, a.case_id) for a in board.open_actions + board.case_overdue_actions + board.parent_actions],
        "protocols": [(step["protocol"].pk, step["protocol"].conference.case_id) for step in board.overdue_minutes_steps]
        + [(protocol.pk, protocol.conference.case_id) for protocol in board.parent_drafts + board.parent_finals],
    }
    rows = [row for kind_rows in shown.values() for row in kind_rows]
    if not rows:
        return
    bases = cases_policy.case_bases(user, {case for _, case in rows})
    audit.record_read(
        user, action="dashboard.read", object_type="dashboard", rows=[(case, case) for case in sorted(bases)],
        bases=bases, channel=audit.Channel.PAGE,
        detail={kind: sorted({pk for pk, _ in kind_rows}) for kind, kind_rows in shown.items() if kind_rows},
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    board = dashboard_for_user(request.user)
    # An account without a role that may still be linked to a family (a parent whose record was
    # erased, or who has not entered her caseworker's code yet) is shown the way to link a case,
    # not only sent to a network administrator she does not know.
    may_link_case = not board.has_role and may_join_a_family(request.user)
    return render(request, "participants/dashboard.html", {"board": board, "may_link_case": may_link_case})
