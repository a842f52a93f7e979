"""The unread count in the header (one COUNT query per page, through the policy)."""
from __future__ import annotations

from .selectors import unread_count


def notifications(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user)}
