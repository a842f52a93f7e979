"""Yearly partnership figures per track: served against capacity, by municipality and birth
site, waiting times, completion; with the board's suppression; constant SQL."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from offers import figures
from offers.models import Enrolment, Offer, Referral

pytestmark = pytest.mark.django_db


def enrol(offers, world, n: int, *, municipality: str, site: str = "Klinikum", status: str = "completed", waited: int = 10):
    today = timezone.localdate()
    Enrolment.objects.bulk_create([Enrolment(
        offer=offers.network_offer, family_label=f"F{i}", municipality=municipality, birth_site=site, status=status,
        enrolled_on=today.replace(month=1, day=2), ended_on=today.replace(month=1, day=20) if status != "active" else None,
        end_reason="Umzug" if status == "ended_early" else "", waited_days=waited, enrolled_by=world.outsider,
    ) for i in range(n)])


def test_the_figures_count_families_against_the_agreed_capacity(world, offers):
    enrol(offers, world, 8, municipality="Teststadt")
    enrol(offers, world, 6, municipality="Nachbarort", status="ended_early", waited=20)
    (track,) = figures.track_figures(world.network, timezone.localdate().year)
    assert (track.served, track.capacity, track.completed, track.ended_early, track.active) == (14, 600, 8, 6, 0)
    assert track.by_municipality == [("Nachbarort", 6), ("Teststadt", 8)]
    assert track.median_wait_days == 10.0


def test_small_counts_are_suppressed_with_their_complement(world, offers):
    enrol(offers, world, 7, municipality="Teststadt")
    enrol(offers, world, 2, municipality="Nachbarort")
    (track,) = figures.track_figures(world.network, timezone.localdate().year)
    assert dict(track.by_municipality) == {"Nachbarort": "< 5", "Teststadt": "x"}
    assert track.served == 9


def test_the_figures_cost_the_same_queries_for_many_enrolments(world, offers):
    year = timezone.localdate().year

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            figures.track_figures(world.network, year)
            figures.residential_figures(world.network, year)
        return len(ctx.captured_queries)

    enrol(offers, world, 3, municipality="A")
    few = queries()
    enrol(offers, world, 300, municipality="B")
    assert queries() == few


def test_the_residential_offer_shows_places_occupancy_and_waiting_list(world, offers):
    Offer.objects.filter(pk=offers.public_offer.pk).update(is_residential_treatment=True, capacity=6)
    for n in range(7):
        Referral.objects.create(offer=offers.public_offer, referred_by=offers.case_manager, referred_by_organisation=offers.perinatal,
                                client_label=f"R{n}", status="in_progress" if n < 6 else "waitlisted", waitlisted_at=timezone.now())
    (item,) = figures.residential_figures(world.network, timezone.localdate().year)
    assert (item.places, item.occupied, item.waiting) == (6, 6, "< 5")


def test_the_board_page_and_the_municipal_report(client, world, offers):
    enrol(offers, world, 9, municipality="Teststadt")
    client.force_login(world.board_member)
    page = client.get(reverse("offers:partnership_figures")).content.decode()
    assert offers.network_offer.name in page and "9 / 600" in page
    year = timezone.localdate().year
    csv = client.get(reverse("offers:municipal_report_csv", args=[world.network.slug, year])).content.decode()
    assert "Teststadt,9" in csv
    client.force_login(world.convenor)
    assert client.get(reverse("offers:partnership_figures")).status_code == 403
