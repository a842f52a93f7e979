"""Live poll grid: the convenor's page reloads its grid fragment when an answer arrives.

Only professionals on the case team may join a conference's poll group (the grid names
invitees and their answers). Events carry no data — just "something changed" — so that
nothing leaves through this channel that the page's own policy check did not let through.
"""
from __future__ import annotations

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer

from permissions import audit, policy
from permissions.live_sessions import LiveSessionMixin

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_BAD_INPUT = 4400


def group_name(conference_id: int) -> str:
    return f"poll-{conference_id}"


def notify_poll_changed(conference_id: int) -> None:
    """Tell every open grid of this conference to reload. Called after commit."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "poll.changed"}
    try:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            async_to_sync(layer.group_send)(group_name(conference_id), message)
        else:  # called from code that runs inside an event loop's thread
            loop.create_task(layer.group_send(group_name(conference_id), message))
    except Exception:  # a live update must never undo a committed vote
        logger.warning("Could not notify poll grid of conference %s", conference_id, exc_info=True)


@database_sync_to_async
def _may_watch(user, conference_id: int) -> bool:
    from .models import Conference

    conference = Conference.objects.filter(pk=conference_id).select_related("case").first()
    if conference is None or not policy.conferences_for_user(user).filter(pk=conference_id).exists():
        return False
    if not policy.is_professional_on_case(user, conference.case):
        return False
    audit.record(user, action="poll.watch", obj=conference, case_id=conference.case_id, channel=audit.Channel.WEBSOCKET)
    return True


class PollConsumer(LiveSessionMixin, AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        self.group = None
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        refusal = await self.start_live_session()
        if refusal is not None:
            await self.close(code=refusal)
            return
        conference_id = int(self.scope["url_route"]["kwargs"]["conference_id"])
        if not await _may_watch(user, conference_id):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group = group_name(conference_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code) -> None:
        await self.stop_live_session()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        # The grid only listens; answers go through the page or the API.
        await self.close(code=CLOSE_BAD_INPUT)

    async def poll_changed(self, event) -> None:
        await self.send_json({"type": "poll.changed"})
