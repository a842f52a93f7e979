"""Yearly partnership figures per track: served against capacity, by municipality and birth
site, waiting times, completion; with the board's suppression; constant SQL. Only ended years
are offered and computed, and the stock figures (completion, residential places occupied and
waiting) are counted as at the year's end (review h3-5c: no differencing of live figures)."""
from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from offers import figures, referral_services as rs, track_services
from offers.models import Enrolment, Offer, Referral
from permissions.models import AuditEvent

pytestmark = pytest.mark.django_db

COUNTING_TABLES = ("offers_enrolment", "offers_referral", "offers_session")


def last_year(world) -> int:
    return figures.last_ended_year(world.network)


def enrol(offers, world, n: int, *, municipality: str, site: str = "Klinikum", status: str = "completed", waited: int = 10,
          on: dt.date | None = None, ended: dt.date | None = None):
    on = on or dt.date(last_year(world), 1, 2)
    return Enrolment.objects.bulk_create([Enrolment(
        offer=offers.network_offer, family_label=f"F{i}", municipality=municipality, birth_site=site, status=status,
        enrolled_on=on, ended_on=(ended or on + dt.timedelta(days=18)) if status != "active" else None,
        end_reason="Umzug" if status == "ended_early" else "", waited_days=waited, enrolled_by=world.outsider,
    ) for i in range(n)])


def test_the_figures_count_families_against_the_agreed_capacity(world, offers):
    enrol(offers, world, 8, municipality="Teststadt")
    enrol(offers, world, 6, municipality="Nachbarort", status="ended_early", waited=20)
    (track,) = figures.track_figures(world.network, last_year(world))
    assert (track.served, track.capacity, track.completed, track.ended_early, track.active) == (14, 600, 8, 6, 0)
    assert track.by_municipality == [("Nachbarort", 6), ("Teststadt", 8)]
    assert track.median_wait_days == 10.0


def test_small_counts_are_suppressed_with_their_complement(world, offers):
    enrol(offers, world, 7, municipality="Teststadt")
    enrol(offers, world, 2, municipality="Nachbarort")
    (track,) = figures.track_figures(world.network, last_year(world))
    assert dict(track.by_municipality) == {"Nachbarort": "< 5", "Teststadt": "x"}
    assert track.served == 9


def test_the_figures_cost_the_same_queries_for_many_enrolments(world, offers):
    year = last_year(world)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            figures.track_figures(world.network, year)
            figures.residential_figures(world.network, year)
        return len(ctx.captured_queries)

    enrol(offers, world, 3, municipality="A")
    few = queries()
    enrol(offers, world, 300, municipality="B")
    assert queries() == few


def at(world, year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, 12, tzinfo=zoneinfo.ZoneInfo(world.network.time_zone))


def residential(offers, capacity: int = 6) -> Offer:
    Offer.objects.filter(pk=offers.public_offer.pk).update(is_residential_treatment=True, capacity=capacity)
    offers.public_offer.refresh_from_db()
    return offers.public_offer


def test_the_residential_offer_shows_places_occupancy_and_waiting_list(world, offers):
    offer, year = residential(offers), last_year(world)
    for n in range(7):
        Referral.objects.create(offer=offer, referred_by=offers.case_manager, referred_by_organisation=offers.perinatal,
                                client_label=f"R{n}", status="in_progress" if n < 6 else "waitlisted",
                                created_at=at(world, year, 3, 1), accepted_at=at(world, year, 3, 2) if n < 6 else None,
                                waitlisted_at=at(world, year, 3, 2) if n == 6 else None)
    (item,) = figures.residential_figures(world.network, year)
    assert (item.places, item.occupied, item.waiting, item.referred_in_year) == (6, 6, "< 5", 7)


# --- Only ended years (review h3-5c) -----------------------------------------------------------

def test_the_running_year_is_not_computed(world, offers):
    for year in (timezone.localdate().year, timezone.localdate().year + 1):
        with pytest.raises(ValidationError):
            figures.track_figures(world.network, year)
        with pytest.raises(ValidationError):
            figures.residential_figures(world.network, year)


def test_the_year_selector_offers_only_ended_years_and_shows_the_last_one(client, world, offers):
    enrol(offers, world, 9, municipality="Teststadt")
    client.force_login(world.board_member)
    response = client.get(reverse("offers:partnership_figures"))
    assert response.status_code == 200
    this_year = timezone.localdate().year
    assert response.context["year"] == this_year - 1
    assert list(response.context["years"]) == [this_year - 1, this_year - 2, this_year - 3, this_year - 4, this_year - 5]
    page = response.content.decode()
    assert f'<option value="{this_year}"' not in page and f'<option value="{this_year - 1}" selected>' in page
    assert "9 / 600" in page


