"""After a restore the content version counts again from the backup's number, while the cache still
holds feed answers of the discarded timeline under the numbers that followed. ``manage.py
after_restore`` (README, "Backup and restore") makes sure none of them is ever served."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from calendars import services
from permissions import content_version
from protocols.models import AgreedAction

pytestmark = pytest.mark.django_db


def _shards() -> list[tuple[int, int]]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT shard, value FROM {content_version.TABLE} ORDER BY shard")
        return cur.fetchall()


def _set_shards(values: list[tuple[int, int]]) -> None:
    with connection.cursor() as cur:
        for shard, value in values:
            cur.execute(f"UPDATE {content_version.TABLE} SET value = %s WHERE shard = %s", [value, shard])


def _due(body: bytes, day: dt.date) -> bool:
    return day.strftime("%Y%m%d").encode() in body


def test_a_restored_database_never_serves_a_feed_answer_of_the_discarded_timeline(world, client):
    cache.clear()
    _token, raw = services.feed_token_create(world.counsellor)
    url = reverse("calendars:feed", args=[raw])
    action = world.action_counselling
    backup_day = timezone.localdate() + dt.timedelta(days=40)
    AgreedAction.objects.filter(pk=action.pk).update(due_on=backup_day)
    backup = _shards()  # the backup is taken here

    lost_day = timezone.localdate() + dt.timedelta(days=50)
    AgreedAction.objects.filter(pk=action.pk).update(due_on=lost_day)  # after the backup: lost by the restore
    lost = client.get(url)
    assert _due(lost.content, lost_day)
    lost_numbers = _shards()

    # The restore: the row as in the backup (its trigger raises the version; the restore then
    # puts the backup's numbers back), and the restored service climbs to the lost numbers again.
    AgreedAction.objects.filter(pk=action.pk).update(due_on=backup_day)
    _set_shards(backup)
    call_command("after_restore")
    _set_shards([(shard, value + (content_version.RESTORE_JUMP if shard == 0 else 0)) for shard, value in lost_numbers])

    again = client.get(url)
    assert again.status_code == 200
    assert _due(again.content, backup_day) and not _due(again.content, lost_day)


def test_after_restore_raises_the_version_and_empties_the_cache(world):
    before = content_version.read()
    cache.set("fk-test-entry", "x")
    call_command("after_restore")
    assert content_version.read() == before + content_version.RESTORE_JUMP
    assert cache.get("fk-test-entry") is None

