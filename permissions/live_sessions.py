"""The live channel is as strict as HTTP: a socket lives only as long as the session it was
opened with.

A socket may open only on a live session (in the store, within its idle and absolute limits,
of the same active user, with an unchanged password hash) of a user who has completed the
second factor where it is required. While it is open, the socket re-checks on every message it
receives, wakes by itself when the session would reach its idle or absolute limit, and is
closed at once from the paths that end a session: logout, deactivation, a changed password, a
reset second factor (``close_session_sockets`` / ``close_user_sockets``, called after commit).

Close codes: 4401 the session has ended (sign in again); 4403 a second factor must be set up;
1011 the channel layer lost Redis (the browser reconnects and catches up).
"""
from __future__ import annotations

import asyncio
import contextvars
import hashlib
import logging
import time
from importlib import import_module

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.utils.crypto import constant_time_compare

from permissions.middleware import SESSION_SEEN, SESSION_STARTED, has_second_factor, needs_second_factor

logger = logging.getLogger(__name__)

CLOSE_SESSION_ENDED = 4401
CLOSE_MFA_REQUIRED = 4403
CLOSE_ABNORMAL = 1006  # the connection ended without a close frame (a failed handler's clean-up)
CLOSE_LAYER_LOST = 1011  # server error: not final for live.js, which reconnects and sends ``sync``
MESSAGE_TYPE = "session.end"


def session_group(session_key: str) -> str:
    # Group names travel through the channel layer (Redis): never the session key itself.
    return "session-" + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


def _store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_limits(data: dict, now: int) -> int | None:
    """Seconds the session has left (idle and absolute limits), or None when it has ended."""
    started, seen = data.get(SESSION_STARTED), data.get(SESSION_SEEN)
    if started is None or seen is None:
        return None
    left = min(int(started) + settings.SESSION_COOKIE_AGE - now, int(seen) + settings.SESSION_IDLE_SECONDS - now)
    return left if left > 0 else None


def check_live_session(user, session_key: str | None) -> tuple[int | None, int]:
    """(close code or None, seconds left). Reads the session afresh from the store and the user
    afresh from the database, so a logout, an expiry, a deactivation, a changed password or a
    removed second factor elsewhere is seen here."""
    if user is None or not getattr(user, "is_authenticated", False) or not session_key:
        return CLOSE_SESSION_ENDED, 0
    store = _store()(session_key=session_key)
    if not store.exists(session_key):
        return CLOSE_SESSION_ENDED, 0
    data = store.load()
    fresh = get_user_model().objects.filter(pk=user.pk, is_active=True).first()
    if fresh is None or str(data.get(SESSION_KEY)) != str(user.pk) or BACKEND_SESSION_KEY not in data:
        return CLOSE_SESSION_ENDED, 0
    if not constant_time_compare(data.get(HASH_SESSION_KEY) or "", fresh.get_session_auth_hash()):
        return CLOSE_SESSION_ENDED, 0
    left = session_limits(data, int(time.time()))
    if left is None:
        return CLOSE_SESSION_ENDED, 0
    if needs_second_factor(fresh) and not has_second_factor(fresh):
        return CLOSE_MFA_REQUIRED, 0
    return None, left


def touch_session(session_key: str) -> None:
    """A write over the socket is activity, as a request would be (at most every 30 s)."""
    store = _store()(session_key=session_key)
    if not store.exists(session_key):
        return
    now = int(time.time())
    if now - int(store.get(SESSION_SEEN) or 0) >= 30:
        store[SESSION_SEEN] = now
        store.save()


def _send(group: str, code: int) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": MESSAGE_TYPE, "code": code}
    try:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            async_to_sync(layer.group_send)(group, message)
        else:
            loop.create_task(layer.group_send(group, message))
    except Exception:  # ending the session has happened; a lost close must not undo it
        logger.warning("Could not close the sockets of %s", group, exc_info=True)


def close_session_sockets(session_key: str | None, code: int = CLOSE_SESSION_ENDED) -> None:
    if session_key:
        _send(session_group(session_key), code)


def close_user_sockets(user_id: int, code: int = CLOSE_SESSION_ENDED) -> None:
    _send(user_group(user_id), code)


