"""Pages of the cooperation board. Thin: selectors read, services write, templates show."""
from __future__ import annotations

import datetime as dt
import zoneinfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from board import charts, forms, selectors, services
from board.figures import TOTAL, shown_period_labels
from board.models import HalfYearSummary, YearlyReport
from permissions import conflicts, csv_export
from permissions.form_errors import add_service_errors


def _coordinator_page(user, network_id: int) -> bool:
    return services.is_coordinator(user, network_id)


def _submit(request: HttpRequest, form, call, success_message: str, next_page) -> HttpResponse | None:
    """A posted ``form``: when valid, ``call(cleaned_data)``; its refusal (ValidationError) lands
    on the form's fields. On success the message and ``next_page(result)`` (a redirect); None
    when the form is to be shown again (400)."""
    if form.is_valid():
        try:
            result = call(form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, success_message)
            return next_page(result)
    return None


def _attempt(request: HttpRequest, call, success_message: str) -> bool:
    """Run a form-less service ``call``; its refusal (ValidationError) or ``success_message``
    becomes a message on the next page. True when it succeeded."""
    try:
        call()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return False
    messages.success(request, success_message)
    return True


# --- Summaries -------------------------------------------------------------------------------

def _summary_list(request: HttpRequest, compute_form=None, status: int = 200) -> HttpResponse:
    networks = selectors.coordinated_networks(request.user)
    if compute_form is None and networks.exists():
        compute_form = forms.SummaryComputeForm(networks=networks)
    summaries = selectors.summaries_for_user(request.user).order_by("network__name", "-year", "-half", "-computed_at")
    return render(request, "board/summary_list.html",
                  {"summaries": summaries, "compute_form": compute_form,
                   "danish_yearly_reports": selectors.sees_danish_yearly_reports(request.user)}, status=status)


@login_required
@require_GET
def summary_list(request: HttpRequest) -> HttpResponse:
    return _summary_list(request)


@login_required
@require_POST
def summary_compute(request: HttpRequest) -> HttpResponse:
    networks = selectors.coordinated_networks(request.user)
    if not networks.exists():
        raise PermissionDenied
    form = forms.SummaryComputeForm(request.POST, networks=networks)
    return _submit(
        request, form,
        lambda data: services.summary_compute(request.user, network=data["network"], year=data["year"], half=data["half"]),
        _("A new draft has been computed. Check it, add a commentary and publish it."),
        lambda summary: redirect("board:summary_detail", pk=summary.pk),
    ) or _summary_list(request, form, status=400)


def _commentary_values(summary: HalfYearSummary) -> dict:
    return {"commentary": summary.commentary, "version": summary.version}


def _summary_page(request: HttpRequest, summary: HalfYearSummary, commentary_form=None, conflict_rows=None,
                  status: int = 200) -> HttpResponse:
    is_coordinator = _coordinator_page(request.user, summary.network_id)
    if commentary_form is None and is_coordinator and summary.status == HalfYearSummary.Status.DRAFT:
        commentary_form = forms.CommentaryForm(initial=_commentary_values(summary))
    return render(request, "board/summary_detail.html", {
        "summary": summary, "figures": summary.figures, "charts": charts.summary_charts(summary.figures),
        "is_coordinator": is_coordinator, "commentary_form": commentary_form, "conflict_rows": conflict_rows,
        "total_key": TOTAL,
        "meetings": selectors.board_meetings_for_user(request.user).filter(summary=summary, cancelled_at__isnull=True),
    }, status=status)


@login_required
@require_GET
def summary_detail(request: HttpRequest, pk: int) -> HttpResponse:
    summary = selectors.get_summary_for_user(request.user, pk)
    selectors.record_read(request.user, summary, action="summary.view")
    return _summary_page(request, summary)


@login_required
@require_GET
def summary_print(request: HttpRequest, pk: int) -> HttpResponse:
    summary = selectors.get_summary_for_user(request.user, pk)
    selectors.record_read(request.user, summary, action="summary.print")
    return render(request, "board/summary_print.html", {
        "summary": summary, "figures": summary.figures, "charts": charts.summary_charts(summary.figures), "total_key": TOTAL,
    })


@login_required
@require_POST
def summary_commentary(request: HttpRequest, pk: int) -> HttpResponse:
    summary = selectors.get_summary_for_user(request.user, pk)
    form = forms.CommentaryForm(request.POST)
    conflict_rows = None
    if form.is_valid():
        try:
            services.summary_set_commentary(request.user, summary=summary, commentary=form.cleaned_data["commentary"],
                                            version=form.cleaned_data["version"])
        except conflicts.EditConflict as conflict:
            # Her commentary stays in the form, now based on the current version, beside the stored one.
            summary = conflict.current
            form, conflict_rows = conflicts.refused_form(forms.CommentaryForm, conflict, request.POST,
                                                         lambda _form: _commentary_values(summary))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The commentary has been saved."))
            return redirect("board:summary_detail", pk=summary.pk)
    return _summary_page(request, summary, form, conflict_rows, status=409 if conflict_rows else 400)


