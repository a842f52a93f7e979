"""Writes on programme tracks: enrol a family (from a referral or directly), schedule sessions
into the staff member's calendar, record attendance, end an enrolment. Each function takes the
acting user first, checks that she works for the track's organisation, writes atomically and
records an audit event; calendar e-mails go out after commit."""
from __future__ import annotations

import datetime as dt
from typing import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from participants.models import Membership, User
from permissions import audit, conflicts

from . import access, calendar, capacity
from . import referral_services as rs
from .models import Enrolment, Offer, Referral, Session


def _require_staff(actor: User, offer: Offer) -> None:
    if not access.may_manage_offer(actor, offer):
        raise PermissionDenied(_("Only staff of the organisation run its tracks."))


@transaction.atomic
def enrolment_create(
    actor: User, *, offer: Offer, referral: Referral | None = None, family_label: str = "", family_email: str = "",
    municipality: str = "", birth_site: str = "", channel: str = audit.Channel.PAGE,
) -> Enrolment:
    """Enrol a family in a track.

    From a referral: it must be accepted (its place is used by the enrolment) and not enrolled
    yet; the help begins (→ in progress) and the days spent on the waiting list are kept.
    Directly: the track must have a free place (the offer's row is locked while counting)."""
    _require_staff(actor, offer)
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if offer.kind != Offer.Kind.TRACK:
        raise ValidationError(_("Only a programme track has enrolments."))
    waited = 0
    if referral is not None:
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if referral.offer_id != offer.pk or referral.status not in (Referral.Status.ACCEPTED, Referral.Status.IN_PROGRESS):
            raise ValidationError(_("Only an accepted referral to this track can be enrolled."))
        if Enrolment.objects.filter(referral=referral).exists():
            raise ValidationError(_("This referral is already enrolled."))
        family_label = family_label or referral.client_label
        municipality = municipality or referral.municipality
        if referral.waitlisted_at and referral.accepted_at:
            waited = max((referral.accepted_at - referral.waitlisted_at).days, 0)
    elif not capacity.has_free_place(offer):
        raise ValidationError(_("The track is full: refer the family so that she goes onto the waiting list."))
    if not (family_label or "").strip():
        raise ValidationError({"family_label": _("Name the family by first name or initials.")})
    enrolment = Enrolment(offer=offer, referral=referral, family_label=family_label.strip(), family_email=family_email,
                          municipality=municipality.strip(), birth_site=(birth_site or "").strip(), waited_days=waited,
                          enrolled_by=actor, enrolled_on=timezone.localdate())
    enrolment.full_clean()
    enrolment.save()
    audit.record(actor, action="enrolment.create", obj=enrolment, case_id=referral.case_id if referral else None,
                 channel=channel, detail={"offer": offer.pk, "referral": referral.pk if referral else None})
    if referral is not None and referral.status == Referral.Status.ACCEPTED:
        rs.referral_start(actor, referral=referral, channel=channel)
    return enrolment


@transaction.atomic
def session_schedule(
    actor: User, *, enrolment: Enrolment, staff: User, starts_at: dt.datetime, minutes: int = 60, topic: str = "",
    location: str = "", channel: str = audit.Channel.PAGE,
) -> Session:
    """Schedule a session with a staff member of the track's organisation. It appears in her
    personal calendar feed and she receives an iMIP invitation after commit.

    Checks: ``actor`` works for the track's organisation; ``staff`` is an active account
    (PermissionDenied otherwise: a deactivated account gets no appointments and no invitations)
    with an active membership there; the enrolment is active; length, start and the track's
    number of sessions."""
    offer = enrolment.offer
    _require_staff(actor, offer)
    if enrolment.status != Enrolment.Status.ACTIVE:
        raise ValidationError(_("Sessions are scheduled only for an active enrolment."))
    if not staff.is_active:  # her callers offer only active accounts; the service does not rely on them
        raise PermissionDenied(_("Sessions are scheduled only with an active account."))
    if not Membership.objects.filter(user=staff, organisation_id=offer.organisation_id, is_active=True).exists():
        raise ValidationError({"staff": _("Choose a staff member of the organisation.")})
    if not 15 <= minutes <= 480:
        raise ValidationError({"minutes": _("A session lasts between 15 minutes and 8 hours.")})
    if refusal := session_start_refusal(enrolment, starts_at):
        raise ValidationError({"starts_at": refusal})
    planned = enrolment.sessions.filter(cancelled_at__isnull=True).count()
    if offer.planned_sessions and planned >= offer.planned_sessions:
        raise ValidationError(_("All %(count)s sessions of this track are already scheduled.") % {"count": offer.planned_sessions})
    session = Session(enrolment=enrolment, staff=staff, starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=minutes),
                      topic=(topic or "").strip(), location=(location or "").strip())
    session.full_clean()
    session.save()
    audit.record(actor, action="session.schedule", obj=session, channel=channel, detail={"enrolment": enrolment.pk})
    transaction.on_commit(lambda: calendar.send_session_invitation(Session.objects.select_related(
        "staff", "enrolment__offer__organisation__network").get(pk=session.pk)))
    return session


