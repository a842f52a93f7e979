"""The channel layers, made to fail closed where a socket would otherwise miss a message silently:
the socket is closed (1011) and its browser reconnects; the live protocol page (``live.js``) then
catches up with ``sync``, which re-reads what she may see now.

**CoreChannelLayer** (``CHANNELS_REDIS_LAYER=core``, the default) is ``channels_redis.core.RedisChannelLayer``
with these changes. One reader per server process (``_read``) pops the process's Redis queue
while any of its sockets waits to receive, and puts each message into the buffer of each of its
sockets the message names; a socket takes from its buffer when it is ready for the next message.
(channels-redis lets the waiting sockets race for the pop instead, each making two tasks per
message: at 500 sockets that was half the servers' CPU of a fan-out, most of it before the first
frame left; ``bench/ws_fanout.py``.) A socket whose receive waits on an empty buffer is handed
the message straight away instead (``_Immediate``: the same handler, in the same order, without
waking her receive and channels' dispatch loop). A buffer holds ``capacity`` messages; when a socket has not taken
any while that many more arrived for it (it waits on a slow database read, say), channels-redis
drops the OLDEST message to make room, silently. That message could be the ``access.changed``
that tells the socket a consent was withdrawn: the socket would go on deciding later items by
what she could read before. Here a full buffer is emptied and holds ``channel_layer.lost``
instead, so the socket closes (``LiveSessionMixin.channel_layer_lost``) instead of going on
without the message.

The queue in Redis that a server process pops from keeps each message for ``expiry`` (60 s);
channels-redis then drops it, silently: while no socket of the process waits to receive (every one
busy in a handler, a database that hangs: the reader stops after a pop that found nothing, 5 s),
while the process works through a backlog, or while its event loop stalls (also with a pop under
way). Redis pops the oldest message first, so the process knows a watermark:
no message still waiting was sent before the last one it popped, or before the last pop that found
the queue empty. Before each pop, when that watermark is older than three quarters of ``expiry``, a
message may have expired unread, and every socket that was in a group since before then is told
``channel_layer.lost`` at once (before the reader waits in Redis). A socket that
joined later missed nothing and is not told. The servers' clocks must agree (NTP): Redis scores a
message with its sender's clock.

Not covered, as channels-redis has it: that queue holds at most ``channel_capacity`` messages
(config/settings.py raises it to 10,000 for the process-local channels from channels-redis's 100);
a group message for a process that is that far behind is not queued, and channels-redis logs it
at INFO ("channels over capacity in group"), raised to WARNING by ``permissions.logging.ChannelsOverCapacity``.

**InMemoryChannelLayer** (the embedded default, one process, no Redis) is channels', with the
same hand-over to an idle socket (``_Immediate``); when a
socket's queue is full, its ``group_send`` drops the message for that socket, silently. Here the
queue is emptied and holds ``channel_layer.lost`` instead, for the same reason. Likewise when a
message waited in a socket's queue for longer than ``expiry``: channels drops it and takes the
socket out of all its groups, so it silently receives nothing more; here it is told
``channel_layer.lost``. When that too waits out ``expiry``, channels' own clean-up applies, and a
consumer that was only slow still gets ``LOST`` at its next receive.

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
import contextlib
import copy
import functools
import logging
import time
from urllib.parse import parse_qs, urlsplit

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer as _InMemoryChannelLayer
from channels_redis.core import BoundedQueue, ChannelLock, RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _wrap_close
from django.core.exceptions import ImproperlyConfigured

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


class _Told(Exception):
    """Raised before a pop once sockets were told ``LOST``: the reader hands it to them at once
    instead of first waiting in Redis."""


class _Idle(Exception):
    """Raised by a pop of the process's queue that found nothing while no socket waits: the
    reader stops instead of waiting in Redis for nobody."""


class ReaderFailed(Exception):
    """What a socket's receive raises when the process's reader could not read Redis."""


class _ReaderFailed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Raise(dict):
    """Put into a socket's buffer when the socket's handler, run at once by the layer
    (``_Immediate``), failed: her receive raises the error, so the consumer ends as it would
    had the handler failed in its own loop. A dict, as every queued message is (the in-memory
    layer's clean-up reads a queued message's type)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(type="channel_layer.failed")
        self.error = error


