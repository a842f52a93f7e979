"""A channel-layer message for an idle socket is handed straight to its consumer's handler
(``permissions.channel_layer._Immediate``, ``permissions.live_sessions.LiveSessionMixin._deliver_now``):
the fan-out of a live edit then wakes no receive per socket (issue 13), and nothing else changes:
a socket busy with a message handles the next one after it, a handler that has to wait (the
policy, a database read) is finished before the next message, and a failing handler ends the socket."""
from __future__ import annotations

import asyncio
import time

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from protocols import live, services
from protocols.consumers import ProtocolConsumer
from protocols.models import ProtocolItem
from tests.websocket.test_live_protocol import open_socket, receive_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


async def quiet(communicator) -> None:
    while not await communicator.receive_nothing(timeout=0.3):
        await communicator.receive_from()


async def idle_counsellor_socket(world):
    """The counsellor's socket on the protocol, past its hello and presence: idle."""
    counsellor = await open_socket(world.counsellor, world.protocol.pk)
    await receive_until(counsellor, "hello")
    await quiet(counsellor)
    return counsellor


def trace_item_changed(monkeypatch, order: list[str]) -> None:
    """Note in ``order`` when the socket begins handling an item event."""
    item_changed = ProtocolConsumer.item_changed

    async def traced(self, event):
        order.append("item.changed")
        await item_changed(self, event)

    monkeypatch.setattr(ProtocolConsumer, "item_changed", traced)


async def access_changed_then_item(world, begun: asyncio.Event | None = None) -> None:
    """``access.changed`` to the protocol's sockets, then (once ``begun`` is set, if given) an
    ``item.changed`` of the item for everyone."""
    group = live.group_name(world.protocol.pk)
    event = await database_sync_to_async(live.item_event)(world.item_everyone.pk)
    await get_channel_layer().group_send(group, {"type": "access.changed"})
    if begun is not None:
        await asyncio.wait_for(begun.wait(), 10)
    await get_channel_layer().group_send(group, event)


@pytest.fixture
def received_by_the_loop(monkeypatch):
    """The messages the sockets' own receives took from the channel layer (channels' dispatch
    loop), by type."""
    taken: list[str] = []
    layer = get_channel_layer()
    receive = layer.receive

    async def counted(channel):
        message = await receive(channel)
        taken.append(message.get("type"))
        return message

    monkeypatch.setattr(layer, "receive", counted)  # bound by each consumer when it starts
    return taken


async def test_a_fan_out_to_idle_sockets_wakes_none_of_their_receives(world, received_by_the_loop):
    people = [world.convenor, world.lead_colleague, world.counsellor, world.midwife, world.parent] * 4
    sockets = [await open_socket(user, world.protocol.pk) for user in people]
    for communicator in sockets:
        await receive_until(communicator, "hello")
    await asyncio.gather(*(quiet(communicator) for communicator in sockets))
    received_by_the_loop.clear()

    item = await database_sync_to_async(ProtocolItem.objects.get)(pk=world.item_everyone.pk)
    await database_sync_to_async(services.item_update)(world.convenor, item=item, version=item.version, text="Auf einmal")
    for communicator in sockets:  # every socket shows the edit ...
        assert (await receive_until(communicator, "item"))["item"]["text"] == "Auf einmal"
    assert "item.changed" not in received_by_the_loop  # ... and none waited in its receive for it
    for communicator in sockets:
        await communicator.disconnect()


async def test_a_message_for_a_socket_busy_with_its_browser_s_message_waits_until_that_is_answered(world, monkeypatch):
    """Her browser's message (here a ping, made slow) is being handled by her socket's own loop
    when an item event arrives: the item is handled after it, not in the middle."""
    order: list[str] = []
    started = asyncio.Event()

    async def slow_ping(self, message):
        order.append("ping begins")
        started.set()
        await asyncio.sleep(0.3)
        order.append("ping ends")
        return {"type": "pong"}

    monkeypatch.setattr(ProtocolConsumer, "on_ping", slow_ping)
    trace_item_changed(monkeypatch, order)
    counsellor = await idle_counsellor_socket(world)

    event = await database_sync_to_async(live.item_event)(world.item_everyone.pk)
    await counsellor.send_json_to({"type": "ping"})
    await asyncio.wait_for(started.wait(), 10)
    await get_channel_layer().group_send(live.group_name(world.protocol.pk), event)
    await receive_until(counsellor, "pong")
    await receive_until(counsellor, "item")
    assert order == ["ping begins", "ping ends", "item.changed"]
    await counsellor.disconnect()


