"""Live poll grid and live invitation table.

``ws/conferences/<id>/poll/``: the convenor's page reloads its grid fragment when an answer
arrives. ``ws/conferences/<id>/``: the conference page's invitation table shows an RSVP (given
on the page, through the API or as a calendar reply) as soon as it is committed.

Only professionals on the case team may join either group (the grid and the table name
invitees and their answers; a parent's page shows neither). Group events carry no personal
data — "something changed", or the id of the invitation that was answered — so nothing personal
travels through the channel layer; each socket reads the answer itself through
``selectors.live_answer_for_viewer`` for ITS user (policy re-checked at that moment) and sends
only what the page would show her.
"""
from __future__ import annotations

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.core.exceptions import PermissionDenied

from cases import policy as cases_policy
from conferences import policy as conferences_policy
from permissions import audit
from permissions.live_sessions import LiveSessionMixin

from . import selectors
from conferences.models import Conference

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_BAD_INPUT = 4400


def group_name(conference_id: int) -> str:
    return f"poll-{conference_id}"


def conference_group_name(conference_id: int) -> str:
    return f"conference-{conference_id}"


def _group_send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            async_to_sync(layer.group_send)(group, message)
        else:  # called from code that runs inside an event loop's thread
            loop.create_task(layer.group_send(group, message))
    except Exception:  # a live update must never undo a committed vote or answer
        logger.warning("Could not send %s to %s", message.get("type"), group, exc_info=True)


def notify_poll_changed(conference_id: int) -> None:
    """Tell every open grid of this conference to reload. Called after commit."""
    _group_send(group_name(conference_id), {"type": "poll.changed"})


def notify_invitation_answered(conference_id: int, invitation_id: int) -> None:
    """Tell every open conference page that this invitation's answer changed. Called after commit;
    carries only the id: each socket reads what its own user may see."""
    _group_send(conference_group_name(conference_id), {"type": "invitation.answered", "invitation": invitation_id})


@database_sync_to_async
def _may_watch(user, conference_id: int, action: str = "poll.watch") -> bool:
    conference = Conference.objects.filter(pk=conference_id).select_related("case").first()
    if conference is None or not conferences_policy.conferences_for_user(user).filter(pk=conference_id).exists():
        return False
    if not cases_policy.is_professional_on_case(user, conference.case):
        return False
    audit.record(user, action=action, obj=conference, case_id=conference.case_id, channel=audit.Channel.WEBSOCKET)
    return True


@database_sync_to_async
def _live_answer(user, conference_id: int, invitation_id: int):
    return selectors.live_answer_for_viewer(user, conference_id=conference_id, invitation_id=invitation_id)


class PollConsumer(LiveSessionMixin, AsyncJsonWebsocketConsumer):
    watch_action = "poll.watch"

    @staticmethod
    def group_for(conference_id: int) -> str:
        return group_name(conference_id)

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
        if not await _may_watch(user, conference_id, self.watch_action):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.conference_id = conference_id
        self.group = self.group_for(conference_id)
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


class ConferenceConsumer(PollConsumer):
    """The conference page's invitation table: one ``invitation.answered`` message per committed
    answer, with what the page shows this socket's user (answer state and comment)."""

    watch_action = "conference.watch"

    @staticmethod
    def group_for(conference_id: int) -> str:
        return conference_group_name(conference_id)

    async def poll_changed(self, event) -> None:  # not this page's business
        return

    async def invitation_answered(self, event) -> None:
        refusal = await self.live_session_refusal()
        if refusal is not None:
            await self.close(code=refusal)
            return
        try:
            answer = await _live_answer(self.scope["user"], self.conference_id, int(event["invitation"]))
        except PermissionDenied:  # she lost the case team (or the conference) since she connected
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if answer is not None:
            await self.send_json({"type": "invitation.answered", **answer})
