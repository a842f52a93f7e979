"""Writes of the cooperation board: summary drafts and publication, board meetings and minutes.

Only the network's coordinator writes. Every write is audited; e-mails leave after commit.
"""
from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from board import imip, selectors as board_selectors
from board.figures import DEFINITIONS_VERSION, Period, compute_figures, compute_yearly_report
from board.models import BoardMeeting, BoardMeetingInvitation, HalfYearSummary, YearlyReport
from conferences import ical
from conferences.imip import CANCEL, REQUEST
from participants import policy as participants_policy
from participants.models import Country, NetworkRole, User
from permissions import conflicts, dates
from permissions.audit import Channel, record

MAX_SERIES = 10


def is_coordinator(user, network_id: int) -> bool:
    return participants_policy.coordinator_network_ids(user).filter(network_id=network_id).exists()


def _require_coordinator(actor, network_id: int) -> None:
    if not is_coordinator(actor, network_id):
        raise PermissionDenied(_("Only the network's coordinator may do this."))


# --- Summaries -------------------------------------------------------------------------------

def _day_after(network, last_day: dt.date) -> dt.date | None:
    """The first day after ``last_day`` if that has not yet come in the network's time zone
    (the figures of a period are computed only once it has ended), else None."""
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(network.time_zone))
    return last_day + dt.timedelta(days=1) if today <= last_day else None


def _computed_after(network, computed_at: dt.datetime, last_day: dt.date) -> bool:
    """Whether figures computed at ``computed_at`` were computed after ``last_day`` ended."""
    return timezone.localdate(computed_at, timezone=zoneinfo.ZoneInfo(network.time_zone)) > last_day


def _published_municipality_tables(network, year: int) -> list[dict]:
    """The municipality tables of ``year`` the board has already been given (published half-year
    summaries and yearly report of a Danish network): a new table of the same year is suppressed
    against them, so that the difference of two cumulative tables gives back no small count."""
    if network.country != Country.DENMARK:
        return []
    tables = [summary.figures.get("municipalities") for summary in HalfYearSummary.objects.filter(
        network=network, year=year, status=HalfYearSummary.Status.PUBLISHED).order_by("half", "pk")]
    tables += [report.figures for report in YearlyReport.objects.filter(
        network=network, year=year, status=YearlyReport.Status.PUBLISHED).order_by("pk")]
    return [table for table in tables if isinstance(table, dict) and table.get("rows")]


def _published_neighbour_summaries(network, period: Period) -> list[dict]:
    """The stored figures of the network's published summaries whose columns show the half year
    of ``period`` or the one before it (the summaries of the half year before, the same and the
    next): a new summary is suppressed against what they already show."""
    before, after = period.previous, Period(period.year + 1, 1) if period.half == 2 else Period(period.year, 2)
    wanted = Q()
    for p in (before, period, after):
        wanted |= Q(year=p.year, half=p.half)
    return [summary.figures for summary in HalfYearSummary.objects.filter(
        wanted, network=network, status=HalfYearSummary.Status.PUBLISHED).order_by("year", "half", "pk")]


def _outdated_tables(network, year: int, figures: dict, computed_at: dt.datetime) -> bool:
    """Whether a draft's contributed tables (``figures["extras"]``) were suppressed against less
    than the board has seen since: another document of the same year was published after the
    draft was computed, or the draft was computed before its year ended and the year has ended
    since (from then on the board sees the year's partnership figures, which a draft of that year
    is suppressed against once they can be seen: ``offers.figures``). Publishing it would let its
    cells and theirs give back each other's hidden ones."""
    if not (isinstance(figures, dict) and figures.get("extras")):
        return False
    if any(document["published_at"] > computed_at for document in board_selectors.published_year_documents(network, year)):
        return True
    return not _computed_after(network, computed_at, dt.date(year, 12, 31)) and _day_after(network, dt.date(year, 12, 31)) is None


def _refuse_outdated_tables(network, year: int, figures: dict, computed_at: dt.datetime) -> None:
    if _outdated_tables(network, year, figures, computed_at):
        raise ValidationError(_(
            "Since this draft was computed, the board has been given other figures of its year (another report, or "
            "the year's partnership figures). Compute a new draft: it is checked against them."))


