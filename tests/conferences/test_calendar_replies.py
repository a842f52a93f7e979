"""Calendar answers by e-mail (iMIP REPLY / COUNTER) reach the service through
``manage.py receive_mail`` — and nothing else does."""
from __future__ import annotations

import datetime as dt
import io
import re
import sys

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from conferences import imip, mailgate, selectors, services
from conferences.models import CalendarReply, Conference, Invitation
from conferences.reply_services import calendar_reply_receive
from permissions.models import AuditEvent
from tests.conferences.helpers import convene, local
from tests.conferences.mailfixtures import CLIENTS, answer_to, request_calendar

pytestmark = pytest.mark.django_db


def request_for(address: str):
    return next(m for m in mail.outbox if m.to == [address])


def pipe(raw: bytes, monkeypatch) -> str:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    out = io.StringIO()
    call_command("receive_mail", stdout=out)
    return out.getvalue().strip()


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize(("partstat", "rsvp"), [("ACCEPTED", "accepted"), ("DECLINED", "declined"), ("TENTATIVE", "tentative")])
def test_an_answer_given_in_the_invitees_calendar_is_recorded(world, scheduled, monkeypatch, client, partstat, rsvp):
    raw = answer_to(request_for(world.counsellor.email), client=client, partstat=partstat, comment="Komme später, ca. 10:15")
    assert pipe(raw, monkeypatch) == "applied"
    invitation = scheduled.invitations.get(user=world.counsellor)
    assert invitation.rsvp == rsvp and invitation.rsvp_comment == "Komme später, ca. 10:15"
    event = AuditEvent.objects.filter(action="invitation.rsvp").latest("at")
    assert event.actor == world.counsellor and event.channel == "email" and event.detail["via"] == "calendar-reply"



def refused(reason: str) -> bool:
    return AuditEvent.objects.filter(action="calendar_reply.refused", detail__reason=reason).exists()


def receive(raw: bytes) -> str:
    result = calendar_reply_receive(raw=raw, source="pipe")
    return f"{result.outcome}:{result.reason}" if result.reason else result.outcome


def test_the_invitation_asks_for_answers_at_the_services_address_in_the_convenors_name(world, scheduled):
    event = request_calendar(request_for(world.counsellor.email)).events[0]
    organizer = event["ORGANIZER"]
    invitation = scheduled.invitations.get(user=world.counsellor)
    assert str(organizer) == f"mailto:{imip.reply_address(invitation.pk)}"
    assert str(organizer).startswith("mailto:no-reply+i") and world.convenor.email not in str(organizer)
    assert organizer.params["CN"] == world.convenor.get_full_name()
    assert organizer.params["SENT-BY"] == f"mailto:{world.convenor.email}"
    text = request_for(world.counsellor.email).body
    assert f"Convened by {world.convenor.get_full_name()}" in text


def test_the_convenor_is_not_sent_her_own_conference_as_an_attendee(world, scheduled):
    assert [m for m in mail.outbox if m.to == [world.convenor.email]] == []
    assert len(mail.outbox) == scheduled.invitations.count() - 1
    assert AuditEvent.objects.filter(action="conference.mail_skipped", detail__reason="convenor").count() == 1


def test_each_invitation_has_its_own_reply_address_that_cannot_be_guessed(world, scheduled):
    first, second = scheduled.invitations.order_by("pk")[:2]
    assert imip.reply_address(first.pk) != imip.reply_address(second.pk)
    assert imip.invitation_id_from_address(imip.reply_address(first.pk)) == first.pk
    assert imip.invitation_id_from_address(imip.reply_address(first.pk).upper()) == first.pk  # case folded in transit
    forged = imip.reply_address(first.pk).replace(f"+i{first.pk}-", f"+i{second.pk}-")
    assert imip.invitation_id_from_address(forged) is None


