"""``permissions.channel_layer.CoreChannelLayer`` (the default Redis layer): one receiving task per
server process hands each group message to the process's sockets, in order, once; a failed pop
closes every socket of the process; nothing is lost while no socket receives. Against a real
Redis (the run's, or a redis-server of the test's own for the outage)."""
from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid

import pytest
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from permissions.channel_layer import CoreChannelLayer
from tests.operations.conftest import REDIS_URL
from tests.operations.deployment import free_port
from tests.operations.servers import stop
from tests.operations.test_faults_redis import REDIS_SERVER, redis_server as own_redis_server

pytestmark = pytest.mark.usefixtures("redis_server")


def make_layer(address: str = REDIS_URL) -> CoreChannelLayer:
    """With the connection options of config.settings (a stale connection is retried on a fresh one)."""
    host = {"address": address, "health_check_interval": 1, "retry_on_error": [RedisConnectionError],
            "retry": Retry(ExponentialBackoff(cap=1.0, base=0.05), 3)}
    return CoreChannelLayer(hosts=[host], prefix=f"fk-test-core-{os.getpid()}-{uuid.uuid4().hex[:8]}")


async def until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return predicate()


def consume(layer, channel: str, into: list):
    """As a consumer does: one receive after the other, never cancelled midway."""
    async def loop():
        while True:
            into.append(await layer.receive(channel))
    return asyncio.ensure_future(loop())


async def stop_all(tasks) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(BaseException):
            await task


async def test_a_group_message_reaches_each_socket_of_the_process_once_and_in_order_without_a_task_per_socket():
    layer = make_layer()
    channels = [await layer.new_channel() for _ in range(200)]
    for channel in channels:
        await layer.group_add("protocol.1", channel)
    got = {channel: [] for channel in channels}
    consumers = [consume(layer, channel, got[channel]) for channel in channels]
    await asyncio.sleep(0.1)
    loop = asyncio.get_running_loop()
    created = []
    loop.set_task_factory(lambda lp, coro, **kw: created.append(coro) or asyncio.Task(coro, loop=lp, **kw))
    try:
        await layer.group_send("protocol.1", {"type": "item.changed", "n": 1})
        await layer.group_send("protocol.1", {"type": "item.changed", "n": 2})
        assert await until(lambda: all(len(g) == 2 for g in got.values()), 10)
        await asyncio.sleep(0.1)
    finally:
        loop.set_task_factory(None)
        await stop_all(consumers)
        await layer.flush()
    assert all(g == [{"type": "item.changed", "n": 1}, {"type": "item.changed", "n": 2}] for g in got.values())
    # channels-redis's own receive made two tasks per socket and message (800 here: a lock race);
    # what is left are redis-py's, a few per Redis command, whatever the number of sockets
    assert len(created) < 100, len(created)


async def test_the_receiving_task_ends_with_the_last_socket_and_nothing_sent_meanwhile_is_lost():
    layer = make_layer()
    first = await layer.new_channel()
    got: list = []
    consumer = consume(layer, first, got)
    await layer.send(first, {"type": "x", "n": 1})
    assert await until(lambda: got, 5)
    reader = layer._reader
    await stop_all([consumer])
    assert reader.done() and layer._reader is None and not layer.receive_buffer
    second = await layer.new_channel()
    await layer.send(second, {"type": "x", "n": 2})  # no socket of this process receives now
    later: list = []
    consumer = consume(layer, second, later)
    try:
        assert await until(lambda: later, 5) and later == [{"type": "x", "n": 2}]
    finally:
        await stop_all([consumer])
        await layer.flush()


async def test_when_redis_is_gone_every_socket_of_the_process_fails_and_receives_again_after():
    """A failed pop fails every waiting ``receive()``: the consumers end and their sockets close
    (1011); the browser reconnects and catches up. With Redis back, a new socket receives."""
    if REDIS_SERVER is None:
        pytest.skip("needs redis-server (Debian: apt-get install redis-server)")
    port = free_port()
    with own_redis_server(port) as redis:
        layer = make_layer(f"redis://127.0.0.1:{port}/0")
        channels = [await layer.new_channel() for _ in range(3)]
        got = {channel: [] for channel in channels}
        consumers = [consume(layer, channel, got[channel]) for channel in channels]
        await layer.send(channels[0], {"type": "x", "n": 1})
        assert await until(lambda: got[channels[0]], 5)
        stop(redis, grace=2)
        assert await until(lambda: all(c.done() for c in consumers), 10)
        assert all(isinstance(c.exception(), Exception) for c in consumers)
        assert layer._reader is None and not layer._receivers
        with own_redis_server(port):
            channel = await layer.new_channel()
            later: list = []
            consumer = consume(layer, channel, later)
            try:
                await layer.send(channel, {"type": "x", "n": 2})
                assert await until(lambda: later, 5) and later == [{"type": "x", "n": 2}]
            finally:
                await stop_all([consumer])
                with contextlib.suppress(Exception):
                    await layer.flush()
