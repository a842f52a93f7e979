"""Issue 15, finding 5: the live channel is as strict as HTTP.

A socket opens only on a live session of a user who has completed her second factor where it
is required, re-checks on every message, and is closed at once by logout, idle and absolute
expiry, deactivation, a changed password and a reset second factor.
"""
from __future__ import annotations

import time

import pytest
from allauth.mfa.models import Authenticator
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from config.routing import websocket_urlpatterns
from protocols.consumers import CLOSE_FORBIDDEN
from permissions.live_sessions import CLOSE_LAYER_LOST, CLOSE_MFA_REQUIRED, CLOSE_SESSION_ENDED, user_group
from permissions.middleware import SESSION_SEEN, SESSION_STARTED
from tests.websocket.sessions import live_scope, session_of
from tests.websocket.test_live_protocol import receive_until

pytestmark = pytest.mark.django_db(transaction=True)

app = URLRouter(websocket_urlpatterns)


async def socket_for(user, path):
    communicator = WebsocketCommunicator(app, path)
    client = await live_scope(communicator, user)
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    return communicator, client


async def closed_with(communicator, *codes, timeout=10.0) -> bool:
    """Skip what was sent before; True when the socket was closed with one of ``codes``."""
    while True:
        output = await communicator.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return output.get("code") in codes


def give_second_factor(user) -> Authenticator:
    return Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})


def age_session(client, **seconds_ago) -> None:
    session = session_of(client)
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[{"seen": SESSION_SEEN, "started": SESSION_STARTED}[key]] = now - ago
    session.save()


async def test_a_professional_without_her_second_factor_gets_no_items_over_the_socket(world, settings):
    settings.MFA_REQUIRED_FOR_PROFESSIONALS = True
    socket, _ = await socket_for(world.counsellor, f"/ws/protocols/{world.protocol.pk}/")
    output = await socket.receive_output(timeout=10)
    assert output == {"type": "websocket.close", "code": CLOSE_MFA_REQUIRED}


async def test_with_her_second_factor_set_up_the_socket_says_hello(world, settings):
    settings.MFA_REQUIRED_FOR_PROFESSIONALS = True
    await database_sync_to_async(give_second_factor)(world.counsellor)
    socket, _ = await socket_for(world.counsellor, f"/ws/protocols/{world.protocol.pk}/")
    assert (await receive_until(socket, "hello"))["items"]
    await socket.disconnect()


async def test_the_poll_grid_also_asks_for_the_second_factor(world, settings):
    settings.MFA_REQUIRED_FOR_PROFESSIONALS = True
    communicator = WebsocketCommunicator(app, f"/ws/conferences/{world.conference.pk}/poll/")
    await live_scope(communicator, world.convenor)
    connected, code = await communicator.connect(timeout=10)
    assert not connected and code == CLOSE_MFA_REQUIRED


async def test_a_socket_without_a_session_is_refused(world):
    communicator = WebsocketCommunicator(app, f"/ws/protocols/{world.protocol.pk}/")
    communicator.scope["user"] = world.counsellor  # a user, but no session behind her
    connected, _ = await communicator.connect(timeout=10)
    assert connected and await closed_with(communicator, CLOSE_SESSION_ENDED)


async def test_logging_out_closes_the_open_socket_at_once(world):
    socket, client = await socket_for(world.counsellor, f"/ws/protocols/{world.protocol.pk}/")
    await receive_until(socket, "hello")
    await database_sync_to_async(client.logout)()
    assert await closed_with(socket, CLOSE_SESSION_ENDED)


async def test_a_socket_of_another_session_of_the_same_user_stays_open_at_logout(world):
    kept, _ = await socket_for(world.counsellor, f"/ws/protocols/{world.protocol.pk}/")
    ended, client = await socket_for(world.counsellor, f"/ws/protocols/{world.protocol.pk}/")
    await receive_until(kept, "hello")
    await receive_until(ended, "hello")
    await database_sync_to_async(client.logout)()
    assert await closed_with(ended, CLOSE_SESSION_ENDED)
    await kept.send_json_to({"type": "ping"})
    assert (await receive_until(kept, "pong"))["type"] == "pong"
    await kept.disconnect()


async def test_after_the_idle_limit_the_next_message_closes_the_socket_instead_of_answering(world, settings):
    socket, client = await socket_for(world.counsellor, f"/ws/protocols/{world.protocol.pk}/")
    await receive_until(socket, "hello")
    await database_sync_to_async(age_session)(client, seen=settings.SESSION_IDLE_SECONDS + 5)
    await socket.send_json_to({"type": "sync", "versions": {}})
    assert await closed_with(socket, CLOSE_SESSION_ENDED)


async def test_after_the_absolute_limit_the_next_message_closes_the_socket(world, settings):
    socket, client = await socket_for(world.counsellor, f"/ws/protocols/{world.protocol.pk}/")
    await receive_until(socket, "hello")
    await database_sync_to_async(age_session)(client, started=settings.SESSION_COOKIE_AGE + 5)
    await socket.send_json_to({"type": "ping"})
    assert await closed_with(socket, CLOSE_SESSION_ENDED)


async def test_an_idle_socket_closes_by_itself_when_the_session_times_out(world, settings):
    settings.SESSION_IDLE_SECONDS = 1
    socket, _ = await socket_for(world.counsellor, f"/ws/protocols/{world.protocol.pk}/")
    assert await closed_with(socket, CLOSE_SESSION_ENDED, timeout=12)


