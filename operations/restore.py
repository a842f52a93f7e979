"""What a restored database needs before the service starts on it (README, "Backup and restore").

A restore puts the content version (``permissions.content_version``) back to the backup's number.
The shared cache still holds feed answers of the timeline the restore discarded, keyed by the
numbers that came after it; as the restored database climbs through the same numbers (on the same
day) such an answer would be served: a feed rendered for someone added to a case team after the
backup, say, while in the restored database she is not on it. So the version jumps past every
number the lost timeline can have used, and the cache's own entries are removed (the channel
layer's keys on the same Redis stay). What each web process holds in memory (feed bodies,
``calendars.feeds._bodies``) is keyed by the version too, so nothing held is met again either.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache

from permissions import content_version


@dataclass(frozen=True)
class Restored:
    version_before: int
    version_after: int


def prepare_restored_database(using: str = "default") -> Restored:
    before, after = content_version.jump_after_restore(using)
    cache.clear()
    return Restored(version_before=before, version_after=after)
