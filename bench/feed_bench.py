"""The personal calendar feed with 10, 100 and 1,000 actions (every tenth done, kept in the
feed with a "(done)" marker): SQL query count (must be
constant), time per full render, and a conditional GET (If-None-Match → 304) against it.

Run: ``.venv/bin/python bench/feed_bench.py`` (throwaway SQLite file under /tmp).
"""
from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_FILE = Path("/tmp/fallkonferenz-bench-feed.sqlite3")
sys.path.insert(0, str(ROOT))
os.environ.update({"DEBUG": "true", "DATABASE_URL": f"sqlite:///{DB_FILE}", "DJANGO_SETTINGS_MODULE": "config.settings",
                   "MFA_REQUIRED_FOR_PROFESSIONALS": "false", "LOG_LEVEL": "WARNING"})
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from conferences import services  # noqa: E402
from protocols.models import AgreedAction  # noqa: E402
from tests.world import build_world  # noqa: E402

ROUNDS = 15


def add_actions(world, total: int) -> None:
    today = timezone.localdate()
    existing = AgreedAction.objects.filter(responsible_organisation=world.counselling).count()
    AgreedAction.objects.bulk_create([
        AgreedAction(case=world.case, item=world.item_professionals, title=f"Aktion {n}", responsible_organisation=world.counselling,
                     responsible_user=world.counsellor if n % 2 else None, due_on=today + dt.timedelta(days=n % 200),
                     # every tenth action is done (kept in the feed with a marker), as in real use
                     status="done" if n % 10 == 5 else "open", completed_on=today if n % 10 == 5 else None, version=2 if n % 10 == 5 else 1)
        for n in range(existing, total)
    ])


def measure(client: Client, url: str, **headers) -> tuple[int, float, int, str]:
    timings, queries, status, etag = [], 0, 0, ""
    for _ in range(ROUNDS):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url, headers=headers)
            timings.append(time.perf_counter() - start)
        queries, status, etag = len(ctx.captured_queries), response.status_code, response.get("ETag", "")
    return queries, statistics.median(timings) * 1000, status, etag


def main() -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB_FILE}{suffix}").unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    world = build_world()
    _, raw = services.feed_token_create(world.counsellor)
    url = reverse("conferences:feed", args=[raw])
    client = Client(HTTP_HOST="localhost")
    counts = {}
    print(f"{'actions':>8} | {'full: queries':>13} {'ms':>7} {'bytes':>8} | {'304: queries':>12} {'ms':>6}")
    for total in (10, 100, 1000):
        add_actions(world, total)
        client.get(url)  # warm up (VTIMEZONE cache, first ETag)
        queries, ms, status, etag = measure(client, url)
        size = len(client.get(url).content)
        assert status == 200
        q304, ms304, status304, _ = measure(client, url, if_none_match=etag)
        assert status304 == 304
        counts[total] = (queries, q304)
        print(f"{total:>8} | {queries:>13} {ms:>7.1f} {size:>8} | {q304:>12} {ms304:>6.1f}")
    full = {q for q, _ in counts.values()}
    conditional = {q for _, q in counts.values()}
    print("constant query count" if len(full) == 1 and len(conditional) == 1 else "QUERY COUNT GROWS WITH ROWS")


if __name__ == "__main__":
    main()
