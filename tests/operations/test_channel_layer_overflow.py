"""A socket that has not taken its messages while more arrived than its buffer holds is closed
(``channel_layer.lost``: the live consumers close with 1011, the browser reconnects and catches up)
instead of losing the oldest message silently, which could be the ``access.changed`` that
narrows what it may show (``permissions.channel_layer``)."""
from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
import uuid

import pytest
import redis.asyncio.connection
from channels.exceptions import ChannelFull
from django.core.exceptions import ImproperlyConfigured

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


def _expiring_layer(prefix: str) -> CoreChannelLayer:
    # expiry 2 s: a message may have expired once the watermark is 1.5 s old
    return CoreChannelLayer(hosts=[{"address": REDIS_URL, "socket_timeout": 15}], prefix=prefix, expiry=2)


def _prefix() -> str:
    return f"fk-test-expiry-{os.getpid()}-{uuid.uuid4().hex[:8]}"


@pytest.mark.usefixtures("redis_server")
async def test_redis_layer_a_process_that_popped_nothing_for_most_of_the_expiry_tells_its_older_sockets_lost():
    """channels-redis drops a message that waited ``expiry`` seconds in the process's Redis queue.
    Nothing pops while no socket of the process waits to receive (every one busy in a handler, a
    hanging database): the reader stops after a pop that found nothing (``brpop_timeout``, here
    1 s). A socket that missed an ``access.changed`` that way must not go on as if nothing was missed."""
    layer = _expiring_layer(_prefix())
    layer.brpop_timeout = 1
    busy = await layer.new_channel()
    await layer.group_add("protocol.1", busy)
    try:
        await layer.group_send("protocol.1", {"type": "x", "n": 0})
        assert await asyncio.wait_for(layer.receive(busy), 5) == {"type": "x", "n": 0}
        await _until(lambda: layer._reader is None)  # nobody waits: the reader stopped
        await layer.group_send("protocol.1", {"type": "access.changed", "n": 1})
        await asyncio.sleep(2.6)  # nobody waits to receive: the message expires in Redis
        # Told at once, not only when the next message arrives.
        assert await asyncio.wait_for(layer.receive(busy), 1) == LOST
        await layer.group_send("protocol.1", {"type": "item.changed", "n": 2})
        assert await asyncio.wait_for(layer.receive(busy), 5) == {"type": "item.changed", "n": 2}

        # After a short pause nobody is told.
        await asyncio.sleep(0.5)
        await layer.group_send("protocol.1", {"type": "x", "n": 3})
        assert await asyncio.wait_for(layer.receive(busy), 5) == {"type": "x", "n": 3}

        # A socket that joins after a long quiet spell (the process had no socket waiting)
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


@pytest.mark.usefixtures("redis_server")
async def test_redis_layer_a_socket_slower_than_the_expiry_loses_nothing_while_the_reader_runs():
    """Each handler takes 1.2 s and four messages wait for her, 4.8 s in all, beyond the 2 s a
    message may wait in Redis: the process's reader has moved them into her buffer meanwhile
    (which fails closed when it overflows), so she gets all of them, in order."""
    layer = _expiring_layer(_prefix())
    slow, other = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("protocol.1", slow)
    await layer.group_add("protocol.2", other)
    waiting_other = asyncio.ensure_future(layer.receive(other))  # another socket keeps waiting
    got = []
    try:
        for n in range(1, 5):
            await layer.group_send("protocol.1", {"type": "x", "n": n})
        for _ in range(4):
            got.append(await asyncio.wait_for(layer.receive(slow), 5))
            await asyncio.sleep(1.2)  # her handler
        await layer.group_send("protocol.2", {"type": "x", "n": 5})
        assert await asyncio.wait_for(waiting_other, 5) == {"type": "x", "n": 5}
    finally:
        waiting_other.cancel()
        await layer.flush()
    assert got == [{"type": "x", "n": n} for n in range(1, 5)]


