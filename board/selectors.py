"""Reads of the cooperation board, built on the policy (``board/policy.py``, ``participants/policy.py``) (one query per list).

Board members see the published summaries and the meetings of their network; the network's
coordinator also sees drafts. Nothing here ever touches a case.
"""
from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from board import policy as board_policy
from board.models import BoardMeeting, HalfYearSummary, YearlyReport
from participants import policy as participants_policy
from participants.models import Country, Network
from permissions.audit import Channel, record


def summaries_for_user(user) -> QuerySet[HalfYearSummary]:
    return board_policy.summaries_for_user(user).select_related("network")


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
    return BoardMeeting.objects.filter(network_id__in=participants_policy.board_network_ids(user)).select_related("network", "summary")


def get_board_meeting_for_user(user, pk: int) -> BoardMeeting:
    try:
        return board_meetings_for_user(user).get(pk=pk)
    except BoardMeeting.DoesNotExist:
        raise Http404


def coordinated_networks(user) -> QuerySet:
    return Network.objects.filter(pk__in=participants_policy.coordinator_network_ids(user)).order_by("name")


def yearly_reports_for_user(user) -> QuerySet[YearlyReport]:
    """Danish yearly reports: published ones for the network's board, drafts too for its coordinator."""
    if not getattr(user, "is_authenticated", False):
        return YearlyReport.objects.none()
    return YearlyReport.objects.filter(
        Q(network_id__in=participants_policy.board_network_ids(user), status=YearlyReport.Status.PUBLISHED)
        | Q(network_id__in=participants_policy.coordinator_network_ids(user)),
        network__country=Country.DENMARK,
    ).select_related("network")


def get_yearly_report_for_user(user, pk: int) -> YearlyReport:
    try:
        return yearly_reports_for_user(user).get(pk=pk)
    except YearlyReport.DoesNotExist:
        raise Http404


def sees_danish_yearly_reports(user) -> bool:
    """Whether the Danish yearly reports concern ``user`` at all: she sits on the board of, or
    coordinates, a Danish network (a German board member is not shown the link). One query."""
    if not getattr(user, "is_authenticated", False):
        return False
    return Network.objects.filter(
        Q(pk__in=participants_policy.board_network_ids(user)) | Q(pk__in=participants_policy.coordinator_network_ids(user)),
        country=Country.DENMARK).exists()


def coordinated_danish_networks(user) -> QuerySet:
    return coordinated_networks(user).filter(country=Country.DENMARK)


def record_read(user, obj, *, action: str, channel: str = Channel.PAGE) -> None:
    """Audit that ``user`` opened a board document (summary, its CSV, a yearly report). No case
    is involved, so the event joins the day's chain."""
    record(user, action=action, obj=obj, channel=channel, detail={"network": obj.network_id})


def record_list_read(user, summaries, *, channel: str = Channel.API) -> None:
    """Audit one listing of summaries with their figures (one event per request, not per row):
    the ids and networks of the summaries handed out, in the day's chain (no case)."""
    summaries = list(summaries)
    record(user, action="summary.list", object_type="board.halfyearsummary.list", channel=channel, detail={
        "summaries": [summary.pk for summary in summaries],
        "networks": sorted({summary.network_id for summary in summaries}),
    })


def published_year_documents(network, year: int) -> list[dict]:
    """The documents of ``year`` the network's board has been given, with the tables other apps
    contributed to them (``board.figures.contributed_tables``): the published half-year summaries
    and yearly report, ``{"published_at", "tables"}``, oldest first. Not filtered by a user: the
    figures' computation suppresses new tables against what the board already holds."""
    documents = [(summary.published_at, summary.figures) for summary in HalfYearSummary.objects.filter(
        network=network, year=year, status=HalfYearSummary.Status.PUBLISHED)]
    documents += [(report.published_at, report.figures) for report in YearlyReport.objects.filter(
        network=network, year=year, status=YearlyReport.Status.PUBLISHED)]
    return [{"published_at": published_at, "tables": figures.get("extras") or []}
            for published_at, figures in sorted(documents, key=lambda item: item[0])
            if isinstance(figures, dict) and figures.get("extras")]
