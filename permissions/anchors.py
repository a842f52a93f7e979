"""Signed checkpoints of every audit chain's head, kept outside the database.

The hash chains prove that no event *inside* a chain was changed. They cannot prove on their own
that nobody cut a chain's newest events and moved its head back, or deleted a whole chain with its
registry entry: the database holds everything such a rewrite needs. So at intervals
(``manage.py anchor_audit``, every 15 minutes in the deploy timers) the position and hash of every
chain head are written, with an HMAC under the audit key, to a file in ``AUDIT_ANCHOR_DIR`` — a
place the database user cannot change (another OS user's directory, an append-only mount, a folder
synced to the data-protection officer). ``verify_audit`` compares the trail with the newest anchor:
every anchored chain must still be registered, reach at least the anchored position, and hold the
anchored hash there. Events written after the newest anchor are protected by the database alone
until the next anchor is written.
"""
from __future__ import annotations

import hmac
import json
import os
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from permissions import audit
from permissions.models import AuditChain, AuditChainHead, AuditCheckpoint, AuditEvent

PREFIX = "audit-anchor-"


def _signature(body: dict) -> str:
    return audit.mac("anchor", json.dumps(body, sort_keys=True, separators=(",", ":")))


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
        json.dump({"body": body, "signature": _signature(body)}, handle, sort_keys=True)
    return path


def newest_anchor(directory: Path | None = None) -> Path | None:
    directory = Path(directory or anchor_dir())
    if not directory.is_dir():
        return None
    files = sorted(directory.glob(f"{PREFIX}*.json"))
    return files[-1] if files else None


def verify_against_anchor(path: Path) -> list[audit.BrokenLink]:
    """What the trail lost or changed since the anchor in ``path`` was written (empty: nothing)."""
    try:
        document = json.loads(path.read_text())
        body, signature = document["body"], document["signature"]
    except (OSError, ValueError, KeyError, TypeError):
        return [audit.BrokenLink(f"anchor {path.name}", 0, None, "the anchor file cannot be read")]
    if not hmac.compare_digest(str(signature), _signature(body)):
        return [audit.BrokenLink(f"anchor {path.name}", 0, None, "the anchor's signature does not match (forged or altered)")]
    anchored = body.get("chains", {})
    registered = set(AuditChain.objects.filter(chain_key__in=list(anchored)).values_list("chain_key", flat=True))
    pruned_to = {}
    for key, position in AuditCheckpoint.objects.filter(chain_key__in=list(anchored)).values_list("chain_key", "position"):
        pruned_to[key] = max(position, pruned_to.get(key, 0))
    broken = []
    for key, (position, digest) in sorted(anchored.items()):
        if key not in registered:
            broken.append(audit.BrokenLink(key, position, None, f"the chain was anchored in {path.name} but is gone"))
            continue
        if position == 0 or position <= pruned_to.get(key, 0):
            continue
        event = AuditEvent.objects.filter(chain_key=key, position=position).only("pk", "hash").first()
        if event is None:
            broken.append(audit.BrokenLink(key, position, None, f"position {position}, anchored in {path.name}, is gone (events removed at the end)"))
        elif event.hash != digest:
            broken.append(audit.BrokenLink(key, position, event.pk, f"its hash differs from the one anchored in {path.name} (rewritten)"))
    return broken


def verify_trail(directory: Path | None = None) -> list[audit.BrokenLink]:
    """Every chain in the database, and the trail against the newest anchor outside it."""
    broken = audit.verify_all()
    anchor = newest_anchor(directory)
    if anchor is not None:
        seen = {link.chain_key for link in broken}
        broken += [link for link in verify_against_anchor(anchor) if link.chain_key not in seen]
    return broken
