"""Outlook meeting responses wrapped in TNEF (``winmail.dat``, ``application/ms-tnef``).

Outlook, and Exchange for a remote domain set to rich text ("TNEF always"), sends an answer to
a meeting request not as a text/calendar part but as MAPI properties inside a TNEF attachment
([MS-OXTNEF]). ``read`` takes the bytes of that attachment and returns what a calendar answer
needs — pure parsing, no database; ``mailgate`` turns it into the same ``CalendarAnswer`` as an
iCalendar REPLY or COUNTER. The TNEF framing and MAPI property streams are decoded by
``tnefparse``; what is read here are the properties of a Meeting Response object ([MS-OXOCAL]
2.2.7) by their ids in [MS-OXPROPS]. Anything unreadable raises ``TnefError``.
"""
from __future__ import annotations

import datetime as dt
import struct
import uuid
from dataclasses import dataclass, field

from tnefparse.mapi import IMESSAGE_SIG
from tnefparse.tnef import TNEF

# Named properties: (property set, long id), [MS-OXPROPS] section 2.
PSETID_MEETING = uuid.UUID("6ed8da90-450b-101b-98da-00aa003f1305")
PSETID_APPOINTMENT = uuid.UUID("00062002-0000-0000-c000-000000000046")
LID_ATTENDEE_CRITICAL_CHANGE = (PSETID_MEETING, 0x0001)      # PtypTime: when the response was sent
LID_GLOBAL_OBJECT_ID = (PSETID_MEETING, 0x0003)              # PtypBinary, [MS-OXOCAL] 2.2.1.27
LID_CLEAN_GLOBAL_OBJECT_ID = (PSETID_MEETING, 0x0023)        # PtypBinary, the same without instance date
LID_APPOINTMENT_SEQUENCE = (PSETID_APPOINTMENT, 0x8201)      # PtypInteger32
LID_APPOINTMENT_START_WHOLE = (PSETID_APPOINTMENT, 0x820D)   # PtypTime, UTC
LID_APPOINTMENT_END_WHOLE = (PSETID_APPOINTMENT, 0x820E)     # PtypTime, UTC
LID_PROPOSED_START_WHOLE = (PSETID_APPOINTMENT, 0x8250)      # PtypTime, UTC
LID_PROPOSED_END_WHOLE = (PSETID_APPOINTMENT, 0x8251)        # PtypTime, UTC
LID_COUNTER_PROPOSAL = (PSETID_APPOINTMENT, 0x8257)          # PtypBoolean
# Tagged properties (property ids).
TAG_MESSAGE_CLASS = 0x001A
TAG_CLIENT_SUBMIT_TIME = 0x0039
TAG_SENT_REPRESENTING_ADDRTYPE, TAG_SENT_REPRESENTING_EMAIL = 0x0064, 0x0065
TAG_SENDER_ADDRTYPE, TAG_SENDER_EMAIL = 0x0C1E, 0x0C1F
TAG_SENDER_SMTP, TAG_SENT_REPRESENTING_SMTP = 0x5D01, 0x5D02
TAG_ATTACH_MIME_TAG = 0x370E
# TNEF attribute ids ([MS-OXTNEF] 2.1.3.1), low word.
_ATT_MAPI_PROPS, _ATT_RECIP_TABLE, _ATT_ATTACHMENT = 0x9003, 0x9004, 0x9005
# attMessageClass names the classes of Microsoft Mail / Schedule+ ([MS-OXTNEF] 2.1.3.1.8).
_LEGACY_CLASSES = {
    "IPM.Microsoft Schedule.MtgRespP": "IPM.Schedule.Meeting.Resp.Pos",
    "IPM.Microsoft Schedule.MtgRespN": "IPM.Schedule.Meeting.Resp.Neg",
    "IPM.Microsoft Schedule.MtgRespA": "IPM.Schedule.Meeting.Resp.Tent",
    "IPM.Microsoft Schedule.MtgReq": "IPM.Schedule.Meeting.Request",
    "IPM.Microsoft Schedule.MtgCncl": "IPM.Schedule.Meeting.Canceled",
    "IPM.Microsoft Mail.Note": "IPM.Note",
}
RESPONSE_PARTSTATS = {
    "IPM.Schedule.Meeting.Resp.Pos": "ACCEPTED",
    "IPM.Schedule.Meeting.Resp.Neg": "DECLINED",
    "IPM.Schedule.Meeting.Resp.Tent": "TENTATIVE",
}
_GOID_ARRAY_ID = bytes.fromhex("040000008200E00074C5B7101A82E008")
_VCAL_UID = b"vCal-Uid\x01\x00\x00\x00"
_CALENDAR_TYPES = ("text/calendar", "application/ics", "text/x-vcalendar")
_SIGNATURE = 0x223E9F78
_FILETIME_EPOCH = dt.datetime(1601, 1, 1, tzinfo=dt.timezone.utc)


