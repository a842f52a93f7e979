"""channels-redis's pub/sub layer, made to fail as loudly as the default layer.

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

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _wrap_close

logger = logging.getLogger(__name__)

LOST = {"type": "channel_layer.lost"}


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