async def test_a_session_deleted_elsewhere_closes_the_socket_at_its_next_message(world):
    socket, client = await socket_for(world.counsellor, f"/ws/protocols/{world.protocol.pk}/")
    await receive_until(socket, "hello")
    await database_sync_to_async(lambda: session_of(client).delete())()
    await socket.send_json_to({"type": "ping"})
    assert await closed_with(socket, CLOSE_SESSION_ENDED)


async def test_deactivating_the_user_closes_her_sockets_at_once(world):
    socket, _ = await socket_for(world.counsellor, f"/ws/protocols/{world.protocol.pk}/")
    await receive_until(socket, "hello")

    def deactivate():
        world.counsellor.is_active = False
        world.counsellor.save()

    await database_sync_to_async(deactivate)()
    # the session's end (4401) and the lost access to the case (4403) race; either closes it
    assert await closed_with(socket, CLOSE_SESSION_ENDED, CLOSE_FORBIDDEN)


async def test_resetting_the_second_factor_closes_her_sockets_at_once(world, settings):
    settings.MFA_REQUIRED_FOR_PROFESSIONALS = True
    factor = await database_sync_to_async(give_second_factor)(world.counsellor)
    socket, _ = await socket_for(world.counsellor, f"/ws/protocols/{world.protocol.pk}/")
    await receive_until(socket, "hello")
    await database_sync_to_async(factor.delete)()
    assert await closed_with(socket, CLOSE_SESSION_ENDED)
    again, _ = await socket_for(world.counsellor, f"/ws/protocols/{world.protocol.pk}/")
    assert await closed_with(again, CLOSE_MFA_REQUIRED)


def change_password(user, raw="ein-neues-Passwort-2026") -> None:
    user.set_password(raw)
    user.save()


async def test_changing_the_password_elsewhere_closes_her_sockets_at_once(world):
    """A reset link, the admin's reset or another session: no message needed, the socket closes."""
    socket, _ = await socket_for(world.counsellor, f"/ws/protocols/{world.protocol.pk}/")
    await receive_until(socket, "hello")
    await database_sync_to_async(change_password)(world.counsellor)
    assert await closed_with(socket, CLOSE_SESSION_ENDED)
    # the old session is over: a new socket on it is refused
    again = WebsocketCommunicator(app, f"/ws/protocols/{world.protocol.pk}/")
    again.scope["user"], again.scope["session"] = world.counsellor, socket.scope["session"]
    connected, _ = await again.connect(timeout=10)
    assert connected and await closed_with(again, CLOSE_SESSION_ENDED)


async def test_changing_the_password_on_her_account_page_closes_her_sockets_and_this_session_reconnects(world):
    from django.urls import reverse

    def set_known_password():
        world.counsellor.set_password("das-alte-Passwort-2026")
        world.counsellor.save()

    await database_sync_to_async(set_known_password)()
    socket, client = await socket_for(world.counsellor, f"/ws/protocols/{world.protocol.pk}/")
    other, _ = await socket_for(world.counsellor, f"/ws/protocols/{world.protocol.pk}/")
    await receive_until(socket, "hello")
    await receive_until(other, "hello")
    response = await database_sync_to_async(client.post)(reverse("account_change_password"), {
        "oldpassword": "das-alte-Passwort-2026", "password1": "ein-neues-Passwort-2026", "password2": "ein-neues-Passwort-2026"})
    assert response.status_code == 302
    assert await closed_with(socket, CLOSE_SESSION_ENDED)
    assert await closed_with(other, CLOSE_SESSION_ENDED)
    # the session she changed it in carries the new hash: its page reconnects and reads on
    again = WebsocketCommunicator(app, f"/ws/protocols/{world.protocol.pk}/")
    again.scope["user"] = world.counsellor
    again.scope["session"] = await database_sync_to_async(session_of)(client)
    connected, _ = await again.connect(timeout=10)
    assert connected
    assert (await receive_until(again, "hello"))["type"] == "hello"
    await again.disconnect()


async def test_signing_in_again_does_not_close_her_sockets(world):
    socket, _ = await socket_for(world.counsellor, f"/ws/protocols/{world.protocol.pk}/")
    await receive_until(socket, "hello")
    await database_sync_to_async(lambda: sign_in_again(world.counsellor))()
    await socket.send_json_to({"type": "ping"})
    assert (await receive_until(socket, "pong"))["type"] == "pong"
    await socket.disconnect()


def sign_in_again(user) -> None:
    from tests.websocket.sessions import sign_in

    sign_in(user)  # saves last_login only
    user.first_name = "Neu"
    user.save()  # a save without a new password


@pytest.mark.parametrize("path", ["/ws/protocols/{protocol}/", "/ws/conferences/{conference}/poll/",
                                  "/ws/conferences/{conference}/"])
async def test_a_lost_channel_layer_closes_the_socket_so_that_the_browser_reconnects_and_catches_up(world, path):
    """The pub/sub layer (``CHANNELS_REDIS_LAYER=pubsub``) tells every socket of a process that lost
    its Redis subscription ``channel_layer.lost``: what was published meanwhile is gone. The socket
    closes with 1011, which live.js does not treat as final (it reconnects and sends ``sync``)."""
    socket, _ = await socket_for(world.convenor, path.format(protocol=world.protocol.pk, conference=world.conference.pk))
    if "protocols" in path:
        await receive_until(socket, "hello")
    # what the layer puts into each of its consumers' queues; here through a group the socket is in
    await get_channel_layer().group_send(user_group(world.convenor.pk), {"type": "channel_layer.lost"})
    assert await closed_with(socket, CLOSE_LAYER_LOST)
