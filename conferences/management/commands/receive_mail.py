"""Read one e-mail from standard input and record the calendar answer in it (MTA pipe transport).

    .venv/bin/python manage.py receive_mail < message.eml

Exit status 0 whenever the message was handled — applied, kept as a counter-proposal, or
refused (refusals are logged and audited; no bounce is sent, since a bounce would quote the
message to a possibly forged sender). Exit status 75 (EX_TEMPFAIL) when the service could not
handle it now (e.g. the database is unreachable): the mail server keeps the message and retries.
"""
from __future__ import annotations

import sys

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError

from conferences.reply_services import calendar_reply_receive

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
        try:
            result = calendar_reply_receive(raw=raw, source="pipe", size=size)
        except DatabaseError as exc:
            self.stderr.write(f"temporary failure, try again later: {type(exc).__name__}")
            sys.exit(EX_TEMPFAIL)
        self.stdout.write(f"{result.outcome}{': ' + result.reason if result.reason else ''}")
