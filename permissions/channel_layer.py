"""The channel layers, made to fail closed where a socket would otherwise miss a message silently:
the socket is closed (1011) and its browser reconnects; the live protocol page (``live.js``) then
catches up with ``sync``, which re-reads what she may see now.

**CoreChannelLayer** (``CHANNELS_REDIS_LAYER=core``, the default) is ``channels_redis.core.RedisChannelLayer``
with one change: a socket's buffer in its server process. The process pops a message and puts it
into the buffer of each of its sockets the message names; a socket takes from its buffer when it
is ready for the next message. A buffer holds ``capacity`` messages; when a socket has not taken
any while that many more arrived for it (it waits on a slow database read, say), channels-redis
drops the OLDEST message to make room, silently. That message could be the ``access.changed``
that tells the socket a consent was withdrawn: the socket would go on deciding later items by
what she could read before. Here a full buffer is emptied and holds ``channel_layer.lost``
instead, so the socket closes (``LiveSessionMixin.channel_layer_lost``) instead of going on
without the message.

The queue in Redis that a server process pops from keeps each message for ``expiry`` (60 s);
channels-redis then drops it, silently. The process pops whenever one of its sockets waits for its
next message, so a message can only expire while none waits: every socket stuck in a handler (a
database that hangs), or the event loop stalled. When the process pops again after a pause of more
than three quarters of ``expiry``, every socket that was in a group before the pause is told
``channel_layer.lost`` first: it may have lost a message that expired meanwhile. A socket that
joined later is not told: it missed nothing (a socket waiting for its next message pops, so it
would have ended the pause).

Not covered, as channels-redis has it: that queue holds at most ``channel_capacity`` messages
(config/settings.py raises it to 10,000 for the process-local channels from channels-redis's 100);
a group message for a process that is that far behind is not queued, and channels-redis logs it
at INFO ("channels over capacity in group").

**InMemoryChannelLayer** (the embedded default, one process, no Redis) is channels'; when a
socket's queue is full, its ``group_send`` drops the message for that socket, silently. Here the
queue is emptied and holds ``channel_layer.lost`` instead, for the same reason. Likewise when a
message waited in a socket's queue for longer than ``expiry``: channels drops it and takes the
socket out of all its groups, so it silently receives nothing more; here it is told
``channel_layer.lost`` (and only when that too waits out ``expiry``, its consumer is taken to be
gone and channels' own clean-up applies).

**PubSubChannelLayer** (``CHANNELS_REDIS_LAYER=pubsub``):

``channels_redis.pubsub.RedisPubSubChannelLayer`` publishes a group message ONCE and each server
process hands it to its own sockets, where ``channels_redis.core.RedisChannelLayer`` writes one
message per server process into Redis, naming that process's member sockets, and keeps it until
the process takes it with a blocking pop and hands it to each of them. The price
is at-most-once delivery: a message published while a process's subscription connection is down
reaches nobody there, and nothing is kept for later.

The stock layer hides that: its receive loop logs the connection error, sleeps a second and tries
again (redis-py reconnects and re-subscribes), so the sockets stay open and silently miss whatever
was published meanwhile. With the default layer a lost Redis connection ends the socket (its
receive fails), the browser (``live.js``) shows "offline", reconnects and catches up with
``sync``. This layer keeps that contract: when the receive loop of a process loses its Redis
connection, every socket of that process is told ``channel_layer.lost``
(``permissions.live_sessions.LiveSessionMixin.channel_layer_lost`` closes it with 1011), once per
outage, and the failure is logged once, not every second. Used when ``CHANNELS_REDIS_LAYER=pubsub``.
"""
from __future__ import annotations

import asyncio
import collections
import functools
import logging
import time

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer as _InMemoryChannelLayer
from channels_redis.core import BoundedQueue, RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _wrap_close

logger = logging.getLogger(__name__)

LOST = {"type": "channel_layer.lost"}


def _empty(queue: asyncio.Queue) -> None:
    while not queue.empty():
        queue.get_nowait()


class _FailClosedBuffer(BoundedQueue):
    def put_nowait(self, item):
        if self.full():
            _empty(self)
            logger.warning("Channel layer: %s messages not taken from a socket's buffer; its consumer is "
                           "told channel_layer.lost", self.maxsize)
            item = dict(LOST)
        return asyncio.Queue.put_nowait(self, item)


