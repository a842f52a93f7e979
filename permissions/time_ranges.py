"""How a span of time (a conference, a board meeting, a candidate slot) is written: start date and
time, and the end's time alone when it ends on the day it starts. A span that goes past midnight
names the end's date as well ("6 December 2026, 23:50 – 7 December 2026, 01:20"), never
"23:50 – 01:20", which reads as a span running backwards on one day. Pages, e-mails and their
templates all write spans through here, in the active language and time zone (a template's
``date`` filter converts to the active zone; a mail overrides it with the network's)."""
from __future__ import annotations

import datetime as dt

from django.utils import formats, timezone


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def range_end(start: dt.datetime, end: dt.datetime) -> str:
    """The end of a span as written after its start: its time, or its date and time when the
    span ends on another (local) day than it starts."""
    local_start, local_end = _local(start), _local(end)
    if local_end.date() != local_start.date():
        return formats.date_format(local_end, "DATETIME_FORMAT")
    return formats.time_format(local_end, "TIME_FORMAT")


def time_range(start: dt.datetime, end: dt.datetime | None) -> str:
    """"15 December 2026, 13:00 – 14:30"; past midnight the end's date too."""
    text = formats.date_format(_local(start), "DATETIME_FORMAT")
    return f"{text} – {range_end(start, end)}" if end is not None else text
