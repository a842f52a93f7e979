"""Consumers shared by every app."""
from __future__ import annotations

from channels.generic.websocket import AsyncWebsocketConsumer

CLOSE_UNKNOWN_PATH = 4404


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """Reached by any websocket path no app claims: refuse it with a code, never hang."""

    async def connect(self) -> None:
        await self.close(code=CLOSE_UNKNOWN_PATH)
