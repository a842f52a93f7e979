"""Writing audit events. Every service and selector that discloses case data calls ``record``."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
from pathlib import Path
from typing import Any, Iterable

from django.conf import settings
from django.db import DatabaseError, models, transaction
from django.utils import timezone

from .models import AuditChain, AuditChainHead, AuditEvent
from .requests import current_request_id

Channel = AuditEvent.Channel
LEGAL_BASIS_MAX = 255
JOURNAL_PREFIX = "audit-journal-"
logger = logging.getLogger(__name__)


def _chain_key(case_id: int | None, at) -> str:
    return f"case:{case_id}" if case_id else f"day:{at.date().isoformat()}"


class UnknownKey(Exception):
    """Something was keyed under a key id that is not configured (any more)."""


def audit_keys() -> dict[str, bytes]:
    """The configured audit keys by id, newest first: ``AUDIT_HMAC_KEYS`` (named, for rotation),
    then ``AUDIT_HMAC_KEY`` under the empty id (everything written before keys had names)."""
    keys = {key_id: secret.encode() for key_id, secret in settings.AUDIT_HMAC_KEYS.items()}
    if settings.AUDIT_HMAC_KEY:
        keys.setdefault("", settings.AUDIT_HMAC_KEY.encode())
    return keys


def current_key_id() -> str:
    """The id of the key that keys new events, chains and anchors: the first one configured."""
    return next(iter(audit_keys()))


def _key(key_id: str | None = None) -> bytes:
    keys = audit_keys()
    key_id = current_key_id() if key_id is None else key_id
    if key_id not in keys:
        raise UnknownKey(key_id)
    return keys[key_id]


def mac(*parts: object, key_id: str | None = None) -> str:
    """HMAC-SHA256 under an audit key (``key_id``; default the current one). The keys come from the
    environment and are never stored in the database: whoever can write the database but not read
    the key cannot forge it."""
    message = json.dumps([str(p) for p in parts], separators=(",", ":"))
    return hmac.new(_key(key_id), message.encode(), hashlib.sha256).hexdigest()


def chain_mac(chain_key: str, legacy_until: int = 0, legacy_hash: str = "", *, key_id: str | None = None) -> str:
    return mac("chain", chain_key, legacy_until, legacy_hash, key_id=key_id)


def _payload(event: AuditEvent) -> bytes:
    return json.dumps(
        [
            event.chain_key, event.position, event.at.isoformat(), event.actor_id, event.actor_label,
            event.action, event.object_type, event.object_id, event.case_id, event.channel,
            event.legal_basis, event.detail, event.prev_hash,
        ],
        sort_keys=True, separators=(",", ":"), default=str,
    ).encode()


def event_hash(event: AuditEvent, *, legacy: bool = False) -> str:
    """The event's link in its chain: HMAC-SHA256 of its content and its predecessor's hash under
    the audit key. ``legacy``: plain SHA-256, as events were hashed before keying (only for the
    sealed beginning of chains that existed then, see ``AuditChain``)."""
    if legacy:
        return hashlib.sha256(_payload(event)).hexdigest()
    return hmac.new(_key(event.key_id), _payload(event), hashlib.sha256).hexdigest()



# What the trail calls the models that moved to ``cases`` (issue 14): events keep naming them as
# before the move, so that one name covers old and new events wherever the trail is filtered (the
# family's log, the officer's search, the explicit names in views and viewsets).
STABLE_OBJECT_TYPES = {
    "cases.case": "conferences.case",
    "cases.caseteammember": "conferences.caseteammember",
    "cases.legalhold": "conferences.legalhold",
    "cases.familymember": "participants.familymember",
    "cases.consent": "participants.consent",
    "cases.consentscope": "participants.consentscope",
    "cases.disclosurebasis": "participants.disclosurebasis",
}

def record(
    actor,
    *,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    case_id: int | None = None,
    channel: str = Channel.PAGE,
    legal_basis: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to its chain (the case's, or the day's for events without a case)."""
    if obj is not None:
        object_type = object_type or STABLE_OBJECT_TYPES.get(obj._meta.label_lower, obj._meta.label_lower)
        object_id = object_id or obj.pk
    at = timezone.now()
    key = _chain_key(case_id, at)
    request_id = current_request_id()
    if request_id:  # the same id as in the response header and the log lines of this request
        detail = {**(detail or {}), "request_id": request_id}
    user = actor if getattr(actor, "is_authenticated", False) else None

    def link(position: int, prev_hash: str) -> AuditEvent:
        event = AuditEvent(
            chain_key=key, position=position, at=at,
            actor=user, actor_label=(user.get_username() if user else str(actor or "anonymous"))[:150],
            action=action, object_type=object_type, object_id=str(object_id), case_id=case_id,
            channel=channel, legal_basis=legal_basis[:LEGAL_BASIS_MAX], detail=detail or {}, prev_hash=prev_hash,
            key_id=current_key_id(),
        )
        event.hash = event_hash(event)
        return event

    # Outside a transaction (a read of a page or list): two statements, no BEGIN/COMMIT, no
    # savepoint -- read the head, then insert the event only if the head is still what was read
    # (``_append_if_head``). Inside a caller's transaction: lock and read the chain head, insert the
    # event (a failed audit write must fail the caller's whole change anyway, so no savepoint).
    # Either way the database advances the head to the inserted event in the insert's own
    # statement (trigger of migration 0014); the head's creation costs more, once per chain.
    # Locking one head row serialises writers of that chain only, so per-chain order holds and
    # other chains (cases, days) run in parallel.
    event = _append_unlocked(key, link) if transaction.get_connection().get_autocommit() else None
    if event is None:
        with transaction.atomic(savepoint=False):
            heads = AuditChainHead.objects.select_for_update()
            head = heads.filter(chain_key=key).first()
            if head is None:
                AuditChainHead.objects.get_or_create(chain_key=key)  # savepoint-protected against a racing creator
                key_id = current_key_id()
                AuditChain.objects.get_or_create(chain_key=key, defaults={"mac": chain_mac(key, key_id=key_id), "key_id": key_id})
                head = heads.get(chain_key=key)
            event = link(head.position + 1, head.hash)
            event.save()  # the trigger moves the head to (event.position, event.hash)
    if settings.AUDIT_HEAD_JOURNAL:
        transaction.on_commit(lambda: journal_head(key, event.position, event.hash, at))
    return event


