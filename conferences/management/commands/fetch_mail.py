"""Read calendar answers from the IMAP mailbox of the reply address (``IMAP_URL``).

    IMAP_URL=imaps://antwort:secret@imap.example.org/INBOX?done=Processed
    * * * * *  cd /srv/fallkonferenz && .venv/bin/python manage.py fetch_mail

Every message in the folder is handled once (``calendar_reply_receive``: applied, kept as a
counter-proposal, or refused and audited) and then moved to the ``done`` folder (created if
missing; with ``MOVE`` where the server has it, else COPY + \\Deleted + EXPUNGE). Only the size
and header of a message are fetched first; its body is downloaded only when the header passed
the cheap checks (a valid signed tag, the invitee as sender, the size limit
``INBOUND_MAIL_MAX_BYTES``, a Content-Type that can hold a calendar). A message refused from its
header is moved to ``done`` like every other refused one, never downloaded.

Safe to run every minute: a second run while one is busy exits at once (a lock file), and a
message handled but not yet moved when a run was interrupted is recognised by its Message-ID
the next time (refused as a duplicate, changes nothing) and moved then. When the database is
unreachable the message stays in the folder for the next run and the command exits with 75.
A run handles at most ``--limit`` messages and starts none after ``--time-limit`` seconds.

One message can never block the ones behind it: a message whose handling fails unexpectedly
is moved to the ``quarantine`` folder (logged at ERROR with its Message-ID, never its content,
and audited as ``calendar_reply.quarantined`` with its digest and the kind of error, as the
pipe's quarantine is); one that meets a database error while the database answers is flagged
(IMAP keyword ``FallkonferenzRetry``), left for the next run, and quarantined when it fails
again. Refusals of mail that names no invitation are audited as one event per run, counted by
reason.

``IMAP_URL``: ``imaps://user:password@host[:993]/FOLDER`` (TLS), or ``imap://…[:143]/FOLDER``
with STARTTLS (``?starttls=0`` turns STARTTLS off — only for a server on the same machine).
``?done=NAME`` names the folder for handled messages (default ``Processed``),
``?quarantine=NAME`` the folder for messages that could not be handled (default ``Quarantine``).
Messages in both folders are deleted once they arrived more than ``INBOUND_MAIL_KEEP_DAYS`` ago;
a run that deleted any writes one ``retention.inbound_mail_purged`` audit event (the number by
folder and the cutoff, never a message or an address).
"""
from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import imaplib
import logging
import re
import ssl
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone

from conferences.mail_quarantine import database_answers as _database_answers
from conferences.mail_quarantine import message_id_for_log as _message_id
from conferences.reply_services import (
    GATEWAY,
    RefusalTally,
    calendar_refusals_record,
    calendar_reply_quarantined_record,
    calendar_reply_receive,
    inbound_mail_purge_record,
)

logger = logging.getLogger(__name__)
EX_TEMPFAIL = 75
RETRY_FLAG = "FallkonferenzRetry"
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_UID = re.compile(rb"UID (\d+)")
_FLAGS = re.compile(rb"FLAGS \(([^)]*)\)")


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
    quarantine: str = "Quarantine"


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
        quarantine=query.get("quarantine", ["Quarantine"])[0],
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


def _sizes(conn: imaplib.IMAP4, limit: int) -> list[tuple[bytes, int, bool]]:
    """(UID, size, flagged for a last retry) of the first ``limit`` messages."""
    typ, data = conn.uid("FETCH", "1:*", "(RFC822.SIZE FLAGS)")
    if typ != "OK":
        raise CommandError("The IMAP server refused to list the folder.")
    found = []
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        if not line:
            continue
        uid, size, flags = _UID.search(line), _SIZE.search(line), _FLAGS.search(line)
        if uid and size:
            retried = bool(flags) and RETRY_FLAG.lower().encode() in flags.group(1).lower().split()
            found.append((uid.group(1), int(size.group(1)), retried))
    found.sort(key=lambda pair: int(pair[0]))
    return found[:limit]


def _fetch(conn: imaplib.IMAP4, uid: bytes, *, header_only: bool) -> bytes:
    """The message's header (BODY.PEEK[HEADER]) or all of it; IMAP4.error when the server sends
    neither (e.g. another client expunged it): the run stops and the message, if still there,
    waits for the next one."""
    typ, data = conn.uid("FETCH", uid, "(BODY.PEEK[HEADER])" if header_only else "(BODY.PEEK[])")
    found = next((item[1] for item in data if isinstance(item, tuple) and len(item) > 1), None) if typ == "OK" else None
    if found is None:
        raise imaplib.IMAP4.error(f"FETCH of message {uid.decode()} returned nothing")
    return found


def _move(conn: imaplib.IMAP4, uid: bytes, folder: str, can_move: bool) -> bool:
    """Move one message; True when it was only flagged \\Deleted (EXPUNGE still due)."""
    if can_move:
        conn.uid("MOVE", uid, quote_mailbox(folder))
        return False
    conn.uid("COPY", uid, quote_mailbox(folder))
    conn.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
    return True


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _purge_older(conn: imaplib.IMAP4, folder: str, before: dt.date) -> int:
    """Delete the messages of ``folder`` that arrived before ``before`` (IMAP's SEARCH BEFORE, by
    their internal date); the number deleted. Handled and quarantined answers are kept no longer
    than ``INBOUND_MAIL_KEEP_DAYS``: what they said is on record in the database, the raw mail
    (comments, proposed times) is not to be kept for ever in the mailbox."""
    typ, _data = conn.select(quote_mailbox(folder))
    if typ != "OK":
        return 0
    typ, data = conn.uid("SEARCH", None, "BEFORE", f"{before.day}-{_MONTHS[before.month - 1]}-{before.year}")
    uids = data[0].split() if typ == "OK" and data and data[0] else []
    if uids:
        conn.uid("STORE", b",".join(uids), "+FLAGS.SILENT", r"(\Deleted)")
        conn.expunge()
    conn.close()
    return len(uids)