@pytest.mark.parametrize("ahead", [0, 1])
def test_the_page_refuses_the_running_or_a_future_year_and_counts_nothing(client, world, offers, ahead):
    enrol(offers, world, 9, municipality="Teststadt", on=timezone.localdate())
    client.force_login(world.board_member)
    year = timezone.localdate().year + ahead
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("offers:partnership_figures"), {"year": year})
    assert response.status_code == 400
    page = response.content.decode()
    refusal = page.split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert "computed once it has ended" in refusal and str(year + 1) in refusal  # from 1 January of the next year
    assert offers.network_offer.name not in page and "municipal-report.csv" not in page
    assert not [q["sql"] for q in ctx.captured_queries if any(table in q["sql"] for table in COUNTING_TABLES)]
    assert not AuditEvent.objects.filter(action="offers.figures.read").exists()


@pytest.mark.parametrize("ahead", [0, 1])
def test_the_municipal_report_refuses_the_running_or_a_future_year_and_counts_nothing(client, world, offers, ahead):
    enrol(offers, world, 9, municipality="Teststadt", on=timezone.localdate())
    client.force_login(world.board_member)
    year = timezone.localdate().year + ahead
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("offers:municipal_report_csv", args=[world.network.slug, year]))
    assert response.status_code == 400
    assert not response["Content-Type"].startswith("text/csv")
    assert "computed once it has ended" in response.content.decode()
    assert "Teststadt" not in response.content.decode()
    assert not [q["sql"] for q in ctx.captured_queries if any(table in q["sql"] for table in COUNTING_TABLES)]
    assert not AuditEvent.objects.filter(action="offers.figures.export").exists()


def test_the_board_page_and_the_municipal_report(client, world, offers):
    enrol(offers, world, 9, municipality="Teststadt")
    client.force_login(world.board_member)
    page = client.get(reverse("offers:partnership_figures")).content.decode()
    assert offers.network_offer.name in page and "9 / 600" in page
    csv = client.get(reverse("offers:municipal_report_csv", args=[world.network.slug, last_year(world)])).content.decode()
    assert "Teststadt,9" in csv
    client.force_login(world.convenor)
    assert client.get(reverse("offers:partnership_figures")).status_code == 403


# --- Stock figures as at the year's end ----------------------------------------------------------

def test_completion_is_counted_at_the_end_of_the_year(world, offers):
    year = last_year(world)
    enrol(offers, world, 6, municipality="Teststadt", ended=dt.date(year, 12, 31))
    enrol(offers, world, 5, municipality="Teststadt", status="ended_early", on=dt.date(year, 11, 2), ended=dt.date(year + 1, 1, 1))
    running = enrol(offers, world, 7, municipality="Teststadt", status="active", on=dt.date(year, 12, 1))
    before = figures.track_figures(world.network, year)
    assert [(t.served, t.completed, t.ended_early, t.active) for t in before] == [(18, 6, 0, 12)]
    for enrolment in running:  # they end after the year's end
        track_services.enrolment_end(world.outsider, enrolment=enrolment, completed=True)
    assert figures.track_figures(world.network, year) == before


def test_residential_places_and_waiting_list_are_counted_at_the_end_of_the_year(world, offers):
    offer, year = residential(offers, capacity=20), last_year(world)

    def referral(n: int, **dates) -> Referral:
        return Referral.objects.create(offer=offer, referred_by=offers.case_manager, referred_by_organisation=offers.perinatal,
                                       client_label=f"R{n}", created_at=at(world, year, 2, 1), **dates)

    for n in range(6):  # admitted in the year, still there at its end, discharged since
        referral(n, status="completed", accepted_at=at(world, year, 3, 1), closed_at=at(world, year + 1, 1, 2))
    for n in range(6, 8):  # admitted and discharged in the year
        referral(n, status="completed", accepted_at=at(world, year, 3, 1), closed_at=at(world, year, 6, 1))
    waiting = [referral(n, status="waitlisted", waitlisted_at=at(world, year, 10, 1)) for n in range(8, 14)]
    (before,) = figures.residential_figures(world.network, year)
    assert (before.occupied, before.waiting, before.referred_in_year) == (6, 6, 14)
    for item in waiting:  # admitted after the year's end, through the service
        rs.referral_accept(world.counsellor, referral=item)
    assert Referral.objects.filter(status="accepted").count() == 6
    (after,) = figures.residential_figures(world.network, year)
    assert (after.occupied, after.waiting, after.referred_in_year) == (6, 6, 14)