UNLOCKED_ATTEMPTS = 3


def _append_unlocked(key: str, link) -> AuditEvent | None:
    """Append an event to an existing chain in autocommit mode with two statements: read the head,
    then insert the event linked to it in ONE statement that inserts only while the head still
    names the position and hash it was linked to (``_append_if_head``). A writer that came in
    between (another request on the same case) makes the insert a no-op; the head is read again
    (at most ``UNLOCKED_ATTEMPTS`` times). Returns None when the chain has no head yet or the
    attempts ran out: the caller then takes the head's row lock in a transaction as before.

    Why this keeps the chain: a head row (position p, hash h) is only ever written in the same
    transaction as the event p with hash h (the trigger of migration 0014, ``record_many``), so an
    event linked to (p, h) that is inserted while the head still says (p, h) follows exactly the
    chain's last event. On PostgreSQL the insert locks the head row first (``FOR UPDATE`` in the
    same statement): it waits for a writer that holds the lock and then re-reads the head's newest
    version, so no other event can be appended between the check and the insert, and the trigger
    moves the head under that lock. On SQLite the statement is its own write transaction; a
    concurrent writer makes it fail (``database is locked``), and the caller takes the locked path.
    The (chain, position) unique constraint stays the last guard on both."""
    connection = transaction.get_connection()  # the connection ``record``'s locked path writes on
    using = connection.alias
    if connection.vendor not in ("postgresql", "sqlite"):
        return None
    for _ in range(UNLOCKED_ATTEMPTS):
        head = AuditChainHead.objects.using(using).filter(chain_key=key).values_list("position", "hash").first()
        if head is None:
            return None
        event = link(head[0] + 1, head[1])
        try:
            pk = _append_if_head(connection, event, head)
        except DatabaseError:
            if connection.vendor != "sqlite" or not connection.get_autocommit():
                raise
            return None  # SQLite: another writer held the database; take the locked path
        if pk is not None:
            event.pk = pk
            event._state.adding = False
            event._state.db = using
            return event
    return None