class _Immediate:
    """Delivery without the consumer's own loop, where that changes nothing but the time.

    A consumer handles its messages one at a time: its receive takes the next message from its
    buffer, its dispatch loop wakes and runs the handler. For a live edit fanned out to the 250
    sockets of a server process that is 250 receives to wake, 250 waits of channels' dispatch
    loop to resolve and 250 new receives to start before every frame has left. A consumer that
    registers a handler (``deliver_at_once``) gets a message handed over at once instead (its
    handler starts a task for it: ``LiveSessionMixin._deliver_now``), but only while its receive
    waits on an empty buffer: nothing of hers is queued, so the message is the next she would
    handle anyway. Her handler says no (``False``) while she is busy; then, and when she is not
    waiting, the message goes into her buffer as before. A handed-over message that fails hands
    its error to her receive: each layer's ``fail_receive(channel, error)`` queues a ``_Raise``
    when her receive waits (True), and returns False when it does not (she has ended, or has a
    message in hand: her next dispatch raises it)."""

    def _init_immediate(self) -> None:
        self._at_once: dict[str, object] = {}  # channel -> the consumer's handler
        self._parked: set[str] = set()  # channels whose receive waits on an empty buffer

    def deliver_at_once(self, channel: str, handler) -> None:
        self._at_once[channel] = handler

    def deliver_queued(self, channel: str) -> None:
        self._at_once.pop(channel, None)

    def _handled_at_once(self, channel: str, message: dict, queued: int) -> _Raise | bool:
        """True: handled now; False: queue it; a ``_Raise``: queue that instead."""
        if queued or channel not in self._parked:
            return False
        handler = self._at_once.get(channel)
        if handler is None:
            return False
        try:
            return bool(handler(message))
        except Exception as error:  # StopConsumer too: her receive raises it in her loop
            return _Raise(error)


def _with_read_timeout(host: dict, pop_seconds: float) -> dict:
    """A host's connection settings with a read timeout longer than the blocking pop: redis-py
    gives up reading a reply after ``socket_timeout`` (5 s unless told), the pop waits in Redis for
    up to ``pop_seconds`` (channels-redis: 5 s), so at equal values every idle pop of the reader
    failed as a timeout instead of answering "nothing", and with it every waiting socket. A host
    that names no timeout gets ``pop_seconds + 10``; one that names one too short is refused."""
    named = host.get("socket_timeout")
    if "address" in host:  # redis-py lets the URL's query override the keyword arguments
        from_url = parse_qs(urlsplit(str(host["address"])).query).get("socket_timeout")
        named = float(from_url[0]) if from_url else named
    if named is None:
        return {**host, "socket_timeout": pop_seconds + 10}
    if float(named) <= pop_seconds:
        raise ImproperlyConfigured(
            f"The channel layer's Redis socket_timeout ({named} s) must be longer than its blocking pop "
            f"({pop_seconds} s): every idle receive would fail (redis-py's default is 5 s).")
    return host


