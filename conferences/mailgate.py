"""Reading calendar answers (iMIP REPLY and COUNTER, RFC 6047 / RFC 5546) out of e-mails.

Pure parsing, no database: ``read_message`` turns the raw bytes of one e-mail into a
``CalendarAnswer`` or a ``Refusal`` with a reason code. MIME is parsed by the standard library's
``email`` package (base64, quoted-printable, charsets, nested multiparts), iCalendar by
``icalendar``. An answer Outlook or Exchange sent as TNEF (``winmail.dat``) instead of a calendar
part is read by ``tnef`` into the same ``CalendarAnswer``; a calendar part wins over it. The caller (``services.calendar_reply_receive``) decides against the database
whether the answer may change anything.

Nothing of the message's text is kept or logged: only reason codes and a digest of its
Message-ID.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from icalendar import Calendar
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from . import ical, imip, tnef

PARTSTATS = {"ACCEPTED": "accepted", "TENTATIVE": "tentative", "DECLINED": "declined"}
_CALENDAR_TYPES = ("text/calendar", "application/ics", "text/x-vcalendar")
_TNEF_TYPES = ("application/ms-tnef", "application/vnd.ms-tnef")
_UID = re.compile(r"^conference-(?P<pk>[0-9]{1,12})@(?P<host>.+)$")
_VCALENDAR = re.compile(rb"^BEGIN:VCALENDAR[ \t]*\r?$.*^END:VCALENDAR[ \t]*(?=\r?$)", re.IGNORECASE | re.MULTILINE | re.DOTALL)
_DMARC_FAIL = re.compile(r"\bdmarc\s*=\s*fail\b", re.IGNORECASE)
_RESULT = re.compile(r"^\s*(?P<method>dmarc|dkim|spf)\s*=\s*(?P<result>[a-z]+)\b", re.IGNORECASE)
_ALIGNED = {
    "dkim": re.compile(r"\bheader\.[di]\s*=\s*(?P<domain>[^\s;]+)", re.IGNORECASE),
    "spf": re.compile(r"\bsmtp\.mailfrom\s*=\s*(?P<domain>[^\s;]+)", re.IGNORECASE),
}
# Where the signed tag of the reply address is read: what the mail server recorded as the
# envelope recipient first, then the visible recipients.
_RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc")
STAMP_SKEW = dt.timedelta(days=1)            # a DTSTAMP later than now + this is refused
PROPOSAL_RANGE = dt.timedelta(days=5 * 366)  # a proposed time further from now is refused


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
    sequence: int | None
    stamp: dt.datetime | None
    proposed_start: dt.datetime | None = None
    proposed_end: dt.datetime | None = None
    notes: dict = field(default_factory=dict)
    # An answer read from TNEF: the meeting's time as it names it (must be the conference's
    # current time), and its SEQUENCE may be unknown (None: the time stands for the version).
    meeting_start: dt.datetime | None = None
    meeting_end: dt.datetime | None = None
    via: str = "icalendar"           # or "tnef"


def digest_of(message_id: str, raw: bytes) -> str:
    """One message, however often it is read: the Message-ID, or the bytes when it has none."""
    basis = message_id.strip().encode("utf-8", "replace") if message_id.strip() else raw
    return hashlib.sha256(basis).hexdigest()


def message_digest(raw: bytes) -> str:
    """``digest_of`` the message as ``read_message`` takes it, for a message it could not finish."""
    try:
        head = BytesParser(policy=policy.default).parsebytes(_header_block(raw), headersonly=True)
        return digest_of(_header(head, "Message-ID"), raw)
    except Exception:  # a header the parser cannot read: the bytes identify the message
        return digest_of("", raw)


def _header(message: EmailMessage, name: str) -> str:
    try:
        return str(message.get(name, "") or "")
    except Exception:  # a header the parser cannot decode counts as absent
        return ""


def _addresses(message: EmailMessage, *names: str) -> list[str]:
    values = [_header(message, name) for name in names]
    return [address.lower() for _name, address in getaddresses([v for v in values if v]) if address]


def _is_part(part: EmailMessage, types: tuple[str, ...], named: Callable[[str], bool]) -> bool:
    """A part of one of ``types``, or a generic attachment (``application/octet-stream``) a gateway
    or client sent instead, recognised by its file name (lower case)."""
    if part.get_content_type() in types:
        return True
    if part.get_content_type() != "application/octet-stream":
        return False
    try:
        name = str(part.get_filename() or part.get_param("name", "") or "")
    except Exception:  # a parameter the parser cannot decode counts as absent
        return False
    return named(name.strip().lower())


def _is_calendar_part(part: EmailMessage) -> bool:
    """A calendar by its type, or an ``.ics`` file sent as a generic attachment."""
    return _is_part(part, _CALENDAR_TYPES, lambda name: name.endswith(".ics"))


def _is_tnef_part(part: EmailMessage) -> bool:
    """Outlook's ``winmail.dat``, by its type or, sent as a generic attachment, by its name."""
    return _is_part(part, _TNEF_TYPES, lambda name: name == "winmail.dat")


