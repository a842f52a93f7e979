"""The Redis channel layers: channels-redis's default layer with one receiving task per server
process (``CoreChannelLayer``, ``CHANNELS_REDIS_LAYER=core``, the default), and its pub/sub layer
made to fail as loudly as the default one (``PubSubChannelLayer``, ``CHANNELS_REDIS_LAYER=pubsub``).

**CoreChannelLayer.** ``channels_redis.core.RedisChannelLayer`` writes a group message once per
server process into Redis, naming that process's member sockets. The process takes it with a
blocking pop and puts it into each socket's buffer. Which of the process's waiting sockets does
the pop is decided by a race: every ``receive()`` of every socket creates two tasks (one waits for
the process's receive lock, one for the socket's own buffer), waits for the first of them and
cancels the other. So a live edit fanned out to 250 sockets of one process created 500 tasks,
250 waits and 250 cancellations before a single frame went out: about 100 microseconds of CPU
per socket, more than the rest of the delivery (measured 2026-12-04 night: 26 ms of CPU for 250
sockets against 7.6 ms with one receiving task; bench/README.md). Here one task per process and
event loop does the blocking pops (``receive_single``, unchanged: what it has taken is kept in
Redis's backup queue until handled, so a cancelled pop loses nothing) and puts each message into
the named sockets' buffers; a socket's ``receive()`` is a plain wait on its own buffer. The task
starts with the first socket that receives and is cancelled when the last one is gone.

What stays as channels-redis has it: the same Redis keys, messages, expiry and capacity (a full
buffer drops its oldest message), the order of messages per socket, channels without ``!`` (not
process-local) received by the stock code. A failed pop (Redis gone, after the connection's own
retries) fails the ``receive()`` of every socket of the process, so each socket closes (1011),
the browser shows "offline", reconnects and catches up with ``sync``, as with the stock layer,
where the sockets fail one after the other as each takes its turn at the pop.

**PubSubChannelLayer.**

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
import logging

from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _wrap_close

logger = logging.getLogger(__name__)

LOST = {"type": "channel_layer.lost"}


class _Failed:
    """Put into a socket's buffer when the process's pop failed: its ``receive()`` raises ``error``."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class CoreChannelLayer(RedisChannelLayer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._reader: asyncio.Task | None = None
        self._reader_loop: asyncio.AbstractEventLoop | None = None
        self._receivers: set[str] = set()  # process-local channels whose consumer is receiving

    async def receive(self, channel):
        if "!" not in channel:
            return await super().receive(channel)
        assert self.require_valid_channel_name(channel)
        real_channel = self.non_local_name(channel)
        assert real_channel.endswith(self.client_prefix + "!"), "Wrong client prefix"
        self._start_reader(real_channel)
        self._receivers.add(channel)
        buffer = self.receive_buffer[channel]
        try:
            message = await buffer.get()
        except asyncio.CancelledError:  # the consumer is gone (a consumer never cancels mid-message)
            self._forget(channel)
            raise
        if buffer.empty():  # as channels-redis does: no buffer kept for a socket that may be gone
            self.receive_buffer.pop(channel, None)
        if isinstance(message, _Failed):
            self._forget(channel)
            raise message.error
        return message

    def _start_reader(self, real_channel: str) -> None:
        loop = asyncio.get_running_loop()
        if self._reader is not None and self._reader_loop is not loop:
            if self._reader_loop.is_running():
                raise RuntimeError("Two event loops are trying to receive() on one channel layer at once!")
            # The previous loop stopped with sockets still receiving (tests): nothing of it is used again.
            for channel in self._receivers:
                self.receive_buffer.pop(channel, None)
            self._receivers.clear()
            self._reader = None
        if self._reader is None or self._reader.done():
            self._reader_loop = loop
            self._reader = loop.create_task(self._read(real_channel))

    def _forget(self, channel: str) -> None:
        self._receivers.discard(channel)
        self.receive_buffer.pop(channel, None)
        if not self._receivers and self._reader is not None and self._reader_loop is asyncio.get_running_loop():
            self._reader.cancel()  # receive_single keeps a message it took in Redis's backup queue
            self._reader = None

    async def _read(self, real_channel: str) -> None:
        """The process's one blocking pop, message after message, each into its sockets' buffers."""
        while True:
            try:
                message_channel, message = await self.receive_single(real_channel)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                logger.warning("Channel layer: receiving failed; closing this process's sockets "
                               "(they reconnect and catch up)", exc_info=True)
                for channel in list(self._receivers):
                    self.receive_buffer[channel].put_nowait(_Failed(error))
                if self._reader is asyncio.current_task():
                    self._reader = None  # the next receive() starts another
                return
            for channel in message_channel if isinstance(message_channel, list) else (message_channel,):
                self.receive_buffer[channel].put_nowait(message)


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
