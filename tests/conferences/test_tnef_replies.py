"""Answers Outlook or Exchange sent as TNEF (winmail.dat) instead of text/calendar reach the
invitation as an iCalendar answer would, with the same checks and refusals."""
from __future__ import annotations

import datetime as dt
import random
import struct
import time
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from conferences import ical, imip, services, tnef
from conferences.mailgate import _header_block
from conferences.models import CalendarReply, Conference, Invitation
from conferences.reply_services import calendar_reply_receive
from permissions.models import AuditEvent
from tests.conferences.helpers import convene, local
from tests.conferences.mailfixtures import answer_to, request_calendar
from tests.conferences.tnef_writer import attribute, global_object_id, meeting_response, tnef_mail

pytestmark = pytest.mark.django_db
REAL_APPOINTMENT = Path(__file__).parent / "mail" / "tnef_appointment.tnef"


def request_for(address: str):
    return next(m for m in mail.outbox if m.to == [address])


def receive(raw: bytes) -> str:
    result = calendar_reply_receive(raw=raw, source="pipe")
    return f"{result.outcome}:{result.reason}" if result.reason else result.outcome


def outlook(request, *, response: str = "Pos", sender: str | None = None, uid: str | None = "same", sequence: int | None = -1,
            start: dt.datetime | None | str = "same", end: dt.datetime | None | str = "same", sent: dt.datetime | None = None,
            comment: str = "", content_type: str = "application/ms-tnef", **extra) -> bytes:
    """The e-mail Outlook sends with TNEF to answer ``request`` (an iMIP REQUEST from mail.outbox):
    UID, SEQUENCE and time as in the request unless given."""
    event = request_calendar(request).events[0]
    own = str(event["ATTENDEE"])[len("mailto:"):]
    winmail = meeting_response(
        response=response, uid=str(event["UID"]) if uid == "same" else uid,
        sequence=int(event["SEQUENCE"]) if sequence == -1 else sequence,
        start=event["DTSTART"].dt if start == "same" else start, end=event["DTEND"].dt if end == "same" else end,
        sent=sent, address=own, comment=comment, **extra)
    return tnef_mail(sender=sender or own, to=str(event["ORGANIZER"])[len("mailto:"):], winmail=winmail, stamp=sent,
                     content_type=content_type)


def rsvp_of(conference, user) -> str:
    return conference.invitations.get(user=user).rsvp


@pytest.mark.parametrize(("response", "rsvp"), [("Pos", "accepted"), ("Neg", "declined"), ("Tent", "tentative")])
def test_an_answer_outlook_sent_as_winmail_dat_is_recorded_for_the_invitation(world, scheduled, response, rsvp):
    assert receive(outlook(request_for(world.counsellor.email), response=response, comment="Komme ca. 10:15")) == "applied"
    invitation = scheduled.invitations.get(user=world.counsellor)
    assert invitation.rsvp == rsvp and invitation.rsvp_comment == "Komme ca. 10:15"
    assert set(scheduled.invitations.exclude(pk=invitation.pk).values_list("rsvp", flat=True)) == {Invitation.Rsvp.NEEDS_ACTION}
    event = AuditEvent.objects.filter(action="invitation.rsvp").latest("at")
    assert event.actor == world.counsellor and event.channel == "email" and event.detail["via"] == "calendar-reply"
    reply = CalendarReply.objects.get(outcome=CalendarReply.Outcome.APPLIED)
    assert reply.invitation == invitation and reply.sequence == scheduled.sequence


def test_winmail_dat_sent_as_a_generic_attachment_is_read_too(world, scheduled):
    raw = outlook(request_for(world.counsellor.email), response="Neg", content_type="application/octet-stream")
    assert receive(raw) == "applied"
    assert rsvp_of(scheduled, world.counsellor) == Invitation.Rsvp.DECLINED


def test_fetch_mail_reads_an_outlook_answer_after_its_header_passed(world, scheduled):
    """fetch_mail passes the header and a load() for the rest, as for any answer."""
    raw = outlook(request_for(world.counsellor.email), response="Tent")
    result = calendar_reply_receive(raw=_header_block(raw), source="imap", size=len(raw), load=lambda: raw)
    assert result.outcome == "applied" and rsvp_of(scheduled, world.counsellor) == Invitation.Rsvp.TENTATIVE