class LiveSessionMixin:
    """For an ``AsyncJsonWebsocketConsumer``: ``await self.start_live_session()`` in ``connect``
    (returns a close code to refuse with), ``await self.live_session_refusal()`` before handling
    each message, ``await self.stop_live_session()`` in ``disconnect``. The layer event
    ``session.end`` closes the socket with its code.

    While she is idle, the channel layer hands a message for her socket straight to a task of its
    own (``_deliver_now``; ``permissions.channel_layer._Immediate``) instead of through her receive
    and channels' dispatch loop: the same handler, in the same order, with less work per socket
    in a fan-out (issue 13)."""

    _live_groups: tuple[str, ...] = ()
    _watchdog: asyncio.Task | None = None
    _dispatching = 0  # handlers of hers under way
    _handed_over: asyncio.Task | None = None  # a message the layer handed over, until it is handled
    _context: contextvars.Context | None = None  # her task's context variables when she joined
    _loop: asyncio.AbstractEventLoop | None = None

    def _deliver_now(self, message: dict) -> bool:
        """Take a channel-layer message into a task of its own, now; the layer calls this only
        while her receive waits on an empty buffer. False (queue it) while a handler of hers is
        under way or a message handed over before is not handled yet, or when called from another
        event loop. Her next ``dispatch`` waits for the task first, so her messages keep their
        order. A handler that fails ends her socket as in her own loop (``_handed_over_done``)."""
        if self._dispatching or self._handed_over is not None or self._loop is not asyncio.get_running_loop():
            return False
        # In her own context variables (a copy of those she joined with), not in those of the task
        # that brings the message: e.g. asgiref's executor of a sender's sync thread, which ends
        # with the send, would otherwise serve her database reads.
        task = self._loop.create_task(self._handle_handed_over(message), context=self._context.copy())
        self._handed_over = task
        task.add_done_callback(self._handed_over_done)
        return True

    async def _handle_handed_over(self, message: dict) -> None:
        self._dispatching += 1
        try:
            await self._handle(message)
        finally:
            self._dispatching -= 1

    def _handed_over_done(self, task: asyncio.Task) -> None:
        if self._handed_over is not task:
            return  # her dispatch awaited it (and raised its error)
        error = asyncio.CancelledError() if task.cancelled() else task.exception()
        if error is None:
            self._handed_over = None
            return
        # Kept: her next dispatch raises it before handling anything else (a message queued behind
        # the failure must not be decided with what the failed handler left half done), and no
        # message is handed over any more; a receive that waits is woken to raise it now.
        self.channel_layer.fail_receive(self.channel_name, error)

    async def dispatch(self, message: dict) -> None:
        """Hand the message to its handler, without channels' ``aclose_old_connections`` first.

        channels 4.2+ runs ``close_old_connections`` through ``sync_to_async`` before EVERY
        message a consumer handles: one hop to the process's single sync thread per socket and
        event. A live edit fanned out to the 250 sockets of a process made 250 such hops, one
        after another, queued behind whatever that thread was doing (the deliveries' audit batch
        takes tens of milliseconds there), which is where most of a fan-out's tail went
        (``bench/ws_fanout.py``, issue 13). Every database access of the live consumers goes
        through ``database_sync_to_async``, which closes old connections itself before and after
        its work, so nothing is lost by skipping the hop; a handler that used the ORM's async API
        directly would have to do the same."""
        self._dispatching += 1
        try:
            pending, self._handed_over = self._handed_over, None
            if pending is not None:  # a message handed over (``_deliver_now``) is handled first
                await pending
            await self._handle(message)
        finally:
            self._dispatching -= 1

    async def _handle(self, message: dict) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        try:
            await handler(message)
        except StopConsumer:
            raise
        except Exception:
            # A handler that fails (the server's send raised because the client is gone, or a
            # bug) ends the consumer without a ``websocket.disconnect``: leave the groups and stop
            # the timers as a disconnect does, or the presence heartbeat keeps a ghost in the
            # roster and the memberships stay for the life of the process.
            if message.get("type") != "websocket.disconnect":
                try:
                    await self.disconnect(CLOSE_ABNORMAL)
                except Exception:
                    logger.warning("Could not clean up after a failed live handler", exc_info=True)
            raise

    def _session_key(self) -> str | None:
        session = self.scope.get("session")
        try:
            return session.session_key if session is not None else None
        except Exception:
            return None

    async def start_live_session(self) -> int | None:
        key = self._session_key()
        code, left = await database_sync_to_async(check_live_session)(self.scope.get("user"), key)
        if code is not None:
            return code
        self._live_groups = (session_group(key), user_group(self.scope["user"].pk))
        for group in self._live_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        deliver_at_once = getattr(self.channel_layer, "deliver_at_once", None)
        if deliver_at_once is not None:
            self._context, self._loop = contextvars.copy_context(), asyncio.get_running_loop()
            deliver_at_once(self.channel_name, self._deliver_now)
        self._watchdog = asyncio.ensure_future(self._watch(left))
        return None

    async def stop_live_session(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        deliver_queued = getattr(self.channel_layer, "deliver_queued", None)
        if deliver_queued is not None:
            deliver_queued(self.channel_name)
        for group in self._live_groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        self._live_groups = ()

    async def live_session_refusal(self, *, activity: bool = False) -> int | None:
        key = self._session_key()
        code, _left = await database_sync_to_async(check_live_session)(self.scope.get("user"), key)
        if code is None and activity:
            await database_sync_to_async(touch_session)(key)
        return code

    async def _watch(self, left: int) -> None:
        """Wake when the session would reach a limit; close if it has (HTTP use may have moved it)."""
        while True:
            await asyncio.sleep(left + 1)
            code, left = await database_sync_to_async(check_live_session)(self.scope.get("user"), self._session_key())
            if code is not None:
                self._watchdog = None
                await self.close(code=code)
                return

    async def session_end(self, event: dict) -> None:
        await self.close(code=int(event.get("code") or CLOSE_SESSION_ENDED))

    async def channel_layer_lost(self, event: dict) -> None:
        """The socket may have missed a message (``permissions.channel_layer``): the pub/sub layer
        lost its Redis connection, or the socket's buffer overflowed. It ends as it does when the
        default layer's receive fails; the browser reconnects (the protocol page catches up with
        ``sync``)."""
        await self.close(code=CLOSE_LAYER_LOST)
