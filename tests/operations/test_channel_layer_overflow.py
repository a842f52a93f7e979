"""A socket that has not taken its messages while more arrived than its buffer holds is closed
(``channel_layer.lost``: the live consumers close with 1011, the browser reconnects and catches up)
instead of losing the oldest message silently, which could be the ``access.changed`` that
narrows what it may show (``permissions.channel_layer``)."""
from __future__ import annotations

import asyncio
import contextlib
import os
import uuid

import pytest
from channels.exceptions import ChannelFull

from permissions.channel_layer import LOST, CoreChannelLayer, InMemoryChannelLayer
from tests.operations.conftest import REDIS_URL


@pytest.mark.usefixtures("redis_server")
async def test_redis_layer_a_socket_whose_buffer_overflows_gets_lost_not_a_gap():
    layer = CoreChannelLayer(hosts=[REDIS_URL], prefix=f"fk-test-overflow-{os.getpid()}-{uuid.uuid4().hex[:8]}",
                             capacity=5)
    busy, other = await layer.new_channel(), await layer.new_channel()
    taken: list = []

    async def consume():  # another socket of the same process: its receive pops the process's messages
        while True:
            taken.append(await layer.receive(other))

    consumer = asyncio.ensure_future(consume())
    try:
        await layer.send(other, {"type": "x", "n": 0})
        for _ in range(100):
            if taken:
                break
            await asyncio.sleep(0.02)
        for n in range(1, 8):  # `busy` takes nothing meanwhile: 7 arrive for a buffer of 5
            await layer.send(busy, {"type": "access.changed", "n": n})
            await asyncio.sleep(0.02)
        for _ in range(250):  # each is popped into busy's buffer by the other socket's receive
            buffer = layer.receive_buffer.get(busy)
            if buffer is not None and buffer.qsize() == 2:
                break
            await asyncio.sleep(0.02)
        assert await layer.receive(busy) == LOST
        assert await layer.receive(busy) == {"type": "access.changed", "n": 7}  # after it: what came later
    finally:
        consumer.cancel()
        with contextlib.suppress(BaseException):
            await consumer
        await layer.flush()


async def test_in_memory_layer_a_socket_whose_queue_overflows_gets_lost_not_a_gap():
    layer = InMemoryChannelLayer(capacity=3)
    channel = await layer.new_channel()
    await layer.group_add("protocol.1", channel)
    for n in range(1, 5):  # group_send: the 4th does not fit
        await layer.group_send("protocol.1", {"type": "access.changed", "n": n})
    assert await layer.receive(channel) == LOST
    await layer.group_send("protocol.1", {"type": "item.changed", "n": 5})
    assert await layer.receive(channel) == {"type": "item.changed", "n": 5}
    for n in range(3):
        await layer.send(channel, {"type": "x", "n": n})
    with pytest.raises(ChannelFull):  # a direct send still tells the sender
        await layer.send(channel, {"type": "x", "n": 3})
    assert await layer.receive(channel) == LOST
