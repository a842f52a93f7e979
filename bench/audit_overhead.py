"""Case-page-like reads (selector + audit record) with auditing on and off, in one run.

Run: .venv/bin/python bench/audit_overhead.py [reads]
Uses a throwaway SQLite file under /tmp; prints reads/s and SQL queries per read.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = Path(tempfile.mkdtemp(prefix="fk-bench-")) / "bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DEBUG"] = "true"
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def case_page(world, user, *, audited: bool) -> int:
    from permissions import audit, policy

    case = policy.cases_for_user(user).get(pk=world.case.pk)
    items = list(policy.protocol_items_for_user(user).filter(protocol__conference__case_id=case.pk))
    actions = list(policy.actions_for_user(user).filter(case_id=case.pk))
    if audited:
        audit.record(user, action="case.read", obj=case, case_id=case.pk, legal_basis="team")
    return len(items) + len(actions)


def run(world, users, reads: int, *, audited: bool) -> tuple[float, float]:
    with CaptureQueriesContext(connection) as ctx:
        start = time.perf_counter()
        for n in range(reads):
            case_page(world, users[n % len(users)], audited=audited)
        elapsed = time.perf_counter() - start
    return reads / elapsed, len(ctx) / reads


def main() -> None:
    reads = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    call_command("migrate", verbosity=0)
    from permissions import audit
    from tests.world import build_world

    world = build_world()
    users = [world.convenor, world.counsellor, world.midwife, world.parent]
    run(world, users, 50, audited=False)  # warm up
    off_rate, off_q = run(world, users, reads, audited=False)
    on_rate, on_q = run(world, users, reads, audited=True)
    print(f"case-page reads: {reads} per mode, SQLite file {DB}")
    print(f"auditing off: {off_rate:8.0f} reads/s  {off_q:.1f} queries/read")
    print(f"auditing on:  {on_rate:8.0f} reads/s  {on_q:.1f} queries/read  ({100 * (1 - on_rate / off_rate):.0f}% slower)")
    print(f"audit chain intact after the run: {not audit.verify_all()}")


if __name__ == "__main__":
    main()
