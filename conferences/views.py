"""Pages of the scheduling journey. Thin: selectors read, services write, forms validate.

Times on these pages are entered and shown in the network's time zone (``_network_zone``), so
10:00 stays 10:00 on both sides of a daylight-saving change.
"""
from __future__ import annotations

from contextlib import contextmanager

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases import policy as cases_policy
from conferences import policy as conferences_policy
from cases.models import CaseTeamMember, FamilyMember
from permissions import audit, conflicts

from . import ical, letters, selectors, services
from .forms import (
    ConferenceCreateForm, InvitationAddForm, MoveForm, PickForm, ReportForm, RsvpForm, VoteForm,
)
from conferences.models import Conference, Invitation

Channel = audit.Channel


@contextmanager
def _network_zone(network):
    with timezone.override(ical.zone_of(network)):
        yield


def _errors_into(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _message_errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _attempt(request, call, success_message: str) -> bool:
    """Run a service ``call`` without a form to fill; its refusal (ValidationError) or
    ``success_message`` becomes a message on the next page. True when it succeeded."""
    try:
        call()
    except ValidationError as exc:
        _message_errors(request, exc)
        return False
    messages.success(request, success_message)
    return True


def _require_convenor(user, conference: Conference) -> None:
    if not cases_policy.can_convene(user, conference.case):
        raise PermissionDenied


# --- convening ----------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def conference_create(request, case_pk: int):
    case = selectors.get_case_for_user(request.user, case_pk)
    if not cases_policy.can_convene(request.user, case):
        raise PermissionDenied
    team = list(CaseTeamMember.objects.filter(case=case, removed_at__isnull=True).select_related("user", "organisation")
                .order_by("organisation__name", "pk"))
    family = list(FamilyMember.objects.filter(case=case, erased_at__isnull=True).exclude(
        relation__in=[FamilyMember.Relation.CHILD, FamilyMember.Relation.EXPECTED_CHILD]).order_by("pk"))
    with _network_zone(case.network):
        form = ConferenceCreateForm(request.POST or None, case=case, team=team, family=family,
                                    interpreter_language="" if request.method == "POST"
                                    else services.interpreter_language_taken_over(request.user, family))
        if request.method == "POST" and form.is_valid():
            try:
                conference = services.conference_create(
                    request.user, case=case, kind=form.cleaned_data["kind"], invitees=form.invitees(),
                    slots=form.cleaned_data["slots"], duration_minutes=form.cleaned_data["duration_minutes"],
                    location=form.cleaned_data["location"], video_link=form.cleaned_data["video_link"],
                    interpreter_language=form.cleaned_data["interpreter_language"],
                    access_needs=form.cleaned_data["access_needs"],
                    report_organisation_ids=[int(pk) for pk in form.cleaned_data["report_organisations"]],
                    closes_at=form.cleaned_data.get("closes_at"), channel=Channel.PAGE,
                )
            except ValidationError as exc:
                _errors_into(form, exc)
            else:
                quorum = selectors.quorum_for(conference)
                if not quorum.met:
                    messages.warning(request, _("Quorum not met: %(n)s of at least %(min)s organisations are required invitees.")
                                     % {"n": quorum.organisations, "min": quorum.minimum})
                messages.success(request, _("The date poll is open. Invitees can now answer."))
                return redirect("conferences:conference_poll", conference.pk)
        return render(request, "conferences/conference_form.html", {
            "case": case, "form": form, "quorum_min": case.network.quorum_min_organisations,
            "zone": case.network.time_zone_name,
        }, status=400 if form.is_bound and form.errors else 200)


# --- conference page ----------------------------------------------------------------------------

@login_required
@require_GET
def conference_detail(request, pk: int):
    conference = selectors.get_conference_for_user(request.user, pk)
    is_convenor = cases_policy.can_convene(request.user, conference.case)
    is_professional = selectors.is_team_professional(request.user, conference)
    invitation = selectors.my_invitation(request.user, conference)
    invitations = selectors.invitations_of(conference) if is_professional else ([invitation] if invitation else [])
    reports = selectors.reports_for_user(request.user, conference)
    basis = "team" if is_professional else ("family" if cases_policy.is_parent_of_case(request.user, conference.case) else "guest")
    audit.record(request.user, action="conference.read", obj=conference, case_id=conference.case_id, channel=Channel.PAGE,
                 legal_basis=basis)
    selectors.audit_reports_read(request.user, reports, case_id=conference.case_id, channel=Channel.PAGE)
    can_change = conference.status in services.OPEN_STATES and (conference.starts_at is None or conference.starts_at > timezone.now())
    with _network_zone(conference.case.network):
        return render(request, "conferences/conference_detail.html", {
            "conference": conference, "case": conference.case, "is_convenor": is_convenor,
            "is_professional": is_professional, "invitation": invitation, "invitations": invitations,
            # possibly health information: the team all of them, a parent the note and her own, a
            # guest of the conference none
            "access_needs": conferences_policy.access_needs_for_user(request.user, [conference])[conference.pk],
            # A guest (an interpreter, a school social worker) is not family: no links to "your
            # family's case" or "my agreements", which would lead her nowhere.
            "is_guest": basis == "guest",
            # Warnings about who is invited only while that can still be changed: a cancelled or
            # past conference has no quorum to reach and nobody left to tell by post.
            "quorum": selectors.quorum_for(conference) if can_change else None,
            "reports": reports,
            "reports_closed": services.reports_closed_reason(conference) if any(r.is_own for r in reports) else "",
            "counter_proposals": selectors.counter_proposals(request.user, conference),
            "rsvp_form": RsvpForm(initial={"rsvp": invitation.rsvp, "comment": invitation.rsvp_comment}) if invitation else None,
            "required_declines": [i for i in invitations if i.required and i.rsvp == Invitation.Rsvp.DECLINED],
            "can_change": can_change,
            "zone": conference.case.network.time_zone_name,
            # Whom the convenor must tell by post or phone: her task, shown to her.
            "unreachable": [i for i in invitations if is_convenor and can_change and not getattr(i, "reachable", True)],
            "rsvp_labels": {value: str(label) for value, label in Invitation.Rsvp.choices},
            "outbox": selectors.outbox_open_count(conference) if is_convenor else None,
        })


@login_required
@require_POST
def conference_rsvp(request, pk: int):
    conference = selectors.get_conference_for_user(request.user, pk)
    invitation = selectors.my_invitation(request.user, conference)
    if invitation is None:
        raise PermissionDenied
    form = RsvpForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(request, error)
        return redirect("conferences:conference_detail", pk)
    _attempt(request, lambda: services.invitation_rsvp(
        request.user, invitation=invitation, rsvp=form.cleaned_data["rsvp"], comment=form.cleaned_data["comment"],
        channel=Channel.PAGE), _("Thank you, your answer was saved."))
    return redirect("conferences:conference_detail", pk)


@login_required
@require_http_methods(["GET", "POST"])
def conference_move(request, pk: int):
    conference = selectors.get_conference_for_user(request.user, pk)
    _require_convenor(request.user, conference)
    with _network_zone(conference.case.network):
        form = MoveForm(request.POST or None, initial=_move_values(conference))
        conflict_rows = None
        if request.method == "POST" and form.is_valid():
            try:
                services.conference_move(request.user, conference=conference, starts_at=form.cleaned_data["starts_at"],
                                         location=form.cleaned_data["location"],
                                         sequence=form.cleaned_data["sequence"], channel=Channel.PAGE)
            except conflicts.EditConflict as conflict:
                # Her new time stays in the form, now based on the current SEQUENCE, beside the time as it is.
                conference = conflict.current
                form, conflict_rows = conflicts.refused_form(MoveForm, conflict, request.POST,
                                                             lambda form: _move_values(conference), field="sequence")
            except ValidationError as exc:
                _errors_into(form, exc)
            else:
                messages.success(request, _("The conference was moved; everyone received an updated invitation."))
                return redirect("conferences:conference_detail", pk)
        return render(request, "conferences/conference_move.html", {
            "conference": conference, "form": form, "zone": conference.case.network.time_zone_name,
            "conflict_rows": conflict_rows,
        }, status=409 if conflict_rows else (400 if form.is_bound and form.errors else 200))


def _move_values(conference: Conference) -> dict:
    """The conference's time and place as the move form shows them (in the active, the network's, zone)."""
    return {"starts_at": timezone.localtime(conference.starts_at) if conference.starts_at else None,
            "location": conference.location, "sequence": conference.sequence}


@login_required
@require_http_methods(["GET", "POST"])
def conference_cancel(request, pk: int):
    conference = selectors.get_conference_for_user(request.user, pk)
    _require_convenor(request.user, conference)
    if request.method == "POST":
        _attempt(request, lambda: services.conference_cancel(request.user, conference=conference, channel=Channel.PAGE),
                 _("The conference was cancelled; invitees received a cancellation."))
        return redirect("conferences:conference_detail", pk)
    with _network_zone(conference.case.network):
        return render(request, "conferences/conference_cancel.html", {"conference": conference})


@login_required
@require_http_methods(["GET", "POST"])
def invitation_remove(request, pk: int, invitation_pk: int):
    """Withdraw an invitation, after a confirmation that names the person, what she will no longer
    see, and why it cannot be withdrawn now (``services.invitation_remove_refusals``). The button on
    the conference page posts here without ``confirm`` and gets this page; no JavaScript needed."""
    conference = selectors.get_conference_for_user(request.user, pk)
    _require_convenor(request.user, conference)
    invitation = selectors.get_invitation_for_user(request.user, conference, invitation_pk)
    if request.method == "POST" and request.POST.get("confirm"):
        _attempt(request, lambda: services.invitation_remove(request.user, invitation=invitation, channel=Channel.PAGE),
                 _("The invitation was withdrawn."))
        return redirect("conferences:conference_detail", pk)
    # A read of the conference (and of the titles of the actions that refuse the withdrawal).
    _audit_conference_read(request.user, conference)
    with _network_zone(conference.case.network):
        return render(request, "conferences/invitation_remove.html", {
            "conference": conference, "case": conference.case, "invitation": invitation,
            "refusals": services.invitation_remove_refusals(request.user, invitation),
        })


@login_required
@require_http_methods(["GET", "POST"])
def invitation_add(request, pk: int):
    """Invite one more person after convening (convenor only)."""
    conference = selectors.get_conference_for_user(request.user, pk)
    _require_convenor(request.user, conference)
    team, family = services.invitee_candidates(conference)
    form = InvitationAddForm(request.POST or None, team=team, family=family)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_add(request.user, conference=conference, channel=Channel.PAGE, **form.chosen())
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            if not selectors.is_reachable(invitation):
                # Nothing was sent to her: the conference page's box asks the convenor to tell her.
                messages.success(request, _("The person is invited, but cannot be reached by e-mail or in Fallkonferenz: "
                                            "please tell them by letter or by phone."))
            elif conference.status == Conference.Status.SCHEDULED:
                messages.success(request, _("The invitation was sent."))
            else:
                messages.success(request, _("The person was invited and asked to answer the date poll."))
            return redirect("conferences:conference_detail", pk)
    with _network_zone(conference.case.network):
        return render(request, "conferences/invitation_add.html", {
            "conference": conference, "case": conference.case, "form": form,
            "open": conference.status in (Conference.Status.POLLING, Conference.Status.SCHEDULED),
        }, status=400 if form.is_bound and form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def report_submit(request, pk: int, report_pk: int):
    """The report page: the form for the organisation asked for the report while reports can be
    submitted, with who may read it; otherwise the report as she may read it, and why there is no
    form. A report she may not read (restricted, and nothing covers it for her) is not found."""
    conference = selectors.get_conference_for_user(request.user, pk)
    report = selectors.get_report_for_user(request.user, conference, report_pk)
    if request.method == "POST" and not report.is_own:
        raise PermissionDenied
    closed = services.reports_closed_reason(conference)
    form = None
    conflict = None
    if report.is_own and not closed:
        form = ReportForm(request.POST or None, report=report, initial=ReportForm.initial_for(report))
        if request.method == "POST" and form.is_valid():
            try:
                saved = services.report_submit(request.user, report=report, text=form.cleaned_data["text"],
                                               shareable_with_parents=form.cleaned_data["shareable_with_parents"],
                                               version=form.cleaned_data["version"], channel=Channel.PAGE,
                                               **form.audience_kwargs())
            except conflicts.EditConflict as exc:
                # Her text stays in the form; the report as it stands now is shown above it, and
                # the form now carries its version: submitting again is a decision, not an accident.
                conflict = report = exc.current
                report.is_own = True
                data = request.POST.copy()
                data["version"] = str(report.version)
                form = ReportForm(data, report=report)
                form.is_valid()
                _errors_into(form, exc)
            except ValidationError as exc:
                _errors_into(form, exc)
            else:
                messages.success(request, _("The report was submitted."))
                uncovered = selectors.report_readers(saved).uncovered
                if uncovered:
                    messages.warning(request, _(
                        "No consent or other legal basis covers passing the report on to %(names)s at present: they "
                        "cannot read it until one does.") % {"names": ", ".join(str(o) for o in uncovered)})
                return redirect("conferences:conference_detail", pk)
    # Every page that shows the stored text is a read (also a refused POST that shows it again).
    selectors.audit_report_read(request.user, report, case_id=conference.case_id, channel=Channel.PAGE)
    refused = request.method == "POST" and (form is None or bool(form.errors))
    return render(request, "conferences/report_form.html", {
        "conference": conference, "report": report, "form": form, "closed": closed, "conflict": conflict,
        # Who reads it as it is stored: told to her organisation, which decides it.
        "readers": selectors.report_readers(report) if report.is_own and report.submitted_at else None,
    }, status=409 if conflict else (400 if refused else 200))


# --- the date poll ------------------------------------------------------------------------------

def _poll_context(request, conference: Conference, *, vote_form=None):
    invitation = selectors.my_invitation(request.user, conference)
    is_professional = selectors.is_team_professional(request.user, conference)
    poll = getattr(conference, "poll", None)
    if poll is None:
        raise Http404
    slots = list(poll.slots.all())
    if vote_form is None and invitation is not None:
        vote_form = VoteForm(slots=slots, initial_answers=selectors.my_answers(invitation))
    return {
        "conference": conference, "poll": poll, "is_open": services.poll_is_open(poll), "invitation": invitation,
        "deadline_passed": services.poll_deadline_passed(poll),
        "vote_form": vote_form, "is_convenor": cases_policy.can_convene(request.user, conference.case),
        "grid": selectors.poll_grid(conference) if is_professional else None,
        "is_professional": is_professional,
        "quorum": selectors.quorum_for(conference) if conference.status in services.OPEN_STATES else None,
        "pick_form": PickForm(poll=poll), "zone": conference.case.network.time_zone_name,
        # A parent with an account answers on this page herself: the personal links are for the others.
        "family_invitations": [i for i in selectors.invitations_of(conference) if i.answers_by_poll_link] if is_professional else [],
    }


def _audit_conference_read(actor, conference: Conference) -> None:
    case_id = conference.case_id
    audit.record(actor, action="conference.read", obj=conference, case_id=case_id, channel=Channel.PAGE,
                 legal_basis=cases_policy.case_bases(actor, [case_id])[case_id])


def _audit_poll_read(actor, conference: Conference, *, basis: str = "") -> None:
    case_id = conference.case_id
    audit.record(actor, action="poll.read", obj=conference, case_id=case_id, channel=Channel.PAGE,
                 legal_basis=basis or cases_policy.case_bases(actor, [case_id])[case_id])


@login_required
@require_http_methods(["GET", "POST"])
def conference_poll(request, pk: int):
    conference = selectors.get_conference_for_user(request.user, pk)
    with _network_zone(conference.case.network):
        vote_form = None
        if request.method == "POST":
            invitation = selectors.my_invitation(request.user, conference)
            if invitation is None:
                raise PermissionDenied
            vote_form = VoteForm(request.POST, slots=conference.poll.slots.all())
            if vote_form.is_valid():
                try:
                    services.poll_vote(request.user, invitation=invitation, answers=vote_form.answers(), channel=Channel.PAGE)
                except ValidationError as exc:
                    _errors_into(vote_form, exc)
                else:
                    messages.success(request, _("Your answers were saved. You can change them until the poll closes."))
                    return redirect("conferences:conference_poll", pk)
        context = _poll_context(request, conference, vote_form=vote_form)
        _audit_poll_read(request.user, conference)
        return render(request, "conferences/poll.html", context, status=400 if vote_form is not None else 200)


@login_required
@require_GET
def poll_grid(request, pk: int):
    """The grid and ranking as an HTML fragment, reloaded by the live page on each change."""
    conference = selectors.get_conference_for_user(request.user, pk)
    if not selectors.is_team_professional(request.user, conference):
        raise Http404
    with _network_zone(conference.case.network):
        context = _poll_context(request, conference)
        _audit_poll_read(request.user, conference)
        return render(request, "conferences/_poll_grid.html", context)


@login_required
@require_POST
def poll_pick(request, pk: int):
    conference = selectors.get_conference_for_user(request.user, pk)
    _require_convenor(request.user, conference)
    if request.POST.get("close_only"):
        _attempt(request, lambda: services.poll_close(request.user, conference=conference, channel=Channel.PAGE),
                 _("The poll is closed. Pick a time to send the invitations."))
        return redirect("conferences:conference_poll", pk)
    form = PickForm(request.POST, poll=conference.poll)
    if not form.is_valid():
        messages.error(request, _("Pick one of the candidate times."))
        return redirect("conferences:conference_poll", pk)
    quorum = selectors.quorum_for_slot(conference, form.cleaned_data["slot"])
    if not quorum.met and not request.POST.get("confirm_without_quorum"):
        # Warn before confirming: the invitations go out with the pick and cannot be recalled.
        with _network_zone(conference.case.network):
            return render(request, "conferences/poll_pick_confirm.html", {
                "conference": conference, "slot": form.cleaned_data["slot"], "quorum": quorum,
                "zone": conference.case.network.time_zone_name,
            })
    if not _attempt(request, lambda: services.poll_pick(
            request.user, conference=conference, slot=form.cleaned_data["slot"], channel=Channel.PAGE),
            _("The conference is scheduled; invitations were sent.")):
        return redirect("conferences:conference_poll", pk)
    return redirect("conferences:conference_detail", pk)


@login_required
@require_POST
def poll_link_create(request, pk: int, invitation_pk: int):
    conference = selectors.get_conference_for_user(request.user, pk)
    _require_convenor(request.user, conference)
    invitation = selectors.get_invitation_for_user(request.user, conference, invitation_pk)
    try:
        link, raw = services.poll_link_create(request.user, invitation=invitation, channel=Channel.PAGE)
    except ValidationError as exc:
        _message_errors(request, exc)
        return redirect("conferences:conference_poll", pk)
    url = ical.absolute_url(_reverse("conferences:poll_link_vote", raw))
    with _network_zone(conference.case.network):
        return render(request, "conferences/poll_link_created.html", {
            "conference": conference, "invitation": invitation, "link": link, "url": url, "qr": letters.qr_svg(url),
            "letter_language": letters.letter_language(invitation), "slots": list(conference.poll.slots.order_by("starts_at")),
        })


@login_required
@require_GET
def invitation_letter(request, pk: int, invitation_pk: int):
    """A printable letter for a parent invitee, in her language: date and place, or the proposed
    times (a personal poll link with QR code is made with "Create a personal poll link")."""
    conference = selectors.get_conference_for_user(request.user, pk)
    _require_convenor(request.user, conference)
    invitation = selectors.get_invitation_for_user(request.user, conference, invitation_pk)
    if not invitation.family_member_id:
        raise Http404
    try:
        invitation = services.invitation_letter_issue(request.user, invitation=invitation, channel=Channel.PAGE)
    except ValidationError as exc:
        _message_errors(request, exc)
        return redirect("conferences:conference_detail", pk)
    poll = getattr(conference, "poll", None)
    with _network_zone(conference.case.network):
        return render(request, "conferences/invitation_letter.html", {
            "conference": conference, "invitation": invitation, "letter_language": letters.letter_language(invitation),
            "slots": list(poll.slots.order_by("starts_at")) if poll is not None else [],
        })


def _reverse(name: str, *args) -> str:
    return reverse(name, args=args)


@require_http_methods(["GET", "POST"])
def poll_link_vote(request, token: str):
    """A parent answers through her personal link, without an account."""
    link = services.poll_link_resolve(token)
    if link is None:
        template = ("conferences/poll_link_sign_in.html" if services.poll_link_needs_sign_in(token)
                    else "conferences/poll_link_invalid.html")
        response = render(request, template, status=404)
        response["Cache-Control"] = "no-store"
        return response
    invitation = link.invitation
    conference = invitation.conference
    poll = conference.poll
    with _network_zone(conference.case.network):
        slots = list(poll.slots.all())
        form = VoteForm(request.POST or None, slots=slots, initial_answers=selectors.my_answers(invitation))
        status = 200
        if request.method == "POST":
            status = 400
            if form.is_valid():
                try:
                    services.poll_vote_by_link(raw_token=token, answers=form.answers())
                except (ValidationError, PermissionDenied) as exc:
                    form.add_error(None, getattr(exc, "messages", None) or [str(exc)])
                else:
                    messages.success(request, _("Thank you, your answers were saved. You can change them until the poll closes."))
                    return redirect(request.path)
        _audit_poll_read(f"poll-link:{link.pk}", conference, basis="poll-link")
        response = render(request, "conferences/poll_link.html", {
            "conference": conference, "form": form, "is_open": services.poll_is_open(poll), "zone": conference.case.network.time_zone_name,
            "poll": poll, "deadline_passed": services.poll_deadline_passed(poll),
        }, status=status)
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response


# --- calendar downloads ---------------------------------------------------------------

def _ics_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def conference_ics(request, pk: int):
    conference = selectors.get_conference_for_user(request.user, pk)
    if conference.starts_at is None:
        raise Http404
    audit.record(request.user, action="conference.download", obj=conference, case_id=conference.case_id, channel=Channel.PAGE)
    noted = conferences_policy.access_needs_noted_for_user(request.user, conference)
    return _ics_response(ical.conference_download(conference, access_needs_noted=noted), f"conference-{conference.pk}.ics")
