"""The personal calendar feed answers with a fixed number of SQL statements (issue 13): a poll of
an unchanged feed and a full GET of a body the token already received today read one row (the
token with the content version) and write nothing; a body built after a change costs the same
whatever the number of actions."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calendars import feeds, services
from permissions.content_version import TABLE
from protocols.models import AgreedAction

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def _url(world) -> str:
    _, raw = services.feed_token_create(world.counsellor)
    return reverse("calendars:feed", args=[raw])


def _count(client, url, **headers) -> tuple[int, list[str], int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers)
    sql = [q["sql"] for q in ctx.captured_queries]
    return len(sql), [s for s in sql if s.lstrip().upper().startswith(WRITES)], response.status_code


def _add_actions(world, n: int) -> None:
    today = timezone.localdate()
    AgreedAction.objects.bulk_create([
        AgreedAction(case=world.case, item=world.item_professionals, title=f"Aktion {i}", responsible_organisation=world.counselling,
                     due_on=today + dt.timedelta(days=i % 60), status="open")
        for i in range(n)
    ])


def _bump() -> None:
    """A change elsewhere: the content version rises, the feed's content does not."""
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {TABLE} SET value = value + 1")


def test_a_poll_and_a_repeated_body_of_an_unchanged_feed_read_one_row_and_write_nothing(world, client):
    url = _url(world)
    first = client.get(url)  # the day's first answer: audited, with what it disclosed
    assert first.status_code == 200
    n, writes, status = _count(client, url, if_none_match=first["ETag"])
    assert (n, writes, status) == (1, [], 304)
    n, writes, status = _count(client, url)
    assert (n, writes, status) == (1, [], 200)


def test_a_body_built_after_a_change_costs_the_same_at_ten_and_at_sixty_actions(world, client):
    url = _url(world)
    _add_actions(world, 10)
    client.get(url)
    _bump()
    small, writes_small, status = _count(client, url)
    assert status == 200 and writes_small == []  # same content, already served today: no audit write
    _add_actions(world, 50)
    client.get(url)
    _bump()
    large, writes_large, status = _count(client, url)
    assert status == 200 and writes_large == []
    assert small == large, (small, large)


def test_an_unchanged_poll_reads_no_cache_entry_and_a_repeated_body_one(world, client, monkeypatch):
    """The poll is answered from the token row (its served ETag and the key it was served at);
    only the body needs the cache: one read in a process that does not hold it yet, none in one
    that does (``feeds._bodies``). On PostgreSQL + Redis: one database and no Redis round trip for
    a poll, nor for a repeated full GET served by the same process."""
    reads = []

    class Counting:
        def get(self, key, *args, **kwargs):
            reads.append(key)
            return cache.get(key, *args, **kwargs)

        def __getattr__(self, name):
            return getattr(cache, name)

    monkeypatch.setattr(feeds, "cache", Counting())
    url = _url(world)
    first = client.get(url)
    reads.clear()
    assert _count(client, url, if_none_match=first["ETag"]) == (1, [], 304) and reads == []
    feeds._bodies.clear()  # as in another server process
    assert _count(client, url) == (1, [], 200) and len(reads) == 1
    reads.clear()
    assert _count(client, url) == (1, [], 200) and reads == []