@pytest.mark.usefixtures("redis_server")
async def test_redis_layer_one_reader_fans_a_group_message_out_to_every_socket_in_order():
    layer = CoreChannelLayer(hosts=[{"address": REDIS_URL, "socket_timeout": 15}], prefix=_prefix())
    layer.brpop_timeout = 1
    channels = [await layer.new_channel() for _ in range(50)]
    for channel in channels:
        await layer.group_add("protocol.1", channel)
    try:
        receiving = [asyncio.ensure_future(layer.receive(channel)) for channel in channels]
        await asyncio.sleep(0.1)
        for n in range(3):
            await layer.group_send("protocol.1", {"type": "x", "n": n})
        got = [[await asyncio.wait_for(r, 5)] for r in receiving]
        for mine, channel in zip(got, channels):
            mine += [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(2)]
        assert all(mine == [{"type": "x", "n": n} for n in range(3)] for mine in got)
        # The sockets end (channels cancels their receives): no buffer is kept for them, and
        # the reader stops by itself after a pop that found nothing.
        last = [asyncio.ensure_future(layer.receive(channel)) for channel in channels]
        await asyncio.sleep(0.1)
        assert layer._reader is not None and layer._waiting == 50
        for r in last:
            r.cancel()
        await asyncio.gather(*last, return_exceptions=True)
        assert not layer.receive_buffer and layer._waiting == 0
        # A socket that receives right after still gets its message.
        again = asyncio.ensure_future(layer.receive(channels[0]))
        await asyncio.sleep(0.05)
        await layer.send(channels[0], {"type": "x", "n": 9})
        assert await asyncio.wait_for(again, 5) == {"type": "x", "n": 9}
        await _until(lambda: layer._reader is None, 3)
    finally:
        await layer.flush()


@pytest.mark.usefixtures("redis_server")
async def test_redis_layer_a_message_redis_gave_the_reader_is_not_lost_when_the_last_waiting_socket_ends(redis_server):
    """The last waiting socket ends in the very turn in which Redis has answered the reader's pop
    with a message for a busy socket (her ``access.changed``): cancelling the pop would drop the
    reply with its connection, and the message would be in neither queue, with nobody told."""
    layer = CoreChannelLayer(hosts=[{"address": REDIS_URL, "socket_timeout": 15}], prefix=_prefix())
    idle, busy = await layer.new_channel(), await layer.new_channel()
    key = layer.prefix + layer.non_local_name(busy)
    try:
        waiting = asyncio.ensure_future(layer.receive(idle))
        await asyncio.sleep(0.3)  # the reader's pop waits in Redis
        message = {"type": "access.changed", "n": 1, "__asgi_channel__": [busy]}
        redis_server.zadd(key, {layer.serialize(message): time.time()})  # the event loop does not run meanwhile
        time.sleep(0.1)  # Redis has answered the pop; the reply waits on the reader's socket
        waiting.cancel()  # idle's consumer ends in this turn
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
        assert await asyncio.wait_for(layer.receive(busy), 7) == {"type": "access.changed", "n": 1}
    finally:
        await layer.flush()


@pytest.mark.usefixtures("redis_server")
def test_redis_layer_serves_one_event_loop_after_another(caplog):
    """Tests, management commands and asgiref's ``async_to_sync`` run one event loop after another
    on the same layer; each loop's reader works (the locks of an ended loop's pops are not reused)."""
    layer = CoreChannelLayer(hosts=[{"address": REDIS_URL, "socket_timeout": 15}], prefix=_prefix())
    failures = []

    async def once(n):
        channel = await layer.new_channel()
        got = []
        for m in range(2):
            waiting = asyncio.ensure_future(layer.receive(channel))
            await asyncio.sleep(0.1)
            await layer.send(channel, {"type": "x", "n": n * 10 + m})
            try:
                got.append(await asyncio.wait_for(waiting, 8))
            except Exception as error:  # noqa: BLE001 - the assertion below names it
                failures.append(error)
        return got

    for n in range(4):
        assert asyncio.run(once(n)) == [{"type": "x", "n": n * 10}, {"type": "x", "n": n * 10 + 1}], failures
    asyncio.run(layer.flush())
    assert not [r.getMessage() for r in caplog.records if "queue failed" in r.getMessage()]


