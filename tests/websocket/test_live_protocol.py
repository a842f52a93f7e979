"""The live protocol channel: what each participant's socket receives, and what it refuses."""
from __future__ import annotations

import contextvars

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from config.routing import websocket_urlpatterns
from participants.models import Membership
from protocols import live, services
from protocols import presence as protocol_presence
from protocols.consumers import ProtocolConsumer
from protocols.models import Audience, Protocol, ProtocolItem
from tests.websocket.sessions import live_scope
from access import grant_services
from tests.world import hold_conference, make_professional

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

app = URLRouter(websocket_urlpatterns)


async def open_socket(user, protocol_id):
    communicator = WebsocketCommunicator(app, f"/ws/protocols/{protocol_id}/")
    await live_scope(communicator, user)
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    return communicator


async def receive_until(communicator, kind, *, timeout=10.0):
    # Generous: only expected messages are awaited this way (absence is checked with
    # receive_nothing), and a loaded CI machine with Redis can take seconds.
    """Next message of ``kind``, skipping presence updates and other noise."""
    while True:
        message = await communicator.receive_json_from(timeout=timeout)
        if message["type"] == kind:
            return message


async def assert_no_item_message(communicator):
    # receive_nothing() waits without cancelling the consumer (a receive timeout would).
    while not await communicator.receive_nothing(timeout=0.3):
        message = await communicator.receive_json_from()
        assert message["type"] not in {"item", "item_removed"}, message


async def test_two_participants_with_different_access_get_exactly_their_items(world):
    counsellor = await open_socket(world.counsellor, world.protocol.pk)
    midwife = await open_socket(world.midwife, world.protocol.pk)
    parent = await open_socket(world.parent, world.protocol.pk)

    titles = lambda hello: sorted(i["title"] for i in hello["items"])  # noqa: E731
    assert titles(await receive_until(counsellor, "hello")) == sorted(
        [world.item_everyone.title, world.item_professionals.title, world.item_restricted.title])
    assert titles(await receive_until(midwife, "hello")) == sorted([world.item_everyone.title, world.item_professionals.title])
    assert titles(await receive_until(parent, "hello")) == [world.item_everyone.title]

    await database_sync_to_async(services.item_update)(
        world.convenor, item=world.item_restricted, version=world.item_restricted.version, text="Neuer vertraulicher Text",
    )
    changed = await receive_until(counsellor, "item")
    assert changed["item"]["text"] == "Neuer vertraulicher Text"
    await assert_no_item_message(midwife)
    await assert_no_item_message(parent)
    for communicator in (counsellor, midwife, parent):
        await communicator.disconnect()


async def test_a_narrowed_audience_disappears_from_the_screens_that_lose_access(world):
    parent = await open_socket(world.parent, world.protocol.pk)
    counsellor = await open_socket(world.counsellor, world.protocol.pk)
    await receive_until(parent, "hello")
    await receive_until(counsellor, "hello")

    await database_sync_to_async(services.item_change_audience)(
        world.convenor, item=world.item_everyone, version=world.item_everyone.version, audience=Audience.PROFESSIONALS,
    )
    removed = await receive_until(parent, "item_removed")
    assert removed == {"type": "item_removed", "item": world.item_everyone.pk}
    still_there = await receive_until(counsellor, "item")
    assert still_there["item"]["audience"] == Audience.PROFESSIONALS
    await parent.disconnect()
    await counsellor.disconnect()