def test_a_replayed_answer_changes_nothing(world, scheduled):
    raw = answer_to(request_for(world.counsellor.email), partstat="ACCEPTED")
    assert receive(raw) == "applied"
    invitation = scheduled.invitations.get(user=world.counsellor)
    services.invitation_rsvp(world.counsellor, invitation=invitation, rsvp=Invitation.Rsvp.DECLINED)
    assert receive(raw) == "duplicate:duplicate"
    invitation.refresh_from_db()
    assert invitation.rsvp == Invitation.Rsvp.DECLINED and refused("duplicate")


def test_an_older_answer_arriving_late_does_not_overwrite_a_newer_one(world, scheduled):
    request = request_for(world.counsellor.email)
    now = timezone.now()
    assert receive(answer_to(request, partstat="DECLINED", stamp=now)) == "applied"
    assert receive(answer_to(request, partstat="ACCEPTED", stamp=now - dt.timedelta(minutes=5))) == "refused:stale_reply"
    assert scheduled.invitations.get(user=world.counsellor).rsvp == Invitation.Rsvp.DECLINED


def test_an_answer_given_in_the_calendar_before_the_answer_on_the_page_loses(world, scheduled):
    invitation = scheduled.invitations.get(user=world.counsellor)
    services.invitation_rsvp(world.counsellor, invitation=invitation, rsvp=Invitation.Rsvp.TENTATIVE)
    old = answer_to(request_for(world.counsellor.email), partstat="DECLINED", stamp=timezone.now() - dt.timedelta(hours=1))
    assert receive(old) == "refused:stale_reply"
    assert scheduled.invitations.get(user=world.counsellor).rsvp == Invitation.Rsvp.TENTATIVE


def test_a_forged_sender_cannot_answer_for_an_invitee(world, scheduled):
    raw = answer_to(request_for(world.counsellor.email), client="gmail", sender="mallory@evil.example", attendee=world.counsellor.email)
    assert receive(raw) == "refused:sender_mismatch"
    assert scheduled.invitations.get(user=world.counsellor).rsvp == Invitation.Rsvp.NEEDS_ACTION
    assert refused("sender_mismatch")


def test_an_answer_to_someone_elses_reply_address_never_changes_either_invitation(world, scheduled):
    """The midwife answers with the counsellor's tag: neither answer changes (refused from the
    From: header, before the calendar part is read)."""
    counsellor_request = request_for(world.counsellor.email)
    raw = answer_to(counsellor_request, sender=world.midwife.email, partstat="DECLINED")
    assert receive(raw) == "refused:sender_mismatch"
    assert set(scheduled.invitations.values_list("rsvp", flat=True)) == {Invitation.Rsvp.NEEDS_ACTION}


def test_a_tampered_tag_is_refused(world, scheduled):
    request = request_for(world.counsellor.email)
    invitation = scheduled.invitations.get(user=world.counsellor)
    good = imip.reply_address(invitation.pk)
    bad = good.replace(good.split("-")[-1].split("@")[0], "0" * 20)
    assert receive(answer_to(request, organizer=bad)) == "refused:bad_token"
    assert scheduled.invitations.get(user=world.counsellor).rsvp == Invitation.Rsvp.NEEDS_ACTION


def test_an_unknown_event_is_refused(world, scheduled):
    raw = answer_to(request_for(world.counsellor.email), uid="040000008200E00074C5B7101A82E0080000000@outlook.com")
    assert receive(raw) == "refused:unknown_event"


def test_a_dmarc_failure_recorded_by_the_mail_server_is_refused(world, scheduled):
    raw = answer_to(request_for(world.counsellor.email)).replace(b"dmarc=pass", b"dmarc=fail")
    assert receive(raw) == "refused:sender_unauthenticated"


def test_an_answer_for_a_cancelled_conference_is_refused(world, scheduled, committed):
    request = request_for(world.counsellor.email)
    with committed():
        services.conference_cancel(world.convenor, conference=scheduled)
    assert receive(answer_to(request)) == "refused:not_scheduled"
    assert scheduled.invitations.get(user=world.counsellor).rsvp == Invitation.Rsvp.NEEDS_ACTION