def test_an_outlook_answer_naming_another_conference_is_refused(world, scheduled):
    other = convene(world)
    raw = outlook(request_for(world.counsellor.email), uid=f"conference-{other.pk}@{ical.site_host()}")
    assert receive(raw) == "refused:token_mismatch"
    assert rsvp_of(scheduled, world.counsellor) == Invitation.Rsvp.NEEDS_ACTION


def test_an_outlook_answer_to_a_meeting_that_is_not_ours_is_refused(world, scheduled):
    # A meeting Outlook made itself: its id has no vCal-Uid, Outlook's UID is the id in hexadecimal.
    outlooks_own = (bytes.fromhex("040000008200E00074C5B7101A82E008") + b"\x00" * 4 + b"\x01" * 8 + b"\x00" * 8
                    + struct.pack("<I", 16) + b"\x2a" * 16)
    assert tnef.uid_from_global_object_id(outlooks_own) == outlooks_own.hex().upper()
    raw = outlook(request_for(world.counsellor.email), uid="conference-1@elsewhere.example")
    assert receive(raw) == "refused:unknown_event"
    assert rsvp_of(scheduled, world.counsellor) == Invitation.Rsvp.NEEDS_ACTION


def test_without_a_uid_the_tagged_invitation_and_the_meeting_time_decide(world, scheduled):
    request = request_for(world.counsellor.email)
    assert receive(outlook(request, uid=None, start=None, end=None)) == "refused:unknown_event"
    assert receive(outlook(request, uid=None, response="Tent")) == "applied"
    assert rsvp_of(scheduled, world.counsellor) == Invitation.Rsvp.TENTATIVE


def test_an_older_outlook_answer_arriving_late_does_not_overwrite_a_newer_one(world, scheduled):
    request = request_for(world.counsellor.email)
    now = timezone.now()
    assert receive(outlook(request, response="Neg", sent=now)) == "applied"
    assert receive(outlook(request, response="Pos", sent=now - dt.timedelta(minutes=5))) == "refused:stale_reply"
    assert rsvp_of(scheduled, world.counsellor) == Invitation.Rsvp.DECLINED
    # and one given before the answer on the page loses against it
    services.invitation_rsvp(world.counsellor, invitation=scheduled.invitations.get(user=world.counsellor),
                             rsvp=Invitation.Rsvp.TENTATIVE)
    assert receive(outlook(request, response="Pos", sent=timezone.now() - dt.timedelta(hours=1))) == "refused:stale_reply"
    assert rsvp_of(scheduled, world.counsellor) == Invitation.Rsvp.TENTATIVE


def test_an_outlook_answer_to_the_old_time_of_a_moved_conference_is_refused(world, scheduled, committed):
    old_request = request_for(world.counsellor.email)
    mail.outbox.clear()
    with committed():
        services.conference_move(world.convenor, conference=scheduled, starts_at=local(20))
    assert receive(outlook(old_request)) == "refused:stale_sequence"
    # Without SEQUENCE, the old time it names gives it away.
    assert receive(outlook(old_request, sequence=None)) == "refused:stale_time"
    assert rsvp_of(scheduled, world.counsellor) == Invitation.Rsvp.NEEDS_ACTION
    new_request = request_for(world.counsellor.email)
    assert receive(outlook(new_request, sequence=None, response="Tent")) == "applied"
    scheduled.refresh_from_db()
    assert CalendarReply.objects.get(outcome=CalendarReply.Outcome.APPLIED).sequence == scheduled.sequence
    assert rsvp_of(scheduled, world.counsellor) == Invitation.Rsvp.TENTATIVE


def test_an_outlook_answer_naming_another_time_than_the_conferences_is_refused(world, scheduled):
    request = request_for(world.counsellor.email)
    wrong = scheduled.starts_at + dt.timedelta(hours=1)
    assert receive(outlook(request, start=wrong, end=wrong + dt.timedelta(minutes=90))) == "refused:stale_time"


def test_an_outlook_counter_proposal_is_shown_to_the_convenor_and_not_applied(world, scheduled, client):
    proposed = local(15, 14)
    raw = outlook(request_for(world.counsellor.email), response="Tent", counter=True,
                  proposed=(proposed, proposed + dt.timedelta(minutes=90)), comment="Lieber nachmittags")
    assert receive(raw) == "counter"
    scheduled.refresh_from_db()
    assert scheduled.status == Conference.Status.SCHEDULED and scheduled.starts_at != proposed
    assert rsvp_of(scheduled, world.counsellor) == Invitation.Rsvp.NEEDS_ACTION
    reply = CalendarReply.objects.get(outcome=CalendarReply.Outcome.COUNTER)
    assert (reply.proposed_starts_at, reply.proposed_ends_at) == (proposed, proposed + dt.timedelta(minutes=90))
    assert AuditEvent.objects.get(action="invitation.counter").detail["format"] == "tnef"
    client.force_login(world.convenor)
    page = client.get(reverse("conferences:conference_detail", args=[scheduled.pk])).content.decode()
    assert "proposes another time" in page
    client.force_login(world.midwife)
    page = client.get(reverse("conferences:conference_detail", args=[scheduled.pk])).content.decode()
    assert "proposes another time" not in page


