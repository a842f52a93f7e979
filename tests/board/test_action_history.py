"""Dropped, open and overdue actions at period end come from the status history (progress notes),
not from the action's current state. Each action below is built so that the old approximation
(current status and last change) would count it differently; the expected values hold by
construction. Period under test: 2025 H2 (previous: 2025 H1), network in Europe/Berlin.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from cases.models import Case
from conferences.models import Conference
from participants.models import Network, Organisation, OrganisationKind, User
from board.figures import DEFINITIONS_VERSION, Period, compute_figures, raw_figures
from protocols.models import ActionNote, AgreedAction, Protocol, ProtocolItem

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
H2, H1 = Period(2025, 2), Period(2025, 1)
Status = AgreedAction.Status


def at(year, month, day):
    return dt.datetime(year, month, day, 10, tzinfo=BERLIN)


@pytest.fixture
def setting():
    network = Network.objects.create(name="History", slug="history", case_reference_prefix="HI")
    org = Organisation.objects.create(network=network, name="YW", kind=OrganisationKind.YOUTH_WELFARE)
    user = User.objects.create(username="history-caseworker")
    case = Case.objects.create(network=network, reference="HI-2025-001", lead_organisation=org, lead_caseworker=user,
                               opened_on=dt.date(2025, 1, 10))
    conference = Conference.objects.create(case=case, convenor=user, status=Conference.Status.HELD,
                                           starts_at=at(2025, 2, 1), ends_at=at(2025, 2, 1) + dt.timedelta(hours=1))
    item = ProtocolItem.objects.create(protocol=Protocol.objects.create(conference=conference), title="V", created_by=user)

    def action(created, due, status=Status.OPEN, notes=(), updated=None, completed=None):
        a = AgreedAction.objects.create(case=case, item=item, title="A", responsible_organisation=org, due_on=due,
                                        status=status, completed_on=completed, created_at=created)
        for when, note_status in notes:
            ActionNote.objects.create(action=a, author=user, status=note_status, created_at=when)
        AgreedAction.objects.filter(pk=a.pk).update(updated_at=updated or created)
        return a

    return {"network": network, "action": action}


def _yw(network, period):
    return raw_figures(network, period)["actions"]["by_group"]["youth_welfare"]


def test_an_action_dropped_in_the_period_and_reopened_later_counts_as_dropped_not_open(setting):
    setting["action"](at(2025, 8, 1), dt.date(2025, 10, 1), status=Status.OPEN,
                      notes=[(at(2025, 9, 10), Status.DROPPED), (at(2026, 2, 1), Status.OPEN)], updated=at(2026, 2, 1))
    figures = _yw(setting["network"], H2)
    # old approximation: dropped 0, open 1, overdue 1 (the action is open today)
    assert (figures["dropped"], figures["open"], figures["overdue"]) == (1, 0, 0)


def test_an_action_dropped_in_the_period_but_touched_since_counts_as_dropped_in_the_period(setting):
    setting["action"](at(2025, 8, 1), dt.date(2025, 10, 1), status=Status.DROPPED,
                      notes=[(at(2025, 11, 3), Status.DROPPED)], updated=at(2026, 3, 1))
    figures = _yw(setting["network"], H2)
    # old approximation: the last change (2026) decided: dropped 0, open and overdue at the end 1
    assert (figures["dropped"], figures["open"], figures["overdue"]) == (1, 0, 0)


def test_an_action_dropped_only_after_the_period_was_open_and_overdue_at_its_end(setting):
    setting["action"](at(2025, 8, 1), dt.date(2025, 12, 1), status=Status.DROPPED,
                      notes=[(at(2025, 9, 1), Status.IN_PROGRESS), (at(2026, 1, 20), Status.DROPPED)], updated=at(2026, 1, 20))
    h2 = _yw(setting["network"], H2)
    assert (h2["dropped"], h2["open"], h2["overdue"]) == (0, 1, 1)
    assert _yw(setting["network"], Period(2026, 1))["dropped"] == 1


def test_the_previous_half_year_reads_the_status_history_at_its_own_end(setting):
    # created in H1, dropped in H1, reopened in H2 and still open: open at the end of H2, not of H1
    setting["action"](at(2025, 3, 1), dt.date(2025, 6, 1), status=Status.IN_PROGRESS,
                      notes=[(at(2025, 5, 5), Status.DROPPED), (at(2025, 8, 5), Status.IN_PROGRESS)], updated=at(2025, 8, 5))
    h1 = _yw(setting["network"], H1)
    assert (h1["agreed"], h1["dropped"], h1["open"], h1["overdue"]) == (1, 1, 0, 0)
    h2 = _yw(setting["network"], H2)
    assert (h2["agreed"], h2["dropped"], h2["open"], h2["overdue"]) == (0, 0, 1, 1)


def test_notes_after_creation_only_leave_the_action_open_until_the_first_note(setting):
    # every note is after the period's end: at the end the action was open as created
    setting["action"](at(2025, 9, 1), dt.date(2025, 9, 30), status=Status.DONE, completed=dt.date(2026, 1, 15),
                      notes=[(at(2026, 1, 15), Status.DONE)], updated=at(2026, 1, 15))
    figures = _yw(setting["network"], H2)
    assert (figures["done"], figures["open"], figures["overdue"]) == (0, 1, 1)


def test_actions_without_notes_fall_back_to_their_current_state(setting):
    setting["action"](at(2025, 8, 1), dt.date(2025, 9, 1), status=Status.DROPPED, updated=at(2025, 10, 1))
    setting["action"](at(2025, 8, 1), dt.date(2025, 9, 1), status=Status.OPEN, updated=at(2025, 8, 1))
    setting["action"](at(2025, 8, 1), dt.date(2025, 9, 1), status=Status.DONE, completed=dt.date(2025, 8, 20))
    figures = _yw(setting["network"], H2)
    assert (figures["agreed"], figures["done"], figures["dropped"], figures["open"], figures["overdue"]) == (3, 1, 1, 1, 1)


def test_summaries_name_the_definitions_version_of_the_history_rule(setting):
    assert DEFINITIONS_VERSION >= "2026.2"
    assert compute_figures(setting["network"], 2025, 2)["definitions_version"] == DEFINITIONS_VERSION
