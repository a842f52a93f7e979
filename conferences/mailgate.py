"""Reading calendar answers (iMIP REPLY and COUNTER, RFC 6047 / RFC 5546) out of e-mails.

Pure parsing, no database: ``read_message`` turns the raw bytes of one e-mail into a
``CalendarAnswer`` or a ``Refusal`` with a reason code. MIME is parsed by the standard library's
``email`` package (base64, quoted-printable, charsets, nested multiparts), iCalendar by
``icalendar``. The caller (``services.calendar_reply_receive``) decides against the database
whether the answer may change anything.

Nothing of the message's text is kept or logged: only reason codes and a digest of its
Message-ID.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from icalendar import Calendar

from . import ical, imip

PARTSTATS = {"ACCEPTED": "accepted", "TENTATIVE": "tentative", "DECLINED": "declined"}
_CALENDAR_TYPES = ("text/calendar", "application/ics", "text/x-vcalendar")
_UID = re.compile(r"^conference-(?P<pk>[0-9]{1,12})@(?P<host>.+)$")
_DMARC_FAIL = re.compile(r"\bdmarc\s*=\s*fail\b", re.IGNORECASE)


@dataclass(frozen=True)
class Refusal:
    reason: str
    digest: str
    conference_id: int | None = None
    invitation_id: int | None = None


@dataclass(frozen=True)
class CalendarAnswer:
    digest: str
    method: str                      # "REPLY" or "COUNTER"
    conference_id: int
    invitation_id: int               # from the signed tag of the address the answer was sent to
    attendees: list[str]             # ATTENDEE addresses in the calendar part, lower-case
    sender: str                      # From: address, lower-case
    partstat: str                    # ACCEPTED / TENTATIVE / DECLINED / … as written
    comment: str
    sequence: int
    stamp: dt.datetime | None
    proposed_start: dt.datetime | None = None
    proposed_end: dt.datetime | None = None
    notes: dict = field(default_factory=dict)


def digest_of(message_id: str, raw: bytes) -> str:
    """One message, however often it is read: the Message-ID, or the bytes when it has none."""
    basis = message_id.strip().encode("utf-8", "replace") if message_id.strip() else raw
    return hashlib.sha256(basis).hexdigest()


def _header(message: EmailMessage, name: str) -> str:
    try:
        return str(message.get(name, "") or "")
    except Exception:  # a header the parser cannot decode counts as absent
        return ""


def _addresses(message: EmailMessage, *names: str) -> list[str]:
    values = [_header(message, name) for name in names]
    return [address.lower() for _name, address in getaddresses([v for v in values if v]) if address]


def _calendar_parts(message: EmailMessage) -> list[bytes]:
    found = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_type() not in _CALENDAR_TYPES:
            continue
        payload = part.get_payload(decode=True)  # undoes base64 / quoted-printable
        if not payload:
            continue
        charset = part.get_content_charset() or "utf-8"
        try:
            payload = payload.decode(charset, "replace").encode("utf-8")
        except LookupError:  # unknown charset name
            pass
        found.append(payload)
    return found


def _mailto(value) -> str:
    text = str(value or "").strip()
    return (text[7:] if text.lower().startswith("mailto:") else text).lower()


def _stamp(event, message: EmailMessage) -> dt.datetime | None:
    prop = event.get("DTSTAMP")
    value = getattr(prop, "dt", None)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    try:
        sent = parsedate_to_datetime(_header(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
    return sent if sent.tzinfo else sent.replace(tzinfo=dt.timezone.utc)


def _when(event, key: str) -> dt.datetime | None:
    value = getattr(event.get(key), "dt", None)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    return None


def read_message(raw: bytes, *, max_bytes: int, size: int | None = None) -> CalendarAnswer | Refusal:
    """Parse one e-mail. ``size`` is the full size when ``raw`` holds only its header (an
    oversized message read from IMAP is never downloaded in full)."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        message_id = _header(message, "Message-ID")
    except Exception:
        return Refusal("malformed_mail", digest_of("", raw))
    digest = digest_of(message_id, raw)
    if max(size or 0, len(raw)) > max_bytes:
        return Refusal("too_large", digest)
    try:
        return _read(message, digest)
    except Exception:  # icalendar and the email package raise many kinds; none may escape
        return Refusal("malformed_calendar", digest)


def _read(message: EmailMessage, digest: str) -> CalendarAnswer | Refusal:
    parts = _calendar_parts(message)
    if not parts:
        return Refusal("not_calendar", digest)
    calendar = Calendar.from_ical(parts[0])
    method = str(calendar.get("METHOD", "")).strip().upper()
    if method not in ("REPLY", "COUNTER"):
        return Refusal("unsupported_method", digest)
    events = calendar.walk("VEVENT")
    if len(events) != 1 or getattr(events[0], "errors", None):
        return Refusal("malformed_calendar", digest)
    event = events[0]
    match = _UID.match(str(event.get("UID", "")).strip())
    if match is None or match["host"].lower() != ical.site_host().lower():
        return Refusal("unknown_event", digest)
    conference_id = int(match["pk"])
    # The signed tag: in the ORGANIZER the answer repeats, else in the address it was sent to.
    candidates = [_mailto(event.get("ORGANIZER"))] + _addresses(
        message, "Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc")
    invitation_id = next((pk for pk in map(imip.invitation_id_from_address, candidates) if pk is not None), None)
    if invitation_id is None:
        return Refusal("bad_token", digest, conference_id=conference_id)
    attendees = event.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else ([attendees] if attendees is not None else [])
    if not attendees:
        return Refusal("no_attendee", digest, conference_id, invitation_id)
    senders = _addresses(message, "From")
    if len(senders) != 1:
        return Refusal("sender_mismatch", digest, conference_id, invitation_id)
    if any(_DMARC_FAIL.search(str(v)) for v in (message.get_all("Authentication-Results") or [])):
        return Refusal("sender_unauthenticated", digest, conference_id, invitation_id)
    replying = [a for a in attendees if _mailto(a) == senders[0]] or attendees
    partstat = str(replying[0].params.get("PARTSTAT", "")).strip().upper()
    comment = event.get("COMMENT")
    comment = comment[0] if isinstance(comment, list) else comment
    sequence_prop = event.get("SEQUENCE")
    return CalendarAnswer(
        digest=digest, method=method, conference_id=conference_id, invitation_id=invitation_id,
        attendees=[_mailto(a) for a in attendees], sender=senders[0], partstat=partstat,
        comment=ical.one_line(str(comment or ""), limit=300), sequence=int(sequence_prop) if sequence_prop is not None else 0,
        stamp=_stamp(event, message), proposed_start=_when(event, "DTSTART"), proposed_end=_when(event, "DTEND"),
    )
