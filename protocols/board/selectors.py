"""Reads of the cooperation board, built on ``permissions.policy`` (one query per list).

Board members see the published summaries and the meetings of their network; the network's
coordinator also sees drafts. Nothing here ever touches a case.
"""
from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from permissions import policy
from protocols.models import BoardMeeting, HalfYearSummary


def summaries_for_user(user) -> QuerySet[HalfYearSummary]:
    return policy.summaries_for_user(user).select_related("network")


def published_summaries_for_user(user) -> QuerySet[HalfYearSummary]:
    return summaries_for_user(user).filter(status=HalfYearSummary.Status.PUBLISHED)


def get_summary_for_user(user, pk: int) -> HalfYearSummary:
    """404 when the summary does not exist or the user may not see it."""
    try:
        return summaries_for_user(user).get(pk=pk)
    except HalfYearSummary.DoesNotExist:
        raise Http404


def board_meetings_for_user(user) -> QuerySet[BoardMeeting]:
    """Meetings of the networks where the user is a board member or the coordinator."""
    return BoardMeeting.objects.filter(network_id__in=policy.board_network_ids(user)).select_related("network", "summary")


def get_board_meeting_for_user(user, pk: int) -> BoardMeeting:
    try:
        return board_meetings_for_user(user).get(pk=pk)
    except BoardMeeting.DoesNotExist:
        raise Http404


def coordinated_networks(user) -> QuerySet:
    from participants.models import Network

    return Network.objects.filter(pk__in=policy.coordinator_network_ids(user)).order_by("name")
