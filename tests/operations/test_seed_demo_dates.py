"""The demo proposes and schedules conferences on working days only: no weekend, no public holiday
of the network's country (and state), not 24 or 31 December, whatever day it is seeded on."""
from __future__ import annotations

import datetime as dt
import zoneinfo

import holidays
import pytest

from conferences.models import Conference, PollSlot
from operations.management.commands.seed_demo import CASES, Seeder

pytestmark = pytest.mark.django_db


def _bad_days(conferences_and_times) -> list:
    bad = []
    for network, moment in conferences_and_times:
        day = moment.astimezone(zoneinfo.ZoneInfo(network.time_zone)).date()
        public = holidays.country_holidays(network.country, subdiv=network.holiday_region or None, years=day.year)
        if day.weekday() >= 5 or day in public or (day.month, day.day) in {(12, 24), (12, 31)}:
            bad.append((network.slug, day.isoformat()))
    return bad


# 7 Dec 2026: two weeks ahead is 21 Dec, and three days later Christmas Eve; 12 Dec 2026: Boxing
# Day and a weekend; 15 Mar 2027: Easter Monday two weeks ahead; 1 May 2028 falls two weeks
# after 17 Apr 2028.
@pytest.mark.parametrize("today", [dt.date(2026, 12, 7), dt.date(2026, 12, 12), dt.date(2027, 3, 15), dt.date(2028, 4, 17)])
def test_proposed_slots_and_scheduled_conferences_fall_on_working_days(today):
    seeder = Seeder(today)
    seeder.seed_structure()
    for spec in CASES:
        if spec.story in ("polling", "scheduled", "held"):
            seeder.seed_case(spec)
    slots = [(s.poll.conference.case.network, s.starts_at) for s in PollSlot.objects.select_related("poll__conference__case__network")]
    assert len(slots) >= 9
    ahead = [(c.case.network, c.starts_at) for c in Conference.objects.filter(status=Conference.Status.SCHEDULED)
             .select_related("case__network")]
    assert ahead
    assert _bad_days(slots) == []
    assert _bad_days(ahead) == []
    # still three distinct days per poll, in order
    for conference in Conference.objects.filter(status=Conference.Status.POLLING):
        starts = list(conference.poll.slots.order_by("starts_at").values_list("starts_at", flat=True))
        assert len({s.date() for s in starts}) == 3 and starts == sorted(starts)
