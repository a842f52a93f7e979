"""PostgreSQL faults against the documented web command (gunicorn, 2 uvicorn workers):

* a load of 4x the connection pool gets no error: requests wait for a pooled connection;
* the database drops every connection of the service (what a restart does to it) while requests
  are in flight: those fail cleanly (503 with Retry-After, no traceback), and the next ones
  succeed without restarting the service.

Skipped without PostgreSQL. The load is bounded in count and time and stays on loopback."""
from __future__ import annotations

import http.client
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from tests.operations.deployment import free_port
from tests.operations.servers import database_url, gunicorn, production_env

APP_NAME = "fk-fault-test"
POOL = 2          # connections per worker
WORKERS = 2
CLIENTS = 4 * POOL * WORKERS


def require_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://… (.ci/run's second run does)")


def server_env() -> dict[str, str]:
    # Production command; behind no proxy here, so plain HTTP must be accepted.
    return production_env(REDIS_URL="", WEB_WORKERS=str(WORKERS), DB_POOL_MAX_SIZE=str(POOL), DB_POOL_TIMEOUT="15",
                          SECURE_SSL_REDIRECT="false", SECURE_COOKIES="false",
                          DATABASE_URL=f"{database_url()}?application_name={APP_NAME}")


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def fetch(port: int, path: str, cookie: str) -> tuple[int, str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}", "Host": "localhost"})
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    return response.status, response.getheader("Retry-After") or "", body


def load(port: int, cookie: str, paths: list[str], *, seconds: float, stop: threading.Event | None = None) -> list[tuple[int, str, str]]:
    deadline = time.monotonic() + seconds
    results: list[tuple[int, str, str]] = []

    def client(index: int) -> None:
        i = index
        while time.monotonic() < deadline and not (stop and stop.is_set()):
            results.append(fetch(port, paths[i % len(paths)], cookie))
            i += 1

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    return results


@pytest.mark.django_db(transaction=True)
def test_a_load_of_four_times_the_pool_gets_no_error(world, tmp_path):
    require_postgres()
    cookie = session_cookie(world.convenor)
    paths = [f"/cases/{world.case.pk}/", "/api/cases/", f"/protocols/{world.protocol.pk}/"]
    port = free_port()
    with gunicorn(server_env(), port, tmp_path / "gunicorn.log"):
        results = load(port, cookie, paths, seconds=8)
        peak = peak_connections()
    statuses = [status for status, _, _ in results]
    assert len(results) >= CLIENTS
    assert set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
    assert peak <= POOL * WORKERS


def peak_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [APP_NAME])
        return cursor.fetchone()[0]


def drop_service_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s "
                       "AND pid <> pg_backend_pid()", [APP_NAME])
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_connections_dropped_under_load_fail_cleanly_and_the_service_recovers(world, tmp_path):
    require_postgres()
    cookie = session_cookie(world.convenor)
    paths = [f"/cases/{world.case.pk}/", "/api/cases/"]
    port = free_port()
    with gunicorn(server_env(), port, tmp_path / "gunicorn.log"):
        assert fetch(port, paths[0], cookie)[0] == 200
        stop = threading.Event()
        collected: list = []
        runner = threading.Thread(target=lambda: collected.extend(load(port, cookie, paths, seconds=15, stop=stop)))
        runner.start()
        time.sleep(2)
        dropped = sum(drop_service_connections() for _ in range(3) if not time.sleep(0.3))
        time.sleep(2)
        stop.set()
        runner.join(timeout=60)
        after = [fetch(port, path, cookie)[0] for path in paths * 3]
    assert dropped >= 1
    for status, retry_after, body in collected:
        assert status in (200, 503), status
        if status == 503:
            assert retry_after == "5" and "Traceback" not in body and "psycopg" not in body
    assert after == [200] * len(after)