async def test_an_edit_over_the_socket_reaches_the_others_and_a_stale_version_is_refused(world):
    convenor = await open_socket(world.convenor, world.protocol.pk)
    colleague = await open_socket(world.lead_colleague, world.protocol.pk)
    await receive_until(convenor, "hello")
    await receive_until(colleague, "hello")
    item = world.item_professionals

    await convenor.send_json_to({"type": "item_update", "item": item.pk, "version": item.version, "text": "Erste Fassung"})
    assert (await receive_until(convenor, "item_saved"))["version"] == item.version + 1
    assert (await receive_until(colleague, "item"))["item"]["text"] == "Erste Fassung"

    await colleague.send_json_to({"type": "item_update", "item": item.pk, "version": item.version, "text": "Überschreibt nichts"})
    conflict = await receive_until(colleague, "conflict")
    assert conflict["item"]["text"] == "Erste Fassung"
    assert conflict["item"]["version"] == item.version + 1
    assert (await database_sync_to_async(ProtocolItem.objects.get)(pk=item.pk)).text == "Erste Fassung"
    await convenor.disconnect()
    await colleague.disconnect()


async def test_script_typed_into_the_socket_is_not_stored(world):
    convenor = await open_socket(world.convenor, world.protocol.pk)
    await receive_until(convenor, "hello")
    await convenor.send_json_to({"type": "item_create", "title": "<b>Neu</b>", "text": "<script>alert(1)</script>**fett**"})
    created = await receive_until(convenor, "item")
    assert created["item"]["title"] == "Neu"
    assert "script" not in created["item"]["text"] and "script" not in created["item"]["html"]
    assert "<strong>fett</strong>" in created["item"]["html"]
    await convenor.disconnect()


async def test_a_participant_who_may_only_read_cannot_write_over_the_socket(world):
    counsellor = await open_socket(world.counsellor, world.protocol.pk)
    hello = await receive_until(counsellor, "hello")
    assert hello["can_write"] is False
    await counsellor.send_json_to({"type": "item_update", "item": world.item_everyone.pk, "version": 1, "text": "x"})
    assert (await receive_until(counsellor, "error"))["error"] == "forbidden"
    await counsellor.disconnect()


async def test_a_bad_message_gets_an_error_and_a_non_json_frame_closes(world):
    convenor = await open_socket(world.convenor, world.protocol.pk)
    await receive_until(convenor, "hello")
    await convenor.send_json_to({"type": "item_update", "item": "1; drop table", "version": 1})
    assert (await receive_until(convenor, "error"))["error"] == "bad_message"
    await convenor.send_json_to({"type": "shout"})
    assert (await receive_until(convenor, "error"))["error"] == "bad_message"
    await convenor.send_to(text_data="not json")
    while (message := await convenor.receive_output(timeout=10))["type"] != "websocket.close":
        pass
    assert message["code"] == 4400


async def test_presence_lists_who_is_connected(world):
    convenor = await open_socket(world.convenor, world.protocol.pk)
    await receive_until(convenor, "hello")
    counsellor = await open_socket(world.counsellor, world.protocol.pk)
    presence = await receive_until(convenor, "presence")
    while len(presence["people"]) < 2:
        presence = await receive_until(convenor, "presence")
    assert presence["people"] == sorted(["Convenor", "Counsellor"])
    await counsellor.disconnect()
    presence = await receive_until(convenor, "presence")
    assert presence["people"] == ["Convenor"]
    await convenor.disconnect()


async def test_reconnect_catches_up_with_what_changed(world):
    counsellor = await open_socket(world.counsellor, world.protocol.pk)
    hello = await receive_until(counsellor, "hello")
    versions = {str(i["id"]): i["version"] for i in hello["items"]}
    await counsellor.disconnect()

    await database_sync_to_async(services.item_update)(
        world.convenor, item=world.item_professionals, version=world.item_professionals.version, text="Während der Pause",
    )
    await database_sync_to_async(services.item_change_audience)(
        world.convenor, item=world.item_restricted, version=world.item_restricted.version, audience=Audience.RESTRICTED,
        restricted_to=[world.midwifery], holding_organisation=world.youth_welfare, category=world.item_restricted.category,
        entrusted_by=world.mother,
    )
    again = await open_socket(world.counsellor, world.protocol.pk)
    await receive_until(again, "hello")
    await again.send_json_to({"type": "sync", "versions": versions})
    sync = await receive_until(again, "sync")
    assert [i["text"] for i in sync["items"]] == ["Während der Pause"]
    assert sync["removed"] == [world.item_restricted.pk]
    await again.disconnect()


