"""Benchmark: the half-year summary of a large network, its time and its SQL query count.

Builds a throwaway SQLite database under /tmp with one network of 10,000 cases, 30,000
conferences and 100,000 agreed actions (bulk_create), computes the summary (current and
previous half year), and prints time and query count; then does the same for a network of
1,000 cases to show that the query count does not depend on the number of cases.

Actions carry a status history (progress notes: about 60 % of the actions have one to three)
which the figures read for "dropped" and "open/overdue at period end"; each case has a
counselling team membership, and the Danish yearly report per municipality is measured too.

Run: .venv/bin/python bench/summary_bench.py [--cases 10000]   (SUMMARY_BENCH_DB=/tmp/other.sqlite3 to move the file)

PostgreSQL: BENCH_DATABASE_URL=postgres://user@host:5432/fk_bench_summary — the database name
must start with ``fk_bench``; the bench creates it when missing, and drops it at the end only
when it created it.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

from urllib.parse import urlparse

DB_PATH = Path(os.environ.get("SUMMARY_BENCH_DB", "/tmp/fallkonferenz-summary-bench.sqlite3"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
PG_URL = os.environ.get("BENCH_DATABASE_URL", "")
if PG_URL:
    if not (urlparse(PG_URL).scheme.startswith("postgres") and urlparse(PG_URL).path.lstrip("/").startswith("fk_bench")):
        sys.exit("BENCH_DATABASE_URL must be a postgres:// URL of a database named fk_bench*")
    PG_NAME = urlparse(PG_URL).path.lstrip("/")
    os.environ["DATABASE_URL"] = PG_URL
    DB_LABEL = f"PostgreSQL database {PG_NAME}"
else:
    os.environ["DATABASE_URL"] = f"sqlite:///{DB_PATH}"
    DB_LABEL = f"SQLite file {DB_PATH}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

BATCH = 2000


def build_network(name: str, cases: int, seed: int):
    from conferences.models import Case, Conference, Invitation
    from participants.models import Consent, FamilyMember, Network, Organisation, OrganisationKind, User
    from protocols.models import AgreedAction, Protocol, ProtocolItem

    rnd = random.Random(seed)
    tz = dt.timezone.utc
    network = Network.objects.create(name=name, slug=name.lower(), case_reference_prefix="BN")
    orgs = [Organisation.objects.create(network=network, name=f"{name} {kind.label}", kind=kind.value) for kind in OrganisationKind]
    user = User.objects.create(username=f"{name}-caseworker")
    base = dt.date(2024, 1, 1)

    case_rows = []
    for i in range(cases):
        opened = base + dt.timedelta(days=rnd.randrange(0, 700))
        closed = opened + dt.timedelta(days=rnd.randrange(30, 400)) if rnd.random() < 0.4 else None
        case_rows.append(Case(network=network, reference=f"BN-{2024 + i // 100000}-{i % 100000:05d}", lead_organisation=orgs[0],
                              lead_caseworker=user, status="closed" if closed else "active", opened_on=opened,
                              closed_on=closed, expected_child_at_opening=rnd.random() < 0.5))
    Case.objects.bulk_create(case_rows, batch_size=BATCH)
    case_list = list(Case.objects.filter(network=network).order_by("pk"))
    FamilyMember.objects.bulk_create([FamilyMember(case=c, relation="mother", display_name="M") for c in case_list], batch_size=BATCH)
    mothers = dict(FamilyMember.objects.filter(case__network=network).values_list("case_id", "pk"))

    conference_rows = []
    for case in case_list:
        for k in range(3):
            starts = dt.datetime.combine(case.opened_on + dt.timedelta(days=20 + 120 * k + rnd.randrange(0, 30)), dt.time(10), tz)
            status = rnd.choice(["held", "held", "protocol_final", "cancelled", "scheduled"])
            conference_rows.append(Conference(case=case, convenor=user, status=status, starts_at=starts,
                                              ends_at=starts + dt.timedelta(minutes=90), reschedule_count=rnd.choice([0, 0, 0, 1, 2])))
    Conference.objects.bulk_create(conference_rows, batch_size=BATCH)
    conferences = list(Conference.objects.filter(case__network=network).values_list("pk", "case_id"))
    invitations = []
    for conference_id, case_id in conferences:
        invitations.append(Invitation(conference_id=conference_id, family_member_id=mothers[case_id], attended=rnd.random() < 0.6))
        for org in rnd.sample(orgs, 3):
            invitations.append(Invitation(conference_id=conference_id, organisation=org, attended=rnd.random() < 0.8))
    Invitation.objects.bulk_create(invitations, batch_size=BATCH)

    first_conference = {}
    for conference_id, case_id in conferences:
        first_conference.setdefault(case_id, conference_id)
    Protocol.objects.bulk_create([Protocol(conference_id=cid) for cid in first_conference.values()], batch_size=BATCH)
    protocols = dict(Protocol.objects.filter(conference__case__network=network).values_list("conference__case_id", "pk"))
    ProtocolItem.objects.bulk_create([ProtocolItem(protocol_id=pid, title="Vereinbarungen", created_by=user)
                                      for pid in protocols.values()], batch_size=BATCH)
    items = dict(ProtocolItem.objects.filter(protocol__conference__case__network=network).values_list("protocol__conference__case_id", "pk"))

    actions = []
    per_case = max(1, round(10 * cases / len(case_list))) if case_list else 0
    for case in case_list:
        for _ in range(per_case):
            created = dt.datetime.combine(case.opened_on + dt.timedelta(days=rnd.randrange(0, 300)), dt.time(9), tz)
            status = rnd.choice(["open", "in_progress", "done", "done", "dropped"])
            parent = rnd.random() < 0.2
            actions.append(AgreedAction(
                case=case, item_id=items[case.pk], title="Aufgabe", created_at=created,
                due_on=created.date() + dt.timedelta(days=rnd.randrange(7, 90)), status=status,
                completed_on=created.date() + dt.timedelta(days=rnd.randrange(1, 120)) if status == "done" else None,
                responsible_family_member_id=mothers[case.pk] if parent else None,
                responsible_organisation=None if parent else rnd.choice(orgs),
            ))
    AgreedAction.objects.bulk_create(actions, batch_size=BATCH)

    from conferences.models import CaseTeamMember
    from protocols.models import ActionNote

    notes = []
    for action_id, status, created, completed in AgreedAction.objects.filter(case__network=network).values_list(
            "pk", "status", "created_at", "completed_on").iterator(chunk_size=BATCH):
        if rnd.random() >= 0.6:
            continue  # no history: the figures fall back to the current state
        when = created + dt.timedelta(days=rnd.randrange(1, 20))
        if rnd.random() < 0.3:
            notes.append(ActionNote(action_id=action_id, author=user, status="in_progress", created_at=when))
            when += dt.timedelta(days=rnd.randrange(1, 20))
        if status in ("done", "dropped"):
            final = dt.datetime.combine(completed, dt.time(12), tz) if completed else when
            notes.append(ActionNote(action_id=action_id, author=user, status=status, created_at=final))
            if rnd.random() < 0.1:  # reopened later
                notes.append(ActionNote(action_id=action_id, author=user, status="open", created_at=final + dt.timedelta(days=30)))
    ActionNote.objects.bulk_create(notes, batch_size=BATCH)
    counselling = next(o for o in orgs if o.kind == "addiction_counselling")
    residential = next(o for o in orgs if o.kind == "residential_treatment")
    team = []
    for case in case_list:
        added = dt.datetime.combine(case.opened_on, dt.time(9), tz)
        team.append(CaseTeamMember(case=case, organisation=counselling, case_role="counselling", added_at=added,
                                   removed_at=added + dt.timedelta(days=rnd.randrange(60, 400)) if rnd.random() < 0.5 else None))
        if rnd.random() < 0.1:
            team.append(CaseTeamMember(case=case, organisation=residential, added_at=added + dt.timedelta(days=10)))
    CaseTeamMember.objects.bulk_create(team, batch_size=BATCH)
    municipalities = ["Aarhus", "Odense", "Aalborg", "Vejle", "Esbjerg"]
    for i, org in enumerate(orgs):
        Organisation.objects.filter(pk=org.pk).update(municipality=municipalities[i % len(municipalities)])

    Consent.objects.bulk_create([
        Consent(case=case, given_by_id=mothers[case.pk], from_organisation=orgs[0], valid_from=case.opened_on,
                valid_until=case.opened_on + dt.timedelta(days=365), recorded_by=user,
                revoked_at=timezone.now() if rnd.random() < 0.1 else None)
        for case in case_list if rnd.random() < 0.7
    ], batch_size=BATCH)
    return network


SLOWEST: list[tuple[float, str]] = []


def _timed(execute, sql, params, many, context):
    start = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        SLOWEST.append((time.perf_counter() - start, sql[:90]))


def measure(network, year: int, half: int) -> tuple[float, int]:
    from protocols.board.figures import compute_figures

    SLOWEST.clear()
    start = time.perf_counter()
    with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(_timed):
        compute_figures(network, year, half)
    return time.perf_counter() - start, len(queries.captured_queries)


def measure_yearly(network, year: int) -> tuple[float, int]:
    from protocols.board.figures import compute_yearly_report

    start = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        compute_yearly_report(network, year)
    return time.perf_counter() - start, len(queries.captured_queries)


def _maintenance(sql: str) -> None:
    import psycopg

    url = urlparse(PG_URL)
    with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(sql)


def _pg_database_exists() -> bool:
    import psycopg

    url = urlparse(PG_URL)
    with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_NAME]).fetchone() is not None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    args = parser.parse_args()
    created_pg = False
    if PG_URL:
        if not _pg_database_exists():
            _maintenance(f'CREATE DATABASE "{PG_NAME}"')
            created_pg = True
    else:
        DB_PATH.unlink(missing_ok=True)
    print(DB_LABEL)
    try:
        run(args)
    finally:
        connection.close()
        if created_pg:
            _maintenance(f'DROP DATABASE "{PG_NAME}"')
        elif not PG_URL:
            DB_PATH.unlink(missing_ok=True)


def run(args) -> None:
    call_command("migrate", verbosity=0)

    from conferences.models import Case, Conference
    from protocols.models import AgreedAction

    for name, cases in (("Large", args.cases), ("Small", max(args.cases // 10, 1))):
        started = time.perf_counter()
        network = build_network(name, cases, seed=len(name))
        built = time.perf_counter() - started
        from protocols.models import ActionNote

        counts = (Case.objects.filter(network=network).count(), Conference.objects.filter(case__network=network).count(),
                  AgreedAction.objects.filter(case__network=network).count())
        notes = ActionNote.objects.filter(action__case__network=network).count()
        if PG_URL:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        seconds, queries = measure(network, 2025, 1)
        warm, warm_queries = measure(network, 2025, 1)
        print(f"{name}: {counts[0]:,} cases, {counts[1]:,} conferences, {counts[2]:,} actions, {notes:,} action notes "
              f"(built in {built:.1f} s)")
        print(f"  summary 2025 H1 (+ previous half year): {seconds * 1000:.0f} ms cold, {warm * 1000:.0f} ms warm, "
              f"{queries} queries ({warm_queries} warm)")
        for seconds_, sql in sorted(SLOWEST, reverse=True)[:3]:
            print(f"    slowest: {seconds_ * 1000:.0f} ms  {sql}")
        yearly, yearly_queries = measure_yearly(network, 2025)
        print(f"  Danish yearly report 2025 per municipality: {yearly * 1000:.0f} ms, {yearly_queries} queries")


if __name__ == "__main__":
    main()
