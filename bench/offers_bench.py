"""Benchmark for the offers app (issue 12):

1. the public directory search over 5,000 offers: latency and SQL statements (constant);
2. the yearly track figures at 600 + 100 enrolments a year over 5 years: latency and statements
   (also as the tables of the board's yearly report and half-year summary);
3. (PostgreSQL only, set BENCH_DATABASE_URL) 50 concurrent accepts of one offer with 10 places:
   no place is given twice, everyone else is waitlisted in a strict order.

Run: .venv/bin/python bench/offers_bench.py
     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fk_bench_offers .venv/bin/python bench/offers_bench.py
"""
from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

DB = Path("/tmp/fallkonferenz-bench-offers.sqlite3")
URL = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{DB}"
if URL.startswith("sqlite"):
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)
os.environ.update({"DEBUG": "true", "DATABASE_URL": URL, "DJANGO_SETTINGS_MODULE": "config.settings",
                   "ALLOWED_HOSTS": "testserver,127.0.0.1"})
os.environ.pop("REDIS_URL", None)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402


def timed(fn, runs: int = 15) -> tuple[float, int]:
    fn()
    times, count = [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
        count = len(queries)
    return statistics.median(times), count


def setup_world():
    from offers.models import CentralCaseManager
    from participants.models import Membership, Network, Organisation, User

    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    network, _ = Network.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    orgs = [Organisation.objects.get_or_create(network=network, name=f"Träger {i}", defaults={"kind": "other"})[0] for i in range(50)]
    staff, _ = User.objects.get_or_create(username="bench.staff")
    Membership.objects.get_or_create(user=staff, organisation=orgs[0], defaults={"role": "social_worker"})
    manager, _ = User.objects.get_or_create(username="bench.cm")
    Membership.objects.get_or_create(user=manager, organisation=orgs[1], defaults={"role": "case_manager"})
    CentralCaseManager.objects.get_or_create(network=network, user=manager, defaults={"organisation": orgs[1]})
    return network, orgs, staff, manager


def bench_directory(orgs) -> None:
    from offers.models import Offer, pack_codes

    rng = random.Random(1)
    langs, groups = ["de", "da", "en", "tr", "ar", "ru"], ["pregnant", "young_parents", "families", "substance_use"]
    client = Client()
    print("\nPublic directory search (anonymous visitor)")
    print(f"  {'offers':>7} {'query':<32} {'median ms':>10} {'SQL':>5}")
    for target in (100, 5000):
        existing = Offer.objects.count()
        Offer.objects.bulk_create([Offer(
            organisation=orgs[n % len(orgs)], name=f"Angebot {existing + n}", description="Beratung und Begleitung",
            languages=pack_codes(rng.sample(langs, 2)), target_groups=pack_codes(rng.sample(groups, 2)),
            municipalities=f"Stadt {n % 40}", postcodes=f",{10000 + n % 400},", visibility="public" if n % 3 else "network",
            anonymous_contact=bool(n % 2),
        ) for n in range(target - existing)], batch_size=1000)
        for label, params in [("no filter", {}), ("language + target group", {"language": "tr", "target_group": "pregnant"}),
                              ("postcode", {"place": "10017"}), ("text + anonymous", {"q": "Beratung", "anonymous": "on"})]:
            ms, n = timed(lambda: client.get(reverse("offers:directory"), params))
            print(f"  {target:>7} {label:<32} {ms:>10.1f} {n:>5}")


def bench_figures(network, orgs, staff) -> None:
    from offers import figures
    from offers.models import Enrolment, Offer

    two = Offer.objects.create(organisation=orgs[0], name="To samtaler", description="x", kind="track", planned_sessions=2,
                               capacity=600, capacity_unit="per_year")
    course = Offer.objects.create(organisation=orgs[0], name="Individuelt forløb", description="x", kind="track", planned_sessions=12,
                                  capacity=100, capacity_unit="per_year")
    rng = random.Random(2)
    this_year = timezone.localdate().year - 1  # the partnership figures are computed for ended years only
    print("\nYearly track figures (600 + 100 enrolments per year)")
    print(f"  {'years':>5} {'enrolments':>10} {'median ms':>10} {'SQL':>5} {'board tables ms':>16} {'SQL':>5}")
    for years in (1, 5):
        have = Enrolment.objects.filter(offer__in=[two, course]).count()
        rows = []
        for y in range(years):
            for track, volume in ((two, 600), (course, 100)):
                for i in range(volume):
                    day = dt.date(this_year - y, 1, 1) + dt.timedelta(days=rng.randrange(360))
                    rows.append(Enrolment(offer=track, family_label=f"F{i}", municipality=f"Kommune {rng.randrange(10)}",
                                          birth_site=f"Fødested {rng.randrange(4)}", status=rng.choice(["completed", "completed", "ended_early", "active"]),
                                          enrolled_on=day, ended_on=day + dt.timedelta(days=30), waited_days=rng.randrange(40), enrolled_by=staff))
        rows = rows[have:]
        for row in rows:
            if row.status == "active":
                row.ended_on = None
            if row.status == "ended_early":
                row.end_reason = "flyttet"
        Enrolment.objects.bulk_create(rows, batch_size=2000)
        total = Enrolment.objects.filter(offer__in=[two, course]).count()
        ms, n = timed(lambda: (figures.track_figures(network, this_year), figures.residential_figures(network, this_year)), runs=9)
        # the same figures as the tables of the board's yearly report / half-year summary
        tables_ms, tables_n = timed(lambda: figures.board_tables(network, dt.date(this_year, 1, 1), dt.date(this_year, 12, 31)),
                                    runs=9)
        print(f"  {years:>5} {total:>10} {ms:>10.1f} {n:>5} {tables_ms:>16.1f} {tables_n:>5}")


def bench_concurrent_accepts(orgs, staff, manager) -> None:
    from offers import referral_services as rs
    from offers.models import Offer, Referral

    if connection.vendor != "postgresql":
        print("\nConcurrent accepts: skipped (needs PostgreSQL; set BENCH_DATABASE_URL)")
        return
    offer = Offer.objects.create(organisation=orgs[0], name="Knappe Plätze", description="x", capacity=10, visibility="network")
    referrals = [rs.referral_create(manager, offer=offer, client_label=f"P{n}") for n in range(50)]
    barrier = threading.Barrier(len(referrals))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(referral):
        try:
            barrier.wait()
            result = rs.referral_accept(staff, referral=referral).status
        except Exception as error:  # noqa: BLE001
            result = f"error {error!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    start = time.perf_counter()
    threads = [threading.Thread(target=run, args=(r,)) for r in referrals]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = (time.perf_counter() - start) * 1000
    accepted = Referral.objects.filter(offer=offer, status="accepted").count()
    waiting = list(Referral.objects.filter(offer=offer, status="waitlisted").order_by("waitlisted_at", "pk").values_list("waitlisted_at", flat=True))
    print("\nConcurrent accepts on PostgreSQL (50 threads, 10 places)")
    print(f"  accepted {accepted} (must be 10), waitlisted {len(waiting)}, errors {sum(o.startswith('error') for o in outcomes)}, "
          f"strictly ordered waiting list: {len(set(waiting)) == len(waiting)}, wall time {elapsed:.0f} ms")
    assert accepted == 10 and len(waiting) == 40


def main() -> None:
    call_command("migrate", verbosity=0)
    network, orgs, staff, manager = setup_world()
    print(f"Database: {connection.vendor}")
    bench_directory(orgs)
    bench_figures(network, orgs, staff)
    bench_concurrent_accepts(orgs, staff, manager)


if __name__ == "__main__":
    main()
