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

``--http`` (after the in-process lines, which stay as they are: they are the stricter measure,
with no HTTP or socket cost in either the feed or the baseline): the production command
(gunicorn with 2 uvicorn workers, ``bench/webserver.py`` as ``serving.py`` starts it; on
PostgreSQL with the bounded pool) with a bench-only URLconf (``bench/feed_http_settings.py``,
``bench/feed_http_urls.py``) that serves the same bytes from a plain view through the full
middleware stack (``/static.ics``) and through the feeds' lean path (``/feeds/static/lean.ics``).
One keep-alive HTTP/1.1 connection on loopback; after a warm-up, ``HTTP_ROUNDS`` rounds, each one
request of every mode in a shuffled order (the feed's 304, its cached full GET, both baselines),
timed from sending the request to the last byte read. Lines ``feed_http_*``: p50 and p95 of the
304 and the full GET against each baseline's (goals as above). Before it the token is set to
"last used yesterday" and polled once in-process: the day's first poll, audited, which records
the token's served key at the current content version, as every morning in production.

``--quick``: 100 actions. Database: SQLite file under /tmp, or PostgreSQL with
``BENCH_DATABASE_URL=postgres://...`` (dropped and recreated). Cache: the embedded file cache
(under /tmp), or Redis with ``BENCH_REDIS_URL=redis://127.0.0.1:6379/13``.

Run: ``.venv/bin/python bench/feed_bench.py [--http]``
"""
from __future__ import annotations

import datetime as dt
import http.client
import os
import random
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
HTTP = "--http" in sys.argv
HTTP_ROUNDS = 100 if QUICK else 400
HTTP_WARMUP = 20
STATIC_FILE = Path("/tmp/fallkonferenz-bench-feed-static.ics")
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

from bench import webserver  # noqa: E402
from calendars import services  # noqa: E402
from calendars.models import FeedToken  # noqa: E402
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
    if HTTP:
        http_mode(url, first)


def quantile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1]


def http_mode(url: str, first) -> None:
    """The feed over real HTTP: see the module docstring (``--http``)."""
    body, etag = first.content, first["ETag"]
    STATIC_FILE.write_bytes(body)
    # The day's first poll (audited): records the served key at the current content version.
    assert FeedToken.objects.update(last_used_at=timezone.now() - dt.timedelta(days=1), events_last_used_at=timezone.now() - dt.timedelta(days=1)) == 1
    assert Client(HTTP_HOST="localhost").get(url, headers={"if-none-match": etag}).status_code == 304
    connection.close()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench.feed_http_settings", BENCH_FEED_STATIC_FILE=str(STATIC_FILE),
               AUDIT_HEAD_JOURNAL="false", ALLOWED_HOSTS="localhost", DB_POOL="true")
    log_path = os.environ.get("BENCH_SERVER_LOG", "/tmp/fk-bench-feed-http.log")
    server, port = webserver.start(env, workers=2, log_path=log_path)
    modes = {"static": ("/static.ics", {}, 200), "lean static": ("/feeds/static/lean.ics", {}, 200),
             "304": (url, {"If-None-Match": etag}, 304), "full": (url, {}, 200)}
    timings: dict[str, list[float]] = {name: [] for name in modes}
    try:
        webserver.wait_ready(port, "/static.ics")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def get(name: str) -> float:
            path_, headers, status = modes[name]
            start = time.perf_counter()
            conn.request("GET", path_, headers={"Host": "localhost", **headers})
            response = conn.getresponse()
            content = response.read()
            elapsed = (time.perf_counter() - start) * 1000
            assert response.status == status, (name, response.status)
            assert status == 304 or content == body, name
            assert response.getheader("Connection", "").lower() != "close", name
            return elapsed

        get("static")  # imports the bench URLconf in this connection's worker (see feed_http_urls)
        order = list(modes)
        for _ in range(HTTP_WARMUP):
            for name in order:
                get(name)
        shuffle = random.Random(13)
        for _ in range(HTTP_ROUNDS):
            shuffle.shuffle(order)
            for name in order:
                timings[name].append(get(name))
        conn.close()
    finally:
        webserver.stop(server)
    p = {name: (quantile(values, 50), quantile(values, 95)) for name, values in timings.items()}
    print("# the in-process lines above are the stricter measure (no HTTP, socket or connection cost on either side)",
          flush=True)
    print(f"# HTTP: gunicorn, 2 uvicorn workers, one keep-alive connection on loopback, {HTTP_ROUNDS} rounds of the 4 requests "
          f"in shuffled order after {HTTP_WARMUP} warm-up rounds; " + "; ".join(
              f"{name} p50 {p50:.2f} ms p95 {p95:.2f} ms" for name, (p50, p95) in p.items()), flush=True)
    for kind, goal in (("304", 1.2), ("full", 3.0)):
        for base, label in (("static", "static"), ("lean static", "lean_static")):
            for i, q in ((0, "p50"), (1, "p95")):
                ratio = p[kind][i] / p[base][i]
                line(f"feed_http_{kind}_vs_{label}_{q}", f"{p[kind][i]:.2f} ms vs {p[base][i]:.2f} ms = {ratio:.3f}x",
                     f"<= {goal:g}x", ratio <= goal)
    print(f"# load average {os.getloadavg()} after the HTTP mode", flush=True)


if __name__ == "__main__":
    main()
