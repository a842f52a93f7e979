"""What comes is measured, not only what the IMAP server announced; inbound mail kept outside the
database (quarantine, handled folders) is deleted after INBOUND_MAIL_KEEP_DAYS."""
from __future__ import annotations

import datetime as dt
import os
import time

import pytest
from django.core import mail

from conferences import mail_quarantine
from conferences.mailgate import _header_block
from conferences.models import Invitation
from conferences.reply_services import calendar_reply_receive
from tests.conferences.mailfixtures import answer_to

pytestmark = pytest.mark.django_db


def test_a_message_larger_than_the_size_its_server_announced_is_still_refused_as_too_large(world, scheduled, settings):
    """fetch_mail passes the IMAP server's RFC822.SIZE and a load(); the whole message that load()
    returns is never measured again. Read at once, the same bytes are refused as too_large."""
    request = next(m for m in mail.outbox if m.to == [world.counsellor.email])
    raw = answer_to(request, client="gmail", partstat="DECLINED")
    settings.INBOUND_MAIL_MAX_BYTES = len(raw) - 1  # the message is one byte too large
    at_once = calendar_reply_receive(raw=raw, source="pipe")
    assert at_once.reason == "too_large"
    raw2 = answer_to(request, client="gmail", partstat="DECLINED")  # another Message-ID
    settings.INBOUND_MAIL_MAX_BYTES = len(raw2) - 1
    header = _header_block(raw2)
    header_first = calendar_reply_receive(raw=header, source="imap", size=len(header), load=lambda: raw2)
    invitation = Invitation.objects.get(conference=scheduled, user=world.counsellor)
    assert (header_first.outcome, header_first.reason, invitation.rsvp) == ("refused", "too_large", invitation.rsvp), \
        (header_first, invitation.rsvp)
    assert invitation.rsvp != "declined"



def test_a_half_written_quarantine_file_left_by_a_killed_run_is_deleted_after_its_time(tmp_path):
    """A run killed between writing and renaming (the mail server's pipe time limit sends SIGKILL)
    leaves '.<name>.<pid>.tmp' with the raw message: deleted like the rest after its time."""
    directory = tmp_path / "mail-quarantine"
    kept = mail_quarantine.store(directory, b"Message-ID: <a@b>\r\n\r\nsecret", digest="ab" * 32,
                                 now=dt.datetime.now(dt.timezone.utc))
    leftover = kept.with_name(f".{kept.name}.4242.tmp")
    leftover.write_bytes(b"Message-ID: <c@d>\r\n\r\nsecret text of a half-written message")
    recent = kept.with_name(f".{kept.name}.4343.tmp")
    recent.write_bytes(b"being written now")
    old = time.time() - 40 * 86400
    for path in (kept, leftover):
        os.utime(path, (old, old))
    assert mail_quarantine.purge(directory, before=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)) == {
        "messages": 1, "unfinished files": 1}
    assert not kept.exists() and not leftover.exists()
    assert recent.exists()
