"""Sockets in tests open on a real signed-in session, as a browser's would."""
from __future__ import annotations

from importlib import import_module

from channels.db import database_sync_to_async
from django.conf import settings
from django.test import Client


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