async def test_a_change_committed_while_the_hello_is_read_still_reaches_the_socket(world, monkeypatch):
    """The socket joins the protocol's group before it reads the hello: an item changed by
    someone else in between comes after the hello instead of being lost until a reload."""
    from protocols.consumers import ProtocolConsumer

    read_hello = ProtocolConsumer.__dict__["_hello"]  # the database_sync_to_async wrapper

    @database_sync_to_async
    def hello_with_a_change_right_after_the_read(self):
        hello = read_hello.func(self)  # the read, synchronous, in this database thread
        services.item_update(world.convenor, item=world.item_everyone, version=world.item_everyone.version,
                             text="Geändert, während sie sich verband")
        return hello

    monkeypatch.setattr(ProtocolConsumer, "_hello", hello_with_a_change_right_after_the_read)
    parent = await open_socket(world.parent, world.protocol.pk)
    hello = await receive_until(parent, "hello")
    assert [i["text"] for i in hello["items"]] == [world.item_everyone.text]
    changed = await receive_until(parent, "item")
    assert changed["item"]["text"] == "Geändert, während sie sich verband"
    await parent.disconnect()


async def test_an_anonymous_socket_is_closed_with_4401(world):
    from django.contrib.auth.models import AnonymousUser

    communicator = WebsocketCommunicator(app, f"/ws/protocols/{world.protocol.pk}/")
    communicator.scope["user"] = AnonymousUser()
    await communicator.connect(timeout=10)
    assert await communicator.receive_output(timeout=10) == {"type": "websocket.close", "code": 4401}


@pytest.mark.parametrize("role", ["outsider", "foreign_professional", "other_parent", "board_member", "admin"])
async def test_a_foreign_socket_is_closed_with_4404(world, role):
    communicator = WebsocketCommunicator(app, f"/ws/protocols/{world.protocol.pk}/")
    await live_scope(communicator, getattr(world, role))
    await communicator.connect(timeout=10)
    assert await communicator.receive_output(timeout=10) == {"type": "websocket.close", "code": 4404}


async def test_a_final_protocol_refuses_changes_over_the_socket(world):
    await database_sync_to_async(hold_conference)(world.conference)
    await database_sync_to_async(services.protocol_release)(world.convenor, protocol=world.protocol)
    protocol = await database_sync_to_async(Protocol.objects.get)(pk=world.protocol.pk)
    await database_sync_to_async(services.protocol_finalise)(world.convenor, protocol=protocol, confirm_early=True)
    convenor = await open_socket(world.convenor, world.protocol.pk)
    hello = await receive_until(convenor, "hello")
    assert hello["protocol"]["is_final"] is True
    await convenor.send_json_to({"type": "item_update", "item": world.item_everyone.pk, "version": world.item_everyone.version, "text": "Zu spät"})
    assert (await receive_until(convenor, "error"))["error"] == "final"
    assert (await database_sync_to_async(ProtocolItem.objects.get)(pk=world.item_everyone.pk)).text != "Zu spät"
    await convenor.disconnect()


async def open_socket_in(user, protocol_id, *, cookie_language: str = "", accept_language: str = ""):
    """A socket whose handshake carries the language cookie or Accept-Language header of the page."""
    communicator = WebsocketCommunicator(app, f"/ws/protocols/{protocol_id}/",
                                         headers=[(b"accept-language", accept_language.encode())] if accept_language else None)
    await live_scope(communicator, user)
    communicator.scope["cookies"] = {"django_language": cookie_language} if cookie_language else {}
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    return communicator