@login_required
@require_POST
def summary_publish(request: HttpRequest, pk: int) -> HttpResponse:
    summary = selectors.get_summary_for_user(request.user, pk)
    _attempt(request, lambda: services.summary_publish(request.user, summary=summary, confirmed=request.POST.get("confirm") == "on"),
             _("The summary has been published to the board."))
    return redirect("board:summary_detail", pk=summary.pk)


@login_required
@require_POST
def summary_discard(request: HttpRequest, pk: int) -> HttpResponse:
    summary = selectors.get_summary_for_user(request.user, pk)
    if not _attempt(request, lambda: services.summary_discard(request.user, summary=summary, confirmed=request.POST.get("confirm") == "on"),
                    _("The draft has been discarded.")):
        return redirect("board:summary_detail", pk=summary.pk)
    return redirect("board:summary_list")


def _csv_response(filename: str) -> tuple[HttpResponse, csv_export.SafeWriter]:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # spreadsheet programs read UTF-8 only with a byte-order mark
    return response, csv_export.writer(response)


def _cell(value):
    """A figure for the CSV: numbers stay numbers (a negative change is "-1", never the text
    "'-1" the formula guard makes of a string), "< 5" and the like stay text."""
    if value is None:
        return ""
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def _write_contributed_tables(writer, figures: dict) -> None:
    """Tables other apps contributed (e.g. the programme tracks), each with its date range."""
    for table in figures.get("extras", []):
        writer.writerow([])
        writer.writerow([_(table["title"]), _("From"), table["from"], _("To"), table["to"]])
        writer.writerow([_(table["head"]), *[_(column["label"]) for column in table["columns"]]])
        for row in table["rows"]:
            writer.writerow([row["label"], *[_cell(row["values"].get(column["key"])) for column in table["columns"]]])


def _write_municipality_table(writer, report: dict) -> None:
    """The per-municipality table (of a summary or a yearly report) and its date range."""
    writer.writerow([_("Municipality"), *[_(column["label"]) for column in report["columns"]]])
    for row in report["rows"]:
        writer.writerow([_(row["label"]), *[_cell(row["values"].get(column["key"])) for column in report["columns"]]])
    writer.writerow([])
    writer.writerow([_("From"), report["from"], _("To"), report["to"]])


@login_required
@require_GET
def summary_csv(request: HttpRequest, pk: int) -> HttpResponse:
    summary = selectors.get_summary_for_user(request.user, pk)
    selectors.record_read(request.user, summary, action="summary.csv")
    figures = summary.figures
    period = figures.get("period", {})
    response, writer = _csv_response(f"summary-{slugify(summary.network.slug)}-{summary.year}-h{summary.half}.csv")
    writer.writerow([_("Section"), _("Figure"), _("Breakdown"), *shown_period_labels(period), _("Change")])
    for section in figures.get("sections", []):
        for row in section["rows"]:
            writer.writerow([_(section["title"]), _(row["label"]), "", _cell(row["current"]), _cell(row["previous"]), _cell(row["change"])])
    actions = figures.get("actions")
    if actions:
        for row in actions["rows"]:
            for column in actions["columns"]:
                writer.writerow([_(actions["title"]), _(column["label"]), _(row["label"]),
                                 _cell(row["current"].get(column["key"])), _cell(row["previous"].get(column["key"])), ""])
    _write_contributed_tables(writer, figures)
    writer.writerow([])
    writer.writerow([_("Definitions version"), figures.get("definitions_version", summary.definitions_version)])
    writer.writerow([_("Status"), summary.get_status_display()])
    return response


@login_required
@require_GET
def summary_municipality_csv(request: HttpRequest, pk: int) -> HttpResponse:
    summary = selectors.get_summary_for_user(request.user, pk)
    report = summary.figures.get("municipalities")
    if not report:
        raise Http404
    selectors.record_read(request.user, summary, action="summary.municipality_csv")
    response, writer = _csv_response(f"municipalities-{slugify(summary.network.slug)}-{summary.year}-h{summary.half}.csv")
    _write_municipality_table(writer, report)
    return response


# --- Danish yearly reports -------------------------------------------------------------------

def _yearly_list(request: HttpRequest, compute_form=None, status: int = 200) -> HttpResponse:
    networks = selectors.coordinated_danish_networks(request.user)
    if compute_form is None and networks.exists():
        compute_form = forms.YearlyReportComputeForm(networks=networks)
    reports = selectors.yearly_reports_for_user(request.user).order_by("network__name", "-year", "-computed_at")
    return render(request, "board/yearly_report_list.html",
                  {"reports": reports, "compute_form": compute_form}, status=status)


