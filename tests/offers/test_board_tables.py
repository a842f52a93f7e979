"""The partnership's programme-track and residential treatment figures in the board's half-year
summary and in the Danish yearly report: anonymised counts, small counts suppressed like every
board figure, frozen when published, constant SQL."""
from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from offers.figures import board_tables
from offers.models import Enrolment, Offer, Referral, Session
from participants.models import Network, NetworkRole, Organisation, OrganisationKind, User
from board import services
from board.figures import compute_figures, compute_yearly_report

pytestmark = pytest.mark.django_db

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")


@pytest.fixture
def partnership():
    network = Network.objects.create(name="Partnerskab Syd", slug="partnerskab-syd", country="DK",
                                     time_zone="Europe/Copenhagen", case_reference_prefix="PS")
    mh = Organisation.objects.create(network=network, name="Mødrehjælpen Syd", kind=OrganisationKind.FAMILY_HELP)
    region = Organisation.objects.create(network=network, name="Region Syd", kind=OrganisationKind.RESIDENTIAL_TREATMENT)
    staff = User.objects.create(username="ps-staff")
    coordinator = User.objects.create(username="ps-coordinator")
    board = User.objects.create(username="ps-board")
    NetworkRole.objects.create(user=coordinator, network=network, role=NetworkRole.Role.COORDINATOR)
    NetworkRole.objects.create(user=board, network=network, role=NetworkRole.Role.BOARD_MEMBER)
    sessions = Offer.objects.create(organisation=mh, name="To samtaler", description="…", kind=Offer.Kind.TRACK,
                                    planned_sessions=2, capacity=600, capacity_unit=Offer.CapacityUnit.PER_YEAR)
    course = Offer.objects.create(organisation=mh, name="Individuelt forløb", description="…", kind=Offer.Kind.TRACK,
                                  planned_sessions=10, capacity=100, capacity_unit=Offer.CapacityUnit.PER_YEAR)
    residential = Offer.objects.create(organisation=region, name="Familieambulatorium døgn", description="…", capacity=4,
                                       is_residential_treatment=True)
    return {"network": network, "sessions": sessions, "course": course, "residential": residential, "staff": staff,
            "coordinator": coordinator, "board": board, "region": region}


def enrol(p, offer, n, *, municipality, on=dt.date(2025, 3, 1), status="completed", site="OUH"):
    made = Enrolment.objects.bulk_create([Enrolment(
        offer=offer, family_label=f"F{i}", municipality=municipality, birth_site=site, status=status, enrolled_on=on,
        ended_on=on + dt.timedelta(days=30) if status != "active" else None, end_reason="flyttet" if status == "ended_early" else "",
        waited_days=7, enrolled_by=p["staff"]) for i in range(n)])
    return made


def table(figures, key):
    return {row["label"]: row["values"] for row in next(t for t in figures["extras"] if t["key"] == key)["rows"]}


def test_the_yearly_report_holds_the_tracks_per_municipality_with_suppression(partnership):
    p = partnership
    enrol(p, p["sessions"], 12, municipality="Odense")
    enrol(p, p["sessions"], 3, municipality="Vejle")
    enrol(p, p["course"], 6, municipality="Odense", status="ended_early")
    enrol(p, p["sessions"], 9, municipality="Odense", on=dt.date(2024, 5, 1))  # another year
    figures = compute_yearly_report(p["network"], 2025)
    tracks = table(figures, "tracks")
    assert tracks["To samtaler"]["served"] == 15 and tracks["To samtaler"]["capacity"] == 600
    assert tracks["Individuelt forløb"]["ended_early"] == 6 and tracks["Individuelt forløb"]["capacity"] == 100
    by_municipality = table(figures, "tracks_by_municipality")
    assert by_municipality["To samtaler – Vejle"]["served"] == "< 5"
    assert by_municipality["To samtaler – Odense"]["served"] == "x"  # would give the 3 away beside the total
    assert by_municipality["Individuelt forløb – Odense"]["served"] == 6


def test_the_half_year_summary_counts_only_its_half_year(partnership):
    p = partnership
    enrol(p, p["sessions"], 7, municipality="Odense", on=dt.date(2025, 2, 1))
    enrol(p, p["sessions"], 8, municipality="Odense", on=dt.date(2025, 9, 1))
    first = table(compute_figures(p["network"], 2025, 1), "tracks")
    second = table(compute_figures(p["network"], 2025, 2), "tracks")
    assert first["To samtaler"]["served"] == 7 and second["To samtaler"]["served"] == 8


