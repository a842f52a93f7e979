"""The Danish yearly report per municipality: its own pages, drafts and frozen publication, CSV.

A crafted Danish network whose true 2025 figures are known by construction:

- Aarhus (lead organisation's municipality): 7 vulnerable pregnant women in the effort in 2025,
  6 residential treatment placements, 8 counselling tracks started and 5 completed;
- Odense: 2 pregnant women, no placement, 6 counselling tracks started, none completed;
- outside 2025 (not counted): an Aarhus case closed in 2024, one opened in 2026, a placement
  and a counselling track of 2024.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Case, CaseTeamMember
from participants.models import Network, NetworkRole, Organisation, OrganisationKind, User
from permissions.models import AuditEvent
from board import services
from board.figures import CURRENT, PREVIOUS, Period, compute_figures, compute_yearly_report, raw_figures_of, summary_relations
from board.models import YearlyReport

pytestmark = pytest.mark.django_db

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")


def at(year, month, day):
    return dt.datetime(year, month, day, 10, tzinfo=CPH)


@pytest.fixture
def danish():
    network = Network.objects.create(name="Syddanmark", slug="syd", country="DK", time_zone="Europe/Copenhagen",
                                     case_reference_prefix="SD")
    aarhus = Organisation.objects.create(network=network, name="Aarhus Kommune", kind=OrganisationKind.YOUTH_WELFARE,
                                         municipality="Aarhus")
    odense = Organisation.objects.create(network=network, name="Odense Kommune", kind=OrganisationKind.YOUTH_WELFARE,
                                         municipality="Odense")
    residential = Organisation.objects.create(network=network, name="Behandlingshjem", municipality="Vejle",
                                              kind=OrganisationKind.RESIDENTIAL_TREATMENT)
    counselling = Organisation.objects.create(network=network, name="Rusmiddelcenter",
                                              kind=OrganisationKind.ADDICTION_COUNSELLING, municipality="Vejle")
    caseworker = User.objects.create(username="dk-caseworker")
    coordinator = User.objects.create(username="dk-coordinator")
    board_member = User.objects.create(username="dk-board")
    NetworkRole.objects.create(user=coordinator, network=network, role=NetworkRole.Role.COORDINATOR)
    NetworkRole.objects.create(user=board_member, network=network, role=NetworkRole.Role.BOARD_MEMBER)
    counter = iter(range(1, 1000))

    def case(org, opened, closed=None, expected=True):
        return Case.objects.create(network=network, reference=f"SD-{next(counter):04d}", lead_organisation=org,
                                   lead_caseworker=caseworker, opened_on=opened, closed_on=closed,
                                   status=Case.Status.CLOSED if closed else Case.Status.ACTIVE,
                                   expected_child_at_opening=expected)

    def member(case_, org, role, added, removed=None):
        return CaseTeamMember.objects.create(case=case_, organisation=org, case_role=role, added_at=added, removed_at=removed)

    aarhus_cases = [case(aarhus, dt.date(2025, 2, 1)) for _ in range(7)]
    case(aarhus, dt.date(2025, 3, 1), expected=False)
    old = case(aarhus, dt.date(2024, 1, 1), closed=dt.date(2024, 12, 1))
    case(aarhus, dt.date(2026, 1, 5))
    odense_cases = [case(odense, dt.date(2025, 4, 1)) for _ in range(2)] + [case(odense, dt.date(2025, 4, 1), expected=False)]
    other = CaseTeamMember.CaseRole.OTHER
    counsel = CaseTeamMember.CaseRole.COUNSELLING
    for c in aarhus_cases[:6]:
        member(c, residential, other, at(2025, 5, 1))
    member(old, residential, other, at(2024, 5, 1))
    for i, c in enumerate(aarhus_cases + [aarhus_cases[0]]):  # 8 tracks started, 5 of them completed in 2025
        member(c, counselling, counsel, at(2025, 3, 1), removed=at(2025, 10, 1) if i < 5 else None)
    member(old, counselling, counsel, at(2024, 3, 1), removed=at(2024, 9, 1))
    second = Organisation.objects.create(network=network, name="Rusmiddelcenter 2", kind=OrganisationKind.ADDICTION_COUNSELLING)
    for c in odense_cases:  # 6 tracks started, with two counselling services
        member(c, counselling, counsel, at(2025, 6, 1))
        member(c, second, counsel, at(2025, 6, 1))
    return {"network": network, "coordinator": coordinator, "board_member": board_member, "caseworker": caseworker,
            "aarhus_cases": aarhus_cases}


def _table(figures):
    return {row["label"]: row["values"] for row in figures["rows"]}


def test_yearly_report_counts_each_municipality_of_the_calendar_year_with_suppression(danish):
    table = _table(compute_yearly_report(danish["network"], 2025))
    # pregnant women: Odense 2 is "< 5"; Aarhus 7 hidden too, or 9 − 7 would reveal Odense's 2
    assert table["Aarhus"] == {"pregnant_women": "x", "residential_placements": 6, "counselling_started": 8,
                               "counselling_completed": 5}
    assert table["Odense"] == {"pregnant_women": "< 5", "residential_placements": 0, "counselling_started": 6,
                               "counselling_completed": 0}
    assert table["All municipalities"] == {"pregnant_women": 9, "residential_placements": 6, "counselling_started": 14,
                                           "counselling_completed": 5}
    assert "Vejle" not in table  # the placing organisation's municipality does not count, the case's does


def test_yearly_report_of_another_year_counts_only_that_year(danish):
    table = _table(compute_yearly_report(danish["network"], 2024))
    # 2024: one pregnant woman in Aarhus, one placement, one counselling track started and completed
    assert table["Aarhus"] == {"pregnant_women": "< 5", "residential_placements": "< 5", "counselling_started": "< 5",
                               "counselling_completed": "< 5"}
    assert set(table) == {"Aarhus", "All municipalities"}  # Odense had nothing in 2024
    assert set(table["All municipalities"].values()) == {"< 5"}


def test_yearly_report_query_count_does_not_depend_on_the_number_of_cases(danish):
    with CaptureQueriesContext(connection) as few:
        compute_yearly_report(danish["network"], 2025)
    org = Organisation.objects.get(name="Aarhus Kommune")
    for i in range(30):
        Case.objects.create(network=danish["network"], reference=f"SD-X{i}", lead_organisation=org,
                            lead_caseworker=danish["caseworker"], opened_on=dt.date(2025, 5, 1), expected_child_at_opening=True)
    with CaptureQueriesContext(connection) as many:
        compute_yearly_report(danish["network"], 2025)
    assert len(many) == len(few) <= 4


def test_coordinator_publishes_a_frozen_report_that_later_case_changes_leave_alone(danish):
    draft = services.yearly_report_compute(danish["coordinator"], network=danish["network"], year=2025)
    published = services.yearly_report_publish(danish["coordinator"], report=draft)
    shown = YearlyReport.objects.get(pk=published.pk).figures
    Case.objects.filter(network=danish["network"]).update(expected_child_at_opening=False)
    CaseTeamMember.objects.filter(case__network=danish["network"]).delete()
    assert YearlyReport.objects.get(pk=published.pk).figures == shown
    with pytest.raises(ValidationError):
        services.yearly_report_publish(danish["coordinator"], report=published)
    again = services.yearly_report_compute(danish["coordinator"], network=danish["network"], year=2025)
    assert again.pk != published.pk and again.status == YearlyReport.Status.DRAFT
    assert _table(again.figures)["All municipalities"]["pregnant_women"] == 0
    with pytest.raises(ValidationError):  # one published report per year
        services.yearly_report_publish(danish["coordinator"], report=again)


def test_only_the_coordinator_of_a_danish_network_computes(danish, world):
    with pytest.raises(PermissionDenied):
        services.yearly_report_compute(danish["board_member"], network=danish["network"], year=2025)
    with pytest.raises(ValidationError) as error:  # world.network is German
        services.yearly_report_compute(world.coordinator, network=world.network, year=2025)
    assert "network" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.yearly_report_compute(danish["coordinator"], network=danish["network"], year=dt.date.today().year + 1)


def test_board_member_sees_published_years_opens_one_and_downloads_the_csv(client, danish):
    draft = services.yearly_report_compute(danish["coordinator"], network=danish["network"], year=2024)
    published = services.yearly_report_publish(
        danish["coordinator"], report=services.yearly_report_compute(danish["coordinator"], network=danish["network"], year=2025))
    client.force_login(danish["board_member"])
    listing = client.get(reverse("board:yearly_report_list")).content.decode()
    assert reverse("board:yearly_report_detail", args=[published.pk]) in listing
    assert reverse("board:yearly_report_detail", args=[draft.pk]) not in listing
    page = client.get(reverse("board:yearly_report_detail", args=[published.pk]))
    assert page.status_code == 200
    assert "Residential treatment placements" in page.content.decode()
    text = page.content.decode()
    assert "1 January 2025 – 31 December 2025" in text and "2025-01-01" not in text  # the period in the page's language
    assert text.count("Published") == 1  # the sentence says it; no badge repeating it
    assert client.get(reverse("board:yearly_report_detail", args=[draft.pk])).status_code == 404
    csv = client.get(reverse("board:yearly_report_csv", args=[published.pk]))
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Municipality,Vulnerable pregnant women")
    assert "Odense,< 5,0,6,0" in lines
    assert "All municipalities,9,6,14,5" in lines
    assert not any("SD-" in line for line in lines)
    reads = AuditEvent.objects.filter(action__in=["yearly_report.view", "yearly_report.csv"], actor=danish["board_member"])
    assert reads.count() == 2 and all(event.case_id is None for event in reads)


def test_coordinator_computes_and_publishes_through_the_pages(client, danish):
    client.force_login(danish["coordinator"])
    listing = client.get(reverse("board:yearly_report_list")).content.decode()
    assert "Compute a new draft" in listing
    bad = client.post(reverse("board:yearly_report_compute"), {"network": danish["network"].pk, "year": "x"})
    assert bad.status_code == 400 and not YearlyReport.objects.exists()
    response = client.post(reverse("board:yearly_report_compute"), {"network": danish["network"].pk, "year": 2025})
    report = YearlyReport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("board:yearly_report_detail", args=[report.pk])
    client.post(reverse("board:yearly_report_publish", args=[report.pk]))
    report.refresh_from_db()
    assert report.status == YearlyReport.Status.PUBLISHED and report.published_by == danish["coordinator"]


def test_the_danish_board_finds_its_yearly_report_on_its_dashboard(client, danish):
    draft = services.yearly_report_compute(danish["coordinator"], network=danish["network"], year=2024)
    published = services.yearly_report_publish(
        danish["coordinator"], report=services.yearly_report_compute(danish["coordinator"], network=danish["network"], year=2025))
    client.force_login(danish["board_member"])
    page = client.get(reverse("dashboard")).content.decode()
    assert reverse("board:yearly_report_detail", args=[published.pk]) in page
    assert reverse("board:yearly_report_detail", args=[draft.pk]) not in page
    client.force_login(danish["coordinator"])
    assert reverse("board:yearly_report_detail", args=[draft.pk]) in client.get(reverse("dashboard")).content.decode()


def test_the_running_year_is_refused_and_an_early_draft_is_not_published(danish, client):
    """Like the half years (review h3-5c): the report of the running year, recomputed at will,
    would single out each case as it is opened; it is computed once the year has ended."""
    year = dt.date.today().year
    with pytest.raises(ValidationError) as error:
        services.yearly_report_compute(danish["coordinator"], network=danish["network"], year=year)
    assert "once the year has ended" in str(error.value.message_dict["year"])
    client.force_login(danish["coordinator"])
    response = client.post(reverse("board:yearly_report_compute"), {"network": danish["network"].pk, "year": year})
    assert response.status_code == 400 and "The yearly report is computed once the year has ended" in response.content.decode()
    assert not YearlyReport.objects.filter(network=danish["network"], year=year).exists()
    early = YearlyReport.objects.create(network=danish["network"], year=2025, figures={}, definitions_version="2026.2",
                                        computed_at=at(2025, 12, 31), computed_by=danish["coordinator"])
    with pytest.raises(ValidationError):
        services.yearly_report_publish(danish["coordinator"], report=early)
    assert YearlyReport.objects.get(pk=early.pk).status == YearlyReport.Status.DRAFT


def _differences_given_back(before: dict, after: dict) -> list:
    """Cells shown in both cumulative tables whose difference is a small count (1-4)."""
    found = []
    for name in set(before) | set(after):
        for measure in set(before.get(name, {})) | set(after.get(name, {})):
            a, b = before.get(name, {}).get(measure, 0), after.get(name, {}).get(measure, 0)
            if isinstance(a, int) and isinstance(b, int) and 0 < abs(b - a) < 5:
                found.append((name, measure, a, b))
    return found


def test_cumulative_tables_of_one_year_give_back_no_small_count_by_their_difference(danish):
    """Review h3-5 (named, not probed): the municipality table counts from 1 January, so the
    yearly report (or the second half year's summary) minus the published first half year's
    summary gave back July-December counts. Each new table of the year is suppressed against
    the tables of that year already published."""
    coordinator, network = danish["coordinator"], danish["network"]
    first = services.summary_publish(coordinator, summary=services.summary_compute(
        coordinator, network=network, year=2025, half=1))
    h1 = _table(first.figures["municipalities"])
    assert h1["Aarhus"]["counselling_started"] == 8
    second_service = Organisation.objects.get(name="Rusmiddelcenter 2")
    for c in danish["aarhus_cases"][:2]:  # two tracks started in August: 10 in the year
        CaseTeamMember.objects.create(case=c, organisation=second_service, case_role=CaseTeamMember.CaseRole.COUNSELLING,
                                      added_at=at(2025, 8, 1))
    report = services.yearly_report_publish(coordinator, report=services.yearly_report_compute(
        coordinator, network=network, year=2025))
    year = _table(report.figures)
    assert _differences_given_back(h1, year) == []
    assert year["Aarhus"]["counselling_started"] == "x"
    h2 = _table(services.summary_compute(coordinator, network=network, year=2025, half=2).figures["municipalities"])
    assert _differences_given_back(h1, h2) == [] and _differences_given_back(year, h2) == []


def test_the_pregnant_women_of_the_year_give_back_no_new_case_of_the_second_half_year(danish):
    """Within one second-half-year summary: the pregnant women from 1 January (all
    municipalities) minus the active cases with an expected child of the first half year are
    the new ones since; two new ones must not come back."""
    aarhus = Organisation.objects.get(name="Aarhus Kommune")
    for i in range(3):  # five without an expected child in the first half year: its split is shown
        Case.objects.create(network=danish["network"], reference=f"SD-W{i}", lead_organisation=aarhus,
                            lead_caseworker=danish["caseworker"], opened_on=dt.date(2025, 5, 1))
    for i in range(2):
        Case.objects.create(network=danish["network"], reference=f"SD-N{i}", lead_organisation=aarhus,
                            lead_caseworker=danish["caseworker"], opened_on=dt.date(2025, 8, 1), expected_child_at_opening=True)
    figures = compute_figures(danish["network"], 2025, 2)
    rows = {row["key"]: row for row in figures["sections"][0]["rows"]}
    total = next(r for r in figures["municipalities"]["rows"] if r["key"] == "__all__")["values"]["pregnant_women"]
    before = rows["active_expected_child"]["previous"]
    assert rows["active"]["previous"] == "x" and rows["new"]["current"] == "< 5"  # the stock and flow of cases
    assert not (isinstance(total, int) and isinstance(before, int) and 0 < total - before < 5), (total, before)


def test_the_identities_of_a_danish_summary_hold_for_the_true_counts(danish):
    for half in (1, 2):
        period = Period(2025, half)
        raw = raw_figures_of(danish["network"], [period, period.previous])
        values, relations, *_rest = summary_relations({CURRENT: raw[period], PREVIOUS: raw[period.previous]}, half)
        pregnant = [r for r in relations if (CURRENT, "municipalities", "__all__", "pregnant_women") in r and len(r) <= 3
                    and any(key[1] == "cases" for key in r)]
        assert len(pregnant) == (1 if half == 1 else 2)
        for relation in relations:
            assert sum(c * values[key] for key, c in relation.items()) == 0, relation
