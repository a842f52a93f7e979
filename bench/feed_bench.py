"""The personal calendar feed with 500 actions (every tenth done, kept with a "(done)" marker)
against the same bytes served by a plain view, in the same process and run (issue 13).

Production settings (DEBUG off), Django test client in-process. Prints ``name: figure (goal)
PASS|FAIL`` lines (median of ``ROUNDS`` requests each):

- ``feed_304_sql`` / ``feed_304_vs_static``: a poll with the current ETag (If-None-Match) of an
  unchanged feed: statements, and time against the static view (goals: <= 1 SQL, <= 1.2x).
  The static view is an ordinary view of the project (full middleware stack). The feeds are
  answered by ``calendars.middleware.FeedMiddleware`` before the session middleware, so the
  ``*_vs_lean_static`` lines also compare with the same bytes served through that same lean path
  (the stricter baseline: what the feed costs beyond its own middleware).
- ``feed_full_vs_static``: a full GET of an unchanged feed (body from the cache; the token already
  received this content today, so no new audit event): time against the static view (goal <= 3x).
- ``feed_render_after_change``: a full GET right after a content change (ETag recomputed,
  calendar built): time and statements, beside the static view (no goal: the cost of one change).
- ``feed_sql_constant``: statements of the uncached full GET at 10 and at 500 actions (equal).

``--quick``: 100 actions. Database: SQLite file under /tmp, or PostgreSQL with
``BENCH_DATABASE_URL=postgres://...`` (dropped and recreated). Cache: local memory, or Redis with
``BENCH_REDIS_URL=redis://127.0.0.1:6379/13``.

Run: ``.venv/bin/python bench/feed_bench.py``
"""
from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
QUICK = "--quick" in sys.argv
ACTIONS = 100 if QUICK else 500
ROUNDS = 15 if QUICK else 31
DB_FILE = Path("/tmp/fallkonferenz-bench-feed.sqlite3")
URL = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{DB_FILE}")
if URL.startswith("postgres"):
    name = URL.rsplit("/", 1)[1]
    subprocess.run(["psql", URL.rsplit("/", 1)[0] + "/postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run(["psql", URL.rsplit("/", 1)[0] + "/postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
else:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB_FILE}{suffix}").unlink(missing_ok=True)
os.environ.update({"DEBUG": "false", "DATABASE_URL": URL, "DJANGO_SETTINGS_MODULE": "config.settings", "DB_POOL": "false",
                   "SECRET_KEY": "bench-only-" + "x" * 50, "AUDIT_HMAC_KEY": "bench-only-" + "y" * 40,
                   "SECURE_COOKIES": "false", "EMAIL_URL": "locmem:", "TASK_BACKEND": "immediate",
                   "ALLOWED_HOSTS": "testserver,localhost", "MFA_REQUIRED_FOR_PROFESSIONALS": "false", "LOG_LEVEL": "WARNING",
                   "SECURE_SSL_REDIRECT": "false", "MFA_ENCRYPTION_KEYS": "ZmFsbGtvbmZlcmVuei1iZW5jaC1zZXJ2aW5nLWtleTA="})
os.environ["DATA_DIR"] = "/tmp/fallkonferenz-bench-feed-data"  # the embedded file cache lives here
if os.environ.get("BENCH_REDIS_URL"):
    os.environ["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
else:
    os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import path, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from calendars import services  # noqa: E402
from permissions.content_version import TABLE  # noqa: E402
from protocols.models import AgreedAction  # noqa: E402
from tests.world import build_world  # noqa: E402

STATIC = {"body": b""}


def static_view(request):
    response = HttpResponse(STATIC["body"], content_type="text/calendar; charset=utf-8")
    response["ETag"] = '"static"'
    return response


def add_actions(world, total: int) -> None:
    today = timezone.localdate()
    existing = AgreedAction.objects.filter(responsible_organisation=world.counselling).count()
    AgreedAction.objects.bulk_create([
        AgreedAction(case=world.case, item=world.item_professionals, title=f"Aktion {n}", responsible_organisation=world.counselling,
                     responsible_user=world.counsellor if n % 2 else None, due_on=today + dt.timedelta(days=n % 200),
                     status="done" if n % 10 == 5 else "open", completed_on=today if n % 10 == 5 else None,
                     version=2 if n % 10 == 5 else 1)
        for n in range(existing, total)
    ])


def measure(client: Client, url: str, before=None, **headers) -> tuple[float, int, int]:
    """Median milliseconds, statements of the last request, its status."""
    timings, statements, status = [], 0, 0
    for _ in range(ROUNDS):
        if before:
            before()
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url, headers=headers)
            timings.append((time.perf_counter() - start) * 1000)
        statements, status = len(ctx.captured_queries), response.status_code
    return statistics.median(timings), statements, status


def bump() -> None:
    """A change elsewhere in the network: the content version rises, the feed's content does not."""
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {TABLE} SET value = value + 1")


def line(name: str, figure: str, goal: str, ok: bool) -> None:
    print(f"{name}: {figure} ({goal}) {'PASS' if ok else 'FAIL'}", flush=True)


def main() -> None:
    call_command("migrate", verbosity=0)
    cache.clear()
    world = build_world()
    _, raw = services.feed_token_create(world.counsellor)
    url = reverse("calendars:feed", args=[raw])
    from calendars import urls as calendar_urls
    if not any(p.name == "bench_lean_static" for p in calendar_urls.feed_urlpatterns):
        # before the client's first request, which builds the middleware (and its resolver)
        calendar_urls.feed_urlpatterns.insert(0, path("feeds/static/lean.ics", static_view, name="bench_lean_static"))
    urls = types.ModuleType("bench_feed_urls")
    urls.urlpatterns = [path("static.ics", static_view), *__import__(settings.ROOT_URLCONF, fromlist=["urlpatterns"]).urlpatterns]
    sys.modules["bench_feed_urls"] = urls
    client = Client(HTTP_HOST="localhost")
    with override_settings(ROOT_URLCONF="bench_feed_urls"):
        add_actions(world, 10)
        _, small_sql, _ = measure(client, url, before=bump)
        add_actions(world, ACTIONS)
        first = client.get(url)
        assert first.status_code == 200
        STATIC["body"] = first.content
        client.get(url, headers={"if-none-match": first["ETag"]})  # the day's one audited poll
        static_ms, static_sql, _ = measure(client, "/static.ics")
        lean_ms, _lean_sql, lean_status = measure(client, "/feeds/static/lean.ics")
        assert lean_status == 200
        ms304, sql304, status304 = measure(client, url, if_none_match=first["ETag"])
        if "--profile" in sys.argv:
            import cProfile
            import pstats
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(20):
                client.get(url, headers={"if-none-match": first["ETag"]})
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        full_ms, full_sql, full_status = measure(client, url)
        render_ms, render_sql, _ = measure(client, url, before=bump)
    assert status304 == 304 and full_status == 200
    size = len(first.content)
    print(f"# {ACTIONS} actions, {size} bytes; static view: {static_ms:.2f} ms, {static_sql} SQL; lean static: {lean_ms:.2f} ms; "
          f"database {connection.vendor}, cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}", flush=True)
    line("feed_304_sql", f"{sql304} SQL", "<= 1", sql304 <= 1)
    line("feed_304_vs_static", f"{ms304:.2f} ms vs {static_ms:.2f} ms = {ms304 / static_ms:.2f}x", "<= 1.2x", ms304 / static_ms <= 1.2)
    line("feed_full_vs_static", f"{full_ms:.2f} ms vs {static_ms:.2f} ms = {full_ms / static_ms:.2f}x, {full_sql} SQL (body already received today: no audit write)",
         "<= 3x", full_ms / static_ms <= 3)
    line("feed_304_vs_lean_static", f"{ms304:.2f} ms vs {lean_ms:.2f} ms = {ms304 / lean_ms:.2f}x", "<= 1.2x", ms304 / lean_ms <= 1.2)
    line("feed_full_vs_lean_static", f"{full_ms:.2f} ms vs {lean_ms:.2f} ms = {full_ms / lean_ms:.2f}x", "<= 3x", full_ms / lean_ms <= 3)
    line("feed_render_after_change", f"{render_ms:.1f} ms vs {static_ms:.2f} ms = {render_ms / static_ms:.1f}x, {render_sql} SQL",
         "no goal: once per change", True)
    line("feed_sql_constant", f"{small_sql} SQL at 10 actions, {render_sql} at {ACTIONS}", "equal", small_sql == render_sql)
    print(f"# load average {os.getloadavg()}, quick={QUICK}", flush=True)


if __name__ == "__main__":
    main()
