"""A small TNEF writer: Outlook meeting responses as ``winmail.dat``, for the tests.

No real Outlook meeting response in TNEF with a redistributable licence was found (tnefparse's
and MimeKit's test files are notes, an appointment and a read receipt; ``mail/tnef_appointment.tnef``
is tnefparse's real Outlook appointment, kept as the real sample). So the responses are built
here, with the layout Outlook writes ([MS-OXTNEF]): the signature, attTnefVersion,
attOemCodepage, attMessageClass (the legacy name, "IPM.Microsoft Schedule.MtgRespP"), attDateSent,
then attMsgProps holding the MAPI properties below; attBody the comment; an attachment
(attAttachRendData + attAttachment + attAttachData) when ``attach_ics`` is given.

MAPI properties written, by [MS-OXPROPS] (named: property set and long id; tagged: property id):

============================================  ========================  ======  ============
property                                      set                       id      type
============================================  ========================  ======  ============
PidTagMessageClass                            tagged                    0x001A  PtypString
PidTagClientSubmitTime                        tagged                    0x0039  PtypTime
PidTagSentRepresentingAddressType / Email     tagged            0x0064/0x0065  PtypString
PidTagSenderSmtpAddress                       tagged                    0x5D01  PtypString
PidLidAttendeeCriticalChange                  PSETID_Meeting            0x0001  PtypTime
PidLidGlobalObjectId                          PSETID_Meeting            0x0003  PtypBinary
PidLidCleanGlobalObjectId                     PSETID_Meeting            0x0023  PtypBinary
PidLidAppointmentSequence                     PSETID_Appointment        0x8201  PtypInteger32
PidLidAppointmentStartWhole / EndWhole        PSETID_Appointment  0x820D/0x820E PtypTime
PidLidAppointmentProposedStartWhole / End     PSETID_Appointment  0x8250/0x8251 PtypTime
PidLidAppointmentCounterProposal              PSETID_Appointment        0x8257  PtypBoolean
============================================  ========================  ======  ============

PSETID_Meeting = {6ED8DA90-450B-101B-98DA-00AA003F1305}, PSETID_Appointment =
{00062002-0000-0000-C000-000000000046}. The global object id of a meeting made outside Outlook
embeds its iCalendar UID after "vCal-Uid" ([MS-OXOCAL] 2.2.1.27, [MS-OXCICAL] 2.1.3.1.1.20.26).
"""
from __future__ import annotations

import base64
import datetime as dt
import struct
import uuid
from email.utils import format_datetime

PSETID_MEETING = uuid.UUID("6ed8da90-450b-101b-98da-00aa003f1305")
PSETID_APPOINTMENT = uuid.UUID("00062002-0000-0000-c000-000000000046")
PT_INT32, PT_BOOLEAN, PT_STRING8, PT_UNICODE, PT_SYSTIME, PT_BINARY = 0x0003, 0x000B, 0x001E, 0x001F, 0x0040, 0x0102
LEGACY_CLASS = {"Pos": "IPM.Microsoft Schedule.MtgRespP", "Neg": "IPM.Microsoft Schedule.MtgRespN",
                "Tent": "IPM.Microsoft Schedule.MtgRespA"}
FILETIME_EPOCH = dt.datetime(1601, 1, 1, tzinfo=dt.timezone.utc)


def filetime(value: dt.datetime) -> bytes:
    return struct.pack("<Q", (value - FILETIME_EPOCH) // dt.timedelta(microseconds=1) * 10)


def global_object_id(uid: str) -> bytes:
    """PidLidGlobalObjectId for a meeting whose iCalendar UID Outlook did not make."""
    data = b"vCal-Uid\x01\x00\x00\x00" + uid.encode("utf-8") + b"\x00"
    return (bytes.fromhex("040000008200E00074C5B7101A82E008") + b"\x00" * 4 + filetime(dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc))
            + b"\x00" * 8 + struct.pack("<I", len(data)) + data)


def _padded(data: bytes) -> bytes:
    return data + b"\x00" * (-len(data) % 4)


def _prop(kind: int, key, value) -> bytes:
    """One MAPI property of attMsgProps: ``key`` a property id, or (property set, long id)."""
    if isinstance(key, tuple):
        head = struct.pack("<HH", kind, 0x8000) + key[0].bytes_le + struct.pack("<II", 0, key[1])
    else:
        head = struct.pack("<HH", kind, key)
    if kind == PT_INT32:
        return head + struct.pack("<i", value)
    if kind == PT_BOOLEAN:
        return head + struct.pack("<HH", 1 if value else 0, 0)
    if kind == PT_SYSTIME:
        return head + filetime(value)
    raw = value if kind == PT_BINARY else (value.encode("cp1252") + b"\x00" if kind == PT_STRING8 else value.encode("utf-16-le") + b"\x00\x00")
    return head + struct.pack("<II", 1, len(raw)) + _padded(raw)


def _props(props: list[bytes], count: int | None = None) -> bytes:
    return struct.pack("<I", len(props) if count is None else count) + b"".join(props)


def attribute(level: int, att_id: int, data: bytes) -> bytes:
    """One TNEF attribute: level, id (type in its high word), length, data, checksum."""
    return struct.pack("<BI", level, att_id) + struct.pack("<I", len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)


def _dtr(value: dt.datetime) -> bytes:
    return struct.pack("<7H", value.year, value.month, value.day, value.hour, value.minute, value.second, value.isoweekday() % 7)