class TnefError(ValueError):
    """The bytes are no TNEF stream this module can read."""


@dataclass(frozen=True)
class MeetingResponse:
    message_class: str                 # as in PidTagMessageClass, e.g. "IPM.Schedule.Meeting.Resp.Pos"
    uid: str | None                    # the iCalendar UID the global object id names; None when it has none
    sequence: int | None
    start: dt.datetime | None          # the meeting's time as the response names it, UTC
    end: dt.datetime | None
    counter: bool
    proposed_start: dt.datetime | None
    proposed_end: dt.datetime | None
    sent: dt.datetime | None           # when the response was sent, UTC
    addresses: list[str] = field(default_factory=list)  # SMTP addresses the response names as its sender
    comment: str = ""
    calendar: bytes | None = None      # an iCalendar file attached inside the TNEF


class _Bounded(bytes):
    """Bytes whose slices lying wholly past the end raise IndexError. tnefparse reads fixed-size
    MAPI values by slicing and would read empty values past the end for as many items as a
    multi-value count names (up to 2**32); this ends such a stream where its data ends."""

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return super().__getitem__(key)
        start, stop = key.start or 0, len(self) if key.stop is None else key.stop
        if start >= len(self) and stop > start:
            raise IndexError("read past the end of the TNEF stream")
        return _Bounded(super().__getitem__(key))