@transaction.atomic
def summary_compute(actor, *, network, year: int, half: int, channel: str = Channel.PAGE) -> HalfYearSummary:
    """Compute a new draft for ``network`` and the half year. Checks: coordinator of the network;
    the half year has ended (in the network's time zone). A draft never replaces a published
    summary; each computation is a new draft.

    Review h3-5c: drafts of the RUNNING half year, recomputed at will and time-stamped, differed
    by exactly the case opened between two of them (7 new cases, then 8): a differencing channel
    to one family. Once the half year has ended, a new draft differs from an earlier one only by
    late entries (back-dated openings, closings, actions), not by the ordinary course of work."""
    _require_coordinator(actor, network.pk)
    if half not in (1, 2):
        raise ValidationError({"half": _("Choose the first or the second half year.")})
    if year < 2000 or dt.date(year, 1 if half == 1 else 7, 1) > timezone.localdate():
        raise ValidationError({"year": _("Choose a half year that has begun.")})
    from_day = _day_after(network, Period(year, half).end)
    if from_day is not None:
        raise ValidationError({"half": _(
            "The figures of a half year are computed once it has ended, from %(date)s. Figures of the running half "
            "year would change with every new case and could point to single families."
        ) % {"date": date_format(from_day, "SHORT_DATE_FORMAT")}})
    summary = HalfYearSummary.objects.create(
        network=network, year=year, half=half, status=HalfYearSummary.Status.DRAFT,
        figures=compute_figures(network, year, half, published=_published_municipality_tables(network, year),
                                published_summaries=_published_neighbour_summaries(network, Period(year, half)),
                                published_documents=board_selectors.published_year_documents(network, year)),
        definitions_version=DEFINITIONS_VERSION,
        computed_at=timezone.now(), computed_by=actor,
    )
    record(actor, action="summary.compute", obj=summary, channel=channel,
           detail={"network": network.pk, "year": year, "half": half})
    return summary


def _require_draft(summary: HalfYearSummary) -> None:
    if summary.status != HalfYearSummary.Status.DRAFT:
        raise ValidationError(_("A published summary is frozen. Compute a new draft instead."))


@transaction.atomic
def summary_set_commentary(actor, *, summary: HalfYearSummary, commentary: str, version: int | None = None,
                           channel: str = Channel.PAGE) -> HalfYearSummary:
    """Set the coordinator's commentary on a draft. Checks: coordinator; draft only; ``version``
    (the summary's version the commentary started from; the page always sends it, a script may
    pass None) is still the current one, otherwise ``EditConflict`` with the summary as it stands
    and nothing changes."""
    _require_coordinator(actor, summary.network_id)
    summary = HalfYearSummary.objects.select_for_update().get(pk=summary.pk)
    _require_draft(summary)
    conflicts.check_version(summary, version)
    commentary = commentary.strip()
    if len(commentary) > 4000:
        raise ValidationError({"commentary": _("Keep the commentary under 4,000 characters.")})
    summary.commentary = commentary
    summary.version += 1
    summary.save(update_fields=["commentary", "version"])
    record(actor, action="summary.commentary", obj=summary, channel=channel)
    return summary


@transaction.atomic
def summary_publish(actor, *, summary: HalfYearSummary, confirmed: bool = True, channel: str = Channel.PAGE) -> HalfYearSummary:
    """Publish a draft exactly as computed. Checks: coordinator; draft; computed after its half
    year ended (a draft of the running half year from before review h3-5c is not published); no
    other published summary of the same half year; ``confirmed`` (the page's box: publishing cannot
    be undone). From now on the stored figures never change."""
    _require_coordinator(actor, summary.network_id)
    summary = HalfYearSummary.objects.select_for_update().get(pk=summary.pk)
    _require_draft(summary)
    if not confirmed:
        raise ValidationError({"confirm": _("Tick the box to confirm that the summary is published to the board as it "
                                            "stands; it cannot be changed afterwards.")})
    if not _computed_after(summary.network, summary.computed_at, Period(summary.year, summary.half).end):
        raise ValidationError(_("This draft was computed before its half year ended. Compute a new draft."))
    if HalfYearSummary.objects.filter(network_id=summary.network_id, year=summary.year, half=summary.half,
                                      status=HalfYearSummary.Status.PUBLISHED).exists():
        raise ValidationError(_("A summary of this half year has already been published."))
    _refuse_outdated_tables(summary.network, summary.year, summary.figures, summary.computed_at)
    summary.status = HalfYearSummary.Status.PUBLISHED
    summary.published_at = timezone.now()
    summary.published_by = actor
    summary.version += 1
    summary.save(update_fields=["status", "published_at", "published_by", "version"])
    record(actor, action="summary.publish", obj=summary, channel=channel,
           detail={"definitions_version": summary.definitions_version})
    return summary


