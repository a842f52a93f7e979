"""Signed checkpoints of every audit chain's head, kept outside the database.

The hash chains prove that no event *inside* a chain was changed. They cannot prove on their own
that nobody cut a chain's newest events and moved its head back, or deleted a whole chain with its
registry entry: the database holds everything such a rewrite needs. So at intervals
(``manage.py anchor_audit``, every 15 minutes in the deploy timers) the position and hash of every
chain head are written, with an HMAC under the audit key, to a file in ``AUDIT_ANCHOR_DIR`` — a
place the database user cannot change (another OS user's directory, an append-only mount, a folder
synced to the data-protection officer). ``verify_audit`` compares the trail with the newest anchor:
every anchored chain must still be registered, reach at least the anchored position, and hold the
anchored hash there. Between anchors, the application appends each committed chain head to an
hourly journal in the same directory (``audit.journal_head``, ``AUDIT_HEAD_JOURNAL``), and
``verify_audit`` checks the journal lines written since the newest anchor the same way, so cutting
the newest events is detected at once instead of after the next anchor.
"""
from __future__ import annotations

import datetime as dt
import hmac
import json
import os
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from permissions import audit
from permissions.models import AuditChain, AuditChainHead, AuditCheckpoint, AuditEvent

PREFIX = "audit-anchor-"


def _signature(body: dict, key_id: str | None = None) -> str:
    return audit.mac("anchor", json.dumps(body, sort_keys=True, separators=(",", ":")), key_id=key_id)


def anchor_dir() -> Path:
    return Path(settings.AUDIT_ANCHOR_DIR)


def write_anchor(directory: Path | None = None) -> Path:
    """Write one signed anchor of every chain head; the file is created exclusively and read-only."""
    directory = Path(directory or anchor_dir())
    directory.mkdir(parents=True, exist_ok=True)
    now = timezone.now()
    body = {
        "created_at": now.isoformat(),
        "chains": {head.chain_key: [head.position, head.hash] for head in AuditChainHead.objects.order_by("chain_key")},
    }
    path = directory / f"{PREFIX}{now:%Y%m%dT%H%M%S%fZ}.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    with os.fdopen(fd, "w") as handle:
        key_id = audit.current_key_id()
        json.dump({"body": body, "signature": _signature(body, key_id), "key_id": key_id}, handle, sort_keys=True)
    return path


def newest_anchor(directory: Path | None = None) -> Path | None:
    directory = Path(directory or anchor_dir())
    if not directory.is_dir():
        return None
    files = sorted(directory.glob(f"{PREFIX}*.json"))
    return files[-1] if files else None


def verify_against_anchor(path: Path) -> list[audit.BrokenLink]:
    """What the trail lost or changed since the anchor in ``path`` was written (empty: nothing)."""
    body, broken = _read_anchor(path)
    if broken:
        return broken
    return _check_heads({key: (position, digest) for key, (position, digest) in body.get("chains", {}).items()},
                        f"anchored in {path.name}")


def _read_anchor(path: Path) -> tuple[dict, list[audit.BrokenLink]]:
    try:
        document = json.loads(path.read_text())
        body, signature, key_id = document["body"], document["signature"], str(document.get("key_id", ""))
    except (OSError, ValueError, KeyError, TypeError):
        return {}, [audit.BrokenLink(f"anchor {path.name}", 0, None, "the anchor file cannot be read")]
    try:
        expected = _signature(body, key_id)
    except audit.UnknownKey:
        return {}, [audit.BrokenLink(f"anchor {path.name}", 0, None, f"the anchor is signed under '{key_id}', a key that is not configured")]
    if not hmac.compare_digest(str(signature), expected):
        return {}, [audit.BrokenLink(f"anchor {path.name}", 0, None, "the anchor's signature does not match (forged or altered)")]
    return body, []