async def test_live_due_dates_and_labels_follow_each_readers_language_not_the_writers(world):
    """Payloads are built once, in the writer's language; each socket renders the display fields
    again in its reader's language, as the server-rendered part of the page does."""
    from django.utils import formats, translation

    parent = await open_socket_in(world.parent, world.protocol.pk, cookie_language="da")
    counsellor = await open_socket_in(world.counsellor, world.protocol.pk, accept_language="en-GB,en;q=0.8")
    hello = await receive_until(parent, "hello")
    action = next(i for i in hello["items"] if i["id"] == world.item_everyone.pk)["actions"][0]
    with translation.override("da"):
        assert action["due_on_display"] == formats.date_format(world.action_parent.due_on, "SHORT_DATE_FORMAT")
        assert action["status_label"] == "Åben"
        assert action["responsible"] == f"{world.mother.display_name} (Mor)"  # the relation in her language
    assert action["due_on_display"] != world.action_parent.due_on.isoformat()
    await receive_until(counsellor, "hello")

    def write_in_german():
        with translation.override("de"):
            services.action_update_status(world.convenor, action=world.action_counselling, status="in_progress", note="Termin steht")

    await database_sync_to_async(write_in_german)()
    changed = (await receive_until(counsellor, "action"))["action"]
    assert changed["status_label"] == "In progress"
    assert changed["due_on_display"] == world.action_counselling.due_on.strftime("%d/%m/%Y")  # en-GB, not German
    await parent.disconnect()
    await counsellor.disconnect()


