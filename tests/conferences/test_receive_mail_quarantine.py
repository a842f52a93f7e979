"""``manage.py receive_mail`` (the MTA pipe) never loses a message it cannot handle, and never has
the mail server retry it forever: it keeps it in the quarantine directory and says so."""
from __future__ import annotations

import errno
import io
import logging
import pathlib
import stat
import sys

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import OperationalError

from conferences import reply_services, services
from conferences.management.commands import receive_mail as receive_mail_command
from conferences.models import Invitation
from permissions.models import AuditEvent
from tests.conferences.helpers import convene
from tests.conferences.mailfixtures import answer_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def scheduled(world, committed):
    conference = convene(world)
    with committed():
        services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    return conference


@pytest.fixture
def quarantine(settings, tmp_path):
    settings.INBOUND_MAIL_QUARANTINE_DIR = tmp_path / "mail-quarantine"
    return settings.INBOUND_MAIL_QUARANTINE_DIR


def request_for(address: str):
    return next(m for m in mail.outbox if m.to == [address])


def pipe(raw: bytes, monkeypatch) -> tuple[int, str]:
    """The exit status the mail server sees, and what the command printed."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    out = io.StringIO()
    try:
        call_command("receive_mail", stdout=out, stderr=io.StringIO())
    except SystemExit as exit_status:
        return exit_status.code, out.getvalue().strip()
    return 0, out.getvalue().strip()


def poisoned(monkeypatch, exc: Exception):
    real = receive_mail_command.calendar_reply_receive

    def receive(*, raw, **kwargs):
        if b"<poison@" in raw:
            raise exc
        return real(raw=raw, **kwargs)

    monkeypatch.setattr(receive_mail_command, "calendar_reply_receive", receive)


def kept(quarantine) -> list[bytes]:
    return [path.read_bytes() for path in sorted(quarantine.glob("*.eml"))]


def test_a_message_that_fails_unexpectedly_is_kept_in_quarantine_and_accepted(world, scheduled, monkeypatch, quarantine, caplog):
    poisoned(monkeypatch, OverflowError("date value out of range"))
    raw = answer_to(request_for(world.counsellor.email), message_id="poison@example.org", partstat="DECLINED")
    with caplog.at_level(logging.ERROR, logger="conferences.management.commands.receive_mail"):
        assert pipe(raw, monkeypatch) == (0, "quarantined")  # delivered: no bounce, no endless retry
    assert kept(quarantine) == [raw]
    (path,) = quarantine.glob("*.eml")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(quarantine.stat().st_mode) == 0o700
    event = AuditEvent.objects.get(action="calendar_reply.quarantined")
    assert event.detail["source"] == "pipe" and event.detail["error"] == "OverflowError" and event.detail["file"] == path.name
    assert any("<poison@example.org>" in r.getMessage() for r in caplog.records)
    assert not any("DECLINED" in r.getMessage() or "date value" in r.getMessage() for r in caplog.records)
    assert scheduled.invitations.get(user=world.counsellor).rsvp == Invitation.Rsvp.NEEDS_ACTION
    assert pipe(answer_to(request_for(world.midwife.email), partstat="ACCEPTED"), monkeypatch) == (0, "applied")


def test_a_database_error_that_repeats_for_one_message_ends_in_quarantine(world, scheduled, monkeypatch, quarantine):
    poisoned(monkeypatch, OperationalError("value out of range"))
    raw = answer_to(request_for(world.counsellor.email), message_id="poison@example.org")
    assert pipe(raw, monkeypatch) == (75, "")  # once more later: it might have been passing
    assert kept(quarantine) == []
    assert pipe(raw, monkeypatch) == (0, "quarantined")
    assert kept(quarantine) == [raw] and list((quarantine / "retry").iterdir()) == []
    assert AuditEvent.objects.get(action="calendar_reply.quarantined").detail["error"].startswith("OperationalError")


def test_when_the_database_is_down_the_mail_server_keeps_retrying(world, scheduled, monkeypatch, quarantine):
    poisoned(monkeypatch, OperationalError("connection refused"))
    monkeypatch.setattr(receive_mail_command.mail_quarantine, "database_answers", lambda: False)
    raw = answer_to(request_for(world.counsellor.email), message_id="poison@example.org")
    assert pipe(raw, monkeypatch) == (75, "")
    assert pipe(raw, monkeypatch) == (75, "")
    assert kept(quarantine) == []


def test_a_message_that_cannot_be_quarantined_stays_with_the_mail_server(world, scheduled, monkeypatch, settings, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    settings.INBOUND_MAIL_QUARANTINE_DIR = blocked / "mail-quarantine"
    poisoned(monkeypatch, OverflowError("date value out of range"))
    raw = answer_to(request_for(world.counsellor.email), message_id="poison@example.org")
    assert pipe(raw, monkeypatch) == (75, "")
    assert not AuditEvent.objects.filter(action="calendar_reply.quarantined").exists()


def test_a_quarantine_directory_open_to_another_user_keeps_the_message_with_the_mail_server(world, scheduled, monkeypatch,
                                                                                         quarantine):
    quarantine.mkdir()
    quarantine.chmod(0o755)
    someone_else = receive_mail_command.mail_quarantine.os.geteuid() + 1
    monkeypatch.setattr(receive_mail_command.mail_quarantine.os, "geteuid", lambda: someone_else)
    poisoned(monkeypatch, OverflowError("date value out of range"))
    raw = answer_to(request_for(world.counsellor.email), message_id="poison@example.org")
    assert pipe(raw, monkeypatch) == (75, "")
    assert kept(quarantine) == []


def test_an_existing_quarantine_directory_open_to_others_is_made_private(world, scheduled, monkeypatch, quarantine):
    quarantine.mkdir()
    quarantine.chmod(0o755)
    poisoned(monkeypatch, OverflowError("date value out of range"))
    raw = answer_to(request_for(world.counsellor.email), message_id="poison@example.org")
    assert pipe(raw, monkeypatch) == (0, "quarantined")
    assert kept(quarantine) == [raw] and stat.S_IMODE(quarantine.stat().st_mode) == 0o700


def test_a_quarantined_message_whose_audit_event_fails_is_still_accepted(world, scheduled, monkeypatch, quarantine, caplog):
    """Safe on disk is what counts: exit 1 would have the mail server bounce it to a possibly forged sender."""
    poisoned(monkeypatch, OverflowError("date value out of range"))

    def broken(**kwargs):
        raise KeyError("AUDIT_KEYS")  # e.g. a missing audit key: not a database error

    monkeypatch.setattr(reply_services, "calendar_reply_quarantined_record", broken)
    raw = answer_to(request_for(world.counsellor.email), message_id="poison@example.org")
    with caplog.at_level(logging.ERROR, logger="conferences.reply_services"):
        assert pipe(raw, monkeypatch) == (0, "quarantined")
    assert kept(quarantine) == [raw]
    assert any("could not be audited: KeyError" in r.getMessage() for r in caplog.records)
    assert not AuditEvent.objects.filter(action="calendar_reply.quarantined").exists()


def test_a_message_not_stored_for_any_reason_stays_with_the_mail_server(world, scheduled, monkeypatch, quarantine):
    poisoned(monkeypatch, OverflowError("date value out of range"))

    def broken(*args, **kwargs):
        raise ValueError("embedded null byte")  # not an OSError, and nothing on disk

    monkeypatch.setattr(reply_services.mail_quarantine, "store", broken)
    raw = answer_to(request_for(world.counsellor.email), message_id="poison@example.org")
    assert pipe(raw, monkeypatch) == (75, "")
    assert not AuditEvent.objects.filter(action="calendar_reply.quarantined").exists()


def test_a_database_error_with_a_quarantine_directory_it_may_not_enter_is_a_tempfail_not_a_bounce(
        world, scheduled, monkeypatch, quarantine):
    """What a service that is not root meets when the directory belongs to another user or lost its
    x bit: ``Path.exists`` raises PermissionError on Python 3.11. Exit 75, never 1 (review r1)."""
    poisoned(monkeypatch, OperationalError("deadlock detected"))
    raw = answer_to(request_for(world.counsellor.email), message_id="poison@example.org", partstat="DECLINED")
    real_stat = pathlib.Path.stat

    def refused_stat(self, *args, **kwargs):
        if str(self).startswith(str(quarantine)):
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_stat(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "stat", refused_stat)
    status, _ = pipe(raw, monkeypatch)
    assert status == 75
