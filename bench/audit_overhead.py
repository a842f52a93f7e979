"""Case-page-like reads (selector + audit record) with auditing on and off, in one run.

Run: .venv/bin/python bench/audit_overhead.py [--reads N] [--cases N] [--threads N] [--explain]

Uses a throwaway SQLite file under /tmp. To measure on PostgreSQL, point ``BENCH_DATABASE_URL``
at an empty database of its own whose name starts with ``fk_`` (it is migrated and filled; drop it
afterwards); ``--cases 2000`` gives a network of 2,000 cases (8,000 items, 6,000 team rows).
Ends with ``audit_overhead_throughput`` (audit-on reads/s as a share of audit-off, goal >= 90 %)
and ``audit_overhead_sql_per_read`` (extra statements per audited read, goal <= 2) lines. Prints reads/s per mode (modes interleaved in blocks so that load on the machine
hits both alike), SQL statements per read and per audit record, the time of ``audit.record``
alone, and with ``--threads`` the throughput of parallel readers of different cases (one audit
chain per case, so they must not wait for one another). ``--explain`` prints the query plans of
the case page's selectors.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DEBUG"] = "true"
_url = os.environ.get("BENCH_DATABASE_URL", "")
if _url and urlparse(_url).scheme.startswith("postgres") and urlparse(_url).path.lstrip("/").startswith("fk_"):
    os.environ["DATABASE_URL"] = _url
    DB_LABEL = f"PostgreSQL database {urlparse(_url).path.lstrip('/')}"
else:
    if _url:
        sys.exit("BENCH_DATABASE_URL must be a postgres:// URL of a database named fk_*")
    DB = Path(tempfile.mkdtemp(prefix="fk-bench-")) / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
    DB_LABEL = f"SQLite file {DB}"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def case_page(user, case_id: int, *, audited: bool) -> int:
    from cases import policy as cases_policy
    from permissions import audit
    from protocols import policy as protocols_policy

    case = cases_policy.cases_for_user(user).get(pk=case_id)
    items = list(protocols_policy.protocol_items_for_user(user).filter(protocol__conference__case_id=case.pk))
    actions = list(protocols_policy.actions_for_user(user).filter(case_id=case.pk))
    if audited:
        audit.record(user, action="case.read", obj=case, case_id=case.pk, legal_basis="team")
    return len(items) + len(actions)


def fill(world, count: int) -> list[int]:
    """``count`` more cases like the world's, with the counsellor on every team, so that plans
    and indexes meet realistic table sizes. Built with ``bulk_create`` (2,000 cases in seconds).
    Returns their ids."""
    import datetime as dt

    from django.utils import timezone

    from cases.models import Case, CaseTeamMember
    from conferences.models import Conference
    from cases.models import Consent, ConsentScope, FamilyMember, InformationCategory
    from protocols.models import Audience, Protocol, ProtocolItem

    today = timezone.localdate()
    now = timezone.now()
    cases = Case.objects.bulk_create([
        Case(network=world.network, reference=f"KT-2025-{n:05d}", lead_organisation=world.youth_welfare,
             lead_caseworker=world.convenor, status=Case.Status.ACTIVE, opened_on=today - dt.timedelta(days=n % 300))
        for n in range(count)], batch_size=1000)
    CaseTeamMember.objects.bulk_create([
        member for case in cases for member in (
            CaseTeamMember(case=case, organisation=world.youth_welfare, user=world.convenor, case_role=CaseTeamMember.CaseRole.LEAD),
            CaseTeamMember(case=case, organisation=world.counselling, user=world.counsellor),
            CaseTeamMember(case=case, organisation=world.midwifery, user=world.midwife))], batch_size=1000)
    mothers = FamilyMember.objects.bulk_create([
        FamilyMember(case=case, relation=FamilyMember.Relation.MOTHER, display_name="M.") for case in cases], batch_size=1000)
    conferences = Conference.objects.bulk_create([
        Conference(case=case, convenor=world.convenor, status=Conference.Status.SCHEDULED,
                   starts_at=now - dt.timedelta(days=n % 200), ends_at=now - dt.timedelta(days=n % 200) + dt.timedelta(minutes=90))
        for n, case in enumerate(cases)], batch_size=1000)
    protocols = Protocol.objects.bulk_create([
        Protocol(conference=conference, minute_taker=world.convenor) for conference in conferences], batch_size=1000)
    audiences = [Audience.EVERYONE, Audience.PROFESSIONALS, Audience.RESTRICTED, Audience.RESTRICTED]
    items = ProtocolItem.objects.bulk_create([
        ProtocolItem(
            protocol=protocol, position=position, title=f"Punkt {position}", text="…", audience=audience, created_by=world.convenor,
            holding_organisation=world.youth_welfare if audience == Audience.RESTRICTED else None,
            entrusted_by=mother if audience == Audience.RESTRICTED else None,
            category=InformationCategory.PARENTING_CHILD_WELFARE if audience == Audience.RESTRICTED else "")
        for protocol, mother in zip(protocols, mothers) for position, audience in enumerate(audiences, 1)], batch_size=1000)
    Through = ProtocolItem.restricted_to.through
    Through.objects.bulk_create([
        Through(protocolitem_id=item.pk, organisation_id=org.pk)
        for item in items if item.audience == Audience.RESTRICTED for org in (world.counselling, world.midwifery)], batch_size=1000)
    consents = Consent.objects.bulk_create([
        Consent(case=case, given_by=mother, from_organisation=world.youth_welfare, valid_from=today - dt.timedelta(days=400),
                valid_until=today - dt.timedelta(days=1 + n % 50) if n % 3 == 0 else today + dt.timedelta(days=200),
                recorded_by=world.convenor)
        for n, (case, mother) in enumerate(zip(cases, mothers))], batch_size=1000)
    ToOrgs = Consent.to_organisations.through
    ToOrgs.objects.bulk_create([ToOrgs(consent_id=c.pk, organisation_id=world.counselling.pk) for c in consents], batch_size=1000)
    ConsentScope.objects.bulk_create([
        ConsentScope(consent=c, category=InformationCategory.PARENTING_CHILD_WELFARE) for c in consents], batch_size=1000)
    return [case.pk for case in cases]


def timed(fn, reads: int) -> tuple[float, int]:
    connection.queries_log.clear()  # the log is a bounded deque: a full one would count nothing
    with CaptureQueriesContext(connection) as ctx:
        start = time.perf_counter()
        for n in range(reads):
            fn(n)
        elapsed = time.perf_counter() - start
    return elapsed, len(ctx)


def interleaved(readers, reads: int, block: int = 50) -> dict[bool, tuple[float, float]]:
    """reads/s and queries/read per mode; modes alternate every ``block`` reads."""
    totals = {False: [0.0, 0, 0], True: [0.0, 0, 0]}
    done = 0
    while done < reads:
        size = min(block, reads - done)
        for audited in (False, True):
            elapsed, queries = timed(lambda n, a=audited: case_page(*readers[(done + n) % len(readers)], audited=a), size)
            totals[audited][0] += elapsed
            totals[audited][1] += queries
            totals[audited][2] += size
        done += size
    return {mode: (count / elapsed, queries / count) for mode, (elapsed, queries, count) in totals.items()}


def parallel(readers_per_thread, seconds: float, *, audited: bool) -> float:
    """Total reads/s of one thread per reader list, each on its own connection and cases."""
    counts = [0] * len(readers_per_thread)
    stop = time.perf_counter() + seconds

    def work(index, readers):
        n = 0
        try:
            while time.perf_counter() < stop:
                case_page(*readers[n % len(readers)], audited=audited)
                n += 1
        finally:
            counts[index] = n
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i, r)) for i, r in enumerate(readers_per_thread)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - start)


def explain(world) -> None:
    from protocols import policy as protocols_policy

    for label, qs in [
        ("protocol items (counsellor, one case)", protocols_policy.protocol_items_for_user(world.counsellor).filter(protocol__conference__case_id=world.case.pk)),
        ("protocol items (counsellor, all cases)", protocols_policy.protocol_items_for_user(world.counsellor)),
        ("agreed actions (counsellor, one case)", protocols_policy.actions_for_user(world.counsellor).filter(case_id=world.case.pk)),
    ]:
        options = {"analyze": True} if connection.vendor == "postgresql" else {}
        print(f"--- EXPLAIN {label}")
        print(qs.explain(**options))


def line(name: str, figure: str, goal: str, ok: bool) -> None:
    print(f"{name}: {figure} ({goal}) {'PASS' if ok else 'FAIL'}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=200, help="filler cases besides the test world's")
    parser.add_argument("--threads", type=int, default=0, help="also run this many parallel readers for 5 s per mode")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    from permissions import audit
    from tests.world import build_world

    world = build_world()
    filler = fill(world, args.cases)
    connection.cursor().execute("ANALYZE")
    readers = [(world.convenor, world.case.pk), (world.counsellor, world.case.pk), (world.midwife, world.case.pk), (world.parent, world.case.pk)]
    interleaved(readers, 50)  # warm up

    if args.explain:
        explain(world)

    result = interleaved(readers, args.reads)
    (off_rate, off_q), (on_rate, on_q) = result[False], result[True]
    case = world.case
    elapsed, audit_queries = timed(lambda n: audit.record(world.counsellor, action="case.read", obj=case, case_id=case.pk), 200)
    print(f"case-page reads: {args.reads} per mode, {len(filler) + 2} cases, {DB_LABEL}")
    print(f"auditing off: {off_rate:8.0f} reads/s  {off_q:.1f} queries/read")
    print(f"auditing on:  {on_rate:8.0f} reads/s  {on_q:.1f} queries/read  ({100 * (1 - on_rate / off_rate):.0f}% slower)")
    print(f"audit.record alone: {elapsed / 200 * 1000:.2f} ms, {audit_queries / 200:.1f} SQL statements "
          "(as Django logs them, BEGIN/COMMIT included where a transaction is opened; a read outside a transaction opens none)")
    ratio = on_rate / off_rate
    line("audit_overhead_throughput", f"{100 * ratio:.1f} % of audit-off ({on_rate:.0f} vs {off_rate:.0f} reads/s)", ">= 90 %",
         ratio >= 0.9)
    delta = on_q - off_q
    line("audit_overhead_sql_per_read", f"+{delta:.1f} statements ({off_q:.1f} -> {on_q:.1f})", "<= 2 extra", delta <= 2.0)
    if args.threads:
        per_thread = [[(world.counsellor, pk) for pk in filler[i::args.threads]] or readers for i in range(args.threads)]
        off_par = parallel(per_thread, 5, audited=False)
        on_par = parallel(per_thread, 5, audited=True)
        print(f"{args.threads} parallel readers of different cases: off {off_par:.0f} reads/s, on {on_par:.0f} reads/s "
              f"({100 * (1 - on_par / off_par):.0f}% slower)")
    print(f"audit chain intact after the run: {not audit.verify_all()}")
    print(f"# load average {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