async def test_a_message_for_a_busy_socket_waits_until_its_handler_is_done(world, monkeypatch):
    """An ``access.changed`` makes the socket re-read her access (a database read, so it waits);
    the item event right behind it must be decided after that, not with what she could read before."""
    order: list[str] = []
    real_access_changed = ProtocolConsumer.access_changed
    started = asyncio.Event()

    async def access_changed(self, event):
        order.append("access.changed begins")
        started.set()
        await asyncio.sleep(0.3)  # a slow database
        await real_access_changed(self, event)  # re-reads her access (a database read)
        order.append("access.changed ends")

    monkeypatch.setattr(ProtocolConsumer, "access_changed", access_changed)
    trace_item_changed(monkeypatch, order)
    counsellor = await idle_counsellor_socket(world)

    await access_changed_then_item(world, started)
    await receive_until(counsellor, "item")
    assert order == ["access.changed begins", "access.changed ends", "item.changed"]
    await counsellor.disconnect()


async def test_a_handler_that_waits_is_finished_before_the_socket_s_next_message(world, monkeypatch):
    """The restricted item needs the policy for the counsellor (a database read): its handler goes
    on as a task, and the edit of the item for everyone, sent right after, reaches her after it."""
    counsellor = await idle_counsellor_socket(world)
    decide = ProtocolConsumer.__dict__["_item_basis"].func

    def slow_decide(self, item_id):
        time.sleep(0.3)
        return decide(self, item_id)

    monkeypatch.setattr(ProtocolConsumer, "_item_basis", database_sync_to_async(slow_decide))
    group = live.group_name(world.protocol.pk)
    restricted = await database_sync_to_async(live.item_event)(world.item_restricted.pk)
    everyone = await database_sync_to_async(live.item_event)(world.item_everyone.pk)
    await get_channel_layer().group_send(group, restricted)
    await get_channel_layer().group_send(group, everyone)
    first = await receive_until(counsellor, "item")
    second = await receive_until(counsellor, "item")
    assert [first["item"]["id"], second["item"]["id"]] == [world.item_restricted.pk, world.item_everyone.pk]
    await counsellor.disconnect()


async def test_a_handler_that_waits_and_then_fails_ends_the_socket(world, monkeypatch):
    counsellor = await idle_counsellor_socket(world)

    def failing_decide(self, item_id):
        raise RuntimeError("policy read failed")

    monkeypatch.setattr(ProtocolConsumer, "_item_basis", database_sync_to_async(failing_decide))
    restricted = await database_sync_to_async(live.item_event)(world.item_restricted.pk)
    await get_channel_layer().group_send(live.group_name(world.protocol.pk), restricted)
    with pytest.raises(RuntimeError, match="policy read failed"):
        await counsellor.wait(timeout=10)


async def test_a_message_queued_behind_a_failing_handler_is_never_handled(world, monkeypatch):
    """``access.changed`` fails half-way (her access not re-read): the item event queued behind it
    must not be decided with what she could read before; her socket ends instead."""
    handled: list[str] = []

    async def failing_access_changed(self, event):
        await asyncio.sleep(0.2)  # the item event arrives meanwhile
        raise RuntimeError("access re-read failed")

    monkeypatch.setattr(ProtocolConsumer, "access_changed", failing_access_changed)
    trace_item_changed(monkeypatch, handled)
    counsellor = await idle_counsellor_socket(world)

    await access_changed_then_item(world)
    with pytest.raises(RuntimeError, match="access re-read failed"):
        await counsellor.wait(timeout=10)
    assert handled == []