def test_an_outlook_counter_proposal_without_a_proposed_time_is_refused(world, scheduled):
    raw = outlook(request_for(world.counsellor.email), response="Tent", counter=True)
    assert receive(raw) == "refused:malformed_counter"
    far = local(15, 14).replace(year=local(0).year + 40)
    raw = outlook(request_for(world.counsellor.email), response="Tent", counter=True, proposed=(far, far + dt.timedelta(hours=1)))
    assert receive(raw) == "refused:malformed_counter"
    assert not CalendarReply.objects.filter(outcome=CalendarReply.Outcome.COUNTER).exists()


def test_the_sender_checks_apply_to_outlook_answers(world, scheduled):
    request = request_for(world.counsellor.email)
    assert receive(outlook(request, sender="mallory@evil.example")) == "refused:sender_mismatch"
    raw = outlook(request).replace(b"dmarc=pass", b"dmarc=fail")
    assert receive(raw) == "refused:sender_unauthenticated"
    # From: is the invitee, but the response inside is someone else's
    event = request_calendar(request).events[0]
    winmail = meeting_response(uid=str(event["UID"]), sequence=int(event["SEQUENCE"]), start=event["DTSTART"].dt,
                               end=event["DTEND"].dt, address=world.midwife.email)
    raw = tnef_mail(sender=world.counsellor.email, to=str(event["ORGANIZER"])[len("mailto:"):], winmail=winmail)
    assert receive(raw) == "refused:attendee_mismatch"
    assert rsvp_of(scheduled, world.counsellor) == Invitation.Rsvp.NEEDS_ACTION


def test_an_icalendar_part_beside_or_inside_the_tnef_wins(world, scheduled):
    request = request_for(world.counsellor.email)
    event = request_calendar(request).events[0]
    to = str(event["ORGANIZER"])[len("mailto:"):]
    ics = answer_to(request, client="gmail", partstat="TENTATIVE")
    calendar = ics[ics.index(b"BEGIN:VCALENDAR"):ics.index(b"END:VCALENDAR") + len(b"END:VCALENDAR")] + b"\r\n"
    says_no = dict(response="Neg", uid=str(event["UID"]), sequence=int(event["SEQUENCE"]), start=event["DTSTART"].dt,
                   end=event["DTEND"].dt, address=world.counsellor.email)
    raw = tnef_mail(sender=world.counsellor.email, to=to, winmail=meeting_response(**says_no), calendar=calendar)
    assert receive(raw) == "applied"
    assert rsvp_of(scheduled, world.counsellor) == Invitation.Rsvp.TENTATIVE
    accepted = answer_to(request, client="gmail", partstat="ACCEPTED", stamp=timezone.now() + dt.timedelta(seconds=5))
    accepted = accepted[accepted.index(b"BEGIN:VCALENDAR"):accepted.index(b"END:VCALENDAR") + len(b"END:VCALENDAR")] + b"\r\n"
    raw = tnef_mail(sender=world.counsellor.email, to=to,
                    winmail=meeting_response(**says_no, sent=timezone.now() + dt.timedelta(seconds=5), attach_ics=accepted))
    assert receive(raw) == "applied"
    assert rsvp_of(scheduled, world.counsellor) == Invitation.Rsvp.ACCEPTED


