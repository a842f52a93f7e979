"""``manage.py fetch_mail`` against a real IMAP server (Debian's dovecot, started by the test)."""
from __future__ import annotations

import fcntl
import hashlib
import imaplib
import io
import logging
import re
import tempfile
import time
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import OperationalError

from conferences import imip, services
from conferences.management.commands import fetch_mail as fetch_mail_command
from conferences.management.commands.fetch_mail import parse_imap_url
from conferences.models import CalendarReply, Invitation
from permissions.models import AuditEvent
from tests import imap_server
from tests.conferences.helpers import convene
from tests.conferences.mailfixtures import answer_to

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def imap():
    try:
        server = imap_server.start()
    except RuntimeError as exc:
        pytest.skip(f"no IMAP server for fetch_mail tests: {exc}")
    yield server
    server.stop()


@pytest.fixture
def mailbox(imap, settings):
    """An empty INBOX and an empty Processed folder for each test."""
    conn = imap.client()
    for folder in ("INBOX", "Processed", "Quarantine"):
        typ, data = conn.select(f'"{folder}"')
        if typ == "OK" and int(data[0]):
            conn.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
            conn.expunge()
    conn.logout()
    settings.IMAP_URL = imap.url()
    return imap


@pytest.fixture
def scheduled(world, committed):
    conference = convene(world)
    with committed():
        services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    return conference


def fetch(**options) -> str:
    out = io.StringIO()
    call_command("fetch_mail", stdout=out, **options)
    return out.getvalue().strip()


def request_for(address: str):
    return next(m for m in mail.outbox if m.to == [address])


def test_answers_in_the_mailbox_are_recorded_and_every_handled_message_is_moved(world, scheduled, mailbox):
    mailbox.append(
        answer_to(request_for(world.counsellor.email), client="outlook", partstat="ACCEPTED"),
        answer_to(request_for(world.midwife.email), client="gmail", partstat="DECLINED"),
        answer_to(request_for(world.parent.email), client="apple", partstat="TENTATIVE"),
        b"From: someone@example.org\r\nSubject: Frage\r\nMessage-ID: <frage-1@example.org>\r\n\r\nWann?\r\n",
    )
    assert fetch() == "applied=3 refused=1"
    rsvps = dict(scheduled.invitations.filter(user__isnull=False).values_list("user__username", "rsvp"))
    assert rsvps[world.counsellor.username] == Invitation.Rsvp.ACCEPTED
    assert rsvps[world.midwife.username] == Invitation.Rsvp.DECLINED
    assert scheduled.invitations.get(family_member=world.mother).rsvp == Invitation.Rsvp.TENTATIVE
    assert mailbox.count("INBOX") == 0 and mailbox.count("Processed") == 4
    assert fetch() == "no messages"  # every minute from cron: nothing twice


def test_a_message_seen_again_after_an_interrupted_run_changes_nothing(world, scheduled, mailbox):
    raw = answer_to(request_for(world.counsellor.email), partstat="ACCEPTED")
    mailbox.append(raw)
    assert fetch() == "applied=1"
    invitation = scheduled.invitations.get(user=world.counsellor)
    services.invitation_rsvp(world.counsellor, invitation=invitation, rsvp=Invitation.Rsvp.DECLINED)
    mailbox.append(raw)  # as if the move had not happened
    assert fetch() == "duplicate=1"
    invitation.refresh_from_db()
    assert invitation.rsvp == Invitation.Rsvp.DECLINED and mailbox.count("INBOX") == 0


def test_an_oversized_message_is_refused_from_its_size_and_moved(world, scheduled, mailbox, settings):
    settings.INBOUND_MAIL_MAX_BYTES = 64 * 1024
    raw = answer_to(request_for(world.counsellor.email))
    mailbox.append(raw.replace(b"\r\n\r\n", b"\r\nX-Padding: " + b"A" * 200_000 + b"\r\n\r\n", 1))
    assert fetch() == "refused=1"
    assert CalendarReply.objects.get().reason == "too_large"
    assert scheduled.invitations.get(user=world.counsellor).rsvp == Invitation.Rsvp.NEEDS_ACTION
    assert mailbox.count("Processed") == 1


