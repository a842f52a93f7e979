"""VTIMEZONE blocks of the networks' zones: the compact yearly-RRULE form (what Outlook writes),
which icalendar and vobject both read to the same wall-clock and UTC times across DST changes.

A long RDATE list (what icalendar's ``Timezone.from_tzid`` writes for zones whose rules changed
after 2000) is misread by vobject, so the zones our networks use must never fall back to it.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import vobject
from icalendar import Calendar

from conferences import ical
from conferences.models import Conference

pytestmark = pytest.mark.django_db

# Every zone a network of ours uses (seed_demo: Kreis Heinsberg and Region Syddanmark).
NETWORK_ZONES = ["Europe/Berlin", "Europe/Copenhagen"]
UTC = dt.timezone.utc

# 10:00 local on the day before and after each 2027 change (28 March, 31 October).
DAYS = [dt.date(2027, 3, 27), dt.date(2027, 3, 29), dt.date(2027, 10, 30), dt.date(2027, 11, 1)]
EXPECTED_UTC_HOUR = {DAYS[0]: 9, DAYS[1]: 8, DAYS[2]: 8, DAYS[3]: 9}


@pytest.mark.parametrize("tzid", NETWORK_ZONES)
def test_the_vtimezone_is_the_compact_yearly_rule_form(tzid):
    block = ical.vtimezone(tzid)
    text = block.to_ical().decode()
    assert "RDATE" not in text
    parts = {component.name: component for component in block.subcomponents}
    assert set(parts) == {"DAYLIGHT", "STANDARD"} and len(block.subcomponents) == 2
    assert parts["DAYLIGHT"]["RRULE"].to_ical() == b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3"
    assert parts["STANDARD"]["RRULE"].to_ical() == b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10"
    assert parts["DAYLIGHT"]["TZOFFSETTO"].to_ical() == "+0200"
    assert parts["STANDARD"]["TZOFFSETTO"].to_ical() == "+0100"


def _calendar_across_dst(world, tzid: str) -> bytes:
    world.network.time_zone = tzid
    world.network.save(update_fields=["time_zone"])
    zone = zoneinfo.ZoneInfo(tzid)
    cal = ical.new_calendar()
    for day in DAYS:
        start = dt.datetime(day.year, day.month, day.day, 10, tzinfo=zone)
        conference = Conference.objects.create(case=world.case, convenor=world.convenor, status=Conference.Status.SCHEDULED,
                                               starts_at=start, ends_at=start + dt.timedelta(minutes=90))
        cal.add_component(ical.conference_event(conference, stamp=conference.updated_at))
    return ical.finish(cal, default_zone=tzid)


@pytest.mark.parametrize("tzid", NETWORK_ZONES)
def test_icalendar_reads_conferences_across_the_dst_change_at_the_same_wall_clock_time(world, tzid):
    body = _calendar_across_dst(world, tzid)
    assert body.count(b"BEGIN:VTIMEZONE") == 1
    cal = Calendar.from_ical(body)
    for component in cal.walk():
        assert not component.errors, (component.name, component.errors)
    starts = sorted(event.decoded("DTSTART") for event in cal.walk("VEVENT"))
    for day, start in zip(DAYS, starts):
        assert (start.date(), start.hour, start.minute) == (day, 10, 0)
        assert start.astimezone(UTC).hour == EXPECTED_UTC_HOUR[day]


@pytest.mark.parametrize("tzid", NETWORK_ZONES)
def test_vobject_reads_the_same_wall_clock_and_utc_times(world, tzid):
    body = _calendar_across_dst(world, tzid).decode()
    parsed = vobject.readOne(body)
    starts = sorted((vevent.dtstart.value for vevent in parsed.vevent_list), key=lambda v: v.astimezone(UTC))
    assert len(starts) == 4
    for day, start in zip(DAYS, starts):
        assert start.tzinfo is not None
        assert (start.date(), start.hour, start.minute) == (day, 10, 0)
        assert start.astimezone(UTC).hour == EXPECTED_UTC_HOUR[day]
        ends = start + dt.timedelta(minutes=90)
        assert ends.astimezone(UTC) - start.astimezone(UTC) == dt.timedelta(minutes=90)
    # vobject's own reading of the VTIMEZONE agrees with zoneinfo on both offsets.
    vtz = parsed.vtimezone.gettzinfo()
    for day in DAYS:
        naive = dt.datetime(day.year, day.month, day.day, 10)
        assert vtz.utcoffset(naive) == naive.replace(tzinfo=zoneinfo.ZoneInfo(tzid)).utcoffset()


@pytest.mark.parametrize("tzid", NETWORK_ZONES)
def test_an_invitation_in_the_networks_zone_names_that_zone(world, tzid):
    from conferences import imip

    world.network.time_zone = tzid
    world.network.save(update_fields=["time_zone"])
    body = imip.build_calendar(world.conference, world.invitation_counsellor, "counsellor@example.org",
                               method="REQUEST", now=world.conference.updated_at)
    cal = Calendar.from_ical(body)
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == [tzid]
    assert cal.events[0]["DTSTART"].params["TZID"] == tzid
    assert b"RDATE" not in body
