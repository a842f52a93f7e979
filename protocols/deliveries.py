"""The audit of items the live channel pushes to sockets: one event per (socket's user, item)
delivered, exactly what a delivery used to write, but written together.

A changed item fanned out to N sockets used to cost N audit writes, each on the case's audit
chain (so they ran one after another under the chain head's lock) and each in the server
process's single database thread, before the socket could send. Now a socket decides whether
its user may read the item (``ProtocolConsumer._may_read``, the policy for the rest), sends it,
and hands the delivery here; the deliveries of this server process land in one batch, written by
``permissions.audit.record_many`` in a constant number of statements (lock the chain head, one
INSERT, advance the head) once no socket has added to it for ``QUIET_FOR`` seconds (the fan-out
is over), and at the latest ``FLUSH_AFTER`` seconds after its first delivery. Written after the
fan-out, not in the middle of it: the write holds the interpreter for tens of milliseconds at a
few hundred deliveries, and every socket still waiting for its frame waited for it
(``bench/ws_fanout.py``, issue 13). The data protection officer reads the same events as before:
action ``protocol.item.read``, channel websocket, the reader as actor, the item as object, the
basis it was released under.

Trade-off, stated: the event is written up to ``FLUSH_AFTER`` seconds after the frame left,
not before it. A server process that dies in between loses those records (a failed write is
logged at ERROR with every (user, item) it could not record). A socket that closes flushes at
once, so a test or a shutdown that closes its sockets loses nothing.
"""
from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass

from channels.db import database_sync_to_async

from permissions.audit import Channel, record_many

logger = logging.getLogger(__name__)

QUIET_FOR = 0.05  # a batch is written once no delivery has joined it for this long ...
FLUSH_AFTER = 0.5  # ... and at the latest this long after its first delivery


@dataclass(frozen=True)
class Delivery:
    user: object
    item_id: int
    case_id: int | None
    basis: str


def write(deliveries: list[Delivery]) -> None:
    """One audit event per delivery, all in one ``record_many`` (constant statements per case)."""
    record_many(
        {"actor": d.user, "action": "protocol.item.read", "object_type": "protocols.protocolitem",
         "object_id": d.item_id, "case_id": d.case_id, "channel": Channel.WEBSOCKET, "legal_basis": d.basis}
        for d in deliveries
    )


class _Batch:
    """The deliveries waiting in one event loop (one per server process; tests open several)."""

    def __init__(self) -> None:
        self.pending: list[Delivery] = []
        self.timer: asyncio.Task | None = None
        self.lock = asyncio.Lock()
        self.first = self.last = 0.0  # event-loop times of the first and the latest delivery waiting

    async def _later(self) -> None:
        loop = asyncio.get_running_loop()
        while (wait := min(self.last + QUIET_FOR, self.first + FLUSH_AFTER) - loop.time()) > 0:
            await asyncio.sleep(wait)
        self.timer = None
        await self.flush()

    async def flush(self) -> None:
        async with self.lock:  # one write at a time per process: batches stay in order
            batch, self.pending = self.pending, []
            if not batch:
                return
            try:
                await database_sync_to_async(write)(batch)
            except Exception:
                logger.exception("Audit of %d live deliveries NOT written: %s", len(batch),
                                 ", ".join(f"user {getattr(d.user, 'pk', d.user)} item {d.item_id}" for d in batch))


_batches: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Batch]" = weakref.WeakKeyDictionary()


def _batch() -> _Batch:
    loop = asyncio.get_running_loop()
    batch = _batches.get(loop)
    if batch is None:
        batch = _batches[loop] = _Batch()
    return batch


def note(user, *, item_id: int, case_id: int | None, basis: str) -> None:
    """Record that ``item_id`` was just sent to a socket of ``user`` (under ``basis``)."""
    batch = _batch()
    batch.pending.append(Delivery(user, item_id, case_id, basis))
    loop = asyncio.get_running_loop()
    batch.last = loop.time()
    if batch.timer is None:
        batch.first = batch.last
        batch.timer = loop.create_task(batch._later())


async def flush() -> None:
    """Write what is waiting now (a socket closing; tests)."""
    await _batch().flush()
