"""Working days of a network: Monday to Friday, without the public holidays of its country and
(for Germany) its state, from the ``holidays`` package. Deadlines counted in working days, such
as the draft-release and correction windows of a protocol, keep their length over Easter and
Christmas."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=None)
def regions_of(country: str) -> tuple[str, ...]:
    """The states or regions the ``holidays`` package knows for a country (two-letter codes)."""
    try:
        return tuple(code for code in holidays.country_holidays(country).subdivisions if len(code) <= 3 and code.isupper())
    except NotImplementedError:
        return ()


@lru_cache(maxsize=64)
def _holidays(country: str, region: str, year: int) -> frozenset[dt.date]:
    try:
        calendar = holidays.country_holidays(country, subdiv=region or None, years=year)
    except NotImplementedError:
        return frozenset()
    return frozenset(calendar)


def is_working_day(day: dt.date, *, country: str = "", region: str = "") -> bool:
    return day.weekday() < 5 and not (country and day in _holidays(country, region, day.year))


def add_working_days(start: dt.date, days: int, *, network=None) -> dt.date:
    """``days`` working days after ``start``; without a network, weekends only are skipped."""
    country = getattr(network, "country", "") or ""
    region = getattr(network, "holiday_region", "") or ""
    day, left = start, days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day, country=country, region=region):
            left -= 1
    return day