@transaction.atomic
def summary_discard(actor, *, summary: HalfYearSummary, confirmed: bool = True, channel: str = Channel.PAGE) -> None:
    """Delete a draft nobody else has seen. Checks: coordinator; draft; not on a meeting's agenda;
    ``confirmed`` (the page's box: the draft and its commentary are gone).
    Read again under its row lock: a draft a colleague published since the page was read is the
    board's record of the half year and stays (``summary_publish`` takes the same lock)."""
    _require_coordinator(actor, summary.network_id)
    summary = HalfYearSummary.objects.select_for_update().get(pk=summary.pk)
    _require_draft(summary)
    if not confirmed:
        raise ValidationError({"confirm": _("Tick the box to confirm that the draft and its commentary are discarded.")})
    if summary.meetings.exists():
        raise ValidationError(_("This draft is attached to a board meeting."))
    record(actor, action="summary.discard", obj=summary, channel=channel)
    summary.delete()


# --- Danish yearly reports -------------------------------------------------------------------

@transaction.atomic
def yearly_report_compute(actor, *, network, year: int, channel: str = Channel.PAGE) -> YearlyReport:
    """Compute a new draft of the Danish yearly report. Checks: coordinator of the network; the
    network is Danish; the year has ended (in the network's time zone: the report of the running
    year, recomputed at will, would single out each case as it is opened, as drafts of the
    running half year did, review h3-5c). Each computation is a new draft."""

    _require_coordinator(actor, network.pk)
    if network.country != Country.DENMARK:
        raise ValidationError({"network": _("The yearly report per municipality is for Danish networks.")})
    if year < 2000 or year > timezone.localdate().year:
        raise ValidationError({"year": _("Choose a year that has begun.")})
    from_day = _day_after(network, dt.date(year, 12, 31))
    if from_day is not None:
        raise ValidationError({"year": _(
            "The yearly report is computed once the year has ended, from %(date)s. Figures of the running year would "
            "change with every new case and could point to single families."
        ) % {"date": date_format(from_day, "SHORT_DATE_FORMAT")}})
    report = YearlyReport.objects.create(
        network=network, year=year, status=YearlyReport.Status.DRAFT,
        figures=compute_yearly_report(network, year, published=_published_municipality_tables(network, year),
                                      published_documents=board_selectors.published_year_documents(network, year)),
        definitions_version=DEFINITIONS_VERSION, computed_at=timezone.now(), computed_by=actor,
    )
    record(actor, action="yearly_report.compute", obj=report, channel=channel, detail={"network": network.pk, "year": year})
    return report


@transaction.atomic
def yearly_report_publish(actor, *, report: YearlyReport, channel: str = Channel.PAGE) -> YearlyReport:
    """Publish a draft exactly as computed; from now on it never changes. Checks: coordinator;
    draft; computed after its year ended; no other published report of the same year."""
    _require_coordinator(actor, report.network_id)
    report = YearlyReport.objects.select_for_update().get(pk=report.pk)
    if report.status != YearlyReport.Status.DRAFT:
        raise ValidationError(_("A published report is frozen. Compute a new draft instead."))
    if not _computed_after(report.network, report.computed_at, dt.date(report.year, 12, 31)):
        raise ValidationError(_("This draft was computed before its year ended. Compute a new draft."))
    if YearlyReport.objects.filter(network_id=report.network_id, year=report.year, status=YearlyReport.Status.PUBLISHED).exists():
        raise ValidationError(_("A report of this year has already been published."))
    _refuse_outdated_tables(report.network, report.year, report.figures, report.computed_at)
    report.status, report.published_at, report.published_by = YearlyReport.Status.PUBLISHED, timezone.now(), actor
    report.save(update_fields=["status", "published_at", "published_by"])
    record(actor, action="yearly_report.publish", obj=report, channel=channel,
           detail={"definitions_version": report.definitions_version})
    return report


# --- Board meetings --------------------------------------------------------------------------