class CoreChannelLayer(RedisChannelLayer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.receive_buffer = collections.defaultdict(functools.partial(_FailClosedBuffer, self.capacity))
        self._popped_at: float | None = None  # when this process's last pop ended (monotonic)
        # The groups each socket of this process is in, and since when (monotonic): the sockets a
        # pause may have cost a message. Group messages are the only ones the live channel sends.
        self._memberships: dict[str, dict[str, float]] = {}

    async def group_add(self, group, channel):
        await super().group_add(group, channel)
        if "!" in channel:
            self._memberships.setdefault(channel, {}).setdefault(group, time.monotonic())

    async def group_discard(self, group, channel):
        groups = self._memberships.get(channel)
        if groups is not None:
            groups.pop(group, None)
            if not groups:
                del self._memberships[channel]
        await super().group_discard(group, channel)

    async def receive_single(self, channel):
        """Pop the process's next message (called by the one socket holding channels-redis's
        receive lock), after telling ``LOST`` to every socket that was in a group before the pause
        if nothing popped for so long that a message could have expired in Redis meanwhile."""
        if "!" in channel and self._popped_at is not None:
            pause_began = self._popped_at
            if time.monotonic() - pause_began > self.expiry * 0.75:
                self._lost_since(pause_began)
        try:
            return await super().receive_single(channel)
        finally:
            self._popped_at = time.monotonic()

    def _lost_since(self, pause_began: float) -> None:
        told = [channel for channel, groups in self._memberships.items() if min(groups.values()) <= pause_began]
        for channel in told:
            buffer = self.receive_buffer[channel]
            _empty(buffer)
            asyncio.Queue.put_nowait(buffer, dict(LOST))
        # A socket that ended without leaving its groups is forgotten after channels-redis's
        # group expiry, as Redis forgets it.
        too_old = time.monotonic() - self.group_expiry
        for channel in [c for c, groups in self._memberships.items() if max(groups.values()) < too_old]:
            del self._memberships[channel]
        if told:
            logger.warning("Channel layer: this process popped nothing for %.0f s (messages expire after %s s); "
                           "%s sockets are told channel_layer.lost", time.monotonic() - pause_began, self.expiry,
                           len(told))


class InMemoryChannelLayer(_InMemoryChannelLayer):
    def _clean_expired(self):
        now = time.time()
        for channel, queue in list(self.channels.items()):
            if queue.empty() or queue._queue[0][0] >= now or queue._queue[0][1].get("type") == LOST["type"]:
                continue  # nothing expired; or its LOST expired too, so nobody receives: channels' clean-up
            _empty(queue)
            queue.put_nowait((now + self.expiry, dict(LOST)))
            logger.warning("Channel layer: a message waited in %s for more than %s s; its consumer is told "
                           "channel_layer.lost", channel, self.expiry)
        super()._clean_expired()

    async def send(self, channel, message):
        try:
            await super().send(channel, message)
        except ChannelFull:
            queue = self.channels[channel]  # full, so it exists
            _empty(queue)
            queue.put_nowait((time.time() + self.expiry, dict(LOST)))
            logger.warning("Channel layer: %s messages not taken from %s; its consumer is told "
                           "channel_layer.lost", queue.maxsize, channel)
            raise


class _Shard(RedisSingleShardConnection):
    _lost = False

    async def _do_receiving(self):
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
                    if self._lost:
                        self._lost = False
                        logger.warning("Channel layer: Redis subscription connection is back")
                    self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except (asyncio.CancelledError, asyncio.TimeoutError, GeneratorExit):
                raise
            except Exception:
                if not self._lost:
                    self._lost = True
                    logger.warning("Channel layer: Redis subscription connection lost; closing this "
                                   "process's sockets (they reconnect and catch up)", exc_info=True)
                    self._tell_every_channel()
                await asyncio.sleep(1)

    def _tell_every_channel(self) -> None:
        """Every consumer of this process that receives through this shard gets ``LOST``: whatever
        was published to it meanwhile is gone, so it must not go on as if nothing was missed."""
        layer = self.channel_layer
        data = layer.channel_layer.serialize(LOST)
        for name, queue in list(layer.channels.items()):
            if layer._get_shard(name) is self or any(
                name in members and layer._get_shard(group) is self for group, members in layer.groups.items()
            ):
                queue.put_nowait(data)


class _LoopLayer(RedisPubSubLoopLayer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._shards = [_Shard(shard.host, self) for shard in self._shards]


class PubSubChannelLayer(RedisPubSubChannelLayer):
    def _get_layer(self):
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
        return layer
