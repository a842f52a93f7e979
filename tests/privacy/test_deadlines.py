"""The answer deadline: one month after receipt, ending on a working day of the network."""
from __future__ import annotations

import datetime as dt

import pytest

from participants.models import Network
from privacy import deadlines

NRW = Network(name="x", slug="x", country="DE", holiday_region="NW")
DENMARK = Network(name="y", slug="y", country="DK")


def test_one_month_ends_on_the_same_date_of_the_next_month():
    assert deadlines.answer_due(dt.date(2026, 2, 10), network=NRW) == dt.date(2026, 3, 10)  # a Tuesday


def test_a_deadline_on_a_saturday_rolls_to_monday():
    # 2026-02-07 + 1 month = Saturday 7 March 2026 -> Monday 9 March
    assert deadlines.answer_due(dt.date(2026, 2, 7), network=NRW) == dt.date(2026, 3, 9)


def test_a_deadline_on_easter_rolls_over_good_friday_the_weekend_and_easter_monday():
    # 2026-03-03 + 1 month = Good Friday 3 April 2026 -> Sat, Sun, Easter Monday 6 April -> Tuesday 7 April
    assert deadlines.answer_due(dt.date(2026, 3, 3), network=NRW) == dt.date(2026, 4, 7)


def test_a_state_holiday_counts_only_in_its_state():
    # 2026-05-04 + 1 month = Thursday 4 June 2026, Corpus Christi: a holiday in NRW, not in Denmark
    assert deadlines.answer_due(dt.date(2026, 5, 4), network=NRW) == dt.date(2026, 6, 5)
    assert deadlines.answer_due(dt.date(2026, 5, 4), network=DENMARK) == dt.date(2026, 6, 4)


def test_the_31st_ends_on_the_last_day_of_a_shorter_month():
    # 31 January 2026 + 1 month = Saturday 28 February -> Monday 2 March
    assert deadlines.answer_due(dt.date(2026, 1, 31), network=NRW) == dt.date(2026, 3, 2)


@pytest.mark.parametrize("received, due", [(dt.date(2026, 10, 1), dt.date(2027, 1, 4)), (dt.date(2026, 9, 25), dt.date(2026, 12, 28))])
def test_the_extension_adds_two_months_and_rolls_over_new_year_and_christmas(received, due):
    # 1 Jan 2027 (holiday, Friday) -> Monday 4 January; 25 Dec 2026 (Friday, Christmas) -> 26th holiday, Sunday -> Monday 28th
    assert deadlines.extended_due(received, network=NRW) == due