def session_start_refusal(enrolment: Enrolment, starts_at: dt.datetime) -> str:
    """Why a session may not start then ("" when it may): a session is an appointment still to
    come, not before the enrolment began and not in the past (the current minute counts as now:
    times are entered to the minute). The session form asks the same."""
    if timezone.localtime(starts_at).date() < enrolment.enrolled_on:
        return _("A session cannot start before the enrolment began (%(day)s).") % {
            "day": date_format(enrolment.enrolled_on, "SHORT_DATE_FORMAT")}
    if starts_at < timezone.now().replace(second=0, microsecond=0):
        return _("A session cannot start in the past.")
    return ""


ATTENDED = {"yes": True, "no": False, "": None}


def attended_value(attended: bool | None) -> str:
    """A session's ``attended`` as the attendance form and its ``based_on`` carry it: yes / no / ""."""
    return {True: "yes", False: "no"}.get(attended, "")


def session_attendance_based_on(rows: Iterable[tuple[int, bool | None]]) -> str:
    """What the attendance form carries of the record it was opened on (``session_attendance``): per
    session (id, ``attended``) yes / no / "" (not recorded), as ``12=yes&13=``."""
    return conflicts.record_based_on((str(pk), attended_value(attended)) for pk, attended in sorted(rows))


def session_attendance_parse_based_on(based_on: str) -> dict[str, str]:
    """``session_attendance_based_on``'s text as {session id: value}; a session it does not name
    counts as unknown (a change of it meanwhile conflicts)."""
    return conflicts.record_parse(based_on)


def session_attendance_based_on_well_formed(based_on: str) -> bool:
    """Whether ``based_on`` is one ``session_attendance_based_on`` can have made (the page's hidden
    field; "" is the record of an enrolment without sessions)."""
    return conflicts.record_well_formed(based_on, key=str.isdigit, value=lambda _key, value: value in ATTENDED)


@transaction.atomic
def session_attendance(actor: User, *, enrolment: Enrolment, attendance: dict[int, bool | None], based_on: str | None = None,
                       channel: str = audit.Channel.PAGE) -> conflicts.RecordSaved:
    """Record per session of the enrolment whether the family came (True), did not come (False) or
    that it is not recorded (None). Checks: staff of the track's organisation; every session belongs
    to the enrolment. One audit event per session changed. A cancelled session keeps its record:
    what she changed there is not saved, and the answer names it (``RecordSaved.not_saved``, the
    sessions) so that the page and the API tell her; the other sessions are saved.

    ``based_on``: ``session_attendance_based_on`` of the record her form (or her API client) was
    opened on, so that two people recording at once do not overwrite each other. A session she
    changed is saved; one she left as it was keeps what someone else recorded there meanwhile; a
    session both changed, to different values, refuses the whole save (``EditConflict`` with the
    enrolment, nothing changed). None (a script) writes every session given."""
    _require_staff(actor, enrolment.offer)
    enrolment = Enrolment.objects.select_for_update().select_related("offer").get(pk=enrolment.pk)  # the record
    if any(value not in (True, False, None) for value in attendance.values()):
        raise ValidationError({"attendance": _("Choose attended or did not come.")})
    sessions = {s.pk: s for s in Session.objects.select_for_update().filter(enrolment=enrolment, pk__in=list(attendance))}
    if len(sessions) != len(attendance):
        raise ValidationError({"attendance": _("Only sessions of this enrolment can be recorded.")})
    record = {str(pk): (attended_value(value), attended_value(sessions[pk].attended)) for pk, value in attendance.items()}
    based = None if based_on is None else session_attendance_parse_based_on(based_on)
    cancelled_meanwhile = [str(pk) for pk, session in sessions.items() if session.cancelled_at is not None]
    record, cancelled = conflicts.record_gone(record, based, cancelled_meanwhile)
    write, clashes = conflicts.record_merge(record, based)
    if clashes:  # both changed a session, to different values (or her form did not show it)
        raise conflicts.EditConflict(enrolment)
    changed = [sessions[int(key)] for key in write]
    for session in changed:
        session.attended = attendance[session.pk]
        session.save(update_fields=["attended", "updated_at"])
        audit.record(actor, action="session.attendance", obj=session, channel=channel, detail={"attended": session.attended})
    return conflicts.RecordSaved(enrolment, not_saved=[sessions[int(key)] for key in cancelled], saved=len(changed))


