"""Two people accepting the last place at the same moment must not both get it (PostgreSQL,
concurrent transactions in threads that start together)."""
from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from offers import referral_services as rs
from offers.models import Offer, Referral
from tests.offers.offer_world import build_offer_world
from tests.world import build_world

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL) for row locks"),
]


def accept_all_at_once(staff, referrals: list[Referral]) -> list[str]:
    barrier = threading.Barrier(len(referrals))
    results: list[str] = []
    lock = threading.Lock()

    def run(referral: Referral) -> None:
        try:
            barrier.wait()
            outcome = rs.referral_accept(staff, referral=referral).status
        except Exception as error:  # noqa: BLE001 - reported below
            outcome = f"error: {error!r}"
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(r,)) for r in referrals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("people", [2, 8])
def test_the_last_place_goes_to_exactly_one_of_those_accepting_at_once(people):
    world = build_world()
    offers = build_offer_world(world)
    Offer.objects.filter(pk=offers.public_offer.pk).update(capacity=1)
    referrals = [offers.referral] + [
        rs.referral_create(offers.case_manager, offer=offers.public_offer, client_label=f"P{n}") for n in range(people - 1)
    ]
    results = accept_all_at_once(world.counsellor, referrals)
    assert sorted(results) == ["accepted"] + ["waitlisted"] * (people - 1)
    assert Referral.objects.filter(offer=offers.public_offer, status="accepted").count() == 1
    waiting = list(Referral.objects.filter(offer=offers.public_offer, status="waitlisted").order_by("waitlisted_at", "pk"))
    assert len({r.waitlisted_at for r in waiting}) == len(waiting)  # a strict order, first come first served
