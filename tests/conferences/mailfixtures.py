"""Calendar answers shaped like those Outlook (Exchange), Gmail, Apple Calendar and Thunderbird send,
and as mail gateways pass them on.

The templates under ``mail/`` keep each client's MIME layout, headers and transfer encodings
(Outlook: multipart/alternative with a base64 text/calendar part and an iso-8859-1
quoted-printable text, times in a Windows zone defined by a VTIMEZONE; Gmail: multipart/mixed
with an 8bit inline text/calendar part and a base64 ``invite.ics`` attachment, times in UTC;
Apple Mail: a quoted-printable text/calendar attachment; Thunderbird: multipart/mixed with an
8bit text/calendar in multipart/alternative and an ``application/ics`` attachment, times in
Europe/Berlin with a VTIMEZONE). Further calendars (``*_reply.ics``): ``outlook_custom_zone``
(Outlook's "Customized Time Zone", its offsets given by ``offsets``; layout ``outlook_reply``) and ``floating`` (local
times without any zone). Further layouts (``layout``): ``gateway_attachment`` (a gateway that
rewraps the answer as multipart/mixed, a banner and footer in the text, the calendar as a base64
``application/octet-stream`` attachment without ``method``) and ``gateway_footer`` (a single
quoted-printable text/calendar without ``method`` on its Content-Type, a disclaimer appended).
``answer_to`` fills them from the REQUEST the service actually sent, as a client would.
"""
from __future__ import annotations

import base64
import datetime as dt
import email
import quopri
import uuid
from collections.abc import Callable
from email.utils import format_datetime
from pathlib import Path

from icalendar import Calendar

HERE = Path(__file__).parent / "mail"
CLIENTS = ("outlook", "gmail", "apple", "thunderbird")


def _b64(data: bytes) -> str:
    text = base64.b64encode(data).decode("ascii")
    return "\n".join(text[i:i + 76] for i in range(0, len(text), 76))


def request_calendar(message) -> Calendar:
    """The calendar object of an iMIP message from ``mail.outbox``."""
    parsed = email.message_from_bytes(message.message().as_bytes())
    part = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    return Calendar.from_ical(part.get_payload(decode=True))


def answer_to(message, *, client: str = "outlook", partstat: str = "ACCEPTED", method: str = "REPLY",
              sender: str | None = None, attendee: str | None = None, organizer: str | None = None,
              sequence: int | None = None, stamp: dt.datetime | None = None, comment: str = "",
              message_id: str | None = None, uid: str | None = None,
              starts: dt.datetime | None = None, ends: dt.datetime | None = None, layout: str | None = None,
              offsets: tuple[str, str] = ("+0100", "+0200"), edit: Callable[[str], str] | None = None) -> bytes:
    """The raw bytes of ``client``'s answer to the REQUEST ``message`` (from ``mail.outbox``), in the
    e-mail ``layout`` (default: the client's own). ``starts``/``ends`` are written as their own wall
    time where the calendar has a zone or none, so pass them in the zone the template names;
    ``offsets`` (standard, daylight) define a custom zone; ``edit`` changes the filled calendar text
    before it is encoded into the e-mail."""
    event = request_calendar(message).events[0]
    own = str(event["ATTENDEE"])[len("mailto:"):]
    starts = starts or event["DTSTART"].dt
    ends = ends or event["DTEND"].dt
    stamp = stamp or dt.datetime.now(dt.timezone.utc)
    sender = sender or own
    values = {
        "METHOD": method,
        "PARTSTAT": partstat,
        "FROM": sender,
        "TO": organizer or str(event["ORGANIZER"])[len("mailto:"):],
        "ORGANIZER": organizer or str(event["ORGANIZER"])[len("mailto:"):],
        "UID": uid or str(event["UID"]),
        "SEQUENCE": str(int(event["SEQUENCE"]) if sequence is None else sequence),
        "DTSTAMP": stamp.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ"),
        "DTSTART_LOCAL": starts.strftime("%Y%m%dT%H%M%S"),
        "DTEND_LOCAL": ends.strftime("%Y%m%dT%H%M%S"),
        "DTSTART_UTC": starts.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ"),
        "DTEND_UTC": ends.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ"),
        "COMMENT": comment.replace(",", "\\,").replace(";", "\\;"),
        "DATE": format_datetime(stamp.astimezone(dt.timezone.utc)),
        "MSGID": message_id or f"{uuid.uuid4().hex}@{sender.rpartition('@')[2] or 'example.org'}",
        "STD_OFFSET": offsets[0],
        "DST_OFFSET": offsets[1],
    }
    calendar = (HERE / f"{client}_reply.ics").read_text("utf-8")
    for key, value in values.items():
        calendar = calendar.replace("{" + key + "}", value)
    if attendee is not None:
        calendar = calendar.replace(f":mailto:{sender}", f":mailto:{attendee}").replace(f'EMAIL="{sender}"', f'EMAIL="{attendee}"')
    if edit is not None:
        calendar = edit(calendar)
    cal_bytes = calendar.replace("\n", "\r\n").encode("utf-8")
    values.update({
        "CALENDAR": calendar,
        "CALENDAR_B64": _b64(cal_bytes),
        "CALENDAR_QP": quopri.encodestring(calendar.encode("utf-8")).decode("ascii"),
        "COMMENT_QP": quopri.encodestring((comment or " ").encode("iso-8859-1", "replace")).decode("ascii"),
        "TEXT_B64": _b64(f"{sender} has accepted this invitation.\n\n{comment}\n".encode("utf-8")),
    })
    raw = (HERE / f"{layout or client + '_reply'}.eml").read_text("utf-8")
    for key in ("CALENDAR_B64", "CALENDAR_QP", "COMMENT_QP", "TEXT_B64", "CALENDAR", *[k for k in values if k not in (
            "CALENDAR_B64", "CALENDAR_QP", "COMMENT_QP", "TEXT_B64", "CALENDAR")]):
        raw = raw.replace("{" + key + "}", values[key])
    return raw.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
