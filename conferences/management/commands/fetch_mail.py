"""Read calendar answers from the IMAP mailbox of the reply address (``IMAP_URL``).

    IMAP_URL=imaps://antwort:secret@imap.example.org/INBOX?done=Processed
    * * * * *  cd /srv/fallkonferenz && .venv/bin/python manage.py fetch_mail

Every message in the folder is handled once (``calendar_reply_receive``: applied, kept as a
counter-proposal, or refused and audited) and then moved to the ``done`` folder (created if
missing; with ``MOVE`` where the server has it, else COPY + \\Deleted + EXPUNGE). A message
larger than ``INBOUND_MAIL_MAX_BYTES`` is refused from its size and header alone.

Safe to run every minute: a second run while one is busy exits at once (a lock file), and a
message handled but not yet moved when a run was interrupted is recognised by its Message-ID
the next time (refused as a duplicate, changes nothing) and moved then. When the database is
unreachable the message stays in the folder for the next run and the command exits with 75.

``IMAP_URL``: ``imaps://user:password@host[:993]/FOLDER`` (TLS), or ``imap://…[:143]/FOLDER``
with STARTTLS (``?starttls=0`` turns STARTTLS off — only for a server on the same machine).
``?done=NAME`` names the folder for handled messages (default ``Processed``).
"""
from __future__ import annotations

import fcntl
import hashlib
import imaplib
import re
import ssl
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from conferences.reply_services import calendar_reply_receive

EX_TEMPFAIL = 75
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_UID = re.compile(rb"UID (\d+)")


@dataclass(frozen=True)
class ImapTarget:
    secure: bool
    starttls: bool
    host: str
    port: int
    user: str
    password: str
    folder: str
    done: str


def parse_imap_url(url: str) -> ImapTarget:
    parsed = urlparse(url)
    if parsed.scheme not in ("imap", "imaps") or not parsed.hostname or not parsed.username:
        raise CommandError("IMAP_URL must look like imaps://user:password@host/INBOX")
    query = parse_qs(parsed.query)
    secure = parsed.scheme == "imaps"
    return ImapTarget(
        secure=secure,
        starttls=not secure and query.get("starttls", ["1"])[0] != "0",
        host=parsed.hostname,
        port=parsed.port or (993 if secure else 143),
        user=unquote(parsed.username),
        password=unquote(parsed.password or ""),
        folder=unquote(parsed.path.lstrip("/")) or "INBOX",
        done=query.get("done", ["Processed"])[0],
    )


def quote_mailbox(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def connect(target: ImapTarget) -> imaplib.IMAP4:
    if target.secure:
        conn = imaplib.IMAP4_SSL(target.host, target.port, ssl_context=ssl.create_default_context(), timeout=60)
    else:
        conn = imaplib.IMAP4(target.host, target.port, timeout=60)
        if target.starttls:
            conn.starttls(ssl_context=ssl.create_default_context())
    conn.login(target.user, target.password)
    return conn


def _sizes(conn: imaplib.IMAP4, limit: int) -> list[tuple[bytes, int]]:
    typ, data = conn.uid("FETCH", "1:*", "(RFC822.SIZE)")
    if typ != "OK":
        raise CommandError("The IMAP server refused to list the folder.")
    found = []
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        if not line:
            continue
        uid, size = _UID.search(line), _SIZE.search(line)
        if uid and size:
            found.append((uid.group(1), int(size.group(1))))
    found.sort(key=lambda pair: int(pair[0]))
    return found[:limit]


def _fetch(conn: imaplib.IMAP4, uid: bytes, *, header_only: bool) -> bytes:
    typ, data = conn.uid("FETCH", uid, "(BODY.PEEK[HEADER])" if header_only else "(BODY.PEEK[])")
    if typ != "OK":
        return b""
    return next((item[1] for item in data if isinstance(item, tuple) and len(item) > 1), b"")


class Command(BaseCommand):
    help = "Record calendar answers (iMIP REPLY/COUNTER) from the IMAP mailbox in IMAP_URL; move handled messages."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=1000, help="handle at most this many messages per run")

    def handle(self, *args, limit: int, **options):
        if not settings.IMAP_URL:
            raise CommandError("IMAP_URL is not set.")
        target = parse_imap_url(settings.IMAP_URL)
        key = hashlib.sha256(f"{target.host}:{target.port}:{target.user}:{target.folder}".encode()).hexdigest()[:16]
        lock_file = open(Path(tempfile.gettempdir()) / f"fallkonferenz-fetch-mail-{key}.lock", "w")  # noqa: SIM115
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.stdout.write("another fetch_mail run is busy; nothing done")
            return
        try:
            counts = self._run(target, limit)
        except (imaplib.IMAP4.error, OSError) as exc:
            raise CommandError(f"IMAP: {type(exc).__name__}: {exc}") from exc
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
            lock_file.close()
        self.stdout.write(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "no messages")
        if counts.get("tempfail"):
            sys.exit(EX_TEMPFAIL)

    def _run(self, target: ImapTarget, limit: int) -> dict[str, int]:
        conn = connect(target)
        counts: dict[str, int] = {}
        try:
            typ, _data = conn.select(quote_mailbox(target.folder))
            if typ != "OK":
                raise CommandError(f"IMAP folder {target.folder!r} cannot be opened.")
            conn.create(quote_mailbox(target.done))  # NO when it exists already: fine
            can_move = "MOVE" in conn.capabilities
            flagged = False
            for uid, size in _sizes(conn, limit):
                raw = _fetch(conn, uid, header_only=size > settings.INBOUND_MAIL_MAX_BYTES)
                try:
                    result = calendar_reply_receive(raw=raw, source="imap", size=size)
                except DatabaseError:
                    counts["tempfail"] = counts.get("tempfail", 0) + 1
                    break  # leave it (and the rest) for the next run
                counts[result.outcome] = counts.get(result.outcome, 0) + 1
                if can_move:
                    conn.uid("MOVE", uid, quote_mailbox(target.done))
                else:
                    conn.uid("COPY", uid, quote_mailbox(target.done))
                    conn.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
                    flagged = True
            if flagged:
                conn.expunge()
            conn.close()
        finally:
            try:
                conn.logout()
            except (imaplib.IMAP4.error, OSError):
                pass
        return counts