def _calendar_only(payload: bytes) -> bytes:
    """The calendar object without what a gateway put around it (a banner before BEGIN:VCALENDAR,
    a disclaimer after END:VCALENDAR); the payload unchanged when it has no such lines."""
    found = _VCALENDAR.search(payload)
    return found.group(0) + b"\r\n" if found else payload


def _decoded(part: EmailMessage, max_bytes: int) -> bytes | None:
    """The part's content, b"" when empty; None when it is larger than ``max_bytes`` (checked
    before it is decoded, and after)."""
    encoded = part.get_payload()
    if not isinstance(encoded, str) or len(encoded) > max_bytes * 4 // 3 + 4096:  # base64 is 4/3, plus line ends
        return None
    payload = part.get_payload(decode=True) or b""  # undoes base64 / quoted-printable
    return None if len(payload) > max_bytes else payload


def _decoded_parts(message: EmailMessage, max_bytes: int,
                   wanted: Callable[[EmailMessage], bool]) -> list[tuple[EmailMessage, bytes]] | None:
    """(part, decoded bytes) of the non-empty parts ``wanted`` picks; None when one is larger
    than ``max_bytes`` (checked before it is decoded, and after)."""
    found = []
    for part in message.walk():
        if part.is_multipart() or not wanted(part):
            continue
        payload = _decoded(part, max_bytes)
        if payload is None:
            return None
        if payload:
            found.append((part, payload))
    return found


def _tnef_parts(message: EmailMessage, max_bytes: int) -> list[bytes] | None:
    """The TNEF parts' bytes; None when one is larger than ``max_bytes``."""
    parts = _decoded_parts(message, max_bytes, _is_tnef_part)
    return None if parts is None else [payload for _part, payload in parts]


def _calendar_parts(message: EmailMessage, max_bytes: int) -> list[bytes] | None:
    """The calendar parts, one that names METHOD:REPLY or COUNTER in its Content-Type first;
    None when one is larger than ``max_bytes`` (checked before it is decoded, and after)."""
    parts = _decoded_parts(message, max_bytes, _is_calendar_part)
    if parts is None:
        return None
    found = []
    for part, payload in parts:
        charset = part.get_content_charset() or "utf-8"
        try:
            payload = payload.decode(charset, "replace").encode("utf-8")
        except LookupError:  # unknown charset name
            pass
        answer = str(part.get_param("method", "") or "").strip().upper() in ("REPLY", "COUNTER")
        found.append((not answer, len(found), _calendar_only(payload)))
    return [payload for _rank, _index, payload in sorted(found)]


def _mailto(value) -> str:
    text = str(value or "").strip()
    return (text[7:] if text.lower().startswith("mailto:") else text).lower()


@dataclass(frozen=True)
class Admission:
    """What the caller's cheap check (``admit``) says about the invitation a tag names, before
    the calendar part is read: a refusal reason ("" to go on) and the network's time zone, in
    which a floating (zone-less) time of the answer is read, and the invitation's conference (for
    an Outlook answer in TNEF that carries no UID)."""
    reason: str = ""
    time_zone: str = "UTC"
    conference_id: int | None = None