class CoreChannelLayer(_Immediate, RedisChannelLayer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._init_immediate()
        self.hosts = [_with_read_timeout(host, self.brpop_timeout) for host in self.hosts]
        self.receive_buffer = collections.defaultdict(functools.partial(_FailClosedBuffer, self.capacity))
        # No message still waiting in this process's Redis queue was sent before the watermark
        # (wall-clock seconds, as Redis scores them): the send time of the last message popped, or
        # the start of the last pop that found the queue empty.
        self._watermark: float | None = None
        # The groups each socket of this process is in, and since when (wall clock): the sockets
        # an expired message may have been meant for. Group messages are all the live channel sends.
        self._memberships: dict[str, dict[str, float]] = {}
        self._adds = 0
        self._reader: asyncio.Task | None = None  # the process's reader (``_read``) and its event loop
        self._reader_loop: asyncio.AbstractEventLoop | None = None
        self._reader_token: object | None = None  # names the reader now in charge (``_read``'s finally)
        self._waiting = 0  # sockets of this process waiting in ``receive``

    async def group_add(self, group, channel):
        joined = time.time()  # before Redis has it: a message sent meanwhile counts as meant for her
        await super().group_add(group, channel)
        if "!" in channel:
            self._memberships.setdefault(channel, {}).setdefault(group, joined)
            self._adds += 1
            if self._adds % 1000 == 0:
                self._forget_expired_memberships()

    async def group_discard(self, group, channel):
        groups = self._memberships.get(channel)
        if groups is not None:
            groups.pop(group, None)
            if not groups:
                del self._memberships[channel]
        await super().group_discard(group, channel)

    async def receive(self, channel):
        """A socket of this process (a process-local channel) waits on its own buffer; the
        process's reader (``_read``) pops the process's Redis queue and fills the buffers. Other
        channels: channels-redis's receive."""
        if "!" not in channel:
            return await super().receive(channel)
        assert self.require_valid_channel_name(channel)
        real_channel = self.non_local_name(channel)
        assert real_channel.endswith(self.client_prefix + "!"), "Wrong client prefix"
        buffer = self.receive_buffer[channel]
        if buffer.empty():
            self._start_reader(real_channel)
        self._waiting += 1
        try:
            if not buffer.empty():
                message = buffer.get_nowait()
            else:
                self._parked.add(channel)
                try:
                    message = await buffer.get()
                finally:
                    self._parked.discard(channel)
        except asyncio.CancelledError:
            # A consumer's receive is cancelled when the consumer ends (channels' dispatch loop),
            # also when it ends without leaving its groups (a crash): forget its memberships and
            # its buffer. The reader is not cancelled: a pop that Redis has answered but whose
            # reply is still on the way would be lost with the connection (channels-redis loses
            # it so when the socket holding the pop ends); it stops by itself after a pop that
            # found nothing once no socket waits (``_Idle``).
            self._memberships.pop(channel, None)
            self._at_once.pop(channel, None)
            self._waiting = max(0, self._waiting - 1)
            if buffer.empty() and self.receive_buffer.get(channel) is buffer:
                del self.receive_buffer[channel]
            raise
        self._waiting = max(0, self._waiting - 1)
        if buffer.empty() and self.receive_buffer.get(channel) is buffer:
            del self.receive_buffer[channel]  # as channels-redis: no buffer kept for a socket that took all
        if isinstance(message, (_ReaderFailed, _Raise)):
            self._at_once.pop(channel, None)  # her consumer ends with the error
            if isinstance(message, _Raise):
                raise message.error
            raise ReaderFailed("the channel layer could not read this server process's Redis queue") from message.error
        return message

    def _put(self, channel: str, message: dict) -> None:
        buffer = self.receive_buffer.get(channel)
        handled = self._handled_at_once(channel, message, buffer.qsize() if buffer is not None else 0)
        if handled is True:
            return
        self.receive_buffer[channel].put_nowait(handled if isinstance(handled, _Raise) else message)

    def fail_receive(self, channel: str, error: BaseException) -> bool:
        if channel not in self._parked:
            return False
        self.receive_buffer[channel].put_nowait(_Raise(error))
        return True

    def _start_reader(self, real_channel: str) -> None:
        loop = asyncio.get_running_loop()
        reader = self._reader
        if reader is not None and not reader.done():
            if self._reader_loop is loop:
                return
            if self._reader_loop.is_running():
                raise RuntimeError("Two event loops are trying to receive() on one channel layer at once!")
        if self._reader_loop is not loop:
            # Receives of an earlier event loop (ended with it) wait no more, and the locks of its
            # pops are bound to it (a pop cancelled while waiting for one never gave it back).
            self._waiting = 0
            self.receive_clean_locks = ChannelLock()
        self._reader_loop = loop
        token = self._reader_token = object()
        self._reader = loop.create_task(self._read(real_channel, token))

    async def _read(self, real_channel: str, token: object) -> None:
        """The process's one reader: pops the process's Redis queue (one message at a time, the
        watermark checked before each pop) and puts each message into the buffer of every socket
        it names, while any socket of the process waits; it stops after a pop that found nothing
        once none waits. Replaces channels-redis's race, in which every waiting socket made two
        tasks per message to contend for the pop: with hundreds of sockets that was most of a
        fan-out's time before the first frame left (``bench/ws_fanout.py``). A message still
        reaches its sockets in the order Redis gave it; a buffer that fills fails closed as before."""
        try:
            while True:
                message_channel, message = await self.receive_single(real_channel)
                if isinstance(message_channel, list):
                    for chan in message_channel:
                        self._put(chan, message)
                elif message_channel is not None:
                    self._put(message_channel, message)
                elif self._waiting == 0:
                    return  # a pop that found nothing (or sockets told LOST), and nobody waits
        except asyncio.CancelledError:
            raise
        except Exception as error:
            # A failed pop may have taken a message with it (a reply lost with its connection, a
            # retried command): every socket in a group is told ``channel_layer.lost`` (it closes
            # with 1011, the browser reconnects and catches up), every other socket waiting now
            # fails, as the socket whose own pop failed did before. A socket that receives later
            # starts a new reader.
            logger.warning("Channel layer: reading this process's Redis queue failed (%s); %s sockets in groups are "
                           "told channel_layer.lost, %s waiting sockets fail", error, len(self._memberships), self._waiting)
            for chan in self._memberships:
                buffer = self.receive_buffer[chan]
                _empty(buffer)
                asyncio.Queue.put_nowait(buffer, dict(LOST))
            for chan, buffer in list(self.receive_buffer.items()):
                if buffer.empty() and buffer._getters:
                    asyncio.Queue.put_nowait(buffer, _ReaderFailed(error))
        finally:
            if self._reader_token is token:
                self._reader = self._reader_token = None

    async def close_pools(self):
        """The reader first (a shutdown, a test's flush): its pop would fail on a closed connection."""
        reader, self._reader, self._reader_token = self._reader, None, None
        if reader is not None and not reader.done() and self._reader_loop is asyncio.get_running_loop():
            reader.cancel()
            with contextlib.suppress(BaseException):
                await reader
        await super().close_pools()

    # channels-redis's group send script, with the expiry of old messages done inside it (channels-
    # redis sends a pipeline for that first): one round trip per Redis host instead of two.
    GROUP_SEND_LUA = """
        local over_capacity = 0
        local current_time = tonumber(ARGV[#ARGV - 1])
        local expiry = tonumber(ARGV[#ARGV])
        local expired_before = math.floor(current_time) - expiry
        for i=1,#KEYS do
            redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, expired_before)
            if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[i + #KEYS]) then
                redis.call('ZADD', KEYS[i], current_time, ARGV[i])
                redis.call('EXPIRE', KEYS[i], expiry)
            else
                over_capacity = over_capacity + 1
            end
        end
        return over_capacity
    """

    async def group_send(self, group, message):
        """channels-redis's (4.3.0) in two round trips instead of four: the group's expired members
        are dropped and the rest read in one pipeline, and each host's script drops its channels'
        expired messages itself. Every live edit waits for this before its frames can leave."""
        assert self.require_valid_group_name(group), "Group name not valid"
        key = self._group_key(group)
        connection = self.connection(self.consistent_hash(group))
        pipe = connection.pipeline(transaction=False)
        pipe.zremrangebyscore(key, min=0, max=int(time.time()) - self.group_expiry)
        pipe.zrange(key, 0, -1)
        _, members = await pipe.execute()
        channel_names = [member.decode("utf8") for member in members]
        keys_by_connection, message_by_key, capacity_by_key = self._map_channel_keys_to_connection(channel_names, message)
        for index, keys in keys_by_connection.items():
            args = [message_by_key[k] for k in keys] + [capacity_by_key[k] for k in keys] + [time.time(), self.expiry]
            over_capacity = await self.connection(index).eval(self.GROUP_SEND_LUA, len(keys), *keys, *args)
            if over_capacity > 0:
                logger.info("%s of %s channels over capacity in group %s", over_capacity, len(channel_names), group)

    async def receive_single(self, channel):
        try:
            return await super().receive_single(channel)
        except _Told:
            return [], None  # nothing popped: the waiting sockets look at their buffers
        except _Idle:
            return None, None

    async def _brpop_with_clean(self, index, channel, timeout):
        """channels-redis's (4.3.0, pinned in requirements.txt; its version keeps the popped message's
        score to itself, so the body is repeated here), plus the watermark, checked before every pop
        of this process's queue:
        when the oldest message that may still wait there is older than three quarters of
        ``expiry``, a message behind it may have expired unread (a backlog; an event loop that
        stalled while a pop was under way; a pause with no socket waiting), and every socket that
        was in a group since before then is told ``channel_layer.lost``."""
        local = channel.endswith("!")
        if local and self._watermark is not None and time.time() - self._watermark > self.expiry * 0.75:
            self._watermark = time.time()
            if self._lost_since(self._watermark - self.expiry * 0.75):
                raise _Told
        cleanup_script = """
            local backed_up = redis.call('ZRANGE', ARGV[2], 0, -1, 'WITHSCORES')
            for i = #backed_up, 1, -2 do
                redis.call('ZADD', ARGV[1], backed_up[i], backed_up[i - 1])
            end
            redis.call('DEL', ARGV[2])
        """
        backup_queue = self._backup_channel_name(channel)
        connection = self.connection(index)
        await connection.eval(cleanup_script, 0, channel, backup_queue)
        started = time.time()
        result = await connection.bzpopmin(channel, timeout=timeout)
        if result is not None:
            _, member, timestamp = result
            await connection.zadd(backup_queue, {member: float(timestamp)})
            if local:
                self._watermark = float(timestamp)
        else:
            member = None
            if local:
                self._watermark = started
                if self._waiting == 0:
                    raise _Idle
        return member

    def _lost_since(self, before: float) -> int:
        told = [channel for channel, groups in self._memberships.items() if min(groups.values()) <= before]
        for channel in told:
            buffer = self.receive_buffer[channel]
            _empty(buffer)
            asyncio.Queue.put_nowait(buffer, dict(LOST))
        if told:
            logger.warning("Channel layer: a message for this process may have waited in Redis past its expiry "
                           "(%s s); %s sockets are told channel_layer.lost", self.expiry, len(told))
        return len(told)

    def _forget_expired_memberships(self) -> None:
        """A socket that ended without leaving its groups is forgotten after channels-redis's group
        expiry, as Redis forgets it."""
        too_old = time.time() - self.group_expiry
        for channel in [c for c, groups in self._memberships.items() if max(groups.values()) < too_old]:
            del self._memberships[channel]


class InMemoryChannelLayer(_Immediate, _InMemoryChannelLayer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._init_immediate()
        self._lost_dropped: dict[str, float] = {}  # channel -> when channels' clean-up dropped its LOST

    def _clean_expired(self):
        now = time.time()
        for channel, queue in list(self.channels.items()):
            if queue.empty() or queue._queue[0][0] >= now:
                continue
            if queue._queue[0][1].get("type") == LOST["type"]:
                # Nobody took the LOST within the expiry either: channels' clean-up below drops it and
                # takes the socket out of its groups. Its consumer may only be slow: it gets LOST
                # at its next receive.
                self._lost_dropped[channel] = now
                continue
            _empty(queue)
            queue.put_nowait((now + self.expiry, dict(LOST)))
            logger.warning("Channel layer: a message waited in %s for more than %s s; its consumer is told "
                           "channel_layer.lost", channel, self.expiry)
        for channel in [c for c, at in self._lost_dropped.items() if at < now - self.group_expiry]:
            del self._lost_dropped[channel]
        super()._clean_expired()

    async def receive(self, channel):
        if self._lost_dropped.pop(channel, None) is not None:
            return dict(LOST)
        queue = self.channels.get(channel)
        parked = queue is None or queue.empty()
        if parked:
            self._parked.add(channel)
        try:
            message = await super().receive(channel)
        except asyncio.CancelledError:
            self._at_once.pop(channel, None)  # her consumer has ended
            raise
        finally:
            if parked:
                self._parked.discard(channel)
        if isinstance(message, _Raise):
            self._at_once.pop(channel, None)  # her consumer ends with the error
            raise message.error
        return message

    def fail_receive(self, channel: str, error: BaseException) -> bool:
        if channel not in self._parked:
            return False
        queue = self.channels.setdefault(channel, asyncio.Queue(maxsize=self.get_capacity(channel)))
        asyncio.Queue.put_nowait(queue, (time.time() + self.expiry, _Raise(error)))
        return True

    async def send(self, channel, message):
        queue = self.channels.get(channel)
        if channel in self._parked:
            assert isinstance(message, dict), "message is not a dict"
            self.require_valid_channel_name(channel)
            handled = self._handled_at_once(channel, copy.deepcopy(message), queue.qsize() if queue is not None else 0)
            if handled is True:
                return
            if isinstance(handled, _Raise):
                queue = self.channels.setdefault(channel, asyncio.Queue(maxsize=self.get_capacity(channel)))
                asyncio.Queue.put_nowait(queue, (time.time() + self.expiry, handled))
                return
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