def _append_if_head(connection, event: AuditEvent, head: tuple[int, str]) -> int | None:
    """INSERT the event if the chain's head is still ``head`` (position, hash); its id, or None."""
    qn = connection.ops.quote_name
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(qn(f.column) for f in fields)
    if connection.vendor == "postgresql":  # parameters of a SELECT list need their column's type
        values = ", ".join(f"CAST(%s AS {f.cast_db_type(connection)})" for f in fields)
    else:  # SQLite: no cast (CAST(... AS datetime) would take the numeric affinity)
        values = ", ".join("%s" for _ in fields)
    params = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields]
    head_table = qn(AuditChainHead._meta.db_table)
    check = f"{qn('chain_key')} = %s AND {qn('position')} = %s AND {qn('hash')} = %s"
    if connection.vendor == "postgresql":
        sql = (f"WITH head AS (SELECT 1 FROM {head_table} WHERE {check} FOR UPDATE) "
               f"INSERT INTO {qn(AuditEvent._meta.db_table)} ({columns}) SELECT {values} FROM head RETURNING {qn('id')}")
        params = [event.chain_key, head[0], head[1], *params]
    else:
        sql = (f"INSERT INTO {qn(AuditEvent._meta.db_table)} ({columns}) SELECT {values} "
               f"WHERE EXISTS (SELECT 1 FROM {head_table} WHERE {check}) RETURNING {qn('id')}")
        params = [*params, event.chain_key, head[0], head[1]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def record_many(entries: Iterable[dict[str, Any]]) -> list[AuditEvent]:
    """Append several events at once, each exactly as ``record`` would write it (one event per
    entry: ``actor`` plus ``record``'s keyword arguments except ``obj``), in a constant number of
    statements per chain however many entries there are: lock the chain head, insert the chain's
    events in one ``INSERT``, advance the head once. Entries of one chain keep their order; all get
    the same time (now). For writers that collect many small reads and write them together, such
    as the live channel's deliveries (``protocols.deliveries``)."""
    at = timezone.now()
    request_id = current_request_id()
    by_chain: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        by_chain.setdefault(_chain_key(entry.get("case_id"), at), []).append(entry)
    written: list[AuditEvent] = []
    heads_written: list[tuple[str, int, str]] = []
    with transaction.atomic(savepoint=False):
        for key, chain_entries in by_chain.items():
            heads = AuditChainHead.objects.select_for_update()
            head = heads.filter(chain_key=key).first()
            if head is None:
                AuditChainHead.objects.get_or_create(chain_key=key)
                key_id = current_key_id()
                AuditChain.objects.get_or_create(chain_key=key, defaults={"mac": chain_mac(key, key_id=key_id), "key_id": key_id})
                head = heads.get(chain_key=key)
            position, prev_hash, events = head.position, head.hash, []
            for entry in chain_entries:
                actor = entry.get("actor")
                user = actor if getattr(actor, "is_authenticated", False) else None
                detail = dict(entry.get("detail") or {})
                if request_id:
                    detail["request_id"] = request_id
                position += 1
                event = AuditEvent(
                    chain_key=key, position=position, at=at,
                    actor=user, actor_label=(user.get_username() if user else str(actor or "anonymous"))[:150],
                    action=entry["action"], object_type=entry.get("object_type", ""), object_id=str(entry.get("object_id", "")),
                    case_id=entry.get("case_id"), channel=entry.get("channel", Channel.PAGE),
                    legal_basis=(entry.get("legal_basis") or "")[:LEGAL_BASIS_MAX], detail=detail, prev_hash=prev_hash,
                    key_id=current_key_id(),
                )
                event.hash = prev_hash = event_hash(event)
                events.append(event)
            AuditEvent.objects.bulk_create(events)
            AuditChainHead.objects.filter(chain_key=key).update(position=position, hash=prev_hash)
            written += events
            heads_written.append((key, position, prev_hash))
    if settings.AUDIT_HEAD_JOURNAL:
        for key, position, digest in heads_written:
            transaction.on_commit(lambda key=key, position=position, digest=digest: journal_head(key, position, digest, at))
    return written


def journal_line(chain_key: str, position: int, digest: str, key_id: str | None = None) -> str:
    key_id = current_key_id() if key_id is None else key_id
    return json.dumps({"c": chain_key, "p": position, "h": digest, "k": key_id,
                       "m": mac("head", chain_key, position, digest, key_id=key_id)}, separators=(",", ":"))


def journal_head(chain_key: str, position: int, digest: str, at) -> None:
    """Append a committed chain head to the hour's journal outside the database (see
    ``permissions.anchors``). One O_APPEND write per event; a failure is logged loudly, never
    raised: the event is committed, and the next anchor still covers it."""
    path = Path(settings.AUDIT_ANCHOR_DIR) / f"{JOURNAL_PREFIX}{at.astimezone(dt.timezone.utc):%Y%m%dT%H}.log"
    try:
        line = (journal_line(chain_key, position, digest) + "\n").encode()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    except OSError:
        logger.exception("audit head journal not written: %s", path)


def joined_bases(bases: Iterable[str]) -> str:
    """Several legal bases as an event's ``legal_basis`` holds them: each distinct code once, sorted,
    separated by single spaces (the officer's filter and ``audit_labels`` read them so); an element
    may itself hold several (``"consent:4 consent:9"``)."""
    return " ".join(sorted({part for basis in bases for part in basis.split()}))


def record_read(
    actor,
    *,
    action: str,
    object_type: str,
    rows: Iterable[tuple[int, int | None]],
    bases: dict[int, str] | None = None,
    many: bool = True,
    channel: str,
    legal_basis: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent | None:
    """Record one read of case content: ``rows`` are the (id, case id) pairs the reader received,
    ``bases`` the legal basis each was released under (``protocols.policy.disclosure_bases_for_items`` /
    ``cases.policy.case_bases``). A list is ONE event naming the ids it returned, never one per row, so
    a read costs the same few statements however long the list is. An empty list discloses
    nothing and is not recorded.

    The event's ``legal_basis`` holds every distinct basis, separated by single spaces
    (e.g. ``"team consent:4"``), so the data-protection officer can filter by basis; when a list
    was released under more than one basis, ``detail["bases"]`` says which ids under which. One
    row may need two (``"consent:4 consent:9"``: a relabelled item, its labels and its first ones)."""
    rows = list(rows)
    if not rows:
        return None
    ids = [pk for pk, _ in rows]
    cases = sorted({case for _, case in rows if case})
    by_basis: dict[str, list[int]] = {}
    for pk in ids:
        if bases and bases.get(pk):
            by_basis.setdefault(bases[pk], []).append(pk)
    info = dict(detail or {})
    if many:
        info["ids"] = ids
    if len(cases) > 1:
        info["cases"] = cases
    if len(by_basis) > 1:
        info["bases"] = by_basis
    return record(
        actor, action=action, object_type=object_type, object_id="" if many else ids[0],
        case_id=cases[0] if len(cases) == 1 else None, channel=channel,
        legal_basis=legal_basis or joined_bases(by_basis), detail=info,
    )


# --- verification ------------------------------------------------------------------------------

from dataclasses import dataclass  # noqa: E402


@dataclass(frozen=True)
class BrokenLink:
    chain_key: str
    position: int
    event_id: int | None
    reason: str

    def __str__(self) -> str:
        return f"chain {self.chain_key}, position {self.position} (event id {self.event_id}): {self.reason}"


def chain_start(chain_key: str) -> tuple[int, str]:
    """Position and hash the chain's first stored event must follow: the genesis (0, zeros), or
    the newest retention checkpoint when older events were pruned (``operations.retention``)."""
    from .models import AuditCheckpoint

    checkpoint = AuditCheckpoint.objects.filter(chain_key=chain_key).order_by("-position").first()
    return (checkpoint.position, checkpoint.hash) if checkpoint else (0, "0" * 64)


def verify_chain(chain_key: str, *, upto: int | None = None) -> BrokenLink | None:
    """Walk one chain from its start (or its retention checkpoint); return its first broken link,
    or None when it is intact. ``upto``: check only the events up to that position.

    Checks: the chain is in the registry and its entry is genuine; positions have no gap; each
    event points to its predecessor's hash; each hash is the keyed hash of the event's content
    (plain SHA-256 only for a chain's sealed pre-keying beginning, whose last hash the registry
    seals under the key); the head matches the last event."""
    registry = AuditChain.objects.filter(chain_key=chain_key).first()
    if registry is None:
        return BrokenLink(chain_key, 0, None, "the chain is not in the registry of chains")
    try:
        genuine = hmac.compare_digest(registry.mac, chain_mac(chain_key, registry.legacy_until, registry.legacy_hash,
                                                              key_id=registry.key_id))
    except UnknownKey:
        return BrokenLink(chain_key, 0, None, f"its registry entry is keyed under '{registry.key_id}', a key that is not configured")
    if not genuine:
        return BrokenLink(chain_key, 0, None, "its registry entry was altered")
    start, prev_hash = chain_start(chain_key)
    expected_position, last = start + 1, None
    events = AuditEvent.objects.filter(chain_key=chain_key, position__gt=start)
    if upto is not None:
        events = events.filter(position__lte=upto)
    for event in events.order_by("position").iterator(chunk_size=2000):
        if event.position != expected_position:
            return BrokenLink(chain_key, expected_position, event.pk, f"position {expected_position} is missing (next is {event.position})")
        if event.prev_hash != prev_hash:
            return BrokenLink(chain_key, event.position, event.pk, "does not point to its predecessor's hash")
        legacy = event.position <= registry.legacy_until
        try:
            digest = event_hash(event, legacy=legacy)
        except UnknownKey:
            return BrokenLink(chain_key, event.position, event.pk,
                              f"keyed under '{event.key_id}', a key that is not configured: keep retired keys in AUDIT_HMAC_KEYS")
        if not hmac.compare_digest(digest, event.hash):
            return BrokenLink(chain_key, event.position, event.pk, "content does not match its hash (altered)")
        if legacy and event.position == registry.legacy_until and event.hash != registry.legacy_hash:
            return BrokenLink(chain_key, event.position, event.pk, "the sealed beginning of the chain was rewritten")
        prev_hash, expected_position, last = event.hash, expected_position + 1, event
    if upto is not None:
        if last is None or last.position != upto:
            return BrokenLink(chain_key, expected_position, None, f"position {expected_position} is missing")
        return None
    head = AuditChainHead.objects.filter(chain_key=chain_key).first()
    if head is None:
        gone = "the chain's head and all its events are gone (deleted)" if last is None else "the chain's head is gone"
        return BrokenLink(chain_key, expected_position, None, gone)
    if last is not None and (head.position != last.position or head.hash != last.hash):
        return BrokenLink(chain_key, head.position, None, f"chain ends at position {last.position} but its head says {head.position} (events removed at the end)")
    if last is None and (head.position, head.hash) != (start, prev_hash):
        return BrokenLink(chain_key, start + 1, None, "every event of the chain is gone" if not start else "every event after the retention checkpoint is gone")
    if last is None and not start:
        return BrokenLink(chain_key, 1, None, "the chain is registered but has no events (deleted)")
    return None


def verify_all() -> list[BrokenLink]:
    """The first broken link of every broken chain (an empty list means the trail is intact)."""
    from .models import AuditCheckpoint

    keys = set(AuditEvent.objects.order_by().values_list("chain_key", flat=True).distinct())
    keys |= set(AuditChainHead.objects.values_list("chain_key", flat=True))
    keys |= set(AuditCheckpoint.objects.order_by().values_list("chain_key", flat=True).distinct())
    keys |= set(AuditChain.objects.values_list("chain_key", flat=True))
    return [broken for key in sorted(keys) if (broken := verify_chain(key)) is not None]
