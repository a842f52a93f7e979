"""Read one e-mail from standard input and record the calendar answer in it (MTA pipe transport).

    .venv/bin/python manage.py receive_mail < message.eml

Exit status 0 whenever the message was accepted: applied, kept as a counter-proposal, refused
(refusals are logged and audited; no bounce is sent, since a bounce would quote the message to a
possibly forged sender), or quarantined. Exit status 75 (EX_TEMPFAIL) when it should be tried
again later: the mail server keeps the message and retries.

- The database is unreachable: 75, every time, until it answers again.
- A database error while the database answers (something in this message): 75 the first time
  (a ``retry/`` marker in the quarantine directory remembers it), quarantined the second time.
- Any other failure while handling it (a bug this message meets): quarantined at once.

Quarantined means: the raw message is kept in ``INBOUND_MAIL_QUARANTINE_DIR`` (one ``.eml`` file,
readable by the service's user only), an audit event ``calendar_reply.quarantined`` names its
digest and the kind of error, the log names its Message-ID at ERROR (never its content), and the
command prints ``quarantined`` and exits 0 — also when the audit event cannot be written (for
whatever reason: the message is safe on disk, and the failure is logged at ERROR). When the file
cannot be written (for whatever reason), it exits 75. A quarantine never ends in exit 1: the mail
server would bounce the message, quoting it, to a sender who may be forged.
"""
from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError

from conferences import mail_quarantine, mailgate
from conferences.reply_services import calendar_reply_quarantine, calendar_reply_receive

logger = logging.getLogger(__name__)
EX_TEMPFAIL = 75


def read_limited(stream, limit: int) -> tuple[bytes, int]:
    """At most ``limit`` + 1 bytes of the message, and its full size (the rest is drained unread)."""
    head = stream.read(limit + 1)
    size = len(head)
    while len(head) > limit:
        chunk = stream.read(1024 * 1024)
        if not chunk:
            break
        size += len(chunk)
    if size > limit:  # keep only the header block: enough for the Message-ID
        end = head.find(b"\r\n\r\n")
        end = head.find(b"\n\n") if end < 0 else end
        head = head[: end if 0 <= end < 65536 else 65536]
    return head, size


class Command(BaseCommand):
    help = "Record the calendar answer (iMIP REPLY/COUNTER) in one e-mail read from standard input."

    def handle(self, *args, **options):
        raw, size = read_limited(sys.stdin.buffer, settings.INBOUND_MAIL_MAX_BYTES)
        directory = settings.INBOUND_MAIL_QUARANTINE_DIR
        try:
            result = calendar_reply_receive(raw=raw, source="pipe", size=size)
        except DatabaseError as exc:
            digest = mailgate.message_digest(raw)
            if not mail_quarantine.database_answers():
                self._tempfail(f"temporary failure, try again later: {type(exc).__name__}")
            if not mail_quarantine.retried_before(directory, digest):
                logger.warning("Calendar reply %s: %s while the database answers; the mail server retries it",
                               mail_quarantine.message_id_for_log(raw), type(exc).__name__)
                try:
                    mail_quarantine.retry_mark(directory, digest)
                except OSError as marker_error:
                    logger.error("Cannot remember the retry of calendar reply %s: %s",
                                 mail_quarantine.message_id_for_log(raw), type(marker_error).__name__)
                self._tempfail(f"temporary failure, try again later: {type(exc).__name__}")
            self._quarantine(raw, f"{type(exc).__name__} again on a later delivery")
            return
        except Exception as exc:  # a bug this message meets: keep it, do not let the mail server loop
            self._quarantine(raw, type(exc).__name__)
            return
        mail_quarantine.retry_clear(directory, mailgate.message_digest(raw))
        self.stdout.write(f"{result.outcome}{': ' + result.reason if result.reason else ''}")

    def _quarantine(self, raw: bytes, error: str) -> None:
        try:
            path = calendar_reply_quarantine(raw=raw, source="pipe", error=error)
        except Exception as exc:  # not on disk (it raises nothing once it is): never exit 1, a bounce
            logger.error("Calendar reply %s could not be quarantined (%s): %s; the mail server keeps it",
                         mail_quarantine.message_id_for_log(raw), error, type(exc).__name__)
            self._tempfail(f"temporary failure, cannot quarantine: {type(exc).__name__}")
        logger.error("Calendar reply %s quarantined as %s: %s", mail_quarantine.message_id_for_log(raw), path.name, error)
        self.stdout.write("quarantined")

    def _tempfail(self, text: str) -> None:
        self.stderr.write(text)
        sys.exit(EX_TEMPFAIL)
