"""Benchmark: seed_demo time, and dashboard / case list latency and SQL query counts per role,
with the demo network and again with 500 extra cases on the caseworker's desk.

Run: .venv/bin/python bench/dashboard.py   (uses a throwaway SQLite file under /tmp)
"""
from __future__ import annotations

import datetime as dt
import io
import os
import statistics
import sys
import time
from pathlib import Path

DB = Path("/tmp/fallkonferenz-bench-dashboard.sqlite3")
for suffix in ("", "-wal", "-shm"):
    Path(f"{DB}{suffix}").unlink(missing_ok=True)
os.environ.update({"DEBUG": "true", "DATABASE_URL": f"sqlite:///{DB}", "DJANGO_SETTINGS_MODULE": "config.settings",
                   "ALLOWED_HOSTS": "testserver,127.0.0.1"})
os.environ.pop("REDIS_URL", None)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

ROLES = {"caseworker": "anna.becker", "counsellor": "sabine.krueger", "parent": "sarah.mutter",
         "board member": "board.mueller", "dpo": "datenschutz.hs"}


def measure(client: Client, url: str, runs: int = 15) -> tuple[float, int]:
    client.get(url)  # warm up
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times), len(queries)


def table(title: str) -> None:
    from participants.models import User

    print(f"\n{title}")
    print(f"  {'page':<28} {'median ms':>10} {'queries':>8}")
    for role, username in ROLES.items():
        client = Client()
        client.force_login(User.objects.get(username=username))
        ms, n = measure(client, reverse("dashboard"))
        print(f"  {'dashboard – ' + role:<28} {ms:>10.1f} {n:>8}")
        if role in {"caseworker", "counsellor", "parent"}:
            ms, n = measure(client, reverse("cases:case_list"))
            print(f"  {'case list – ' + role:<28} {ms:>10.1f} {n:>8}")


def add_cases(count: int) -> None:
    from cases.models import Case, CaseTeamMember
    from participants.models import Organisation, User

    anna = User.objects.get(username="anna.becker")
    kja = Organisation.objects.get(name="Kreisjugendamt Heinsberg")
    sb = Organisation.objects.get(name="Suchtberatung im Gesundheitsamt")
    sabine = User.objects.get(username="sabine.krueger")
    for number in range(count):
        case = Case.objects.create(network=kja.network, reference=f"HS-2024-{1000 + number}", lead_organisation=kja,
                                   lead_caseworker=anna, status=Case.Status.ACTIVE,
                                   opened_on=timezone.localdate() - dt.timedelta(days=number % 300))
        CaseTeamMember.objects.create(case=case, organisation=kja, user=anna, case_role="lead")
        CaseTeamMember.objects.create(case=case, organisation=sb, user=sabine, case_role="counselling")


def main() -> None:
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    call_command("seed_demo", stdout=io.StringIO())
    first = time.perf_counter() - start
    start = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        call_command("seed_demo", stdout=io.StringIO())
    second = time.perf_counter() - start
    print(f"seed_demo: first run {first:.1f} s, second run {second:.1f} s ({len(queries)} queries, nothing changed)")
    table("Demo network (13 cases)")
    start = time.perf_counter()
    add_cases(500)
    print(f"\nadded 500 cases with teams in {time.perf_counter() - start:.1f} s")
    table("Demo network + 500 cases for the caseworker and the counsellor")


if __name__ == "__main__":
    main()
