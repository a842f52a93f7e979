"""The documented production command under load: gunicorn with 2 uvicorn workers
(``gunicorn -c deploy/gunicorn.conf.py config.asgi:application``), PostgreSQL with the bounded
pool, Redis, on this machine.

Builds a throwaway PostgreSQL database ``fk_bench_serving`` (dropped at the end) with the demo
network, starts the web command on a loopback port, and sends CLIENTS concurrent clients (keep-alive
HTTP/1.1, each logged in as the demo caseworker) for SECONDS seconds at one URL at a time: the
case page, then the personal iCal feed. Prints requests per second, latency p50/p95/p99, the
status codes (errors = anything but 200) and the most PostgreSQL connections the service held
(sampled from pg_stat_activity every 0.2 s).

Baseline in the same run: ``/health/live`` through the same server (no database, no session), so
each URL's p50/p95 is also printed as a multiple of what the stack costs by itself. The SQL
statements one request of each URL runs are counted in-process (Django test client) before the
load. The last lines are ``name: figure (goal) PASS|FAIL`` for the goals of issue 16: zero errors
per URL, and the service's connections within ``WEB_WORKERS x DB_POOL_MAX_SIZE``.

The server's log goes to ``/tmp/fk-bench-serving.log`` (``BENCH_SERVER_LOG``).
Run: ``.venv/bin/python bench/serving.py [--clients 50] [--seconds 60]`` — needs PostgreSQL on
127.0.0.1:5432 (user postgres) and Redis on 127.0.0.1:6379.
"""
from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = os.environ.get("BENCH_SERVING_DB", "fk_bench_serving")
PG = "postgres://postgres@127.0.0.1:5432"
APP = "fk-bench-serving"
SECRET = "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG"

sys.path.insert(0, str(ROOT))
from bench import webserver  # noqa: E402  (the production command: start, wait, stop)

os.environ.update({"DEBUG": "false", "SECRET_KEY": SECRET, "AUDIT_HMAC_KEY": SECRET,
                   "MFA_ENCRYPTION_KEYS": "ZmFsbGtvbmZlcmVuei1iZW5jaC1zZXJ2aW5nLWtleTA=", "DATABASE_URL": f"{PG}/{DB}", "DJANGO_SETTINGS_MODULE": "config.settings",
                   "ALLOWED_HOSTS": "localhost", "MFA_REQUIRED_FOR_PROFESSIONALS": "false", "LOG_LEVEL": "WARNING",
                   "SECURE_SSL_REDIRECT": "false", "SECURE_COOKIES": "false", "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
                   "CHANNELS_PREFIX": f"fk-bench-serving-{os.getpid()}", "EMAIL_URL": "locmem:", "TASK_BACKEND": "immediate",
                   # the baseline URL must not be cut short by the health endpoints' rate limit
                   "HEALTH_RATE_LIMIT_PER_MINUTE": "100000000",
                   # no journal of the throwaway database's audit chains in the checkout's data/
                   # (verify_audit would later read it as a forged journal)
                   "AUDIT_HEAD_JOURNAL": "false"})


def psql(sql: str, db: str = "postgres") -> str:
    return subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-tAqc", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


def prepare() -> tuple[str, str, int]:
    psql(f'DROP DATABASE IF EXISTS "{DB}"')
    psql(f'CREATE DATABASE "{DB}"')
    import django

    django.setup()
    import io

    from django.core.management import call_command
    from django.test import Client

    from calendars.services import feed_token_create
    from cases.models import Case
    from participants.models import User

    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    user = User.objects.get(username="anna.becker")
    case = Case.objects.filter(lead_caseworker=user).order_by("pk").first()
    _token, raw = feed_token_create(user)
    client = Client()
    client.force_login(user)
    from django.db import connection, connections
    from django.test.utils import CaptureQueriesContext

    queries = {}
    for name, path in (("case page", f"/cases/{case.pk}/"), ("iCal feed", f"/feeds/{raw}.ics")):
        client.get(path, HTTP_HOST="localhost")  # warm caches (content types, sessions) as under load
        with CaptureQueriesContext(connection) as captured:
            status = client.get(path, HTTP_HOST="localhost").status_code
        queries[name] = (len(captured), status)
    connections.close_all()
    return client.cookies["sessionid"].value, raw, case.pk, queries


def run_load(port: int, path: str, cookie: str, clients: int, seconds: float) -> tuple[list[float], Counter]:
    latencies: list[float] = []
    statuses: Counter = Counter()
    deadline = time.monotonic() + seconds
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, codes = [], Counter()
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Host": "localhost", "Cookie": f"sessionid={cookie}"})
                response = conn.getresponse()
                response.read()
                codes[response.status] += 1
            except (OSError, http.client.HTTPException) as exc:
                codes[type(exc).__name__] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            statuses.update(codes)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    cookie, feed, case_pk, queries = prepare()
    pool = int(os.environ.get("DB_POOL_MAX_SIZE", "4"))
    env = dict(os.environ, DATABASE_URL=f"{PG}/{DB}?application_name={APP}")
    server, port = webserver.start(env, workers=args.workers,
                                   log_path=os.environ.get("BENCH_SERVER_LOG", "/tmp/fk-bench-serving.log"))
    peak = [0]
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.is_set():
            peak[0] = max(peak[0], int(psql(f"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{APP}'")))
            time.sleep(0.2)

    try:
        webserver.wait_ready(port)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        print(f"gunicorn, {args.workers} uvicorn workers, DB_POOL_MAX_SIZE={os.environ.get('DB_POOL_MAX_SIZE', '4')} "
              f"per worker; {args.clients} clients x {args.seconds:.0f} s per URL; load average before: {os.getloadavg()[0]:.1f}")
        verdicts: list[tuple[str, str, str, bool]] = []
        baseline = None
        for name, path in (("baseline", "/health/live"), ("case page", f"/cases/{case_pk}/"), ("iCal feed", f"/feeds/{feed}.ics")):
            latencies, statuses = run_load(port, path, cookie, args.clients, args.seconds)
            q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
            errors = sum(n for code, n in statuses.items() if code != 200)
            rps = len(latencies) / args.seconds
            line = (f"{name:10}: {rps:6.1f} req/s  p50 {q[49] * 1000:6.0f} ms  p95 {q[94] * 1000:6.0f} ms  "
                    f"p99 {q[98] * 1000:6.0f} ms  requests {sum(statuses.values())}  errors {errors}  {dict(statuses)}")
            if baseline is None:
                baseline = (rps, q[49], q[94])
            else:
                sql, status = queries[name]
                line += (f"\n{'':12}vs baseline: p50 x{q[49] / max(baseline[1], 1e-6):.1f}  p95 x{q[94] / max(baseline[2], 1e-6):.1f}  "
                         f"req/s x{rps / max(baseline[0], 1e-6):.2f};  SQL statements per request: {sql} (status {status})")
                verdicts.append((f"serving_{name.replace(' ', '_')}_errors", str(errors), "0", errors == 0))
            print(line)
        sampling.set()
        bound = args.workers * pool
        print(f"PostgreSQL connections held by the service, at most: {peak[0]} (bound: workers x pool = {bound})")
        verdicts.append(("serving_postgres_connections_peak", str(peak[0]), f"<= {bound}", 0 < peak[0] <= bound))
        for name, figure, goal, ok in verdicts:
            print(f"{name}: {figure} ({goal}) {'PASS' if ok else 'FAIL'}")
    finally:
        sampling.set()
        webserver.stop(server)
        psql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')


if __name__ == "__main__":
    main()
