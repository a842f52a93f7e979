"""Sockets in tests open on a real signed-in session, as a browser's would."""
from __future__ import annotations

from importlib import import_module

from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from config.routing import websocket_urlpatterns
from tests.matrix.roles import user_for


def sign_in(user) -> Client:
    """A client signed in as ``user`` through Django's login (signals, session limits and all)."""
    client = Client()
    client.force_login(user)
    return client


def session_of(client: Client):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=client.session.session_key)


async def live_scope(communicator, user):
    """Put ``user`` and a live session of hers into the communicator's scope; returns the client
    whose session it is (to sign out, or to reach the pages with the same session)."""
    client = await database_sync_to_async(sign_in)(user)
    communicator.scope["user"] = user
    communicator.scope["session"] = await database_sync_to_async(session_of)(client)
    return client


async def protocol_socket(world, role: str, protocol_id: int, *, readers):
    """A live socket on the protocol for ``role`` of the permission matrix (``tests.matrix.roles``),
    connected: (communicator, True) with its hello awaited by the caller where ``role`` is among
    ``readers``; otherwise (communicator, False) once the server closed it, as it must."""
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/protocols/{protocol_id}/")
    user = user_for(world, role)
    if user is None:
        communicator.scope["user"] = AnonymousUser()
    else:
        await live_scope(communicator, user)
    assert (await communicator.connect(timeout=10))[0]
    if role not in readers:
        assert (await communicator.receive_output(timeout=10))["type"] == "websocket.close"
        return communicator, False
    return communicator, True
