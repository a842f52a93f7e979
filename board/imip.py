"""Invitation e-mails for board meetings, with an iMIP calendar part (RFC 6047).

``conferences.imip`` builds these for conferences only; a board meeting reuses its building
blocks (``conferences.ical.board_meeting_event``, ``new_calendar``, ``finish`` and the
``CalendarMessage`` that sets ``method=`` on the ``text/calendar`` part). Each message goes to
one board member, who is its only ATTENDEE, with her current answer as PARTSTAT. Answers are
given on her meeting page (RSVP=FALSE: calendar clients do not send REPLY mails nobody reads).
The text names the network, time and place only.
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from icalendar import vCalAddress

from conferences import ical
from conferences.imip import CANCEL, REQUEST, CalendarMessage
from participants import language
from permissions import time_ranges

PARTSTAT = {"pending": "NEEDS-ACTION", "accepted": "ACCEPTED", "declined": "DECLINED"}


def build_calendar(meeting, invitation, *, method: str, now: dt.datetime) -> bytes:
    if method not in (REQUEST, CANCEL):
        raise ValueError(method)
    cal = ical.new_calendar(method=method)
    event = ical.board_meeting_event(meeting)
    del event["dtstamp"]
    event.add("dtstamp", ical.utc(now))  # in an iMIP message: the time the message was made
    organizer = meeting.created_by
    address = vCalAddress(f"mailto:{(organizer.email if organizer and organizer.email else 'no-reply@' + ical.site_host())}")
    if organizer:
        address.params["CN"] = ical.param_text(organizer.get_full_name() or organizer.get_username())
    event.add("organizer", address)
    attendee = vCalAddress(f"mailto:{invitation.user.email}")
    attendee.params["CUTYPE"] = "INDIVIDUAL"
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    attendee.params["PARTSTAT"] = PARTSTAT.get(invitation.response, "NEEDS-ACTION")
    attendee.params["RSVP"] = "FALSE"
    event.add("attendee", attendee)
    cal.add_component(event)
    return ical.finish(cal, default_zone=meeting.network.time_zone)


def build_message(meeting, invitation, *, method: str, now: dt.datetime | None = None) -> CalendarMessage | None:
    """The message for one invited board member, or None when she has no usable address."""
    email = invitation.user.email
    if not email or "\n" in email or "\r" in email:
        return None
    now = now or timezone.now()
    zone = ical.zone_of(meeting.network)
    lang = language.for_user(invitation.user, network=meeting.network)  # a Danish network writes Danish
    with translation.override(lang), timezone.override(zone):
        values = {
            "network": ical.one_line(meeting.network.name),
            "starts": formats.date_format(timezone.localtime(meeting.starts_at), "DATETIME_FORMAT"),
            "ends": time_ranges.range_end(meeting.starts_at, meeting.ends_at),
        }
        if method == CANCEL:
            subject = _("Cancelled: cooperation board meeting of %(network)s, %(starts)s") % values
            lines = [_("The meeting of the cooperation board of %(network)s on %(starts)s has been cancelled.") % values]
        else:
            subject = (_("Changed: cooperation board meeting of %(network)s, %(starts)s") if meeting.sequence
                       else _("Invitation: cooperation board meeting of %(network)s, %(starts)s")) % values
            lines = [_("Meeting of the cooperation board of %(network)s: %(starts)s–%(ends)s.") % values]
            if meeting.location:
                lines.append(_("Place: %(place)s") % {"place": ical.one_line(meeting.location)})
            lines.append(_("Please accept or decline on the meeting page: %(link)s")
                         % {"link": ical.reverse_or_root("board:board_meeting_detail", meeting.pk)})
        body = "\n\n".join(lines) + "\n"
    message = CalendarMessage(subject=ical.one_line(subject), body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[email])
    message.calendar_method = method
    with translation.override(lang):  # the event's SUMMARY in her language too
        calendar = build_calendar(meeting, invitation, method=method, now=now)
    message.attach_alternative(calendar.decode("utf-8"), "text/calendar")
    return message