@pytest.mark.usefixtures("redis_server")
async def test_redis_layer_a_reader_that_cannot_read_redis_fails_every_waiting_socket():
    """A socket in a group is told ``channel_layer.lost`` (the failed pop may have taken a message for
    it); any other waiting socket's receive fails. Either way its consumer ends (1011) and the
    browser reconnects, as a socket whose own pop failed did; a later receive starts a new reader."""
    layer = CoreChannelLayer(hosts=[REDIS_URL], prefix=_prefix())
    a, b, member = await layer.new_channel(), await layer.new_channel(), await layer.new_channel()
    await layer.group_add("protocol.1", member)
    real = layer._brpop_with_clean
    failing = True

    async def broken(*args, **kwargs):
        if failing:
            await asyncio.sleep(0.05)
            raise ConnectionError("Redis went away")
        return await real(*args, **kwargs)

    layer._brpop_with_clean = broken
    try:
        results = await asyncio.gather(layer.receive(a), layer.receive(b), layer.receive(member), return_exceptions=True)
        assert [type(r).__name__ for r in results[:2]] == ["ReaderFailed", "ReaderFailed"]
        assert all(isinstance(r.__cause__, ConnectionError) for r in results[:2])
        assert results[2] == LOST
        failing = False
        await layer.send(a, {"type": "x", "n": 1})
        assert await asyncio.wait_for(layer.receive(a), 5) == {"type": "x", "n": 1}
    finally:
        layer._brpop_with_clean = real
        await layer.flush()


@pytest.mark.usefixtures("redis_server")
async def test_redis_layer_an_event_loop_that_stalled_with_a_pop_under_way_tells_lost():
    """The usual state of an idle process: a pop waits in Redis. Redis hands it the next message
    while the loop is stalled; the message behind that one expires meanwhile."""
    prefix = _prefix()
    layer = _expiring_layer(prefix)
    idle = await layer.new_channel()
    await layer.group_add("protocol.1", idle)
    try:
        await layer.group_send("protocol.1", {"type": "x", "n": 0})
        assert await asyncio.wait_for(layer.receive(idle), 5) == {"type": "x", "n": 0}
        waiting = asyncio.ensure_future(layer.receive(idle))  # a pop is under way
        await asyncio.sleep(0.3)

        def another_process_sends():
            async def send():
                other = _expiring_layer(prefix)
                await asyncio.sleep(0.3)
                await other.group_send("protocol.1", {"type": "x", "n": 1})  # taken by the waiting pop
                await other.group_send("protocol.1", {"type": "access.changed", "n": 2})
            asyncio.run(send())

        sender = threading.Thread(target=another_process_sends)
        sender.start()
        time.sleep(3.2)  # the event loop stalls (a blocking call) for longer than the expiry
        sender.join()
        got = [await asyncio.wait_for(waiting, 5)]
        waiting = asyncio.ensure_future(layer.receive(idle))
        await asyncio.sleep(0.3)
        await layer.group_send("protocol.1", {"type": "x", "n": 3})
        got.append(await asyncio.wait_for(waiting, 5))
        if got[-1] == LOST:
            got.append(await asyncio.wait_for(layer.receive(idle), 5))
    finally:
        await layer.flush()
    assert got[0] == {"type": "x", "n": 1} and LOST in got and got[-1] == {"type": "x", "n": 3}


@pytest.mark.usefixtures("redis_server")
async def test_redis_layer_forgets_the_groups_of_a_socket_whose_consumer_ended():
    layer = _expiring_layer(_prefix())
    gone = await layer.new_channel()
    await layer.group_add("protocol.1", gone)
    receiving = asyncio.ensure_future(layer.receive(gone))
    await asyncio.sleep(0.2)
    receiving.cancel()  # channels cancels a consumer's receive when the consumer ends
    with contextlib.suppress(asyncio.CancelledError):
        await receiving
    assert gone not in layer._memberships
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