def _guarded(data: bytes) -> bytes:
    """The TNEF stream without what tnefparse cannot read in bounded time: the recipient table
    (a row count of up to 2**32 drives its loop; an answer's recipients are not read) and
    attachments that embed a whole message (parsed recursively). A property stream that names
    more properties than its bytes can hold (each takes at least 8) is refused."""
    if len(data) < 6 or struct.unpack_from("<I", data)[0] != _SIGNATURE:
        raise TnefError("no TNEF signature")
    kept, offset = [data[:6]], 6
    while offset + 11 <= len(data):  # fewer bytes left: trailing garbage (a line end), as tnefparse ignores it
        _level, name, _type, length = struct.unpack_from("<BHHI", data, offset)
        end = offset + 9 + length + 2
        body = data[offset + 9: offset + 9 + length]
        if len(body) < length:
            raise TnefError("attribute longer than the stream")  # cut short in transit
        if end > len(data):  # the last attribute without its checksum, as some writers leave it
            data, end = data + b"\x00\x00", len(data) + 2
        drop = name == _ATT_RECIP_TABLE or (name == _ATT_ATTACHMENT and IMESSAGE_SIG in body)
        if name in (_ATT_MAPI_PROPS, _ATT_ATTACHMENT) and (len(body) < 4 or struct.unpack_from("<I", body)[0] > len(body) // 8):
            raise TnefError("property count larger than the stream")
        if not drop:
            kept.append(data[offset:end])
        offset = end
    return b"".join(kept)


def _key(attr) -> tuple[uuid.UUID, int] | int:
    if attr.guid and attr.guid_prop is not None:
        return (attr.guid, attr.guid_prop)
    return attr.name


def _time(attr) -> dt.datetime | None:
    if attr is None or attr.attr_type != 0x0040:
        return None
    filetime = struct.unpack_from("<Q", attr.raw_data)[0]
    if filetime == 0:
        return None
    return _FILETIME_EPOCH + dt.timedelta(microseconds=filetime // 10)


def _text(attr) -> str:
    if attr is None or attr.attr_type not in (0x001E, 0x001F):
        return ""
    return str(attr.data).strip()


def _binary(attr) -> bytes:
    if attr is None or attr.attr_type != 0x0102 or not attr.raw_data:
        return b""
    return bytes(attr.raw_data[0])


def uid_from_global_object_id(value: bytes) -> str | None:
    """The iCalendar UID a PidLidGlobalObjectId carries ([MS-OXOCAL] 2.2.1.27): the one after the
    "vCal-Uid" marker for a meeting made outside Outlook; else the whole id in hexadecimal, as
    Outlook exports it ([MS-OXCICAL] 2.1.3.1.1.20.26). None for a value that is no such id."""
    if len(value) < 40 or not value.startswith(_GOID_ARRAY_ID):
        return None
    size = struct.unpack_from("<I", value, 36)[0]
    payload = value[40: 40 + size]
    if len(payload) != size:
        return None
    if payload.startswith(_VCAL_UID):
        return payload[len(_VCAL_UID):].split(b"\x00", 1)[0].decode("utf-8", "replace").strip()
    return value[: 40 + size].hex().upper()


def _message_class(tnef: TNEF, props: dict) -> str:
    value = _text(props.get(TAG_MESSAGE_CLASS))
    if not value:
        value = next((str(o.data).strip() for o in tnef.msgprops if o.name == TNEF.ATTMESSAGECLASS), "")
    return _LEGACY_CLASSES.get(value, value)


def _addresses(tnef: TNEF, props: dict) -> list[str]:
    found = [_text(props.get(TAG_SENT_REPRESENTING_SMTP)), _text(props.get(TAG_SENDER_SMTP))]
    for kind, address in ((TAG_SENT_REPRESENTING_ADDRTYPE, TAG_SENT_REPRESENTING_EMAIL), (TAG_SENDER_ADDRTYPE, TAG_SENDER_EMAIL)):
        if _text(props.get(kind)).upper() == "SMTP":
            found.append(_text(props.get(address)))
    for obj in tnef.msgprops:
        if obj.name == TNEF.ATTFROM and isinstance(obj.data, tuple) and obj.data[1].upper() == b"SMTP":
            found.append(obj.data[2].decode("ascii", "replace").strip())
    return list(dict.fromkeys(a.lower() for a in found if "@" in a))


def _calendar(tnef: TNEF) -> bytes | None:
    for attachment in tnef.attachments:
        mime = next((_text(a) for a in attachment.mapi_attrs if a.name == TAG_ATTACH_MIME_TAG), "").lower()
        if (mime in _CALENDAR_TYPES or attachment.long_filename().strip().lower().endswith(".ics")) and attachment.data:
            return bytes(attachment.data)
    return None


def _comment(tnef: TNEF) -> str:
    body = tnef.body
    if isinstance(body, bytes):
        body = body.decode(tnef.codepage or "cp1252", "replace")
    return str(body or "").replace("\x00", "").strip()


def read(data: bytes) -> MeetingResponse:
    """What one TNEF stream says as a meeting response. TnefError when it cannot be read."""
    try:
        tnef = TNEF(_Bounded(_guarded(data)), do_checksum=False)
        props = {}
        for attr in tnef.mapiprops:
            props.setdefault(_key(attr), attr)
        goid = _binary(props.get(LID_CLEAN_GLOBAL_OBJECT_ID)) or _binary(props.get(LID_GLOBAL_OBJECT_ID))
        sequence = props.get(LID_APPOINTMENT_SEQUENCE)
        sequence = sequence.data if sequence is not None and sequence.attr_type == 0x0003 else None
        counter = props.get(LID_COUNTER_PROPOSAL)
        return MeetingResponse(
            message_class=_message_class(tnef, props),
            uid=uid_from_global_object_id(goid) if goid else None,
            sequence=sequence if isinstance(sequence, int) and sequence >= 0 else None,
            start=_time(props.get(LID_APPOINTMENT_START_WHOLE)), end=_time(props.get(LID_APPOINTMENT_END_WHOLE)),
            counter=bool(counter is not None and counter.attr_type == 0x000B and counter.data),
            proposed_start=_time(props.get(LID_PROPOSED_START_WHOLE)), proposed_end=_time(props.get(LID_PROPOSED_END_WHOLE)),
            sent=_time(props.get(LID_ATTENDEE_CRITICAL_CHANGE)) or _time(props.get(TAG_CLIENT_SUBMIT_TIME)),
            addresses=_addresses(tnef, props), comment=_comment(tnef), calendar=_calendar(tnef),
        )
    except TnefError:
        raise
    except Exception as exc:  # tnefparse and struct raise many kinds on a broken stream
        raise TnefError(type(exc).__name__) from exc