def _check_heads(heads: dict[str, tuple[int, str]], source: str) -> list[audit.BrokenLink]:
    """Every chain head known outside the database must still be registered, and its event must
    still be there with the same hash (unless retention pruned it behind a checkpoint)."""
    registered = set(AuditChain.objects.filter(chain_key__in=list(heads)).values_list("chain_key", flat=True))
    pruned_to = {}
    for key, position in AuditCheckpoint.objects.filter(chain_key__in=list(heads)).values_list("chain_key", "position"):
        pruned_to[key] = max(position, pruned_to.get(key, 0))
    broken = []
    for key, (position, digest) in sorted(heads.items()):
        if key not in registered:
            broken.append(audit.BrokenLink(key, position, None, f"the chain was {source} but is gone"))
            continue
        if position == 0 or position <= pruned_to.get(key, 0):
            continue
        event = AuditEvent.objects.filter(chain_key=key, position=position).only("pk", "hash").first()
        if event is None:
            broken.append(audit.BrokenLink(key, position, None, f"position {position}, {source}, is gone (events removed at the end)"))
        elif event.hash != digest:
            broken.append(audit.BrokenLink(key, position, event.pk, f"its hash differs from the one {source} (rewritten)"))
    return broken


def journal_files(directory: Path | None = None, *, since: dt.datetime | None = None) -> list[Path]:
    """The hourly head journals, oldest first; with ``since``, only those of that hour and later."""
    directory = Path(directory or anchor_dir())
    if not directory.is_dir():
        return []
    files = sorted(directory.glob(f"{audit.JOURNAL_PREFIX}*.log"))
    if since is not None:
        first = f"{audit.JOURNAL_PREFIX}{since.astimezone(dt.timezone.utc):%Y%m%dT%H}.log"
        files = [f for f in files if f.name >= first]
    return files


def journal_heads(files: list[Path]) -> tuple[dict[str, tuple[int, str]], list[audit.BrokenLink]]:
    """The newest journaled head of each chain; a line that is not genuine is a broken link."""
    heads: dict[str, tuple[int, str]] = {}
    broken = []
    for path in files:
        for number, raw in enumerate(path.read_text().splitlines(), start=1):
            where = f"journal {path.name}, line {number}"
            try:
                line = json.loads(raw)
                key, position, digest, key_id = str(line["c"]), int(line["p"]), str(line["h"]), str(line["k"])
                genuine = hmac.compare_digest(str(line["m"]), audit.mac("head", key, position, digest, key_id=key_id))
            except audit.UnknownKey:
                broken.append(audit.BrokenLink(where, 0, None, "keyed under a key that is not configured"))
                continue
            except (ValueError, KeyError, TypeError):
                broken.append(audit.BrokenLink(where, 0, None, "the line cannot be read"))
                continue
            if not genuine:
                broken.append(audit.BrokenLink(where, 0, None, "the line's signature does not match (forged or altered)"))
            elif position > heads.get(key, (-1, ""))[0]:
                heads[key] = (position, digest)
    return heads, broken


def verify_trail(directory: Path | None = None) -> list[audit.BrokenLink]:
    """Every chain in the database; the trail against the newest anchor outside it; and against
    the head journal written since that anchor (so the newest events are covered at once)."""
    broken = audit.verify_all()
    seen = {link.chain_key for link in broken}
    anchor = newest_anchor(directory)
    since = None
    if anchor is not None:
        body, problems = _read_anchor(anchor)
        broken += problems
        if not problems:
            broken += [link for link in verify_against_anchor(anchor) if link.chain_key not in seen]
            since = dt.datetime.fromisoformat(body["created_at"])
    seen = {link.chain_key for link in broken}
    heads, problems = journal_heads(journal_files(directory, since=since))
    broken += problems
    broken += [link for link in _check_heads(heads, "journaled") if link.chain_key not in seen]
    return broken


def anchor_created_at(path: Path):
    """When the anchor in ``path`` was written (its ``created_at``), or None when unreadable."""
    try:
        return dt.datetime.fromisoformat(str(json.loads(path.read_text())["body"]["created_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def verify_and_record(actor, *, channel: str, directory: Path | None = None) -> list[audit.BrokenLink]:
    """``verify_trail``, its result written as an ``audit.verify`` event, so the data-protection
    officer's dashboard shows when the trail was last verified, how, and whether it held: on her
    request (the dashboard's button) and by the scheduled ``verify_audit`` command alike."""
    broken = verify_trail(directory)
    record_verification(actor, broken=broken, channel=channel, directory=directory)
    return broken


def record_verification(actor, *, broken: list[audit.BrokenLink], channel: str, directory: Path | None = None):
    anchor = newest_anchor(directory)
    return audit.record(actor, action="audit.verify", object_type="permissions.auditchain", channel=channel, legal_basis="dpo",
                        detail={"intact": not broken, "broken": [str(link) for link in broken[:20]],
                                "broken_count": len(broken), "anchor": anchor.name if anchor else ""})