async def test_in_memory_layer_a_consumer_slow_for_two_expiries_still_gets_lost():
    layer = InMemoryChannelLayer(expiry=1)
    channel = await layer.new_channel()
    await layer.group_add("protocol.1", channel)
    await layer.group_send("protocol.1", {"type": "access.changed", "n": 1})
    await asyncio.sleep(1.2)
    await layer.group_send("protocol.1", {"type": "x", "n": 2})  # n=1 expired: LOST
    await asyncio.sleep(1.2)
    await layer.group_send("protocol.1", {"type": "x", "n": 3})  # the LOST expired too
    assert await asyncio.wait_for(layer.receive(channel), 2) == LOST


def test_a_redis_read_timeout_no_longer_than_the_blocking_pop_is_refused_at_start():
    """redis-py stops reading a reply after ``socket_timeout``; the reader's pop waits in Redis up to
    ``brpop_timeout`` (5 s). At equal values every idle pop failed as a timeout, and with it every
    socket waiting in the process: such a configuration is refused when the layer is made, in a
    dict or in the URL, and a host that names none gets a longer one."""
    with pytest.raises(ImproperlyConfigured, match="socket_timeout"):
        CoreChannelLayer(hosts=[{"address": REDIS_URL, "socket_timeout": 5}])
    with pytest.raises(ImproperlyConfigured, match="socket_timeout"):
        CoreChannelLayer(hosts=[f"{REDIS_URL}?socket_timeout=3"])
    with pytest.raises(ImproperlyConfigured, match="socket_timeout"):  # the URL's value is the one redis-py uses
        CoreChannelLayer(hosts=[{"address": f"{REDIS_URL}?socket_timeout=3", "socket_timeout": 15}])
    assert CoreChannelLayer(hosts=[REDIS_URL]).hosts[0]["socket_timeout"] > CoreChannelLayer.brpop_timeout
    assert CoreChannelLayer(hosts=[{"address": REDIS_URL, "socket_timeout": 15}]).hosts[0]["socket_timeout"] == 15


@pytest.mark.usefixtures("redis_server")
async def test_an_idle_receive_outlasts_several_blocking_pops_and_then_gets_its_message():
    class QuickPops(CoreChannelLayer):
        brpop_timeout = 1

    layer = QuickPops(hosts=[REDIS_URL], prefix=_prefix())
    channel = await layer.new_channel()
    try:
        waiting = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(2.5)  # two pops that found nothing
        assert not waiting.done()
        await layer.send(channel, {"type": "x", "n": 1})
        assert (await asyncio.wait_for(waiting, 5))["n"] == 1
    finally:
        await layer.flush()


@pytest.mark.usefixtures("redis_server")
async def test_a_group_message_takes_two_round_trips_and_still_drops_expired_messages_first(monkeypatch):
    """Every live edit waits for its group send before a frame can leave: two round trips to Redis
    (channels-redis: four). The script still drops a channel's expired messages before it counts
    them against the capacity, as channels-redis's pipeline before it did."""
    layer = CoreChannelLayer(hosts=[REDIS_URL], prefix=_prefix(), capacity=2, expiry=60)
    channel = await layer.new_channel()
    await layer.group_add("live", channel)
    redis_key = layer.prefix + layer.non_local_name(channel)
    try:
        await layer.group_send("live", {"type": "warm.up"})  # opens the connection
        connection = layer.connection(0)
        await connection.delete(redis_key)
        # two messages sent 61 s ago: expired, still in the channel's key (its EXPIRE renewed)
        old = time.time() - 61
        await connection.zadd(redis_key, {b"old-1": old, b"old-2": old - 1})
        trips = []
        sent = redis.asyncio.connection.AbstractConnection.send_packed_command

        async def counting(self, command, check_health=True):
            trips.append(1)
            return await sent(self, command, check_health)

        monkeypatch.setattr(redis.asyncio.connection.AbstractConnection, "send_packed_command", counting)
        await layer.group_send("live", {"type": "x", "n": 1})
        monkeypatch.undo()
        assert len(trips) == 2
        assert await connection.zcard(redis_key) == 1  # the expired two dropped, the new one taken
        assert (await layer.receive(channel))["n"] == 1
    finally:
        await layer.flush()
