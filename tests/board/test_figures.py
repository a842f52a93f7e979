"""The half-year figures on a crafted network whose true values are known by construction."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from board.figures import CURRENT, PREVIOUS, Period, compute_figures, raw_figures, raw_figures_of, summary_relations
from board.suppression import HIDDEN, MEDIAN_TOO_FEW, SMALL
from cases.models import Case, FamilyMember
from conferences.models import Conference, Invitation
from participants.models import Organisation
from tests.board.crafted import at, build_crafted

pytestmark = pytest.mark.django_db


@pytest.fixture
def crafted(db):
    return build_crafted()


def test_case_figures_count_active_new_closed_and_expected_children(crafted):
    raw = raw_figures(crafted.network, Period(2025, 2))["cases"]
    assert raw == {"active": 12, "new": 8, "closed": 4, "active_expected_child": 6}
    previous = raw_figures(crafted.network, Period(2025, 1))["cases"]
    assert previous == {"active": 6, "new": 4, "closed": 2, "active_expected_child": 0}


def test_conference_figures_count_held_cancelled_rescheduled_and_parents_present(crafted):
    raw = raw_figures(crafted.network, Period(2025, 2))["conferences"]
    assert raw["held"] == 7
    assert raw["held_with_parent"] == 5
    assert raw["cancelled"] == 2
    assert raw["rescheduled"] == 2
    assert raw["days_to_first_conference"] == (6, 35.0)


def test_median_organisations_present_counts_distinct_attending_organisations(crafted):
    raw = raw_figures(crafted.network, Period(2025, 2))["conferences"]
    # six first conferences (1, 2, 2, 3, 3, 4) and a later one nobody was marked present at (0)
    assert raw["organisations_present"] == (7, 2.0)


def test_action_figures_by_kind_of_responsible_organisation_and_for_parents(crafted):
    raw = raw_figures(crafted.network, Period(2025, 2))["actions"]
    by_group = raw["by_group"]
    assert by_group["youth_welfare"] == {"agreed": 10, "done": 6, "dropped": 1, "open": 3, "overdue": 3}
    assert by_group["addiction_counselling"] == {"agreed": 7, "done": 2, "dropped": 0, "open": 5, "overdue": 0}
    assert by_group["parents"] == {"agreed": 3, "done": 0, "dropped": 0, "open": 3, "overdue": 2}
    assert by_group["clinic"] == {"agreed": 0, "done": 1, "dropped": 0, "open": 0, "overdue": 0}
    assert raw["days_to_done"]["youth_welfare"] == (6, 17.5)
    assert raw["days_to_done"]["addiction_counselling"] == (2, 5.0)
    assert raw["days_to_done"]["clinic"] == (1, 70.0)
    assert raw["days_to_done_all"] == (9, 15.0)


def test_actions_open_at_the_end_of_the_previous_half_year(crafted):
    raw = raw_figures(crafted.network, Period(2025, 1))["actions"]["by_group"]
    assert raw.pop("clinic") == {"agreed": 1, "done": 0, "dropped": 0, "open": 1, "overdue": 1}
    assert all(not any(row.values()) for row in raw.values())


def test_consent_and_disclosure_figures(crafted):
    raw = raw_figures(crafted.network, Period(2025, 2))["consents"]
    assert raw["cases_with_consent"] == 7
    assert raw["revocations"] == 1
    assert raw["disclosures"]["de_kkg_4"] == 3
    assert raw["disclosures"]["de_65_1_4_specialist"] == 6
    assert sum(raw["disclosures"].values()) == 9


def _row(figures, section, key):
    rows = next(s for s in figures["sections"] if s["key"] == section)["rows"]
    return next(r for r in rows if r["key"] == key)


def test_shown_figures_hide_small_counts_and_their_complements(crafted):
    figures = compute_figures(crafted.network, 2025, 2)
    assert _row(figures, "cases", "active")["current"] == 12
    assert _row(figures, "cases", "closed")["current"] == SMALL
    assert _row(figures, "cases", "share_expected_child")["current"] == 50.0
    # 5 of 7 held conferences had a parent: the 2 without are "< 5", so the 5 are hidden too
    assert _row(figures, "conferences", "held")["current"] == 7
    assert _row(figures, "conferences", "held_with_parent")["current"] == HIDDEN
    assert _row(figures, "conferences", "share_with_parent")["current"] == HIDDEN
    assert _row(figures, "conferences", "days_to_first_conference")["current"] == 35.0
    # § 4 KKG 3 is "< 5"; the 6 under § 8a would give it away from the total of 9
    assert _row(figures, "consents", "de_kkg_4")["current"] == SMALL
    assert _row(figures, "consents", "de_65_1_4_specialist")["current"] == HIDDEN
    assert _row(figures, "consents", "disclosures_total")["current"] == 9


def test_shown_action_table_suppresses_per_column_with_its_total(crafted):
    figures = compute_figures(crafted.network, 2025, 2)
    rows = {row["key"]: row["current"] for row in figures["actions"]["rows"]}
    assert rows["parents"]["agreed"] == SMALL
    assert rows["addiction_counselling"]["agreed"] == HIDDEN   # the next-smallest cell of the column
    assert rows["youth_welfare"]["agreed"] == 10
    assert rows["total"]["agreed"] == 20
    assert rows["youth_welfare"]["done"] == 6
    assert rows["youth_welfare"]["median_days_to_done"] == 17.5
    assert rows["addiction_counselling"]["median_days_to_done"] == MEDIAN_TOO_FEW
    assert rows["total"]["median_days_to_done"] == 15.0
    assert rows["total"]["dropped"] == SMALL


def test_previous_half_year_stands_beside_with_the_change(crafted):
    figures = compute_figures(crafted.network, 2025, 2)
    expected = _row(figures, "cases", "active_expected_child")
    assert (expected["current"], expected["previous"], expected["change"]) == (6, 0, 6)
    # 2 cases closed in the previous half year ("< 5") would come back as active(previous) +
    # new - active = 6 + 8 - 12: the smallest other cell of that identity, the previous 6, is hidden
    active = _row(figures, "cases", "active")
    assert (active["current"], active["previous"], active["change"]) == (12, HIDDEN, None)
    assert _row(figures, "cases", "closed")["previous"] == SMALL
    new = _row(figures, "cases", "new")
    assert (new["previous"], new["change"]) == (SMALL, None)
    # four first conferences in H1: a median over fewer than five values is not shown
    assert _row(figures, "conferences", "days_to_first_conference")["previous"] == MEDIAN_TOO_FEW


def test_shown_figures_contain_no_case_reference(crafted):
    text = str(compute_figures(crafted.network, 2025, 2))
    assert "CR-2025" not in text and "EL-2025" not in text
    assert "2025-08-01" not in text  # no date of a single event


def test_query_count_does_not_depend_on_the_number_of_cases(crafted):
    with CaptureQueriesContext(connection) as small:
        compute_figures(crafted.network, 2025, 2)
    build_crafted_more(crafted)
    with CaptureQueriesContext(connection) as large:
        compute_figures(crafted.network, 2025, 2)
    assert len(small.captured_queries) == len(large.captured_queries)


def build_crafted_more(crafted) -> None:
    from cases.models import Case

    first = crafted.first_case
    Case.objects.bulk_create([
        Case(network=crafted.network, reference=f"CR-2025-{500 + i}", lead_organisation=first.lead_organisation,
             lead_caseworker=first.lead_caseworker, status=Case.Status.ACTIVE, opened_on=first.opened_on)
        for i in range(40)
    ])


def test_the_identities_given_to_the_suppression_hold_for_the_true_counts(crafted):
    """Every relation ``summary_relations`` declares between a summary's cells sums to zero over
    the raw counts (an identity that did not hold would only hide more, but one that holds and
    is missing gives a count back)."""
    period = Period(2025, 2)
    raw = raw_figures_of(crafted.network, [period, period.previous])
    values, relations, _unshown, _fixed, _fixed_hidden = summary_relations({CURRENT: raw[period], PREVIOUS: raw[period.previous]})
    assert len(relations) > 10
    for relation in relations:
        assert sum(c * values[key] for key, c in relation.items()) == 0, relation


def test_organisations_present_count_only_current_invitations_of_the_periods_conferences(crafted):
    """The organisations present are counted per held conference of the period, at its edges too,
    from invitations not withdrawn (on PostgreSQL one grouped join over the periods' span)."""
    network = crafted.network
    yw, ac, cl, mw = (Organisation.objects.get(network=network, name=name) for name in ("YW", "AC", "CL", "MW"))
    held_h2 = Conference.objects.filter(case__network=network, status=Conference.Status.HELD,
                                        starts_at__gte=at(2025, 7, 1, 0), starts_at__lt=at(2026, 1, 1, 0))
    for conference in held_h2:  # attended, then withdrawn: no one was present for them
        for org in (ac, cl, mw):
            Invitation.objects.create(conference=conference, organisation=org, attended=True, removed_at=at(2025, 12, 1))
    # a held conference at the first instant of H2 with four organisations present
    edge = Conference.objects.create(case=crafted.first_case, convenor=crafted.coordinator, status=Conference.Status.HELD,
                                     starts_at=at(2025, 7, 1, 0), ends_at=at(2025, 7, 1, 2))
    for org in (yw, ac, cl, mw):
        Invitation.objects.create(conference=edge, organisation=org, attended=True)
    # another network's held conference in H2 with everyone present changes nothing here
    elsewhere = Case.objects.filter(network__slug="elsewhere").first()
    theirs = Conference.objects.create(case=elsewhere, convenor=crafted.coordinator, status=Conference.Status.HELD,
                                       starts_at=at(2025, 9, 1), ends_at=at(2025, 9, 1, 12))
    for org in Organisation.objects.filter(network=elsewhere.network):
        Invitation.objects.create(conference=theirs, organisation=org, attended=True)
    # H2: 0, 1, 2, 2, 3, 3, 4 as before and 4 at the edge: eight, median 2.5
    assert raw_figures(network, Period(2025, 2))["conferences"]["organisations_present"] == (8, 2.5)
    # and beside the half year before it, in one statement, the same
    assert raw_figures_of(network, [Period(2025, 2), Period(2025, 1)])[Period(2025, 2)]["conferences"]["organisations_present"] == (8, 2.5)


def test_a_parent_is_present_only_by_her_own_attended_invitation_not_withdrawn(crafted):
    """Parents present: a mother, father or guardian marked attended on an invitation not
    withdrawn. A relative or a child who attended, a parent whose invitation was withdrawn, or one
    not marked present leaves a held conference without a parent (on PostgreSQL the same single
    pass over the invitations counts the organisations present)."""
    network = crafted.network
    case = crafted.first_case
    before = raw_figures(network, Period(2025, 2))["conferences"]
    relations = ("other_relative", "child", "mother", "father")
    members = {relation: FamilyMember.objects.create(case=case, relation=relation, display_name=relation[:2].upper())
               for relation in relations}
    for relation, withdrawn, attended in (("other_relative", None, True), ("child", None, True),
                                          ("mother", at(2025, 9, 2), True), ("father", None, False)):
        conference = Conference.objects.create(case=case, convenor=crafted.coordinator, status=Conference.Status.HELD,
                                               starts_at=at(2025, 9, 1, 10), ends_at=at(2025, 9, 1, 11))
        Invitation.objects.create(conference=conference, family_member=members[relation], attended=attended,
                                  removed_at=withdrawn)
    after = raw_figures(network, Period(2025, 2))["conferences"]
    assert after["held"] == before["held"] + 4
    assert after["held_with_parent"] == before["held_with_parent"]
    # one more held conference where the father was marked present counts
    conference = Conference.objects.create(case=case, convenor=crafted.coordinator, status=Conference.Status.HELD,
                                           starts_at=at(2025, 9, 3, 10), ends_at=at(2025, 9, 3, 11))
    Invitation.objects.create(conference=conference, family_member=members["father"], attended=True)
    assert raw_figures(network, Period(2025, 2))["conferences"]["held_with_parent"] == before["held_with_parent"] + 1