def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """The same local wall-clock time ``months`` later (day clamped to the month's end)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _board_members(network_id: int):
    return User.objects.filter(
        pk__in=NetworkRole.objects.filter(network_id=network_id, role=NetworkRole.Role.BOARD_MEMBER).values("user_id"),
        is_active=True,
    ).order_by("pk")


def _invite_board(meetings: list[BoardMeeting]) -> None:
    """One invitation per board member of the network and meeting (two queries)."""
    if not meetings:
        return
    members = list(_board_members(meetings[0].network_id))
    BoardMeetingInvitation.objects.bulk_create(
        [BoardMeetingInvitation(meeting=meeting, user=user) for meeting in meetings for user in members],
        ignore_conflicts=True,
    )


def _notify(meetings: list[BoardMeeting], method: str) -> None:
    """After commit, send each invited board member one iMIP message per meeting (REQUEST when
    scheduled or changed, CANCEL when cancelled): when and where, never any case data. The
    messages go to the outbox (EMAIL_BACKEND), which retries them while the mail server is down."""
    if not meetings:
        return
    ids = [meeting.pk for meeting in meetings]

    def send() -> None:
        invitations = (BoardMeetingInvitation.objects.filter(meeting_id__in=ids)
                       .select_related("meeting__network", "meeting__created_by", "user").order_by("meeting__starts_at", "pk"))
        now = timezone.now()
        messages = [m for m in (imip.build_message(i.meeting, i, method=method, now=now) for i in invitations) if m]
        if messages:
            get_connection(fail_silently=True).send_messages(messages)

    transaction.on_commit(send)


def _clean_times(starts_at: dt.datetime, ends_at: dt.datetime, network=None) -> None:
    dates.refuse_too_far_ahead(starts_at=starts_at, ends_at=ends_at)
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("A meeting must end after it starts.")})
    if network is not None:
        zone = ical.zone_of(network)
        ical.check_unambiguous(starts_at, zone, field="starts_at")
        ical.check_unambiguous(ends_at, zone, field="ends_at")


def _check_summary(summary: HalfYearSummary | None, network_id: int) -> None:
    if summary is not None and (summary.network_id != network_id or summary.status != HalfYearSummary.Status.PUBLISHED):
        raise ValidationError({"summary": _("Attach a published summary of this network.")})


@transaction.atomic
def board_meeting_schedule_series(
    actor, *, network, starts_at: dt.datetime, ends_at: dt.datetime, location: str = "", count: int = 2,
    summary: HalfYearSummary | None = None, channel: str = Channel.PAGE,
) -> list[BoardMeeting]:
    """Schedule ``count`` half-yearly meetings from ``starts_at`` (every six months, same local
    time) and invite every board member of the network by e-mail. Checks: coordinator."""
    _require_coordinator(actor, network.pk)
    _clean_times(starts_at, ends_at, network)
    if not 1 <= count <= MAX_SERIES:
        raise ValidationError({"count": _("Schedule between 1 and %(max)s meetings.") % {"max": MAX_SERIES}})
    _check_summary(summary, network.pk)
    tz = zoneinfo.ZoneInfo(network.time_zone)
    local_start, duration = timezone.localtime(starts_at, tz), ends_at - starts_at
    now = timezone.now()
    meetings = []
    last = add_months(local_start.replace(tzinfo=None, year=min(local_start.year, dt.MAXYEAR - 1)), 6 * (count - 1))
    dates.refuse_too_far_ahead(starts_at=last)  # the series' last meeting, before any is created
    for n in range(count):
        # Duration added in UTC: zone-aware arithmetic is wall-clock time, an hour off across DST.
        start = add_months(local_start.replace(tzinfo=None), 6 * n).replace(tzinfo=tz).astimezone(dt.timezone.utc)
        _clean_times(start, start + duration, network)  # the first, and each later one of the series
        meetings.append(BoardMeeting.objects.create(
            network=network, starts_at=start, ends_at=start + duration, location=location,
            summary=summary if n == 0 else None, created_by=actor, invitations_sent_at=now,
        ))
    key = f"series-{meetings[0].pk}"
    BoardMeeting.objects.filter(pk__in=[m.pk for m in meetings]).update(series_key=key)
    for meeting in meetings:
        meeting.series_key = key
        record(actor, action="board_meeting.schedule", obj=meeting, channel=channel, detail={"series": key})
    _invite_board(meetings)
    _notify(meetings, REQUEST)
    return meetings


@transaction.atomic
def board_meeting_update(
    actor, *, meeting: BoardMeeting, starts_at: dt.datetime, ends_at: dt.datetime, location: str,
    summary: HalfYearSummary | None, version: int | None = None, channel: str = Channel.PAGE,
) -> BoardMeeting:
    """Change time, place or the summary to discuss. Checks: coordinator; not cancelled;
    ``version`` (the meeting's ``version`` the change started from; the page always sends it, a
    script may pass None) is still the current one, otherwise ``EditConflict`` with the meeting
    as it stands and nothing changes. A change members' calendars show (time or place) raises the
    iCalendar sequence and tells the board; the summary to discuss is not in the calendar entry."""
    _require_coordinator(actor, meeting.network_id)
    meeting = BoardMeeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.cancelled_at:
        raise ValidationError(_("This meeting has been cancelled."))
    conflicts.check_version(meeting, version)
    _clean_times(starts_at, ends_at, meeting.network)
    _check_summary(summary, meeting.network_id)
    moved = (starts_at, ends_at, (location or "").strip()) != (meeting.starts_at, meeting.ends_at, meeting.location)
    location = (location or "").strip()
    meeting.starts_at, meeting.ends_at, meeting.location, meeting.summary = starts_at, ends_at, location, summary
    if moved:
        meeting.sequence += 1
    meeting.version += 1
    meeting.save(update_fields=["starts_at", "ends_at", "location", "summary", "sequence", "version", "updated_at"])
    record(actor, action="board_meeting.update", obj=meeting, channel=channel, detail={"moved": moved})
    if moved:
        _notify([meeting], REQUEST)
    return meeting


@transaction.atomic
def board_meeting_cancel(actor, *, meeting: BoardMeeting, channel: str = Channel.PAGE) -> BoardMeeting:
    """Cancel a meeting (kept on record; its calendar entry turns CANCELLED). Checks: coordinator."""
    _require_coordinator(actor, meeting.network_id)
    meeting = BoardMeeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.cancelled_at:
        raise ValidationError(_("This meeting has already been cancelled."))
    meeting.cancelled_at = timezone.now()
    meeting.sequence += 1
    meeting.version += 1
    meeting.save(update_fields=["cancelled_at", "sequence", "version", "updated_at"])
    record(actor, action="board_meeting.cancel", obj=meeting, channel=channel)
    _notify([meeting], CANCEL)
    return meeting


@transaction.atomic
def board_meeting_record_minutes(
    actor, *, meeting: BoardMeeting, minutes: str, decisions: str, minutes_version: int | None = None,
    channel: str = Channel.PAGE,
) -> BoardMeeting:
    """Record the board's minutes and decisions. Checks: coordinator; the meeting has begun;
    ``minutes_version`` (the meeting's ``minutes_version`` the minutes started from; the page
    always sends it, a script may pass None) is still the current one, otherwise
    ``EditConflict`` with the meeting as it stands and nothing changes. A change of time or place
    meanwhile does not refuse the minutes (it raises ``version``, not ``minutes_version``)."""
    _require_coordinator(actor, meeting.network_id)
    meeting = BoardMeeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.cancelled_at:
        raise ValidationError(_("This meeting has been cancelled."))
    if meeting.starts_at > timezone.now():
        raise ValidationError(_("Minutes can be recorded once the meeting has begun."))
    conflicts.check_version(meeting, minutes_version, field="minutes_version")
    if not (minutes.strip() or decisions.strip()):
        raise ValidationError({"minutes": _("Write the minutes or the decisions.")})
    meeting.minutes, meeting.decisions = minutes.strip(), decisions.strip()
    meeting.minutes_recorded_at, meeting.minutes_recorded_by = timezone.now(), actor
    meeting.minutes_version += 1
    meeting.save(update_fields=["minutes", "decisions", "minutes_recorded_at", "minutes_recorded_by", "minutes_version",
                                "updated_at"])
    record(actor, action="board_meeting.minutes", obj=meeting, channel=channel)
    return meeting


@transaction.atomic
def board_meeting_respond(actor, *, meeting: BoardMeeting, response: str, channel: str = Channel.PAGE) -> BoardMeetingInvitation:
    """The invited board member accepts or declines (and may change her mind until the meeting
    begins). Checks: she holds an invitation to the meeting; not cancelled; not begun."""
    invitation = BoardMeetingInvitation.objects.select_for_update().filter(meeting=meeting, user=actor).first()
    if invitation is None:
        raise PermissionDenied(_("Only invited board members answer an invitation."))
    if response not in (BoardMeetingInvitation.Response.ACCEPTED, BoardMeetingInvitation.Response.DECLINED):
        raise ValidationError({"response": _("Accept or decline the invitation.")})
    if meeting.cancelled_at:
        raise ValidationError(_("This meeting has been cancelled."))
    if meeting.starts_at <= timezone.now():
        raise ValidationError(_("This meeting has already begun."))
    invitation.response, invitation.responded_at = response, timezone.now()
    invitation.save(update_fields=["response", "responded_at"])
    record(actor, action="board_meeting.respond", obj=invitation, channel=channel,
           detail={"meeting": meeting.pk, "response": response})
    return invitation