@transaction.atomic
def session_cancel(actor: User, *, session: Session, channel: str = audit.Channel.PAGE) -> Session:
    """Cancel a session: it stays in the feed as cancelled with a higher SEQUENCE, and the staff
    member receives an iMIP CANCEL."""
    _require_staff(actor, session.enrolment.offer)
    if session.cancelled_at is not None:
        raise ValidationError(_("This session was cancelled."))
    session.cancelled_at, session.sequence = timezone.now(), session.sequence + 1
    session.save(update_fields=["cancelled_at", "sequence", "updated_at"])
    audit.record(actor, action="session.cancel", obj=session, channel=channel)
    transaction.on_commit(lambda: calendar.send_session_invitation(Session.objects.select_related(
        "staff", "enrolment__offer__organisation__network").get(pk=session.pk), method="CANCEL"))
    return session


@transaction.atomic
def enrolment_end(actor: User, *, enrolment: Enrolment, completed: bool, reason: str = "", channel: str = audit.Channel.PAGE) -> Enrolment:
    """Complete the enrolment, or end it early with a reason. Its referral closes with it, and a
    freed place is offered to the next person waiting."""
    _require_staff(actor, enrolment.offer)
    if enrolment.status != Enrolment.Status.ACTIVE:
        raise ValidationError(_("This enrolment has already ended."))
    if not completed and not (reason or "").strip():
        raise ValidationError({"reason": _("Give a reason for ending early.")})
    enrolment.status = Enrolment.Status.COMPLETED if completed else Enrolment.Status.ENDED_EARLY
    enrolment.end_reason = "" if completed else reason.strip()
    enrolment.ended_on = timezone.localdate()
    enrolment.full_clean()
    enrolment.save(update_fields=["status", "end_reason", "ended_on", "updated_at"])
    audit.record(actor, action="enrolment.complete" if completed else "enrolment.end_early", obj=enrolment, channel=channel)
    if enrolment.referral_id and enrolment.referral.status in Referral.HOLDS_PLACE:
        rs.referral_close(actor, referral=enrolment.referral,
                          outcome=Referral.Status.COMPLETED if completed else Referral.Status.CANCELLED, reason=enrolment.end_reason)
    return enrolment


def sessions_remind(*, now: dt.datetime | None = None, hours_ahead: int = 48) -> int:
    """E-mail families a reminder of sessions in the next ``hours_ahead`` hours (each once)."""
    now = now or timezone.now()
    due = (Session.objects.filter(cancelled_at__isnull=True, reminded_at__isnull=True, starts_at__gt=now,
                                  starts_at__lte=now + dt.timedelta(hours=hours_ahead), enrolment__status="active")
           .exclude(enrolment__family_email="").select_related("enrolment__offer__organisation__network"))
    sent = 0
    for session in due:
        if calendar.send_family_reminder(session):
            Session.objects.filter(pk=session.pk).update(reminded_at=now)
            audit.record(None, action="session.remind", obj=session, channel=audit.Channel.TASK)
            sent += 1
    return sent
