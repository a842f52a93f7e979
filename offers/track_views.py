"""Pages of programme tracks: enrolments, sessions, attendance. Thin views."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from participants.models import User
from permissions import audit, conflicts

from . import access, capacity, selectors
from . import track_services as ts
from .calendar import _numbered
from .forms import EnrolmentEndForm, EnrolmentForm, SessionAttendanceForm, SessionForm
from .models import Enrolment, Referral, Session
from .views import apply_errors

ENROLMENTS_PER_PAGE = 25


def _enrolment_for_user(user, pk) -> Enrolment:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    enrolment = access.enrolments_for(user).select_related("offer", "offer__organisation", "referral").filter(pk=pk).first()
    if enrolment is None:
        raise Http404("No such enrolment.")
    audit.record(user, action="enrolment.read", obj=enrolment)
    return enrolment


def _enrolable_referrals(offer):
    return Referral.objects.filter(offer=offer, status__in=[Referral.Status.ACCEPTED, Referral.Status.IN_PROGRESS],
                                   enrolment__isnull=True).order_by("accepted_at", "pk")


def _staff_of(offer):
    return User.objects.filter(memberships__organisation_id=offer.organisation_id, memberships__is_active=True,
                               is_active=True).order_by("last_name", "username")


def _referral_prefill(referrals, chosen) -> dict:
    """The form's start from the referral she came from (``?referral=<id>``, the link on the
    referral's page): that referral chosen, its client and municipality filled in. Nothing for a
    referral that cannot be enrolled here."""
    referral = referrals.filter(pk=chosen).first() if str(chosen or "").isdigit() else None
    if referral is None:
        return {}
    return {"referral": referral.pk, "family_label": referral.client_label, "municipality": referral.municipality}


@login_required
def track_enrolments(request: HttpRequest, pk: int) -> HttpResponse:
    """Enrol a family: from one of the track's accepted referrals (its client and municipality are
    taken: filled in at once by the page's script or from ``?referral=``, and without either by the
    service when the family field is left empty) or directly. The families already in the track
    are listed a page at a time, so the page stays the same size however many were enrolled."""
    offer = selectors.get_managed_offer(request.user, pk)
    if offer.kind != offer.Kind.TRACK:
        raise Http404("Not a track.")
    referrals = _enrolable_referrals(offer)
    initial = _referral_prefill(referrals, request.GET.get("referral")) if request.method == "GET" else {}
    form = EnrolmentForm(request.POST or None, referrals=referrals, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            enrolment = ts.enrolment_create(request.user, offer=offer, referral=data["referral"], family_label=data["family_label"],
                                            family_email=data["family_email"], municipality=data["municipality"],
                                            birth_site=data["birth_site"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Enrolled. Now schedule the sessions."))
            return redirect("offers:enrolment_detail", pk=enrolment.pk)
    audit.record(request.user, action="enrolment.list", obj=offer)
    page = Paginator(offer.enrolments.order_by("-enrolled_on", "-pk"), ENROLMENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "offers/track_enrolments.html", {
        "offer": offer, "form": form, "taken": capacity.places_taken(offer), "enrolments": page.object_list, "page": page,
        "referral_clients": {str(r.pk): {"family_label": r.client_label, "municipality": r.municipality}
                             for r in form.fields["referral"].queryset},
    }, status=400 if form.errors else 200)


def _sessions(enrolment: Enrolment) -> list[Session]:
    return _numbered(enrolment.sessions.select_related("staff").order_by("starts_at", "pk"))


def _session_label(session: Session) -> str:
    """A session as the page lists it: its number in the enrolment and its time."""
    return f"{session.number}. {formats.date_format(timezone.localtime(session.starts_at), 'SHORT_DATETIME_FORMAT')}"


def _attendance_sessions(sessions: list[Session]) -> list[Session]:
    """The sessions whose attendance is recorded (not cancelled), each labelled as the page lists it."""
    recorded = [session for session in sessions if session.cancelled_at is None]
    for session in recorded:
        session.label = _session_label(session)
    return recorded


def _tell_what_was_saved(request: HttpRequest, saved: conflicts.RecordSaved) -> None:
    """Say what was saved, and name the sessions whose record was not (cancelled meanwhile)."""
    if saved.not_saved:
        labels = ", ".join(_session_label(session) for session in _numbered(saved.not_saved))
        messages.warning(request, ngettext(
            "Not saved: session %(sessions)s was cancelled meanwhile, so what you recorded for it was not kept.",
            "Not saved: sessions %(sessions)s were cancelled meanwhile, so what you recorded for them was not kept.",
            len(saved.not_saved)) % {"sessions": labels})
    if saved.saved or not saved.not_saved:
        messages.success(request, _("The attendance is recorded."))


def _enrolment_page(request: HttpRequest, enrolment: Enrolment, *, form=None, attendance_form=None, conflict_rows=None,
                    status: int = 200) -> HttpResponse:
    sessions = _sessions(enrolment)
    if form is None:
        form = SessionForm(staff=_staff_of(enrolment.offer), initial={"staff": request.user.pk})
    if attendance_form is None:
        attendance_form = SessionAttendanceForm(sessions=_attendance_sessions(sessions))
    return render(request, "offers/enrolment_detail.html", {
        "enrolment": enrolment, "sessions": sessions, "form": form, "end_form": EnrolmentEndForm(),
        "attendance_form": attendance_form, "conflict_rows": conflict_rows,
    }, status=status)


@login_required
def enrolment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = _enrolment_for_user(request.user, pk)
    form = SessionForm(request.POST or None, staff=_staff_of(enrolment.offer), enrolment=enrolment,
                       initial={"staff": request.user.pk})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ts.session_schedule(request.user, enrolment=enrolment, staff=data["staff"], starts_at=data["starts_at"],
                                minutes=data["minutes"], topic=data["topic"], location=data["location"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Session scheduled: it is in the staff member's calendar."))
            return redirect("offers:enrolment_detail", pk=enrolment.pk)
    return _enrolment_page(request, enrolment, form=form, status=400 if form.errors else 200)


@login_required
@require_POST
def enrolment_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """Whether the family came, one choice per session, saved together on the record as opened."""
    enrolment = _enrolment_for_user(request.user, pk)
    form = SessionAttendanceForm(request.POST, sessions=_attendance_sessions(_sessions(enrolment)))
    conflict_rows = None
    if form.is_valid():
        try:
            saved = ts.session_attendance(request.user, enrolment=enrolment, attendance=form.attendance(),
                                          based_on=form.cleaned_data["based_on"])
        except conflicts.EditConflict as conflict:
            # What she changed stays in the form, now based on the record as it is, shown beside it.
            sessions = _attendance_sessions(_sessions(enrolment))
            now = ts.session_attendance_based_on((s.pk, s.attended) for s in sessions)
            retry = form.rebased(ts.session_attendance_parse_based_on(form.cleaned_data["based_on"]),
                                 ts.session_attendance_parse_based_on(now))
            form, conflict_rows = conflicts.refused_form(
                lambda data: SessionAttendanceForm(data, sessions=sessions), conflict, retry,
                lambda form: form.stored_values(), field="based_on", based_on=now)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            _tell_what_was_saved(request, saved)
            return redirect(reverse("offers:enrolment_detail", args=[enrolment.pk]) + "#attendance-heading")
    return _enrolment_page(request, enrolment, attendance_form=form, conflict_rows=conflict_rows,
                           status=409 if conflict_rows else 400)


@login_required
@require_POST
def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    session = Session.objects.filter(pk=pk, enrolment__in=access.enrolments_for(request.user)).select_related("enrolment__offer").first()
    if session is None:
        raise Http404("No such session.")
    try:
        ts.session_cancel(request.user, session=session)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("offers:enrolment_detail", pk=session.enrolment_id)


@login_required
@require_POST
def enrolment_end(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = _enrolment_for_user(request.user, pk)
    form = EnrolmentEndForm(request.POST)
    if form.is_valid():
        try:
            ts.enrolment_end(request.user, enrolment=enrolment, completed=form.cleaned_data["outcome"] == "completed",
                             reason=form.cleaned_data["reason"])
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The enrolment has ended."))
    else:
        messages.error(request, _("Choose completed or ended early."))
    return redirect("offers:enrolment_detail", pk=enrolment.pk)
