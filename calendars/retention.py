"""What the calendars app keeps, deleted after its time (registered with ``operations.retention``
from ``CalendarsConfig.ready``): the feed tokens of an erased case, of an anonymised account, and
those revoked or expired more than ``TOKEN_RETENTION_DAYS`` ago."""
from __future__ import annotations

from django.db.models import Q

from operations.retention import register_account_eraser, register_case_eraser, register_feed_token_purger

from .models import FeedToken


def erase_case_tokens(case) -> dict[str, int]:
    return {"feed tokens deleted": FeedToken.objects.filter(case=case).delete()[0]}


def erase_account_tokens(user_ids: list[int]) -> int:
    return FeedToken.objects.filter(user_id__in=user_ids).delete()[0]


def purge_stale_tokens(*, cutoff) -> int:
    return FeedToken.objects.filter(Q(revoked_at__lt=cutoff) | Q(expires_at__lt=cutoff)).delete()[0]


def register() -> None:
    register_case_eraser(erase_case_tokens)
    register_account_eraser(erase_account_tokens)
    register_feed_token_purger(purge_stale_tokens)
