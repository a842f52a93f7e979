"""Where the pipe path (``manage.py receive_mail``) keeps a message it cannot handle, so that it is
neither lost nor retried by the mail server forever: a directory (``INBOUND_MAIL_QUARANTINE_DIR``)
that only the service's user can read, one ``.eml`` file per message, and a ``retry/`` marker per
message that met a database error once (the second time, it is quarantined).

The IMAP path (``fetch_mail``) keeps its quarantine in a mailbox folder instead; both share the
database check and the log form of a Message-ID from here.
"""
from __future__ import annotations

import datetime as dt
import errno
import logging
import os
import re
import stat
from pathlib import Path

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)
_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


def message_id_for_log(raw: bytes) -> str:
    """The Message-ID for a log line: printable ASCII only, at most 200 characters."""
    header = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    found = _MESSAGE_ID.search(header)
    value = found.group(1).decode("ascii", "replace") if found else ""
    return "".join(c for c in value if c.isprintable() and c.isascii()).strip()[:200] or "(none)"


def database_answers() -> bool:
    """Whether the database is reachable now: tells a failing message from a database outage."""
    try:
        if not connection.in_atomic_block:  # closing inside one would leave it unable to reconnect
            connection.close_if_unusable_or_obsolete()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False


def _private_dir(path: Path) -> Path:
    """``path`` as a directory only the service's user can enter (0700). An existing one that
    others may read is tightened when it is ours (logged at WARNING: something made it wider);
    one that belongs to another user, or a symbolic link, is refused with PermissionError (logged
    at ERROR: its owner could list, rename or delete what this service keeps there, and a link
    could point anywhere), and the caller treats it as a directory that cannot be written."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        logger.error("Mail quarantine directory %s is %s: refused; make it a directory of the service's user with "
                     "mode 0700", path, "not a directory (a link?)" if not stat.S_ISDIR(info.st_mode)
                     else f"the directory of user {info.st_uid}, not of this one")
        raise PermissionError(errno.EPERM, "mail quarantine directory is not a directory of ours", str(path))
    if stat.S_IMODE(info.st_mode) & 0o077:
        try:
            os.chmod(path, 0o700)
        except OSError as exc:
            logger.error("Mail quarantine directory %s is open to others (mode %o) and cannot be set to 0700: %s",
                         path, stat.S_IMODE(info.st_mode), type(exc).__name__)
            raise
        logger.warning("Mail quarantine directory %s was open to others (mode %o); set to 0700",
                       path, stat.S_IMODE(info.st_mode))
    return path


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable by the owner only, whole or not at all (temporary name, then rename)."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def store(directory: Path, raw: bytes, *, digest: str, now: dt.datetime) -> Path:
    """Keep the raw message as ``<UTC time>-<digest>.eml``; the same message stored twice keeps
    one file. OSError when the directory cannot be written."""
    path = _private_dir(Path(directory)) / f"{now.astimezone(dt.timezone.utc):%Y%m%dT%H%M%SZ}-{digest[:16]}.eml"
    existing = sorted(Path(directory).glob(f"*-{digest[:16]}.eml"))
    if existing:
        return existing[0]
    _write_private(path, raw)
    return path


def _marker(directory: Path, digest: str) -> Path:
    return Path(directory) / "retry" / digest


def retried_before(directory: Path, digest: str) -> bool:
    """Whether this message met a database error once before; False when that cannot be told (a
    directory the service may not enter, logged at ERROR): the marker's write that follows then
    fails too, and the caller answers "try again later" instead of failing (a bounce)."""
    try:
        return _marker(directory, digest).exists()
    except OSError as exc:
        logger.error("Mail quarantine: cannot look for the retry marker in %s: %s", directory, type(exc).__name__)
        return False


def retry_mark(directory: Path, digest: str) -> None:
    """Remember that this message met a database error once. OSError when it cannot be written."""
    _private_dir(_private_dir(Path(directory)) / "retry")  # the quarantine directory too, when this makes it
    _write_private(_marker(directory, digest), b"")


def retry_clear(directory: Path, digest: str) -> None:
    try:
        _marker(directory, digest).unlink(missing_ok=True)
    except OSError:
        return


def purge(directory: Path, *, before: dt.datetime, dry_run: bool = False) -> dict[str, int]:
    """Delete the quarantined messages and retry markers last written before ``before`` (nothing
    is kept past its time: a message the operator has not looked at within the keeping period is
    forgotten, as the outbox forgets its e-mails). The files (that would be) deleted, counted by
    kind (``messages``, ``retry markers``, ``unfinished files``); kinds with none are left out."""
    root = Path(directory)
    if not root.is_dir():
        return {}
    cutoff = before.timestamp()
    deleted: dict[str, int] = {}
    # ``.*.tmp``: a message half written by a run that was killed before its rename (``_write_private``)
    kinds = (("messages", list(root.glob("*.eml"))), ("unfinished files", list(root.glob(".*.tmp"))),
             ("retry markers", list((root / "retry").glob("*"))))
    for kind, paths in kinds:
        for path in paths:
            try:
                if not path.is_file() or path.stat().st_mtime >= cutoff:
                    continue
                if not dry_run:
                    path.unlink()
                deleted[kind] = deleted.get(kind, 0) + 1
            except FileNotFoundError:
                continue
    return deleted
