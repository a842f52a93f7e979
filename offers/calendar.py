"""Sessions of programme tracks in the staff's calendars: the personal feed (registered with
``calendars.feeds`` from ``OffersConfig.ready``), iMIP invitations to the staff member and a
plain reminder e-mail to the family. Titles carry the track's name and the session's number,
never the family's name."""
from __future__ import annotations

import datetime as dt
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Count, Max, Sum
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from icalendar import Event, vCalAddress

from calendars.feeds import PersonalSource, register_personal_source
from conferences import ical
from conferences.imip import CalendarMessage
from participants import language

from . import access
from .models import Session


def session_uid(pk: int) -> str:
    return f"offer-session-{pk}@{ical.site_host()}"


def session_title(session: Session) -> str:
    """One line: an offer's name may come from an HSDS import with a line break in it, which must
    not reach a SUMMARY or a mail subject."""
    return _("%(track)s – session %(number)s") % {"track": ical.one_line(session.enrolment.offer.name), "number": session.number}


def session_event(session: Session, *, stamp: dt.datetime | None = None, attendee: str = "") -> Event:
    zone = ical.zone_of(session.enrolment.offer.organisation.network)
    event = Event()
    event.add("uid", session_uid(session.pk))
    event.add("dtstamp", ical.utc(stamp or session.updated_at))
    event.add("sequence", session.sequence)
    event.add("summary", session_title(session))
    event.add("dtstart", session.starts_at.astimezone(zone))
    event.add("dtend", session.ends_at.astimezone(zone))
    event.add("status", "CANCELLED" if session.cancelled_at else "CONFIRMED")
    event.add("class", "CONFIDENTIAL")
    if session.location:
        event.add("location", ical.one_line(session.location))
    event.add("url", ical.reverse_or_root("offers:enrolment_detail", session.enrolment_id))
    if attendee:
        # The address the invitation is sent from, not an invented no-reply mailbox at the site's
        # host; and no answer is asked for (RSVP=FALSE): the staff member is put on the session,
        # she does not accept it. A calendar programme that replies anyway reaches a mailbox that
        # exists (the operators' sender address).
        event.add("organizer", vCalAddress(f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}"))
        address = vCalAddress(f"mailto:{attendee}")
        address.params["PARTSTAT"] = "ACCEPTED"
        address.params["RSVP"] = "FALSE"
        event.add("attendee", address)
    return event


def _numbered(sessions):
    """Attach each session's number within its enrolment (1, 2, ...) without a query per row."""
    sessions = list(sessions)
    ids = {s.enrolment_id for s in sessions}
    order = {}
    for pk, enrolment_id in Session.objects.filter(enrolment_id__in=ids).order_by("starts_at", "pk").values_list("pk", "enrolment_id"):
        order.setdefault(enrolment_id, []).append(pk)
    for session in sessions:
        session.number = order[session.enrolment_id].index(session.pk) + 1
    return sessions


class SessionSource(PersonalSource):
    def _sessions(self, user):
        since = timezone.now() - dt.timedelta(days=60)
        return access.sessions_for_staff(user).filter(starts_at__gte=since)

    def state(self, user) -> object:
        return tuple(self._sessions(user).aggregate(n=Count("pk"), changed=Max("updated_at"), seq=Sum("sequence")).values())

    def events(self, user) -> list:
        sessions = self._sessions(user).select_related("enrolment__offer__organisation__network").order_by("starts_at", "pk")
        return [session_event(s) for s in _numbered(sessions)]


def send_session_invitation(session: Session, *, method: str = "REQUEST") -> None:
    """iMIP to the staff member: the session lands in her own calendar programme too."""
    staff = session.staff
    if not staff.email:
        return
    session = _numbered([session])[0]
    network = session.enrolment.offer.organisation.network
    with translation.override(language.for_user(staff, network=network)), timezone.override(ical.zone_of(network)):
        title = session_title(session)
        cal = ical.new_calendar(method=method)
        event = session_event(session, stamp=timezone.now(), attendee=staff.email)
        if method == "CANCEL":
            event["status"] = "CANCELLED"
        cal.add_component(event)
        body = _("%(title)s on %(start)s.") % {"title": title, "start": formats.date_format(timezone.localtime(session.starts_at), "DATETIME_FORMAT")}
        subject = (_("Cancelled: %(title)s") if method == "CANCEL" else _("Invitation: %(title)s")) % {"title": title}
    message = CalendarMessage(subject=ical.one_line(subject), body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[staff.email])
    message.calendar_method = method
    message.attach_alternative(ical.finish(cal, default_zone=network.time_zone).decode("utf-8"), "text/calendar")
    message.send()


def send_family_reminder(session: Session) -> bool:
    """A short reminder to the family's address: the date, the place and the offer's phone."""
    email = session.enrolment.family_email
    if not email:
        return False
    offer = session.enrolment.offer
    network = offer.organisation.network
    with translation.override(language.network_language(network)), timezone.override(ical.zone_of(network)):
        body = _("Reminder: your appointment with %(offer)s is on %(start)s%(place)s. If you cannot come, please call %(phone)s.") % {
            "offer": offer.name, "start": formats.date_format(timezone.localtime(session.starts_at), "DATETIME_FORMAT"),
            "place": f", {session.location}" if session.location else "", "phone": offer.contact_phone or offer.organisation.name,
        }
        subject = _("Reminder of your appointment")
    EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[email]).send()
    return True


def register() -> None:
    """Called from ``OffersConfig.ready``: staff members' personal feeds carry their sessions."""
    register_personal_source(SessionSource())
