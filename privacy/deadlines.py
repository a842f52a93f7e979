"""The answer deadline of a data-subject request (GDPR Art. 12(3)).

One month from receipt, extendable by two further months where necessary. Periods in months
follow Regulation (EEC, Euratom) No 1182/71 (Art. 3): the period ends on the day of the last month
with the same date as the day of receipt (or that month's last day when it has no such date), and a
period that would end on a Saturday, Sunday or public holiday ends on the next working day — the
network's working days, with its country's and state's holidays (``participants.working_days``).
"""
from __future__ import annotations

import calendar
import datetime as dt

from participants.working_days import is_working_day

ANSWER_MONTHS = 1
EXTENSION_MONTHS = 2


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_working_day(day: dt.date, *, network) -> dt.date:
    """``day`` itself when it is a working day of the network, otherwise the next one."""
    country, region = getattr(network, "country", "") or "", getattr(network, "holiday_region", "") or ""
    while not is_working_day(day, country=country, region=region):
        day += dt.timedelta(days=1)
    return day


def answer_due(received_on: dt.date, *, network) -> dt.date:
    return next_working_day(add_months(received_on, ANSWER_MONTHS), network=network)


def extended_due(received_on: dt.date, *, network) -> dt.date:
    return next_working_day(add_months(received_on, ANSWER_MONTHS + EXTENSION_MONTHS), network=network)