def test_an_answer_to_the_old_time_of_a_moved_conference_is_refused(world, scheduled, committed):
    old_request = request_for(world.counsellor.email)
    mail.outbox.clear()
    with committed():
        services.conference_move(world.convenor, conference=scheduled, starts_at=local(20))
    assert receive(answer_to(old_request)) == "refused:stale_sequence"
    assert receive(answer_to(request_for(world.counsellor.email), client="apple")) == "applied"


def test_an_answer_from_a_withdrawn_invitee_is_refused(world, scheduled, committed):
    request = request_for(world.midwife.email)
    with committed():
        services.invitation_remove(world.convenor, invitation=scheduled.invitations.get(user=world.midwife))
    assert receive(answer_to(request)) == "refused:withdrawn"


@pytest.mark.parametrize(("raw", "reason"), [
    (b"", "untagged"),
    (b"\xff\xfe\x00garbage\r\n\r\n\x00\x01", "untagged"),
    (b"From: a@example.org\r\nSubject: Frage\r\nMessage-ID: <q0@example.org>\r\n\r\nWann ist die Konferenz?\r\n", "untagged"),
    (b"From: {FROM}\r\nTo: {TO}\r\nSubject: Frage\r\nMessage-ID: <q1@example.org>\r\n\r\nWann ist die Konferenz?\r\n", "not_calendar"),
    (b"From: {FROM}\r\nTo: {TO}\r\nMessage-ID: <q2@example.org>\r\nContent-Type: text/calendar; method=REPLY\r\n"
     b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64 at all!!!\r\n", "malformed_calendar"),
    (b"From: {FROM}\r\nTo: {TO}\r\nMessage-ID: <q3@example.org>\r\nContent-Type: text/calendar; method=REPLY\r\n\r\n"
     b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nDTSTART:notadate\r\n", "malformed_calendar"),
    (b"From: {FROM}\r\nTo: {TO}\r\nMessage-ID: <q4@example.org>\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n"
     b"Content-Type: text/calendar; charset=klingon\r\n\r\nBEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n", "unsupported_method"),
])
def test_malformed_or_unrelated_mail_is_refused_without_a_crash(world, scheduled, monkeypatch, raw, reason):
    invitation = scheduled.invitations.get(user=world.counsellor)
    raw = raw.replace(b"{FROM}", world.counsellor.email.encode()).replace(b"{TO}", imip.reply_address(invitation.pk).encode())
    assert pipe(raw, monkeypatch) == f"refused: {reason}"
    assert refused(reason)
    assert set(scheduled.invitations.values_list("rsvp", flat=True)) == {Invitation.Rsvp.NEEDS_ACTION}


def test_a_25_megabyte_message_is_refused_without_being_read(world, scheduled, monkeypatch):
    raw = answer_to(request_for(world.counsellor.email))
    huge = raw.replace(b"\r\n\r\n", b"\r\nX-Padding: 1\r\n\r\n" + b"A" * (25 * 1024 * 1024) + b"\r\n", 1)
    assert pipe(huge, monkeypatch) == "refused: too_large"
    assert scheduled.invitations.get(user=world.counsellor).rsvp == Invitation.Rsvp.NEEDS_ACTION


def test_a_counter_proposal_is_shown_to_the_convenor_and_not_applied(world, scheduled, client):
    proposed = local(15, 14)
    raw = answer_to(request_for(world.counsellor.email), method="COUNTER", partstat="TENTATIVE",
                    starts=proposed, ends=proposed + dt.timedelta(minutes=90), comment="Lieber nachmittags")
    assert receive(raw) == "counter"
    scheduled.refresh_from_db()
    assert scheduled.status == Conference.Status.SCHEDULED and scheduled.starts_at != proposed
    assert scheduled.invitations.get(user=world.counsellor).rsvp == Invitation.Rsvp.NEEDS_ACTION
    reply = CalendarReply.objects.get(outcome=CalendarReply.Outcome.COUNTER)
    assert reply.proposed_starts_at == proposed
    client.force_login(world.convenor)
    page = client.get(reverse("conferences:conference_detail", args=[scheduled.pk])).content.decode()
    assert "proposes another time" in page
    client.force_login(world.midwife)
    page = client.get(reverse("conferences:conference_detail", args=[scheduled.pk])).content.decode()
    assert "proposes another time" not in page


class _NeverParsed:
    @staticmethod
    def from_ical(*args, **kwargs):
        raise AssertionError("the calendar part was parsed")


def test_untagged_or_spoofed_mail_is_refused_from_its_header_without_parsing_the_calendar(world, scheduled, monkeypatch):
    """A large mail with a spoofed sender once cost 30+ seconds of icalendar parsing before its
    missing tag was noticed; now the header decides, and junk leaves no CalendarReply row."""
    monkeypatch.setattr(mailgate, "Calendar", _NeverParsed)
    request = request_for(world.counsellor.email)
    assert receive(answer_to(request, organizer="antwort@elsewhere.example")) == "refused:untagged"
    assert receive(answer_to(request, sender="mallory@evil.example", attendee=world.counsellor.email)) == "refused:sender_mismatch"
    assert not CalendarReply.objects.filter(reason="untagged").exists() and refused("untagged")


def test_a_calendar_part_far_larger_than_an_answer_is_refused_unparsed(world, scheduled, monkeypatch, settings):
    settings.INBOUND_MAIL_MAX_CALENDAR_BYTES = 16 * 1024
    monkeypatch.setattr(mailgate, "Calendar", _NeverParsed)
    invitation = scheduled.invitations.get(user=world.counsellor)
    calendar = b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\n" + b"X-PAD:" + b"a" * 70 + b"\r\n"
    calendar += (b"X-PAD:" + b"a" * 70 + b"\r\n") * 300 + b"END:VCALENDAR\r\n"
    raw = (f"From: {world.counsellor.email}\r\nTo: {imip.reply_address(invitation.pk)}\r\nMessage-ID: <pad@example.org>\r\n"
           "Content-Type: text/calendar; method=REPLY\r\n\r\n").encode() + calendar
    assert receive(raw) == "refused:calendar_too_large"


def test_more_than_one_from_header_is_refused(world, scheduled):
    raw = answer_to(request_for(world.counsellor.email))
    raw = re.sub(rb"(\r\nFrom: [^\r]*)", rb"\1\r\nFrom: mallory@evil.example", raw, count=1)
    assert receive(raw) == "refused:sender_mismatch"
    assert scheduled.invitations.get(user=world.counsellor).rsvp == Invitation.Rsvp.NEEDS_ACTION


def test_with_an_authserv_id_only_that_servers_pass_lets_an_answer_through(world, scheduled, settings):
    settings.INBOUND_MAIL_AUTHSERV_ID = "mx.fallkonferenz.example.org"
    request = request_for(world.counsellor.email)
    domain = world.counsellor.email.rpartition("@")[2]

    def with_results(value: str) -> bytes:
        raw = answer_to(request).replace(b"Authentication-Results: mx.fallkonferenz", b"X-Old-Results: mx.fallkonferenz")
        return f"Authentication-Results: {value}\r\n".encode() + raw

    assert receive(with_results("evil.example; dmarc=pass header.from=" + domain)) == "refused:sender_unauthenticated"
    assert receive(with_results("mx.fallkonferenz.example.org; dmarc=none; dkim=pass header.d=other.example")) == "refused:sender_unauthenticated"
    assert receive(with_results(f"mx.fallkonferenz.example.org; dmarc=none; dkim=pass header.d={domain}")) == "applied"
    settings.INBOUND_MAIL_AUTHSERV_ID = ""
    assert receive(with_results("evil.example; dmarc=fail")) == "refused:sender_unauthenticated"


def test_a_counter_with_an_unrepresentable_time_is_refused_and_does_not_crash(world, scheduled):
    """DTEND;TZID=America/Los_Angeles:99991231T230000 overflowed when saved and crashed every run."""
    proposed = local(15, 14)
    raw = answer_to(request_for(world.counsellor.email), client="gmail", method="COUNTER",
                    starts=proposed, ends=proposed + dt.timedelta(minutes=90))
    raw = re.sub(rb"\r\nDTEND:[0-9TZ]+\r\n", b"\r\nDTEND;TZID=America/Los_Angeles:99991231T230000\r\n", raw, count=1)
    assert receive(raw) == "refused:malformed_counter"
    far = answer_to(request_for(world.counsellor.email), method="COUNTER", starts=local(15, 14).replace(year=local(0).year + 40),
                    ends=local(15, 15).replace(year=local(0).year + 40))
    assert receive(far) == "refused:malformed_counter"
    assert not CalendarReply.objects.filter(outcome=CalendarReply.Outcome.COUNTER).exists()


def test_an_answer_to_the_old_time_is_stale_as_soon_as_the_move_is_saved(world, scheduled):
    """Before the worker has sent the new REQUEST (its job runs after commit, not here)."""
    old_request = request_for(world.counsellor.email)
    services.conference_move(world.convenor, conference=scheduled, starts_at=local(20))
    assert scheduled.invitations.get(user=world.counsellor).sequence_sent < Conference.objects.get(pk=scheduled.pk).sequence
    assert receive(answer_to(old_request, partstat="ACCEPTED")) == "refused:stale_sequence"
    assert receive(answer_to(old_request, method="COUNTER", starts=local(21, 14), ends=local(21, 15))) == "refused:stale_sequence"
    assert scheduled.invitations.get(user=world.counsellor).rsvp == Invitation.Rsvp.NEEDS_ACTION


def test_a_stamp_in_the_future_is_refused_and_locks_nobody_out(world, scheduled, committed):
    request = request_for(world.counsellor.email)
    now = timezone.now()
    assert receive(answer_to(request, partstat="DECLINED", stamp=now.replace(year=2099))) == "refused:future_stamp"
    assert receive(answer_to(request, partstat="TENTATIVE", stamp=now + dt.timedelta(hours=20))) == "applied"  # clock skew
    mail.outbox.clear()
    with committed():
        services.conference_move(world.convenor, conference=scheduled, starts_at=local(20))
    # Stamps are compared among answers to the same version only.
    assert receive(answer_to(request_for(world.counsellor.email), partstat="ACCEPTED", stamp=timezone.now())) == "applied"
    assert scheduled.invitations.get(user=world.counsellor).rsvp == Invitation.Rsvp.ACCEPTED


def test_counters_must_answer_the_current_version_and_the_convenor_sees_each_invitees_newest(world, scheduled):
    request = request_for(world.counsellor.email)
    now = timezone.now()
    never_sent = answer_to(request, method="COUNTER", sequence=scheduled.sequence + 1000, starts=local(16, 14), ends=local(16, 15))
    assert receive(never_sent) == "refused:unknown_sequence"
    assert receive(answer_to(request, method="COUNTER", starts=local(17, 14), ends=local(17, 15), stamp=now - dt.timedelta(minutes=10))) == "counter"
    assert receive(answer_to(request, method="COUNTER", starts=local(18, 9), ends=local(18, 10), stamp=now)) == "counter"
    assert receive(answer_to(request_for(world.midwife.email), method="COUNTER", starts=local(19, 9), ends=local(19, 10))) == "counter"
    shown = selectors.counter_proposals(world.convenor, scheduled)
    assert sorted((r.invitation.user.username, r.proposed_starts_at) for r in shown) == sorted(
        [(world.counsellor.username, local(18, 9)), (world.midwife.username, local(19, 9))])
    services.conference_move(world.convenor, conference=scheduled, starts_at=local(20))
    scheduled.refresh_from_db()
    assert selectors.counter_proposals(world.convenor, scheduled) == []