@login_required
@require_GET
def yearly_report_list(request: HttpRequest) -> HttpResponse:
    return _yearly_list(request)


@login_required
@require_POST
def yearly_report_compute(request: HttpRequest) -> HttpResponse:
    networks = selectors.coordinated_danish_networks(request.user)
    if not networks.exists():
        raise PermissionDenied
    form = forms.YearlyReportComputeForm(request.POST, networks=networks)
    return _submit(
        request, form, lambda data: services.yearly_report_compute(request.user, network=data["network"], year=data["year"]),
        _("A new draft of the yearly report has been computed. Check it and publish it."),
        lambda report: redirect("board:yearly_report_detail", pk=report.pk),
    ) or _yearly_list(request, form, status=400)


@login_required
@require_GET
def yearly_report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.get_yearly_report_for_user(request.user, pk)
    selectors.record_read(request.user, report, action="yearly_report.view")
    return render(request, "board/yearly_report_detail.html", {
        "report": report, "figures": report.figures, "total_key": TOTAL,
        "is_coordinator": _coordinator_page(request.user, report.network_id),
    })


@login_required
@require_GET
def yearly_report_csv(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.get_yearly_report_for_user(request.user, pk)
    selectors.record_read(request.user, report, action="yearly_report.csv")
    figures = report.figures
    response, writer = _csv_response(f"yearly-report-{slugify(report.network.slug)}-{report.year}.csv")
    _write_municipality_table(writer, figures)
    _write_contributed_tables(writer, figures)
    writer.writerow([])
    writer.writerow([_("Definitions version"), figures.get("definitions_version", report.definitions_version)])
    writer.writerow([_("Status"), report.get_status_display()])
    return response


@login_required
@require_POST
def yearly_report_publish(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.get_yearly_report_for_user(request.user, pk)
    _attempt(request, lambda: services.yearly_report_publish(request.user, report=report),
             _("The yearly report has been published to the board."))
    return redirect("board:yearly_report_detail", pk=report.pk)


# --- Board meetings --------------------------------------------------------------------------

def _published_of_coordinated(user):
    return selectors.published_summaries_for_user(user).filter(network__in=selectors.coordinated_networks(user))


def _meeting_list(request: HttpRequest, schedule_form=None, status: int = 200) -> HttpResponse:
    networks = selectors.coordinated_networks(request.user)
    if schedule_form is None and networks.exists():
        schedule_form = forms.MeetingScheduleForm(networks=networks, summaries=_published_of_coordinated(request.user))
    meetings = selectors.board_meetings_for_user(request.user).order_by("starts_at")
    now = timezone.now()
    return render(request, "board/meeting_list.html", {
        "upcoming": [m for m in meetings if m.ends_at >= now], "past": [m for m in meetings if m.ends_at < now][::-1],
        "schedule_form": schedule_form,
    }, status=status)


@login_required
@require_GET
def board_meeting_list(request: HttpRequest) -> HttpResponse:
    return _meeting_list(request)


@login_required
@require_POST
def board_meeting_schedule(request: HttpRequest) -> HttpResponse:
    networks = selectors.coordinated_networks(request.user)
    if not networks.exists():
        raise PermissionDenied
    form = forms.MeetingScheduleForm(request.POST, networks=networks, summaries=_published_of_coordinated(request.user))
    if form.is_valid():
        data = form.cleaned_data
        network = data["network"]
        starts_at = forms.wall_clock(data["starts_at"], network.time_zone)
        try:
            meetings = services.board_meeting_schedule_series(
                request.user, network=network, starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(minutes=data["duration_minutes"]),
                location=data["location"], count=data["count"], summary=data["summary"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(count)s meetings have been scheduled and the board has been invited.") % {"count": len(meetings)})
            return redirect("board:board_meeting_detail", pk=meetings[0].pk)
    return _meeting_list(request, form, status=400)


def _meeting_values(meeting) -> dict:
    """The meeting's details as the change form shows them: wall-clock times in the network's zone."""
    zone = zoneinfo.ZoneInfo(meeting.network.time_zone)
    return {
        "starts_at": timezone.localtime(meeting.starts_at, zone).replace(tzinfo=None),
        "ends_at": timezone.localtime(meeting.ends_at, zone).replace(tzinfo=None),
        "location": meeting.location, "summary": meeting.summary_id, "version": meeting.version,
    }


def _minutes_values(meeting) -> dict:
    return {"minutes": meeting.minutes, "decisions": meeting.decisions, "minutes_version": meeting.minutes_version}


def _meeting_summaries(user, meeting):
    return _published_of_coordinated(user).filter(network_id=meeting.network_id)


def _meeting_page(request: HttpRequest, meeting, update_form=None, minutes_form=None, *, update_conflict_rows=None,
                  minutes_conflict_rows=None, status: int = 200) -> HttpResponse:
    is_coordinator = _coordinator_page(request.user, meeting.network_id)
    if is_coordinator and not meeting.cancelled_at:
        update_form = update_form or forms.MeetingUpdateForm(summaries=_meeting_summaries(request.user, meeting),
                                                             initial=_meeting_values(meeting))
        minutes_form = minutes_form or forms.MinutesForm(initial=_minutes_values(meeting))
    invitations = list(meeting.invitations.select_related("user").order_by("user__last_name", "user__username"))
    return render(request, "board/meeting_detail.html", {
        "invitations": invitations if is_coordinator else [],
        "my_invitation": next((i for i in invitations if i.user_id == request.user.pk), None),
        "meeting": meeting, "is_coordinator": is_coordinator, "update_form": update_form, "minutes_form": minutes_form,
        "update_conflict_rows": update_conflict_rows, "minutes_conflict_rows": minutes_conflict_rows,
        "has_begun": meeting.starts_at <= timezone.now(),
        "series": selectors.board_meetings_for_user(request.user).filter(series_key=meeting.series_key).exclude(pk=meeting.pk)
        .order_by("starts_at") if meeting.series_key else [],
    }, status=status)


@login_required
@require_GET
def board_meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _meeting_page(request, selectors.get_board_meeting_for_user(request.user, pk))


@login_required
@require_POST
def board_meeting_update(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_board_meeting_for_user(request.user, pk)
    if not _coordinator_page(request.user, meeting.network_id):
        raise PermissionDenied
    summaries = _meeting_summaries(request.user, meeting)
    form = forms.MeetingUpdateForm(request.POST, summaries=summaries)
    conflict_rows = None
    if form.is_valid():
        data, tz = form.cleaned_data, meeting.network.time_zone
        try:
            services.board_meeting_update(
                request.user, meeting=meeting, starts_at=forms.wall_clock(data["starts_at"], tz),
                ends_at=forms.wall_clock(data["ends_at"], tz), location=data["location"], summary=data["summary"],
                version=data["version"])
        except conflicts.EditConflict as conflict:
            # Her changes stay in the form, now based on the current version, beside the meeting as it is.
            meeting = conflict.current
            form, conflict_rows = conflicts.refused_form(
                lambda posted: forms.MeetingUpdateForm(posted, summaries=summaries), conflict, request.POST,
                lambda _form: _meeting_values(meeting))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The meeting has been updated."))
            return redirect("board:board_meeting_detail", pk=meeting.pk)
    return _meeting_page(request, meeting, update_form=form, update_conflict_rows=conflict_rows,
                         status=409 if conflict_rows else 400)


@login_required
@require_POST
def board_meeting_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_board_meeting_for_user(request.user, pk)
    _attempt(request, lambda: services.board_meeting_cancel(request.user, meeting=meeting),
             _("The meeting has been cancelled and the board has been told."))
    return redirect("board:board_meeting_detail", pk=meeting.pk)


@login_required
@require_POST
def board_meeting_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_board_meeting_for_user(request.user, pk)
    if not _coordinator_page(request.user, meeting.network_id):
        raise PermissionDenied
    form = forms.MinutesForm(request.POST)
    conflict_rows = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.board_meeting_record_minutes(request.user, meeting=meeting, minutes=data["minutes"],
                                                  decisions=data["decisions"], minutes_version=data["minutes_version"])
        except conflicts.EditConflict as conflict:
            # Her minutes stay in the form, now based on the current version, beside the minutes as they are.
            meeting = conflict.current
            form, conflict_rows = conflicts.refused_form(forms.MinutesForm, conflict, request.POST,
                                                         lambda _form: _minutes_values(meeting), field="minutes_version")
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The minutes have been saved."))
            return redirect("board:board_meeting_detail", pk=meeting.pk)
    return _meeting_page(request, meeting, minutes_form=form, minutes_conflict_rows=conflict_rows,
                         status=409 if conflict_rows else 400)


@login_required
@require_POST
def board_meeting_respond(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_board_meeting_for_user(request.user, pk)
    try:
        invitation = services.board_meeting_respond(request.user, meeting=meeting, response=request.POST.get("response", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("board:board_meeting_detail", pk=meeting.pk)
    if invitation.response == invitation.Response.ACCEPTED:
        messages.success(request, _("You have accepted the invitation."))
    else:
        messages.success(request, _("You have declined the invitation."))
    return redirect("board:board_meeting_detail", pk=meeting.pk)