async def test_presence_costs_one_group_message_per_interval_not_per_join(world, settings, monkeypatch):
    """Sockets joining together cost one layer message per announcement window of a server
    process (no member answers a join, joins travel together), not one per join; the last to join
    still sees everyone from the roster, and each member's browser gets one list per interval, not
    one per join. Leaves travel the same way."""
    import asyncio
    import time

    from channels.layers import InMemoryChannelLayer, channel_layers

    from protocols import presence

    window = 2.0
    monkeypatch.setattr(presence, "ANNOUNCE_AFTER", window)
    sent = []  # every message a consumer hands to the layer: one per group_send, one per direct send
    in_group_send = contextvars.ContextVar("in_group_send", default=False)

    class CountingLayer(InMemoryChannelLayer):
        async def send(self, channel, message):
            if not in_group_send.get():  # the in-memory layer delivers a group message by send()
                sent.append(message["type"])
            await super().send(channel, message)

        async def group_send(self, group, message):
            sent.append(message["type"])
            token = in_group_send.set(True)
            try:
                await super().group_send(group, message)
            finally:
                in_group_send.reset(token)

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": f"{__name__}.CountingLayer"}}
    globals()["CountingLayer"] = CountingLayer
    channel_layers.backends.clear()
    try:
        first = await open_socket(world.convenor, world.protocol.pk)
        await receive_until(first, "hello")
        assert (await receive_until(first, "presence"))["people"] == ["Convenor"]
        await asyncio.sleep(window + 0.5)  # her own join's announcement has left
        users = [world.counsellor, world.lead_colleague, world.midwife, world.parent] * 3
        async def join(user):
            socket = await open_socket(user, world.protocol.pk)
            # Generous: 12 joins at once each read the database in one thread, slow on a loaded machine.
            await receive_until(socket, "hello", timeout=60)
            await receive_until(socket, "presence", timeout=60)  # her first list: her join is announced right after it
            return socket

        sent.clear()
        started = time.monotonic()
        sockets = await asyncio.gather(*(join(user) for user in users))
        joined_in = time.monotonic() - started
        everyone = sorted({u.get_full_name() or u.get_username() for u in [world.convenor, *users]}, key=str.lower)
        last = {"people": None}
        while last["people"] != everyone:  # from the roster, or the joins announced after it
            last = await receive_until(sockets[-1], "presence")
        lists = [await receive_until(first, "presence", timeout=window + 10)]
        while lists[-1]["people"] != everyone:
            lists.append(await receive_until(first, "presence", timeout=window + 10))
        announced = [t for t in sent if t.startswith("presence")]
        assert set(announced) == {"presence.changed"}
        assert len(announced) <= 1 + int(joined_in // window) < len(users), (announced, joined_in)
        assert len(lists) <= len(announced), "one list per announcement (per interval), not one per join"

        sent.clear()
        started = time.monotonic()
        for socket in sockets:
            await socket.disconnect()
        left_in = time.monotonic() - started
        presence_list = await receive_until(first, "presence", timeout=window + 10)
        while presence_list["people"] != ["Convenor"]:
            presence_list = await receive_until(first, "presence", timeout=window + 10)
        announced = [t for t in sent if t.startswith("presence")]
        assert set(announced) == {"presence.changed"}
        assert len(announced) <= 1 + int(left_in // window) < len(users), (announced, left_in)
        await first.disconnect()
    finally:
        channel_layers.backends.clear()


async def test_a_guest_of_the_conference_follows_the_items_for_everyone_live_and_nothing_else(world):
    """Before, her socket got the hello and then no update at all: her view fell behind."""
    guest = await database_sync_to_async(make_professional)("guest-live", world.early_help)
    await database_sync_to_async(grant_services.guest_invite)(world.convenor, conference=world.conference, guest=guest)
    socket = await open_socket(guest, world.protocol.pk)
    hello = await receive_until(socket, "hello")
    assert [i["title"] for i in hello["items"]] == [world.item_everyone.title]

    await database_sync_to_async(services.item_update)(
        world.convenor, item=world.item_professionals, version=world.item_professionals.version, text="Nur für Fachkräfte")
    await assert_no_item_message(socket)
    await database_sync_to_async(services.item_update)(
        world.convenor, item=world.item_everyone, version=world.item_everyone.version, text="Für alle, auch den Gast")
    changed = await receive_until(socket, "item")
    assert changed["item"]["id"] == world.item_everyone.pk and changed["item"]["text"] == "Für alle, auch den Gast"
    await socket.disconnect()


async def test_a_guest_who_left_the_network_gets_no_more_items_live(world):
    """Her grant reads nothing once her membership ends (``guest_conference_ids``), and nothing
    tells her socket: its deliveries to a guest ask the policy."""
    guest = await database_sync_to_async(make_professional)("guest-left", world.early_help)
    await database_sync_to_async(grant_services.guest_invite)(world.convenor, conference=world.conference, guest=guest)
    socket = await open_socket(guest, world.protocol.pk)
    await receive_until(socket, "hello")
    await database_sync_to_async(lambda: Membership.objects.filter(user=guest).update(is_active=False))()
    await database_sync_to_async(services.item_update)(
        world.convenor, item=world.item_everyone, version=world.item_everyone.version, text="Neu nach ihrem Weggang")
    removed = await receive_until(socket, "item_removed")  # the item leaves her screen; its new text never arrives
    assert removed == {"type": "item_removed", "item": world.item_everyone.pk}
    await assert_no_item_message(socket)
    await socket.disconnect()


async def test_a_late_event_of_an_older_version_neither_undoes_an_edit_nor_shows_a_narrowed_item_again(world):
    """Two edits sent from two server processes can reach a socket in the wrong order (the first
    one's send was slower): the older event must not overwrite the newer text, nor bring back an
    item the newer version took away from her."""
    parent = await open_socket(world.parent, world.protocol.pk)
    counsellor = await open_socket(world.counsellor, world.protocol.pk)
    await receive_until(parent, "hello")
    await receive_until(counsellor, "hello")
    late = await database_sync_to_async(live.item_event)(world.item_everyone.pk)  # built, then held up
    assert late["audience"] == Audience.EVERYONE

    await database_sync_to_async(services.item_change_audience)(
        world.convenor, item=world.item_everyone, version=world.item_everyone.version, audience=Audience.PROFESSIONALS,
    )
    assert (await receive_until(parent, "item_removed"))["item"] == world.item_everyone.pk
    newer = await receive_until(counsellor, "item")
    assert newer["item"]["version"] == late["item"]["version"] + 1

    await get_channel_layer().group_send(live.group_name(world.protocol.pk), late)
    await assert_no_item_message(parent)  # the item narrowed away from her stays away
    await assert_no_item_message(counsellor)  # her screen keeps the newer version
    for communicator in (parent, counsellor):
        await communicator.disconnect()


async def test_a_socket_opened_after_the_narrowing_does_not_show_the_older_wider_version(world):
    """Her hello leaves out the item narrowed away from her; a late event of the older, wider
    version must not show it to her (the socket knows the versions of the items it does not show)."""
    late = await database_sync_to_async(live.item_event)(world.item_everyone.pk)  # built at the older version, held up
    assert late["audience"] == Audience.EVERYONE
    await database_sync_to_async(services.item_change_audience)(
        world.convenor, item=world.item_everyone, version=world.item_everyone.version, audience=Audience.PROFESSIONALS)
    parent = await open_socket(world.parent, world.protocol.pk)  # e.g. her browser reconnects now
    hello = await receive_until(parent, "hello")
    assert world.item_everyone.pk not in {i["id"] for i in hello["items"]}

    await get_channel_layer().group_send(live.group_name(world.protocol.pk), late)
    await assert_no_item_message(parent)
    await parent.disconnect()


async def test_a_socket_whose_handler_fails_leaves_the_roster_and_the_group(world, monkeypatch):
    """A send that raises inside a handler (the client is gone; uvicorn raises ClientDisconnected)
    ends the consumer without a ``websocket.disconnect``: it must still leave, or its presence
    heartbeat keeps a ghost in everyone's list of who is connected."""
    convenor = await open_socket(world.convenor, world.protocol.pk)
    await receive_until(convenor, "hello")
    counsellor = await open_socket(world.counsellor, world.protocol.pk)
    await receive_until(counsellor, "hello")
    presence = await receive_until(convenor, "presence")
    while len(presence["people"]) < 2:
        presence = await receive_until(convenor, "presence")

    real_send = ProtocolConsumer._send_shared

    async def gone(self, event_id, content):
        if self.user.pk == world.counsellor.pk:
            raise ConnectionResetError("client gone")
        await real_send(self, event_id, content)

    monkeypatch.setattr(ProtocolConsumer, "_send_shared", gone)
    await database_sync_to_async(services.item_update)(
        world.convenor, item=world.item_everyone, version=world.item_everyone.version, text="Neu")
    with pytest.raises(ConnectionResetError):
        await counsellor.wait(timeout=10)
    presence = await receive_until(convenor, "presence")
    while len(presence["people"]) > 1:
        presence = await receive_until(convenor, "presence")
    assert presence["people"] == ["Convenor"]
    roster = await protocol_presence.roster(get_channel_layer(), live.group_name(world.protocol.pk))
    assert len(roster) == 1
    await convenor.disconnect()


async def test_the_holder_narrowing_a_released_item_removes_it_from_the_screens_that_lose_it(world):
    """A released draft's item, widened to the team, narrowed again by its holder (``services.item_narrow``)."""
    item = await database_sync_to_async(ProtocolItem.objects.create)(
        protocol=world.protocol, position=20, title="Erweitert", text="Anvertraut", audience=Audience.PROFESSIONALS,
        holding_organisation=world.youth_welfare, entrusted_by=world.mother, category=world.item_restricted.category,
        created_by=world.convenor)
    await database_sync_to_async(Protocol.objects.filter(pk=world.protocol.pk).update)(status=Protocol.Status.RELEASED)
    counsellor = await open_socket(world.counsellor, world.protocol.pk)  # reads it by the world's consent
    hello = await receive_until(counsellor, "hello")
    assert item.pk in {i["id"] for i in hello["items"]}

    await database_sync_to_async(services.item_narrow)(
        world.lead_colleague, item=item, version=item.version, audience=Audience.RESTRICTED, restricted_to=[world.youth_welfare])
    removed = await receive_until(counsellor, "item_removed")
    assert removed == {"type": "item_removed", "item": item.pk}
    await counsellor.disconnect()