def test_a_second_run_while_one_is_busy_does_nothing(world, scheduled, mailbox):
    mailbox.append(answer_to(request_for(world.counsellor.email)))
    target = parse_imap_url(mailbox.url())
    key = hashlib.sha256(f"{target.host}:{target.port}:{target.user}:{target.folder}".encode()).hexdigest()[:16]
    with open(Path(tempfile.gettempdir()) / f"fallkonferenz-fetch-mail-{key}.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert fetch() == "another fetch_mail run is busy; nothing done"
    assert mailbox.count("INBOX") == 1
    assert fetch() == "applied=1"


def junk(n: int) -> bytes:
    return f"From: someone{n}@example.org\r\nSubject: Werbung\r\nMessage-ID: <junk-{n}@example.org>\r\n\r\nKaufen!\r\n".encode()


def test_junk_of_one_run_is_audited_as_one_event_and_leaves_no_rows(world, scheduled, mailbox):
    mailbox.append(junk(1), junk(2), answer_to(request_for(world.counsellor.email)), junk(3))
    assert fetch() == "applied=1 refused=3"
    events = AuditEvent.objects.filter(action="calendar_reply.refused")
    assert [(e.detail["count"], e.detail["reasons"]) for e in events] == [(3, {"untagged": 3})]
    assert not CalendarReply.objects.filter(outcome=CalendarReply.Outcome.REFUSED).exists()


def test_a_run_starts_no_message_after_its_time_limit(world, scheduled, mailbox):
    mailbox.append(junk(1), junk(2))
    assert fetch(time_limit=0) == "left=2"
    assert mailbox.count("INBOX") == 2
    assert fetch() == "refused=2"


def poisoned(monkeypatch, exc: Exception):
    real = fetch_mail_command.calendar_reply_receive

    def receive(*, raw, **kwargs):
        if b"<poison@" in raw:
            raise exc
        return real(raw=raw, **kwargs)

    monkeypatch.setattr(fetch_mail_command, "calendar_reply_receive", receive)


def test_a_message_that_fails_unexpectedly_is_quarantined_and_the_rest_are_handled(world, scheduled, mailbox, monkeypatch, caplog):
    poisoned(monkeypatch, OverflowError("date value out of range"))
    request = request_for(world.counsellor.email)
    mailbox.append(answer_to(request, message_id="poison@example.org", partstat="DECLINED"),
                   answer_to(request_for(world.midwife.email), partstat="ACCEPTED"))
    with caplog.at_level(logging.ERROR, logger="conferences.management.commands.fetch_mail"):
        assert fetch() == "applied=1 quarantined=1"
    assert mailbox.count("INBOX") == 0 and mailbox.count("Quarantine") == 1 and mailbox.count("Processed") == 1
    assert any("<poison@example.org>" in r.getMessage() and "OverflowError" in r.getMessage() for r in caplog.records)
    assert not any("DECLINED" in r.getMessage() or "date value" in r.getMessage() for r in caplog.records)
    assert fetch() == "no messages"
    # Audited as the pipe's quarantine is: the digest and the kind of error, never the content.
    event = AuditEvent.objects.get(action="calendar_reply.quarantined")
    assert event.detail["source"] == "imap" and event.detail["error"] == "OverflowError"
    assert event.detail["folder"] == "Quarantine" and len(event.detail["digest"]) == 12
    assert "DECLINED" not in str(event.detail) and "poison" not in str(event.detail)


def test_a_database_error_that_repeats_for_one_message_ends_in_quarantine(world, scheduled, mailbox, monkeypatch):
    poisoned(monkeypatch, OperationalError("value out of range"))
    mailbox.append(answer_to(request_for(world.counsellor.email), message_id="poison@example.org"),
                   answer_to(request_for(world.midwife.email)))
    assert fetch() == "applied=1 retry=1"  # once more on the next run: it might have been passing
    assert mailbox.count("INBOX") == 1
    assert fetch() == "quarantined=1"
    assert mailbox.count("INBOX") == 0 and mailbox.count("Quarantine") == 1
    assert AuditEvent.objects.get(action="calendar_reply.quarantined").detail["error"] == "OperationalError again on a later run"


def test_a_quarantined_message_stays_quarantined_when_its_audit_event_fails(world, scheduled, mailbox, monkeypatch, caplog):
    poisoned(monkeypatch, OverflowError("date value out of range"))

    def broken(**kwargs):
        raise RuntimeError("audit key missing")

    monkeypatch.setattr(fetch_mail_command, "calendar_reply_quarantined_record", broken)
    mailbox.append(answer_to(request_for(world.counsellor.email), message_id="poison@example.org"),
                   answer_to(request_for(world.midwife.email), partstat="ACCEPTED"))
    with caplog.at_level(logging.ERROR, logger="conferences.management.commands.fetch_mail"):
        assert fetch() == "applied=1 quarantined=1"
    assert mailbox.count("INBOX") == 0 and mailbox.count("Quarantine") == 1
    assert any("could not be audited: RuntimeError" in r.getMessage() for r in caplog.records)


def test_when_the_database_is_down_the_message_stays_and_the_run_says_try_again(world, scheduled, mailbox, monkeypatch):
    poisoned(monkeypatch, OperationalError("connection refused"))
    monkeypatch.setattr(fetch_mail_command, "_database_answers", lambda: False)
    mailbox.append(answer_to(request_for(world.counsellor.email), message_id="poison@example.org"))
    with pytest.raises(SystemExit) as exit_status:
        fetch()
    assert exit_status.value.code == 75
    assert mailbox.count("INBOX") == 1 and mailbox.count("Quarantine") == 0


def downloads(monkeypatch) -> dict[str, int]:
    """Bytes of message data the IMAP server sent to fetch_mail, by the Message-ID of each message."""
    seen: dict[str, int] = {}
    real = imaplib.IMAP4.uid

    def uid(self, command, *args):
        typ, data = real(self, command, *args)
        if command.upper() == "FETCH":
            for item in data:
                if isinstance(item, tuple) and len(item) > 1:
                    found = re.search(rb"Message-ID:\s*<([^>]+)>", item[1], re.IGNORECASE)
                    key = found.group(1).decode() if found else "(none)"
                    seen[key] = seen.get(key, 0) + len(item[1])
        return typ, data

    monkeypatch.setattr(imaplib.IMAP4, "uid", uid)
    return seen


def test_messages_refused_from_their_header_are_never_downloaded(world, scheduled, mailbox, monkeypatch):
    """Junk, a spoofed sender and a plain-text question cost their header, not their 5 MB body."""
    seen = downloads(monkeypatch)
    request = request_for(world.counsellor.email)
    padding = b"\r\n" + (b"A" * 998 + b"\r\n") * 5000
    spoofed = answer_to(request, sender="mallory@evil.example", attendee=world.counsellor.email, message_id="spoofed@evil.example")
    invitation = scheduled.invitations.get(user=world.counsellor)
    question = (f"From: {world.counsellor.email}\r\nTo: {imip.reply_address(invitation.pk)}\r\n"
                "Message-ID: <question@example.org>\r\nSubject: Frage\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                "Wann genau?\r\n").encode() + padding
    mailbox.append(junk(1)[:-2] + padding, spoofed[:-2] + padding, question,
                   answer_to(request_for(world.midwife.email), message_id="good@example.org", partstat="ACCEPTED"))
    assert fetch() == "applied=1 refused=3"
    assert scheduled.invitations.get(user=world.midwife).rsvp == Invitation.Rsvp.ACCEPTED
    assert scheduled.invitations.get(user=world.counsellor).rsvp == Invitation.Rsvp.NEEDS_ACTION
    assert sorted(CalendarReply.objects.filter(outcome=CalendarReply.Outcome.REFUSED).values_list("reason", flat=True)) == [
        "not_calendar", "sender_mismatch"]
    assert all(seen[key] < 4096 for key in ("junk-1@example.org", "spoofed@evil.example", "question@example.org")), seen
    assert seen["good@example.org"] > 4096  # header first, then the whole answer
    assert mailbox.count("INBOX") == 0 and mailbox.count("Processed") == 4


def test_handled_and_quarantined_messages_are_deleted_from_the_mailbox_after_their_time(mailbox, settings):
    """What an answer said is on record in the database; the raw mail (comments, proposed times)
    stays in the done and quarantine folders for INBOUND_MAIL_KEEP_DAYS, by its arrival date."""
    settings.INBOUND_MAIL_KEEP_DAYS = 30
    conn = mailbox.client()
    try:
        for folder, days in (("Processed", 40), ("Processed", 5), ("Quarantine", 31), ("Quarantine", 1)):
            arrived = imaplib.Time2Internaldate(time.time() - days * 86400)
            raw = f"From: a@example.org\r\nMessage-ID: <{folder}-{days}@example.org>\r\n\r\nDienstag passt.\r\n".encode()
            assert conn.append(f'"{folder}"', None, arrived, raw)[0] == "OK"
    finally:
        conn.logout()
    assert fetch() == "purged=2"
    assert mailbox.count("Processed") == 1 and mailbox.count("Quarantine") == 1
    assert fetch() == "no messages"
    # Like the retention steps of apply_retention: one event for the run, the number by folder.
    event = AuditEvent.objects.get(action="retention.inbound_mail_purged")
    assert event.detail["source"] == "imap" and event.detail["count"] == 2
    assert event.detail["deleted"] == {"handled messages": 1, "quarantined messages": 1}
    assert "example.org" not in str(event.detail) and "Dienstag" not in str(event.detail)
