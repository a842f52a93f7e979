"""Who is connected to a live protocol: one roster per protocol, kept beside the channel layer.

A joining socket adds itself to the roster, reads the roster once (its first presence list) and
announces itself with ONE group message; members update their list from that message and from
``presence.leave``. Nobody answers a join, so N joins cost N group messages, not N².

Where the roster lives follows the channel layer: with channels-redis a Redis hash
``<prefix>:presence:<group>`` on the layer's own connection pool (shared by every server
process); with the in-memory layer (one process) a dictionary in this process. Each entry carries
the time it was last refreshed; a socket refreshes its own entry every ``HEARTBEAT`` seconds, and
entries older than ``STALE_AFTER`` (a crashed server process never removed its sockets) are
ignored and dropped when read. Only a socket that passed every access check of ``connect`` ever
reads or writes a roster, and a roster holds nothing but the display names the presence list shows.
"""
from __future__ import annotations

import json
import time

HEARTBEAT = 30.0
STALE_AFTER = 3 * HEARTBEAT

# In-memory layer: {(id(layer), group): {channel: entry}}; the layer lives as long as the process.
_LOCAL: dict[tuple[int, str], dict[str, dict]] = {}


def _redis(layer, group: str):
    """(client, key) when the layer is channels-redis, else None."""
    if not hasattr(layer, "connection") or not hasattr(layer, "consistent_hash"):
        return None
    return layer.connection(layer.consistent_hash(group)), f"{layer.prefix}:presence:{group}"


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