def test_sessions_attended_and_the_residential_offer_are_counted(partnership):
    p = partnership
    (enrolment, *_rest) = enrol(p, p["sessions"], 5, municipality="Odense", status="active")
    for day in range(1, 7):
        start = dt.datetime(2025, 3, day, 10, tzinfo=CPH)
        Session.objects.create(enrolment=enrolment, staff=p["staff"], starts_at=start, ends_at=start + dt.timedelta(hours=1),
                               attended=day != 6)
    for n in range(6):
        Referral.objects.create(offer=p["residential"], referred_by=p["staff"], referred_by_organisation=p["region"],
                                client_label=f"R{n}", status="in_progress" if n < 4 else "waitlisted",
                                created_at=dt.datetime(2025, 4, 1, tzinfo=CPH), waitlisted_at=dt.datetime(2025, 4, 1, tzinfo=CPH),
                                accepted_at=dt.datetime(2025, 4, 2, tzinfo=CPH) if n < 4 else None)
    figures = compute_yearly_report(p["network"], 2025)
    assert table(figures, "tracks")["To samtaler"]["sessions_attended"] == 5
    assert table(figures, "residential")["Familieambulatorium døgn"] == {"places": 4, "occupied": "< 5", "waiting": "< 5",
                                                                         "referred": 6}


def test_a_network_without_tracks_or_residential_offers_gets_no_extra_tables(world):
    assert "extras" not in compute_figures(world.network, 2025, 1)
    assert board_tables(world.network, dt.date(2025, 1, 1), dt.date(2025, 6, 30)) == []


def test_the_tables_cost_the_same_queries_for_many_families(partnership):
    p = partnership

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            board_tables(p["network"], dt.date(2025, 1, 1), dt.date(2025, 12, 31))
        return len(ctx.captured_queries)

    enrol(p, p["sessions"], 3, municipality="A")
    few = queries()
    enrol(p, p["sessions"], 300, municipality="B")
    enrol(p, p["course"], 80, municipality="C")
    assert queries() == few


def test_the_board_reads_them_in_the_published_report_frozen_and_in_the_csv(client, partnership):
    p = partnership
    enrol(p, p["sessions"], 11, municipality="Odense")
    report = services.yearly_report_publish(
        p["coordinator"], report=services.yearly_report_compute(p["coordinator"], network=p["network"], year=2025))
    enrol(p, p["sessions"], 20, municipality="Odense")  # after publication: the report stays as it was
    client.force_login(p["board"])
    page = client.get(reverse("board:yearly_report_detail", args=[report.pk]), HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert "To samtaler" in page and "<td>11</td>" in page and "<td>31</td>" not in page
    assert "2025-01-01" not in page
    csv = client.get(reverse("board:yearly_report_csv", args=[report.pk])).content.decode("utf-8-sig")
    assert "To samtaler,11,600" in csv and "F1" not in csv


def test_the_half_year_summary_page_shows_the_tracks(client, partnership):
    p = partnership
    enrol(p, p["course"], 6, municipality="Odense", on=dt.date(2025, 2, 1))
    summary = services.summary_compute(p["coordinator"], network=p["network"], year=2025, half=1)
    services.summary_publish(p["coordinator"], summary=summary)
    client.force_login(p["board"])
    page = client.get(reverse("board:summary_detail", args=[summary.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Programme tracks of the partnership" in page and "Individuelt forløb" in page
    assert "Residential treatment for pregnant women" in page
    csv = client.get(reverse("board:summary_csv", args=[summary.pk])).content.decode("utf-8-sig")
    assert "Individuelt forløb,6,100" in csv


def test_the_stock_figures_are_counted_at_the_end_of_the_period(partnership):
    """Still active, occupied and waiting as at the period's last day (definitions 2026.3): a
    draft computed again later gives the same figures although the families have moved on."""
    p = partnership
    made = enrol(p, p["sessions"], 6, municipality="Odense", status="active", on=dt.date(2025, 3, 1))
    Enrolment.objects.filter(pk__in=[e.pk for e in made]).update(status="completed", ended_on=dt.date(2025, 8, 1))
    for n in range(6):
        Referral.objects.create(offer=p["residential"], referred_by=p["staff"], referred_by_organisation=p["region"],
                                client_label=f"R{n}", status="completed", created_at=dt.datetime(2025, 2, 1, tzinfo=CPH),
                                accepted_at=dt.datetime(2025, 3, 1, tzinfo=CPH), closed_at=dt.datetime(2025, 8, 1, tzinfo=CPH))
    for n in range(6, 12):
        Referral.objects.create(offer=p["residential"], referred_by=p["staff"], referred_by_organisation=p["region"],
                                client_label=f"R{n}", status="accepted", created_at=dt.datetime(2025, 5, 1, tzinfo=CPH),
                                waitlisted_at=dt.datetime(2025, 5, 1, tzinfo=CPH), accepted_at=dt.datetime(2025, 8, 1, tzinfo=CPH))
    first = compute_figures(p["network"], 2025, 1)
    assert {k: table(first, "tracks")["To samtaler"][k] for k in ("served", "completed", "active")} == {
        "served": 6, "completed": 0, "active": 6}
    assert table(first, "residential")["Familieambulatorium døgn"] == {"places": 4, "occupied": 6, "waiting": 6, "referred": 12}
    year = compute_yearly_report(p["network"], 2025)
    assert {k: table(year, "tracks")["To samtaler"][k] for k in ("completed", "active")} == {"completed": 6, "active": 0}
    assert table(year, "residential")["Familieambulatorium døgn"] == {"places": 4, "occupied": 6, "waiting": 0, "referred": 12}