def _aware(value: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """``value`` as an aware time in UTC (a floating one read in ``zone``); OverflowError for a
    time the conversion cannot represent (year 1 or 9999 in a time zone)."""
    return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(dt.timezone.utc)


def _stamp(event, message: EmailMessage) -> dt.datetime | None:
    value = getattr(event.get("DTSTAMP"), "dt", None)
    if isinstance(value, dt.datetime):
        return _aware(value, dt.timezone.utc)  # RFC 5545: DTSTAMP is UTC
    return _date_header(message)


def _date_header(message: EmailMessage) -> dt.datetime | None:
    try:
        sent = parsedate_to_datetime(_header(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
    return _aware(sent, dt.timezone.utc) if sent else None


def _when(event, key: str, zone: dt.tzinfo, calendar: Calendar) -> dt.datetime | None:
    """The time ``key`` names, in UTC: its wall time in the zone its TZID names in this message
    (``_named_zone``), a floating one in ``zone``."""
    prop = event.get(key)
    value = getattr(prop, "dt", None)
    if not isinstance(value, dt.datetime):
        return None
    tzid = str(prop.params.get("TZID", "") or "").strip()
    if tzid:
        value = value.replace(tzinfo=_named_zone(calendar, tzid, zone))
    return _aware(value, zone)


def _named_zone(calendar: Calendar, tzid: str, floating: dt.tzinfo) -> dt.tzinfo:
    """The zone a TZID names in this message: a zone of the tz database; else this message's own
    VTIMEZONE of that name (Outlook's "Customized Time Zone", its Windows names); else a Windows
    name's tz database zone; else none (``floating``). Never what icalendar keeps process-wide: it
    caches the first VTIMEZONE it met under each name, so one message's "Customized Time Zone"
    would decide the times of every later message that fetch_mail reads in the same run."""
    known = _known_zone(tzid.strip("/"))
    if known is not None:
        return known
    for component in calendar.walk("VTIMEZONE"):
        if str(component.get("TZID", "")).strip() == tzid:
            return component.to_tz(lookup_tzid=False)
    windows = WINDOWS_TO_OLSON.get(tzid)
    return (_known_zone(windows) if windows else None) or floating


def _known_zone(name: str) -> dt.tzinfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: e.g. "Europe" is a directory
        return None


def _zone(name: str) -> dt.tzinfo:
    return _known_zone(name) or dt.timezone.utc


def _recipient_tags(message: EmailMessage) -> tuple[int | None, bool]:
    """The invitation the recipient headers' signed tag names, and whether any recipient looks
    like a tagged reply address at all (to tell a forged tag from mail that was never one)."""
    addresses = _addresses(message, *_RECIPIENT_HEADERS)
    found = next((pk for pk in map(imip.invitation_id_from_address, addresses) if pk is not None), None)
    return found, found is not None or any(map(imip.is_reply_address, addresses))


def _authenticated(message: EmailMessage, sender: str, authserv_id: str) -> bool:
    """Whether the mail server's verdict lets the sender through. Without ``authserv_id``, only a
    recorded ``dmarc=fail`` (in any Authentication-Results header) refuses. With it, only the
    headers of that server count (a sender can add her own, ours is added on top), and one of
    them must say ``dmarc=pass``, or ``dkim=pass`` / ``spf=pass`` for the From: domain."""
    results = [str(v) for v in (message.get_all("Authentication-Results") or [])]
    if not authserv_id:
        return not any(_DMARC_FAIL.search(v) for v in results)
    domain = sender.rpartition("@")[2].lower()
    for value in results:
        serv, _semi, rest = value.partition(";")
        if serv.strip().lower().split()[0:1] != [authserv_id.strip().lower()]:
            continue
        for method in rest.split(";"):
            found = _RESULT.search(method)
            if found is None or found["result"].lower() != "pass":
                continue
            kind = found["method"].lower()
            if kind == "dmarc":
                return True
            aligned = _ALIGNED[kind].search(method)
            if aligned and aligned["domain"].lower().lstrip("@").rpartition("@")[2] == domain:
                return True
    return False


def _header_block(raw: bytes) -> bytes:
    """The bytes up to the first empty line: what the cheap checks read."""
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    return raw[: min(ends) + 2] if ends else raw


def _may_hold_calendar(head: EmailMessage) -> bool:
    """Whether the top-level Content-Type can carry a calendar part at all (a multipart, a
    wrapped message, or a calendar itself); plain text or HTML is no calendar answer."""
    try:
        return head.get_content_maintype() in ("multipart", "message") or _is_calendar_part(head) or _is_tnef_part(head)
    except Exception:  # a Content-Type the parser cannot read: the full parse decides
        return True


def read_message(raw: bytes, *, max_bytes: int, size: int | None = None, max_calendar_bytes: int = 256 * 1024,
                 admit: Callable[[int, str], Admission] | None = None, authserv_id: str = "",
                 now: dt.datetime | None = None, load: Callable[[], bytes] | None = None) -> CalendarAnswer | Refusal:
    """Read one e-mail, the cheap things first: from the header alone, a message without a valid
    signed tag in its recipient headers, with other than one From: address, failing the sender
    check, larger than ``max_bytes``, refused by ``admit(invitation_id, sender)`` (the caller's
    look-up of the invitation) or whose Content-Type cannot hold a calendar is refused before its
    body is parsed. Only then is the calendar part read, and only when it is at most
    ``max_calendar_bytes``. ``size`` is the full size when ``raw`` holds only its header.

    With ``load``, ``raw`` is the header alone and ``load()`` returns the whole message: it is
    called only once the header passed, so a refused message is never downloaded (IMAP). What
    ``load`` raises propagates."""
    try:
        head = BytesParser(policy=policy.default).parsebytes(_header_block(raw), headersonly=True)
        message_id = _header(head, "Message-ID")
    except Exception:
        return Refusal("malformed_mail", digest_of("", raw))
    digest = digest_of(message_id, raw)
    try:
        invitation_id, tagged = _recipient_tags(head)
    except Exception:
        return Refusal("malformed_mail", digest)
    if invitation_id is None:
        return Refusal("bad_token" if tagged else "untagged", digest)
    froms = head.get_all("From") or []
    senders = _addresses(head, "From")
    if len(froms) != 1 or len(senders) != 1:
        return Refusal("sender_mismatch", digest, invitation_id=invitation_id)
    if not _authenticated(head, senders[0], authserv_id):
        return Refusal("sender_unauthenticated", digest, invitation_id=invitation_id)
    if max(size or 0, len(raw)) > max_bytes:
        return Refusal("too_large", digest, invitation_id=invitation_id)
    admission = admit(invitation_id, senders[0]) if admit is not None else Admission()
    if admission.reason:
        return Refusal(admission.reason, digest, invitation_id=invitation_id)
    if not _may_hold_calendar(head):
        return Refusal("not_calendar", digest, invitation_id=invitation_id)
    if load is not None:
        raw = load()
        digest = digest_of(message_id, raw)  # without a Message-ID: the whole message, as when read at once
        if len(raw) > max_bytes:  # the size the server announced was smaller than what came
            return Refusal("too_large", digest, invitation_id=invitation_id)
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        return _read(message, digest, invitation_id=invitation_id, sender=senders[0], zone=_zone(admission.time_zone),
                     max_calendar_bytes=max_calendar_bytes, now=now or dt.datetime.now(dt.timezone.utc),
                     conference_id=admission.conference_id)
    except Exception:  # icalendar and the email package raise many kinds; none may escape
        return Refusal("malformed_calendar", digest, invitation_id=invitation_id)


def _read(message: EmailMessage, digest: str, *, invitation_id: int, sender: str, zone: dt.tzinfo,
          max_calendar_bytes: int, now: dt.datetime, conference_id: int | None = None) -> CalendarAnswer | Refusal:
    refuse = lambda reason: Refusal(reason, digest, None, invitation_id)  # noqa: E731
    parts = _calendar_parts(message, max_calendar_bytes)
    if parts is None:
        return refuse("calendar_too_large")
    if parts:
        return _read_calendar(parts[0], message, digest, invitation_id=invitation_id, sender=sender, zone=zone, now=now)
    blobs = _tnef_parts(message, max_calendar_bytes)
    if blobs is None:
        return refuse("calendar_too_large")
    if not blobs:
        return refuse("not_calendar")
    try:
        response = tnef.read(blobs[0])
    except tnef.TnefError:
        return refuse("malformed_tnef")
    if response.calendar is not None:  # an iCalendar file inside the TNEF: it says more than the MAPI properties
        if len(response.calendar) > max_calendar_bytes:
            return refuse("calendar_too_large")
        return _read_calendar(_calendar_only(response.calendar), message, digest, invitation_id=invitation_id,
                              sender=sender, zone=zone, now=now)
    return _read_tnef(response, message, digest, invitation_id=invitation_id, sender=sender, now=now,
                      conference_id=conference_id)


def _read_calendar(payload: bytes, message: EmailMessage, digest: str, *, invitation_id: int, sender: str,
                   zone: dt.tzinfo, now: dt.datetime) -> CalendarAnswer | Refusal:
    refuse = lambda reason, conference_id=None: Refusal(reason, digest, conference_id, invitation_id)  # noqa: E731
    calendar = Calendar.from_ical(payload)
    method = str(calendar.get("METHOD", "")).strip().upper()
    if method not in ("REPLY", "COUNTER"):
        return refuse("unsupported_method")
    events = calendar.walk("VEVENT")
    if len(events) != 1 or getattr(events[0], "errors", None):
        return refuse("malformed_calendar")
    event = events[0]
    match = _UID.match(str(event.get("UID", "")).strip())
    if match is None or match["host"].lower() != ical.site_host().lower():
        return refuse("unknown_event")
    conference_id = int(match["pk"])
    # The calendar repeats the ORGANIZER it was sent: a tag there must be the same invitation.
    organizer = _mailto(event.get("ORGANIZER"))
    if imip.is_reply_address(organizer) and imip.invitation_id_from_address(organizer) != invitation_id:
        return refuse("bad_token", conference_id)
    attendees = event.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else ([attendees] if attendees is not None else [])
    if not attendees:
        return refuse("no_attendee", conference_id)
    stamp = _stamp(event, message)
    if stamp is not None and stamp > now + STAMP_SKEW:
        return refuse("future_stamp", conference_id)
    proposed_start = proposed_end = None
    if method == "COUNTER":
        try:
            proposed_start, proposed_end = _when(event, "DTSTART", zone, calendar), _when(event, "DTEND", zone, calendar)
        except (OverflowError, ValueError):  # e.g. 99991231T230000 in a time zone west of UTC
            return refuse("malformed_counter", conference_id)
        if any(value is not None and not (now - PROPOSAL_RANGE <= value <= now + PROPOSAL_RANGE)
               for value in (proposed_start, proposed_end)):
            return refuse("malformed_counter", conference_id)
    replying = [a for a in attendees if _mailto(a) == sender] or attendees
    partstat = str(replying[0].params.get("PARTSTAT", "")).strip().upper()
    comment = event.get("COMMENT")
    comment = comment[0] if isinstance(comment, list) else comment
    sequence_prop = event.get("SEQUENCE")
    return CalendarAnswer(
        digest=digest, method=method, conference_id=conference_id, invitation_id=invitation_id,
        attendees=[_mailto(a) for a in attendees], sender=sender, partstat=partstat,
        comment=ical.one_line(str(comment or ""), limit=300), sequence=int(sequence_prop) if sequence_prop is not None else 0,
        stamp=stamp, proposed_start=proposed_start, proposed_end=proposed_end,
    )


def _read_tnef(response: tnef.MeetingResponse, message: EmailMessage, digest: str, *, invitation_id: int, sender: str,
               now: dt.datetime, conference_id: int | None) -> CalendarAnswer | Refusal:
    """An Outlook meeting response in TNEF as a ``CalendarAnswer``, with the checks of
    ``_read_calendar``: its UID (from the global object id) must be a conference of this site;
    without one, the tagged invitation's conference (``conference_id``) is taken, and then the
    meeting time must be named, which ``reply_services`` compares with the conference's."""
    refuse = lambda reason, conference_id=None: Refusal(reason, digest, conference_id, invitation_id)  # noqa: E731
    partstat = tnef.RESPONSE_PARTSTATS.get(response.message_class)
    if partstat is None:
        calendarish = response.message_class.startswith(("IPM.Schedule.", "IPM.Appointment"))
        return refuse("unsupported_method" if calendarish else "not_calendar")
    if response.uid is not None:
        match = _UID.match(response.uid)
        if match is None or match["host"].lower() != ical.site_host().lower():
            return refuse("unknown_event")
        conference_id = int(match["pk"])
    elif conference_id is None or response.start is None:
        return refuse("unknown_event", conference_id)
    if response.sequence is None and response.start is None:  # nothing tells which version it answers
        return refuse("malformed_tnef", conference_id)
    stamp = response.sent or _date_header(message)
    if stamp is not None and stamp > now + STAMP_SKEW:
        return refuse("future_stamp", conference_id)
    proposed_start = proposed_end = None
    if response.counter:
        proposed_start, proposed_end = response.proposed_start, response.proposed_end
        if proposed_start is None or any(value is not None and not (now - PROPOSAL_RANGE <= value <= now + PROPOSAL_RANGE)
                                         for value in (proposed_start, proposed_end)):
            return refuse("malformed_counter", conference_id)
    return CalendarAnswer(
        digest=digest, method="COUNTER" if response.counter else "REPLY", conference_id=conference_id,
        invitation_id=invitation_id, attendees=response.addresses or [sender], sender=sender, partstat=partstat,
        comment=ical.one_line(response.comment, limit=300), sequence=response.sequence, stamp=stamp,
        proposed_start=proposed_start, proposed_end=proposed_end, meeting_start=response.start,
        meeting_end=response.end, via="tnef",
    )
