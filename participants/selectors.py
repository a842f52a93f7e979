"""Reads for the landing dashboards. Every list is built on ``permissions.policy`` and costs a
fixed number of queries, whatever the number of rows."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from permissions import policy
from participants.roles import Roles, roles_of


@dataclass
class Dashboard:
    roles: Roles
    led_cases: list = field(default_factory=list)
    upcoming_conferences: list = field(default_factory=list)
    open_actions: list = field(default_factory=list)
    overdue_actions: list = field(default_factory=list)
    parent_case: object | None = None
    parent_next_conference: object | None = None
    parent_actions: list = field(default_factory=list)
    summaries: list = field(default_factory=list)


def upcoming_conferences_for_user(user, *, limit: int = 10) -> QuerySet:
    from conferences.models import Conference

    return (
        policy.conferences_for_user(user)
        .filter(status=Conference.Status.SCHEDULED, starts_at__gte=timezone.now())
        .select_related("case")
        .order_by("starts_at")[:limit]
    )


def dashboard_for_user(user) -> Dashboard:
    from conferences.models import Case
    from protocols.models import AgreedAction

    roles = roles_of(user)
    board = Dashboard(roles=roles)
    today = timezone.localdate()
    open_states = [AgreedAction.Status.OPEN, AgreedAction.Status.IN_PROGRESS]
    if roles.is_professional:
        board.upcoming_conferences = list(upcoming_conferences_for_user(user))
        mine = (
            policy.responsible_actions_for_user(user)
            .filter(status__in=open_states, responsible_family_member__isnull=True)
            .select_related("case", "responsible_organisation")
            .order_by("due_on", "pk")
        )
        board.open_actions = list(mine[:20])
        board.overdue_actions = [a for a in board.open_actions if a.due_on < today]
    if roles.is_caseworker:
        board.led_cases = list(
            policy.cases_for_user(user)
            .filter(lead_caseworker=user)
            .exclude(status=Case.Status.CLOSED)
            .select_related("lead_organisation")
            .order_by("reference")
        )
    if roles.is_parent:
        board.parent_case = policy.cases_for_user(user).filter(pk__in=policy.parent_case_ids(user)).first()
        if board.parent_case is not None:
            board.parent_next_conference = next(iter(upcoming_conferences_for_user(user, limit=1)), None)
            board.parent_actions = list(
                policy.responsible_actions_for_user(user).filter(status__in=open_states).order_by("due_on", "pk")
            )
    if roles.is_board_member or roles.is_coordinator:
        board.summaries = list(policy.summaries_for_user(user).select_related("network")[:12])
    return board