class Command(BaseCommand):
    help = "Record calendar answers (iMIP REPLY/COUNTER) from the IMAP mailbox in IMAP_URL; move handled messages."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=1000, help="handle at most this many messages per run")
        parser.add_argument("--time-limit", type=float, default=50.0,
                            help="start no further message after this many seconds (default 50: one run per minute)")

    def handle(self, *args, limit: int, time_limit: float, **options):
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
            counts = self._run(target, limit, time.monotonic() + time_limit)
        except (imaplib.IMAP4.error, OSError) as exc:
            raise CommandError(f"IMAP: {type(exc).__name__}: {exc}") from exc
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
            lock_file.close()
        self.stdout.write(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "no messages")
        if counts.get("tempfail"):
            sys.exit(EX_TEMPFAIL)

    def _run(self, target: ImapTarget, limit: int, deadline: float) -> dict[str, int]:
        conn = connect(target)
        counts: dict[str, int] = {}
        tally = RefusalTally()

        def count(key: str) -> None:
            counts[key] = counts.get(key, 0) + 1

        try:
            typ, _data = conn.select(quote_mailbox(target.folder))
            if typ != "OK":
                raise CommandError(f"IMAP folder {target.folder!r} cannot be opened.")
            conn.create(quote_mailbox(target.done))  # NO when it exists already: fine
            conn.create(quote_mailbox(target.quarantine))
            can_move = "MOVE" in conn.capabilities
            flagged = False
            messages = _sizes(conn, limit)
            for index, (uid, size, retried) in enumerate(messages):
                if time.monotonic() > deadline:
                    counts["left"] = len(messages) - index  # for the next run
                    break
                raw = _fetch(conn, uid, header_only=True)
                try:
                    result = calendar_reply_receive(raw=raw, source="imap", size=size, tally=tally,
                                                    load=partial(_fetch, conn, uid, header_only=False))
                except (imaplib.IMAP4.error, OSError):
                    raise  # the mailbox's trouble, not the message's: the run stops, the message stays
                except DatabaseError as exc:
                    if not _database_answers():
                        count("tempfail")
                        break  # leave it (and the rest) for the next run
                    if not retried:  # this message, not the database: once more next run, then quarantine
                        logger.warning("Calendar reply %s: %s while the database answers; retried next run",
                                       _message_id(raw), type(exc).__name__)
                        conn.uid("STORE", uid, "+FLAGS.SILENT", f"({RETRY_FLAG})")
                        count("retry")
                        continue
                    flagged = self._quarantine(conn, uid, raw, target, can_move, f"{type(exc).__name__} again on a later run") or flagged
                    count("quarantined")
                    continue
                except Exception as exc:  # a bug met by this message: it must not block the others
                    flagged = self._quarantine(conn, uid, raw, target, can_move, type(exc).__name__) or flagged
                    count("quarantined")
                    continue
                count(result.outcome)
                flagged = _move(conn, uid, target.done, can_move) or flagged
            if flagged:
                conn.expunge()
            conn.close()
            before = timezone.localdate() - dt.timedelta(days=settings.INBOUND_MAIL_KEEP_DAYS)
            purged = {"handled messages": _purge_older(conn, target.done, before),
                      "quarantined messages": _purge_older(conn, target.quarantine, before)}
            if sum(purged.values()):
                counts["purged"] = sum(purged.values())
                self._audit_purge(purged, before)
        finally:
            try:
                conn.logout()
            except (imaplib.IMAP4.error, OSError):
                pass
            try:
                calendar_refusals_record(tally, source="imap")
            except DatabaseError:
                logger.warning("The run's %d unattributed refusals could not be audited", sum(tally.reasons.values()))
        return counts

    @staticmethod
    def _quarantine(conn: imaplib.IMAP4, uid: bytes, raw: bytes, target: ImapTarget, can_move: bool, error: str) -> bool:
        """Move a message that could not be handled to the quarantine folder and audit it (as the
        pipe's quarantine does: digest and kind of error, never its content). Once moved it is
        kept whatever happens to the audit event, which is then only logged. True when EXPUNGE
        is still due."""
        logger.error("Calendar reply %s quarantined: %s", _message_id(raw), error)
        flagged = _move(conn, uid, target.quarantine, can_move)
        try:
            calendar_reply_quarantined_record(raw=raw, source="imap", error=error, where={"folder": target.quarantine})
        except Exception as exc:  # kept in the folder either way; the run goes on
            logger.error("Quarantined calendar reply %s could not be audited: %s", _message_id(raw), type(exc).__name__)
        return flagged

    @staticmethod
    def _audit_purge(purged: dict[str, int], before: dt.date) -> None:
        """One audit event for the run's deletions from the done and quarantine folders."""
        try:
            inbound_mail_purge_record(GATEWAY, source="imap", before=before.isoformat(), deleted=purged)
        except DatabaseError as exc:
            logger.warning("The run's deletion of %d old messages could not be audited: %s",
                           sum(purged.values()), type(exc).__name__)