def meeting_response(*, response: str = "Pos", uid: str | None = None, sequence: int | None = 0,
                     start: dt.datetime | None = None, end: dt.datetime | None = None, sent: dt.datetime | None = None,
                     address: str | None = None, comment: str = "", counter: bool = False,
                     proposed: tuple[dt.datetime, dt.datetime] | None = None, attach_ics: bytes | None = None,
                     message_class: str | None = None, property_count: int | None = None) -> bytes:
    """The winmail.dat of an Outlook answer ("Pos", "Neg", "Tent") to the meeting ``uid``."""
    sent = sent or dt.datetime.now(dt.timezone.utc)
    props = [_prop(PT_STRING8, 0x001A, message_class or f"IPM.Schedule.Meeting.Resp.{response}"),
             _prop(PT_SYSTIME, 0x0039, sent),
             _prop(PT_SYSTIME, (PSETID_MEETING, 0x0001), sent)]
    if address:
        props += [_prop(PT_STRING8, 0x0064, "SMTP"), _prop(PT_STRING8, 0x0065, address), _prop(PT_UNICODE, 0x5D01, address)]
    if uid is not None:
        props += [_prop(PT_BINARY, (PSETID_MEETING, 0x0003), global_object_id(uid)),
                  _prop(PT_BINARY, (PSETID_MEETING, 0x0023), global_object_id(uid))]
    if sequence is not None:
        props.append(_prop(PT_INT32, (PSETID_APPOINTMENT, 0x8201), sequence))
    if start is not None:
        props.append(_prop(PT_SYSTIME, (PSETID_APPOINTMENT, 0x820D), start))
    if end is not None:
        props.append(_prop(PT_SYSTIME, (PSETID_APPOINTMENT, 0x820E), end))
    props.append(_prop(PT_BOOLEAN, (PSETID_APPOINTMENT, 0x8257), counter))
    if proposed is not None:
        props += [_prop(PT_SYSTIME, (PSETID_APPOINTMENT, 0x8250), proposed[0]),
                  _prop(PT_SYSTIME, (PSETID_APPOINTMENT, 0x8251), proposed[1])]
    legacy = message_class or LEGACY_CLASS[response]
    out = struct.pack("<IH", 0x223E9F78, 0x1234)
    out += attribute(1, 0x00089006, struct.pack("<I", 0x00010000))          # attTnefVersion
    out += attribute(1, 0x00069007, struct.pack("<II", 1252, 0))           # attOemCodepage
    out += attribute(1, 0x00078008, legacy.encode("cp1252") + b"\x00")     # attMessageClass
    out += attribute(1, 0x00038005, _dtr(sent))                            # attDateSent
    if comment:
        out += attribute(1, 0x0002800C, comment.encode("cp1252") + b"\x00")  # attBody
    out += attribute(1, 0x00069003, _props(props, property_count))         # attMsgProps
    if attach_ics is not None:
        out += attribute(2, 0x00069002, struct.pack("<HIIIHI", 1, 0xFFFFFFFF, 0, 0, 1, 0))  # attAttachRendData
        out += attribute(2, 0x00069005, _props([_prop(PT_STRING8, 0x3707, "invite.ics"),   # PidTagAttachLongFilename
                                                _prop(PT_STRING8, 0x370E, "text/calendar")]))  # PidTagAttachMimeTag
        out += attribute(2, 0x0006800F, attach_ics)                       # attAttachData
    return out


def tnef_mail(*, sender: str, to: str, winmail: bytes, stamp: dt.datetime | None = None, message_id: str | None = None,
              calendar: bytes | None = None, content_type: str = "application/ms-tnef", text: str = "") -> bytes:
    """An e-mail as Outlook/Exchange sends it with TNEF: a text part and winmail.dat (and, with
    ``calendar``, a text/calendar part beside it)."""
    stamp = stamp or dt.datetime.now(dt.timezone.utc)
    encoded = base64.encodebytes(winmail).decode("ascii")
    calendar_part = ""
    if calendar is not None:
        calendar_part = ("--_tnef_boundary_\r\nContent-Type: text/calendar; charset=\"utf-8\"; method=REPLY\r\n"
                         "Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(calendar).decode("ascii") + "\r\n")
    return (
        "Received: from mail.kreis-heinsberg.example (mail.kreis-heinsberg.example [192.0.2.25])\r\n"
        f"\tby mx.fallkonferenz.example.org (Postfix) with ESMTPS id 4Rk2s81Zq5z9w\r\n\tfor <{to}>; {format_datetime(stamp)}\r\n"
        "Authentication-Results: mx.fallkonferenz.example.org; dkim=pass header.d=example.org; spf=pass "
        "smtp.mailfrom=example.org; dmarc=pass header.from=example.org\r\n"
        f"From: Sabine Krueger <{sender}>\r\nTo: <{to}>\r\nSubject: Zugesagt: HS-2026-014 Folgekonferenz\r\n"
        f"Date: {format_datetime(stamp)}\r\nMessage-ID: <{message_id or uuid.uuid4().hex + '@kreis-heinsberg.example'}>\r\n"
        "X-MS-Has-Attach:\r\nX-MS-TNEF-Correlator: <0F8D9A3B2C4E5F6A7B8C9D0E1F2A3B4C@mail.kreis-heinsberg.example>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"_tnef_boundary_\"\r\n\r\n"
        "--_tnef_boundary_\r\nContent-Type: text/plain; charset=\"iso-8859-1\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        f"{text}\r\n\r\n{calendar_part}"
        f"--_tnef_boundary_\r\nContent-Type: {content_type}; name=\"winmail.dat\"\r\n"
        "Content-Disposition: attachment; filename=\"winmail.dat\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        f"{encoded}\r\n--_tnef_boundary_--\r\n"
    ).encode("ascii")
