"""The "My actions" page with 10 and with 1,000 actions: the SQL query count must not grow.

Run: ``.venv/bin/python bench/my_actions.py`` (throwaway SQLite file under /tmp).
"""
from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_FILE = Path("/tmp/fallkonferenz-bench-actions.sqlite3")
sys.path.insert(0, str(ROOT))
os.environ.update({"DEBUG": "true", "DATABASE_URL": f"sqlite:///{DB_FILE}", "DJANGO_SETTINGS_MODULE": "config.settings",
                   "MFA_REQUIRED_FOR_PROFESSIONALS": "false", "LOG_LEVEL": "WARNING",
                   "ALLOWED_HOSTS": "testserver,127.0.0.1"})
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from protocols.models import AgreedAction  # noqa: E402
from tests.world import build_world  # noqa: E402


def add_actions(world, total: int) -> None:
    today = timezone.localdate()
    existing = AgreedAction.objects.filter(responsible_organisation=world.counselling).count()
    AgreedAction.objects.bulk_create([
        AgreedAction(case=world.case, item=world.item_professionals, title=f"Aktion {n}", responsible_organisation=world.counselling,
                     responsible_user=world.counsellor if n % 2 else None, due_on=today + dt.timedelta(days=(n % 60) - 20))
        for n in range(existing, total)
    ])


def measure(client: Client, params: dict | None = None) -> tuple[int, float, int]:
    with CaptureQueriesContext(connection) as ctx:
        start = time.perf_counter()
        response = client.get(reverse("protocols:my_actions"), params or {})
        elapsed = time.perf_counter() - start
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries), elapsed, response.content.decode().count('class="overdue"')


def main() -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB_FILE}{suffix}").unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    world = build_world()
    client = Client()
    client.force_login(world.counsellor)
    results = {}
    for total in (10, 1000):
        add_actions(world, total)
        measure(client)  # warm up
        queries, elapsed, overdue = measure(client)
        filtered, _, _ = measure(client, {"status": "open_any", "due": "overdue", "case": world.case.pk})
        results[total] = queries
        print(f"{total:>5} actions: {queries} SQL queries ({filtered} with filters), {elapsed * 1000:.0f} ms, {overdue} overdue rows flagged")
    print("constant query count" if results[10] == results[1000] else "QUERY COUNT GROWS WITH ROWS")


if __name__ == "__main__":
    main()