def _garbage(request) -> list[tuple[bytes, str]]:
    event = request_calendar(request).events[0]
    head = struct.pack("<IH", 0x223E9F78, 1) + attribute(1, 0x00069007, struct.pack("<II", 1252, 0))
    good = meeting_response(uid=str(event["UID"]), sequence=int(event["SEQUENCE"]), start=event["DTSTART"].dt, end=event["DTEND"].dt)
    return [
        (b"this is not TNEF at all", "malformed_tnef"),
        (good[:60], "malformed_tnef"),                                   # cut short in transit
        (good[:6] + random.Random(7).randbytes(4000), "malformed_tnef"),  # the signature, then noise
        (meeting_response(uid=str(event["UID"]), property_count=0xFFFFFFFF), "malformed_tnef"),  # a count no stream holds
        # counts that made tnefparse loop 2**32 times: a multi-value property, the recipient rows
        (head + attribute(1, 0x00069003, struct.pack("<IHHI", 1, 0x1002, 0x1234, 0xFFFFFFFF)), "not_calendar"),
        (head + attribute(1, 0x00069004, struct.pack("<I", 0xFFFFFFF0)), "not_calendar"),
        (meeting_response(uid=str(event["UID"]), sequence=None, start=None, end=None), "malformed_tnef"),  # no version at all
        (meeting_response(uid=str(event["UID"]), message_class="IPM.Note"), "not_calendar"),  # a rich-text mail, no answer
        (meeting_response(uid=str(event["UID"]), message_class="IPM.Schedule.Meeting.Request"), "unsupported_method"),
        (REAL_APPOINTMENT.read_bytes(), "unsupported_method"),           # a real Outlook appointment, not an answer
    ]


def test_a_winmail_dat_that_is_no_readable_answer_is_refused_without_a_crash(world, scheduled):
    request = request_for(world.counsellor.email)
    event = request_calendar(request).events[0]
    to = str(event["ORGANIZER"])[len("mailto:"):]
    for winmail, reason in _garbage(request):
        started = time.monotonic()
        assert receive(tnef_mail(sender=world.counsellor.email, to=to, winmail=winmail)) == f"refused:{reason}", reason
        assert time.monotonic() - started < 5
    assert rsvp_of(scheduled, world.counsellor) == Invitation.Rsvp.NEEDS_ACTION
    assert CalendarReply.objects.filter(reason="malformed_tnef").count() == 5


def test_a_winmail_dat_larger_than_the_calendar_limit_is_refused_unparsed(world, scheduled, settings, monkeypatch):
    settings.INBOUND_MAIL_MAX_CALENDAR_BYTES = 16 * 1024

    def never(*args, **kwargs):
        raise AssertionError("the TNEF was parsed")

    monkeypatch.setattr(tnef, "TNEF", never)
    request = request_for(world.counsellor.email)
    raw = outlook(request, comment="x" * (17 * 1024))
    assert receive(raw) == "refused:calendar_too_large"
    assert rsvp_of(scheduled, world.counsellor) == Invitation.Rsvp.NEEDS_ACTION


def test_a_real_outlook_tnef_file_is_read_by_its_mapi_properties():
    """tnefparse's test file from Outlook (an appointment, 2003): the ids read here are the ones
    Outlook writes — its start and end (PidLidAppointmentStartWhole/EndWhole), submit time and
    sender."""
    read = tnef.read(REAL_APPOINTMENT.read_bytes())
    assert read.message_class == "IPM.Appointment"
    assert (read.start, read.end) == (dt.datetime(2003, 5, 23, 14, 0, tzinfo=dt.timezone.utc),
                                      dt.datetime(2003, 5, 23, 15, 0, tzinfo=dt.timezone.utc))
    assert read.sent.replace(microsecond=0) == dt.datetime(2003, 5, 23, 13, 26, 17, tzinfo=dt.timezone.utc)
    assert read.addresses == ["rakhmanoff@sundance.spb.ru"] and read.comment == "Sample description"


def test_the_uid_of_a_meeting_made_outside_outlook_is_read_from_its_global_object_id():
    assert tnef.uid_from_global_object_id(global_object_id("conference-7@fallkonferenz.example.org")) == \
        "conference-7@fallkonferenz.example.org"
    assert tnef.uid_from_global_object_id(b"\x04\x00\x00\x00garbage") is None


def test_a_tagged_address_check_comes_before_the_winmail_dat_is_read(world, scheduled, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the TNEF was parsed")

    monkeypatch.setattr(tnef, "TNEF", never)
    invitation = scheduled.invitations.get(user=world.counsellor)
    winmail = meeting_response(uid=f"conference-{scheduled.pk}@{ical.site_host()}")
    raw = tnef_mail(sender=world.counsellor.email, to="antwort@elsewhere.example", winmail=winmail)
    assert receive(raw) == "refused:untagged"
    raw = tnef_mail(sender=world.midwife.email, to=imip.reply_address(invitation.pk), winmail=winmail)
    assert receive(raw) == "refused:sender_mismatch"
