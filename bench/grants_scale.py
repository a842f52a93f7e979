"""Permission growth: the network's grant rows (case-team rows and memberships) grow from 10,000
to 1,000,000 while the viewer's own set stays fixed (PostgreSQL only).

The counsellor of the test world sees the same 5,000 items and 5,000 actions in both rounds
(as in ``api_lists.py``). Round 1 adds 1,000 other cases with 8 team rows each and 1,000 other
professionals with 2 memberships each (10,000 grant rows); round 2 grows that to 100,000 cases
(800,000 team rows) and 100,000 professionals (200,000 memberships), each other case with a
conference, protocol, item and action. Built with ``INSERT ... SELECT generate_series``.

Prints, one line each, ``name: figure (goal) PASS|FAIL``:

- ``grants_p95_growth_<endpoint>``: p95 at 1M grant rows divided by the p95 at 10k (goal < 1.5x),
  for ``/api/actions/?limit=10``, ``/api/cases/?limit=10`` and ``/api/protocol-items/?limit=10``.
  Round 1 is copied (``CREATE DATABASE ... TEMPLATE``) before round 2 grows the network, and the
  two sizes are measured request by request in turn (30 each, after two warm-ups): a child
  process signed in on the copy, this process on the grown database.
- ``grants_no_seq_scan_<rule>``: EXPLAIN ANALYZE of the counsellor's policy filter (count over
  ``cases_for_user``, ``actions_for_user``, ``protocol_items_for_user``, ``conferences_for_user``)
  at 1M grant rows names no sequential scan of a table that grows with the network.

``--quick``: 10x smaller second round (100,000 grant rows), for a trial run.

Run: BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fk_bench_grants .venv/bin/python bench/grants_scale.py
(the database is dropped and recreated).
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
QUICK = "--quick" in sys.argv
URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fk_bench_grants")
if not URL.startswith("postgres"):
    sys.exit("bench/grants_scale.py needs PostgreSQL (BENCH_DATABASE_URL=postgres://...)")
NAME = URL.rsplit("/", 1)[1]
SERVER = URL.rsplit("/", 1)[0]
CHILD = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--child=")), None)  # see ``interleaved``
RANDOM_PAGE_COST = os.environ.get("BENCH_RANDOM_PAGE_COST", "1.1")


def psql(sql: str) -> None:
    subprocess.run(["psql", SERVER + "/postgres", "-qc", sql], check=True)


if not CHILD:
    psql(f"DROP DATABASE IF EXISTS {NAME}")
    psql(f"DROP DATABASE IF EXISTS {NAME}_10k")
    psql(f"CREATE DATABASE {NAME}")
    # Solid-state storage: random reads cost about as much as sequential ones. With the default (4.0)
    # PostgreSQL prefers hashing a whole growing table to a few hundred index probes (see README).
    psql(f"ALTER DATABASE {NAME} SET random_page_cost = {float(RANDOM_PAGE_COST)}")
os.environ.update({"DEBUG": "false", "DATABASE_URL": URL if not CHILD else f"{SERVER}/{CHILD}", "DJANGO_SETTINGS_MODULE": "config.settings", "DB_POOL": "false",
                   "SECRET_KEY": "bench-only-" + "x" * 50, "AUDIT_HMAC_KEY": "bench-only-" + "y" * 40,
                   "SECURE_COOKIES": "false", "EMAIL_URL": "locmem:", "TASK_BACKEND": "immediate", "ALLOWED_HOSTS": "testserver",
                   "MFA_REQUIRED_FOR_PROFESSIONALS": "false", "LOG_LEVEL": "WARNING", "SECURE_SSL_REDIRECT": "false",
                   "MFA_ENCRYPTION_KEYS": "ZmFsbGtvbmZlcmVuei1iZW5jaC1zZXJ2aW5nLWtleTA="})
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from cases import policy as cases_policy
from conferences import policy as conferences_policy
from participants.models import User
from protocols import policy as protocols_policy

VIEWER_ROWS = 10_000           # items (and actions) on the viewer's case, half of them visible to her
ORGS = 2_000                   # other organisations of the network
SMALL_CASES, SMALL_USERS = 1_000, 1_000                      # 8,000 team rows + 2,000 memberships
LARGE_CASES, LARGE_USERS = (10_000, 10_000) if QUICK else (100_000, 100_000)
GROWING = {"conferences_case", "conferences_caseteammember", "participants_membership", "participants_user",
           "participants_organisation", "conferences_conference", "protocols_protocol", "protocols_protocolitem",
           "protocols_agreedaction", "conferences_invitation", "participants_familymember", "participants_consent",
           "protocols_protocolitem_restricted_to"}
ENDPOINTS = {"actions": "/api/actions/?limit=10", "cases": "/api/cases/?limit=10", "protocol_items": "/api/protocol-items/?limit=10"}


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 20 else max(samples)


def line(name: str, figure: str, goal: str, ok: bool) -> None:
    print(f"{name}: {figure} ({goal}) {'PASS' if ok else 'FAIL'}", flush=True)


def viewer_rows(cur, world) -> None:
    """The counsellor's fixed set: 10,000 items on the world's case, half for professionals (she
    reads them), half restricted to the midwifery practice without consent; one action each."""
    half = VIEWER_ROWS // 2
    cur.execute("""
        INSERT INTO protocols_protocolitem (protocol_id, position, kind, title, text, audience, category, version,
            created_by_id, created_at, updated_at, review_outcome, holding_organisation_id, entrusted_by_id)
        SELECT %s, 100 + g, 'free', 'Punkt ' || g, 'Text ' || g,
               CASE WHEN g <= %s THEN 'professionals' ELSE 'restricted' END,
               CASE WHEN g <= %s THEN '' ELSE 'pregnancy_health' END, 1, %s, now(), now(), '',
               CASE WHEN g <= %s THEN NULL ELSE %s END, NULL
        FROM generate_series(1, %s) g""",
        [world.protocol.pk, half, half, world.convenor.pk, half, world.youth_welfare.pk, VIEWER_ROWS])
    cur.execute("""
        INSERT INTO protocols_protocolitem_restricted_to (protocolitem_id, organisation_id)
        SELECT id, %s FROM protocols_protocolitem WHERE audience = 'restricted' AND position >= 100""", [world.midwifery.pk])
    cur.execute("""
        INSERT INTO protocols_agreedaction (case_id, item_id, title, description, responsible_organisation_id,
            due_on, status, sequence, version, created_at, updated_at, history_status, history_reopened)
        SELECT %s, id, 'Aufgabe ' || position, '', %s, current_date + (position %% 300), 'open', 0, 1, now(), now(), '', false
        FROM protocols_protocolitem WHERE position >= 100""", [world.case.pk, world.counselling.pk])


def grow(cur, world, *, cases: int, users: int) -> None:
    """Other cases and professionals of the same network, none of them the viewer's, up to
    ``cases`` cases (8 team rows each: 4 organisations, 4 named professionals) and ``users``
    professionals (2 memberships each); each new case gets a conference, protocol, item and action."""
    cur.execute("SELECT count(*) FROM participants_user WHERE username LIKE 'gu%%'")
    have_users = cur.fetchone()[0]
    cur.execute("""
        INSERT INTO participants_user (password, is_superuser, username, first_name, last_name, email, is_staff,
            is_active, date_joined, preferred_language)
        SELECT '!', false, 'gu' || g, '', '', '', false, true, now(), '' FROM generate_series(%s::bigint, %s::bigint) g""",
        [have_users + 1, users])
    cur.execute("SELECT min(id), max(id) FROM participants_user WHERE username LIKE 'gu%%'")
    first_user, last_user = cur.fetchone()
    cur.execute("""
        INSERT INTO participants_membership (role, is_active, created_at, user_id, organisation_id, is_lead)
        SELECT 'counsellor', true, now(), u.id, go.id, false
        FROM participants_user u JOIN go ON go.n IN (u.id %% %s, (u.id + 1) %% %s)
        WHERE u.username LIKE 'gu%%' AND NOT EXISTS (SELECT 1 FROM participants_membership m WHERE m.user_id = u.id)""",
        [ORGS, ORGS])
    cur.execute("SELECT coalesce(max(id), 0) FROM conferences_case")
    last_case = cur.fetchone()[0]
    cur.execute("SELECT count(*) FROM conferences_case WHERE reference LIKE 'GR-%%'")
    have_cases = cur.fetchone()[0]
    cur.execute("""
        INSERT INTO conferences_case (reference, status, opened_on, expected_child_at_opening, created_at, updated_at,
            lead_caseworker_id, lead_organisation_id, network_id)
        SELECT 'GR-' || g, 'active', current_date, false, now(), now(), %s, go.id, %s
        FROM generate_series(%s::bigint, %s::bigint) g JOIN go ON go.n = g %% %s""",
        [first_user, world.network.pk, have_cases + 1, cases, ORGS])
    cur.execute("""
        INSERT INTO conferences_caseteammember (case_role, added_at, case_id, organisation_id, user_id, removal_reason)
        SELECT 'other', now(), c.id, go.id, NULL, ''
        FROM conferences_case c CROSS JOIN generate_series(0, 3) k JOIN go ON go.n = (c.id * 4 + k) %% %s
        WHERE c.id > %s""", [ORGS, last_case])
    span = last_user - first_user + 1
    cur.execute("""
        INSERT INTO conferences_caseteammember (case_role, added_at, case_id, organisation_id, user_id, removal_reason)
        SELECT 'other', now(), c.id, go.id, u.id, ''
        FROM conferences_case c CROSS JOIN generate_series(0, 3) k
        JOIN participants_user u ON u.id = %s + ((c.id * 4 + k) %% %s)
        JOIN go ON go.n = u.id %% %s
        WHERE c.id > %s""", [first_user, span, ORGS, last_case])
    cur.execute("""
        INSERT INTO conferences_conference (kind, status, starts_at, ends_at, duration_minutes, location, video_link,
            interpreter_language, access_needs, sequence, reschedule_count, created_at, updated_at, case_id, convenor_id)
        SELECT 'participant', 'held', now() - interval '10 days', now() - interval '10 days' + interval '1 hour', 60,
               'Raum', '', '', '', 0, 0, now(), now(), c.id, %s
        FROM conferences_case c WHERE c.id > %s""", [first_user, last_case])
    cur.execute("""
        INSERT INTO protocols_protocol (status, parent_summary, version, created_at, updated_at, conference_id)
        SELECT 'draft', '', 1, now(), now(), f.id FROM conferences_conference f WHERE f.case_id > %s""", [last_case])
    cur.execute("""
        INSERT INTO protocols_protocolitem (protocol_id, position, kind, title, text, audience, category, version,
            created_by_id, created_at, updated_at, review_outcome)
        SELECT p.id, 1, 'free', 'Punkt', 'Text', 'professionals', '', 1, %s, now(), now(), ''
        FROM protocols_protocol p JOIN conferences_conference f ON f.id = p.conference_id WHERE f.case_id > %s""",
        [first_user, last_case])
    cur.execute("""
        INSERT INTO protocols_agreedaction (case_id, item_id, title, description, responsible_organisation_id,
            due_on, status, sequence, version, created_at, updated_at, history_status, history_reopened)
        SELECT f.case_id, i.id, 'Aufgabe', '', c.lead_organisation_id, current_date + 7, 'open', 0, 1, now(), now(), '', false
        FROM protocols_protocolitem i JOIN protocols_protocol p ON p.id = i.protocol_id
        JOIN conferences_conference f ON f.id = p.conference_id JOIN conferences_case c ON c.id = f.case_id
        WHERE f.case_id > %s""", [last_case])
    cur.execute("ANALYZE")


def grant_rows(cur) -> int:
    cur.execute("SELECT (SELECT count(*) FROM conferences_caseteammember) + (SELECT count(*) FROM participants_membership)")
    return cur.fetchone()[0]


BIG = 50_000  # a sequential scan of a growing table this large is what the goal forbids


def table_sizes() -> dict[str, float]:
    with connection.cursor() as cur:
        cur.execute("SELECT relname, reltuples FROM pg_class WHERE relkind = 'r' AND relname = ANY(%s)", [sorted(GROWING)])
        return dict(cur.fetchall())


def seq_scans(plan: dict, sizes: dict[str, float]) -> list[str]:
    found = []
    node = plan.get("Plan", plan)
    if node.get("Node Type") == "Seq Scan" and sizes.get(node.get("Relation Name"), 0) >= BIG:
        found.append(f"{node['Relation Name']} ({node.get('Actual Rows', '?')} rows x {node.get('Actual Loops', 1)})")
    for child in node.get("Plans", []):
        found.extend(seq_scans(child, sizes))
    return found


def explain(qs) -> tuple[float, list[str]]:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        raw = cur.fetchone()[0]
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
    return plan["Execution Time"] + plan.get("Planning Time", 0), seq_scans(plan, table_sizes())


RUNS = 30


def child() -> None:
    """``--child=<database>``: sign in as the counsellor on that database, then answer each URL
    read from stdin with the milliseconds its request took (-1 if it failed)."""
    client = Client()
    client.force_login(User.objects.get(username="counsellor"))
    for url in sys.stdin:
        start = time.perf_counter()
        response = client.get(url.strip())
        took = (time.perf_counter() - start) * 1000
        print(f"{took if response.status_code == 200 else -1}", flush=True)


def interleaved() -> tuple[dict[str, float], dict[str, float]]:
    """p95 of each endpoint on the 10k copy and on the grown database, request by request in turn,
    each size served by its own process (the same code, warmed the same way): load on the shared
    machine hits both sizes alike. (The rounds used to be measured one after the other, minutes
    apart, and the ratio followed the load of the machine as much as the size of the network.)"""
    processes = {size: subprocess.Popen([sys.executable, __file__, f"--child={database}"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=os.environ)
                 for size, database in (("small", os.environ.get("BENCH_SMALL_DB", f"{NAME}_10k")), ("large", NAME))}
    samples = {size: {name: [] for name in ENDPOINTS} for size in processes}
    try:
        for run in range(RUNS + 2):  # two warm-up requests per endpoint and size
            for name, url in ENDPOINTS.items():
                for size in (("small", "large") if run % 2 else ("large", "small")):
                    process = processes[size]
                    process.stdin.write(url + "\n")
                    process.stdin.flush()
                    took = float(process.stdout.readline())
                    assert took >= 0, f"{url} failed on the {size} database"
                    if run >= 2:
                        samples[size][name].append(took)
    finally:
        for process in processes.values():
            process.stdin.close()
            process.wait(timeout=30)
    return ({name: p95(v) for name, v in samples["small"].items()}, {name: p95(v) for name, v in samples["large"].items()})


def main() -> None:
    call_command("migrate", verbosity=0)
    from tests.world import build_world

    world = build_world()
    started = time.perf_counter()
    with connection.cursor() as cur:
        viewer_rows(cur, world)
        cur.execute("""
            INSERT INTO participants_organisation (name, kind, municipality, email, is_active, network_id)
            SELECT 'GO ' || g, 'other', '', '', true, %s FROM generate_series(1, %s) g""", [world.network.pk, ORGS])
        cur.execute("""CREATE TABLE go AS SELECT (row_number() OVER (ORDER BY id) - 1)::int AS n, id
                       FROM participants_organisation WHERE name LIKE 'GO %%'""")
        cur.execute("CREATE UNIQUE INDEX go_n ON go (n)")
        grow(cur, world, cases=SMALL_CASES, users=SMALL_USERS)
        small_rows = grant_rows(cur)
    print(f"# round 1 built in {time.perf_counter() - started:.0f} s: {small_rows} grant rows", flush=True)
    client = Client()
    client.force_login(world.counsellor)
    seen = {name: client.get(url).json()["count"] for name, url in ENDPOINTS.items()}
    # A copy of round 1, measured beside round 2 in the same run (``interleaved``).
    connection.close()
    psql(f"CREATE DATABASE {NAME}_10k TEMPLATE {NAME}")
    psql(f"ALTER DATABASE {NAME}_10k SET random_page_cost = {float(RANDOM_PAGE_COST)}")  # not copied with the template
    started = time.perf_counter()
    with connection.cursor() as cur:
        grow(cur, world, cases=LARGE_CASES, users=LARGE_USERS)
        large_rows = grant_rows(cur)
    print(f"# round 2 built in {time.perf_counter() - started:.0f} s: {large_rows} grant rows", flush=True)
    same = {name: client.get(url).json()["count"] for name, url in ENDPOINTS.items()}
    assert same == seen, f"the viewer's set changed: {seen} -> {same}"
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")  # both sizes measured with their visibility maps and statistics fresh
    connection.close()
    subprocess.run(["psql", f"{SERVER}/{NAME}_10k", "-qc", "VACUUM ANALYZE"], check=True)
    small, large = interleaved()
    for name in ENDPOINTS:
        ratio = large[name] / small[name]
        line(f"grants_p95_growth_{name}",
             f"{small[name]:.1f} ms at {small_rows} grant rows -> {large[name]:.1f} ms at {large_rows} = {ratio:.2f}x "
             f"({seen[name]} rows visible both times)", "< 1.5x", ratio < 1.5)
    user = world.counsellor
    for name, qs in (("cases_for_user", cases_policy.cases_for_user(user)), ("actions_for_user", protocols_policy.actions_for_user(user)),
                     ("protocol_items_for_user", protocols_policy.protocol_items_for_user(user)),
                     ("conferences_for_user", conferences_policy.conferences_for_user(user))):
        ms, scans = explain(qs.order_by().values("pk"))
        line(f"grants_no_seq_scan_{name}", f"{ms:.1f} ms, sequential scans of tables >= {BIG} rows: {', '.join(scans) or 'none'}",
             "no sequential scan of a table that grows with the network", not scans)
    print(f"# load average {os.getloadavg()}, quick={QUICK}, random_page_cost={RANDOM_PAGE_COST}", flush=True)
    connection.close()
    psql(f"DROP DATABASE IF EXISTS {NAME}_10k")


if __name__ == "__main__":
    child() if CHILD else main()
