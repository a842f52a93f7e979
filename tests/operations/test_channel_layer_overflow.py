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


# --- a message that waited out the layer's expiry ---------------------------------------------

async def _until(condition, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.mark.usefixtures("redis_server")
async def test_redis_layer_a_process_that_popped_nothing_for_most_of_the_expiry_tells_its_older_sockets_lost():
    """channels-redis drops a message that waited ``expiry`` seconds in the process's Redis queue.
    Nothing pops while every socket of the process is busy (a hanging database, a stalled loop):
    a socket that missed an ``access.changed`` that way must not go on as if nothing was missed."""
    layer = CoreChannelLayer(hosts=[REDIS_URL], prefix=f"fk-test-expiry-{os.getpid()}-{uuid.uuid4().hex[:8]}",
                             expiry=2)
    busy = await layer.new_channel()
    await layer.group_add("protocol.1", busy)
    try:
        await layer.group_send("protocol.1", {"type": "x", "n": 0})
        assert await asyncio.wait_for(layer.receive(busy), 5) == {"type": "x", "n": 0}  # the pause begins
        await layer.group_send("protocol.1", {"type": "access.changed", "n": 1})
        await asyncio.sleep(2.6)  # nobody waits to receive: the message expires in Redis
        await layer.group_send("protocol.1", {"type": "item.changed", "n": 2})  # cleans the expired one out
        assert await asyncio.wait_for(layer.receive(busy), 5) == LOST
        assert await asyncio.wait_for(layer.receive(busy), 5) == {"type": "item.changed", "n": 2}

        # After a short pause nobody is told.
        await asyncio.sleep(0.5)
        await layer.group_send("protocol.1", {"type": "x", "n": 3})
        assert await asyncio.wait_for(layer.receive(busy), 5) == {"type": "x", "n": 3}

        # A socket that joins after a long quiet spell (no socket of the process was waiting)
        # missed nothing and is not told; a socket that left its groups is forgotten.
        await layer.group_discard("protocol.1", busy)
        await asyncio.sleep(1.7)
        fresh = await layer.new_channel()
        await layer.group_add("protocol.2", fresh)
        await layer.group_send("protocol.2", {"type": "x", "n": 4})
        assert await asyncio.wait_for(layer.receive(fresh), 5) == {"type": "x", "n": 4}
        assert busy not in layer.receive_buffer
    finally:
        await layer.flush()


async def test_in_memory_layer_a_message_that_waited_out_the_expiry_leaves_lost_not_a_socket_outside_its_groups():
    layer = InMemoryChannelLayer(expiry=1)
    channel = await layer.new_channel()
    await layer.group_add("protocol.1", channel)
    await layer.group_send("protocol.1", {"type": "access.changed", "n": 1})
    await asyncio.sleep(1.2)
    await layer.group_send("protocol.1", {"type": "item.changed", "n": 2})
    assert await asyncio.wait_for(layer.receive(channel), 2) == LOST
    assert await asyncio.wait_for(layer.receive(channel), 2) == {"type": "item.changed", "n": 2}
    # A LOST that nobody took within the expiry either: the consumer is gone; channels' own
    # clean-up takes the channel out of its groups.
    await layer.group_send("protocol.1", {"type": "x", "n": 3})
    await asyncio.sleep(1.2)
    await layer.group_send("protocol.1", {"type": "x", "n": 4})  # expired head -> LOST
    await asyncio.sleep(1.2)
    await layer.group_send("protocol.1", {"type": "x", "n": 5})  # LOST expired -> cleaned up
    assert channel not in layer.groups.get("protocol.1", {})
