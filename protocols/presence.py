"""Who is connected to a live protocol: one roster per protocol, kept beside the channel layer.

A joining socket adds itself to the roster, reads the roster once (its first presence list) and
announces itself; members update their list from the announcement. Nobody answers a join, and
the joins and leaves of one server process within ``ANNOUNCE_AFTER`` seconds travel as ONE group
message, so N joins cost at most N group messages (far fewer when a conference starts and many
join at once), and each member's browser gets at most one list per ``LIST_EVERY`` seconds.

Where the roster lives follows the channel layer: with channels-redis a Redis hash
``<prefix>:presence:<group>`` on the layer's own connection pool (shared by every server
process; with the pub/sub layer the pool its shard publishes with in this event loop); with the
in-memory layer (one process) a dictionary in this process. Each entry carries
the time it was last refreshed; a socket refreshes its own entry every ``HEARTBEAT`` seconds, and
entries older than ``STALE_AFTER`` (a crashed server process never removed its sockets) are
ignored and dropped when read. Only a socket that passed every access check of ``connect`` ever
reads or writes a roster, and a roster holds nothing but the display names the presence list shows.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time

logger = logging.getLogger(__name__)

HEARTBEAT = 30.0
STALE_AFTER = 3 * HEARTBEAT

# In-memory layer: {(id(layer), group): {channel: entry}}; the layer lives as long as the process.
_LOCAL: dict[tuple[int, str], dict[str, dict]] = {}


def _redis(layer, group: str):
    """(client, key) when the layer is channels-redis, else None."""
    if hasattr(layer, "connection") and hasattr(layer, "consistent_hash"):  # channels_redis.core
        return layer.connection(layer.consistent_hash(group)), f"{layer.prefix}:presence:{group}"
    if hasattr(type(layer), "_get_layer"):  # channels_redis.pubsub: the shard's client of this event loop
        loop_layer = layer._get_layer()
        shard = loop_layer._get_shard(group)
        shard._ensure_redis()  # the pool it publishes with (closed with the loop's layer)
        return shard._redis, f"{loop_layer.prefix}:presence:{group}"
    return None


async def add(layer, group: str, channel: str, *, user_id: int, name: str) -> None:
    """Add or refresh this socket's entry."""
    entry = {"user_id": user_id, "name": name, "at": time.time()}
    redis = _redis(layer, group)
    if redis is None:
        _LOCAL.setdefault((id(layer), group), {})[channel] = entry
        return
    client, key = redis
    async with client.pipeline(transaction=True) as pipe:
        pipe.hset(key, channel, json.dumps(entry))
        pipe.expire(key, int(STALE_AFTER) + 1)  # the whole roster goes when nobody refreshes it
        await pipe.execute()


async def remove(layer, group: str, channel: str) -> None:
    redis = _redis(layer, group)
    if redis is None:
        roster = _LOCAL.get((id(layer), group))
        if roster is not None:
            roster.pop(channel, None)
            if not roster:
                _LOCAL.pop((id(layer), group), None)
        return
    client, key = redis
    await client.hdel(key, channel)


async def roster(layer, group: str) -> dict[str, dict]:
    """{channel: {"user_id", "name"}} of every socket connected to the group, stale entries dropped."""
    now = time.time()
    redis = _redis(layer, group)
    if redis is None:
        entries = dict(_LOCAL.get((id(layer), group), {}))
        stale = []
    else:
        client, key = redis
        entries = {}
        for channel, raw in (await client.hgetall(key)).items():
            try:
                entries[channel.decode() if isinstance(channel, bytes) else channel] = json.loads(raw)
            except ValueError:
                entries[channel] = {"at": 0}
        stale = [c for c, e in entries.items() if now - e.get("at", 0) > STALE_AFTER]
        if stale:
            await client.hdel(key, *stale)
    return {c: {"user_id": e["user_id"], "name": e["name"]} for c, e in entries.items()
            if c not in stale and now - e.get("at", 0) <= STALE_AFTER}


# --- announcing joins and leaves ---------------------------------------------------------------
#
# A join or leave is not sent on its own: the changes of one group in this process during
# ``ANNOUNCE_AFTER`` seconds leave as ONE group message ``presence.changed`` listing them in order.
# When a conference starts and many sockets join at once, each member receives a few messages
# instead of one per join (a group message reaches every member: N single joins are N² deliveries
# in the layer). Members apply the changes and send their browser at most one list per
# ``LIST_EVERY`` seconds (``ProtocolConsumer._presence_changed``).

ANNOUNCE_AFTER = 0.1
LIST_EVERY = 0.5


class _Announcer:
    def __init__(self, loop, layer, group: str) -> None:
        self.loop, self.layer, self.group = loop, layer, group
        self.changes: list[list] = []
        self.timer = None


# {(event loop, id(layer), group): _Announcer}: one per server process and group
_ANNOUNCERS: dict[tuple[int, int, str], _Announcer] = {}


def _announce(layer, group: str, change: list) -> None:
    loop = asyncio.get_running_loop()
    key = (id(loop), id(layer), group)
    announcer = _ANNOUNCERS.get(key)
    if announcer is None or announcer.loop is not loop:  # (a closed loop's id may be reused)
        announcer = _ANNOUNCERS[key] = _Announcer(loop, layer, group)
    announcer.changes.append(change)
    if announcer.timer is None:
        announcer.timer = loop.create_task(_send_later(key, announcer))


async def _send_later(key, announcer: _Announcer) -> None:
    await asyncio.sleep(ANNOUNCE_AFTER)
    _ANNOUNCERS.pop(key, None)  # changes from now on start the next message
    try:
        await announcer.layer.group_send(announcer.group, {"type": "presence.changed", "changes": announcer.changes})
    except Exception:  # a Redis blip: the heartbeat and the next reader's roster still hold the truth
        logger.warning("Could not announce presence in %s", announcer.group, exc_info=True)


def announce_join(layer, group: str, channel: str, *, user_id: int, name: str) -> None:
    _announce(layer, group, ["join", channel, user_id, name])


def announce_leave(layer, group: str, channel: str) -> None:
    _announce(layer, group, ["leave", channel])
