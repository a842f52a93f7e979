"""Building iCalendar objects (RFC 5545) for invitations, downloads and subscription feeds.

Everything here is deterministic: UIDs come from database keys, DTSTAMP is passed in (the
record's last change in a feed, the sending time in an iMIP message), and VTIMEZONE blocks
cover a fixed range of years, so identical data gives byte-identical output.

Only pseudonymous text leaves the product: the case reference, the conference kind, a neutral
action label. Never a family name, a diagnosis or text from the protocol.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils import formats
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress, vDuration

PRODID = "-//Fallkonferenz//Fallkonferenz 1.0//EN"
# VTIMEZONE blocks describe this range of years (fixed, so that output is reproducible).
TZ_FIRST = dt.date(2000, 1, 1)
TZ_LAST = dt.date(2040, 1, 1)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def one_line(value: str, *, limit: int = 200) -> str:
    """User text for a single-line property: no CR/LF or other control characters (the
    library escapes commas, semicolons and backslashes; this removes what it would fold in)."""
    return _CONTROL.sub(" ", value or "").strip()[:limit]


def param_text(value: str, *, limit: int = 80) -> str:
    """User text for a parameter value such as CN: one line, no double quote (a parameter value
    cannot hold one) and no backslash. RFC 5545 gives parameters no backslash escapes, but ical.js
    (Thunderbird, Nextcloud) decodes them there as in TEXT: ``A\\nna`` became a line break, ``\\,``
    a bare comma; no spelling reads the same everywhere, so a backslash is shown as a slash."""
    return one_line(value, limit=limit).replace('"', "'").replace("\\", "/")


def site_host() -> str:
    return urlparse(settings.SITE_URL).hostname or "localhost"


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def reverse_or_root(name: str, *args) -> str:
    try:
        return absolute_url(reverse(name, args=args))
    except NoReverseMatch:
        return absolute_url("/")


def conference_uid(pk: int) -> str:
    return f"conference-{pk}@{site_host()}"


def board_meeting_uid(pk: int) -> str:
    return f"board-meeting-{pk}@{site_host()}"


def zone_of(network) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(network.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def is_ambiguous_local(naive: dt.datetime, zone: zoneinfo.ZoneInfo) -> bool:
    """The wall-clock time occurs twice (clocks go back) or not at all (clocks go forward)."""
    naive = naive.replace(tzinfo=None)
    return naive.replace(tzinfo=zone, fold=0).utcoffset() != naive.replace(tzinfo=zone, fold=1).utcoffset()


def check_unambiguous(value: dt.datetime | None, zone: zoneinfo.ZoneInfo, *, field: str) -> None:
    """Refuse an instant whose local time in ``zone`` lies in the hour that occurs twice when
    the clocks go back: an invitation says ``DTSTART;TZID=…:…T023000``, which calendar clients
    resolve to different instants (RFC 5545 picks the first, several clients the second)."""
    if value is None:
        return
    local = value.astimezone(zone)
    if is_ambiguous_local(local, zone):
        raise ValidationError({field: _(
            "%(time)s happens twice in the time zone %(zone)s on that night (the clocks go back an hour), "
            "so calendars would show different times. Choose a time outside that hour."
        ) % {"time": formats.date_format(local.replace(tzinfo=None), "DATETIME_FORMAT"), "zone": zone.key}})


def utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.timezone.utc).replace(microsecond=0)


def new_calendar(*, method: str | None = None, name: str | None = None, refresh_minutes: int | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("name", one_line(name))
        cal.add("x-wr-calname", one_line(name))
    if refresh_minutes:
        cal.add("refresh-interval", dt.timedelta(minutes=refresh_minutes))
        # icalendar writes the value without the VALUE=DURATION that RFC 7986 requires.
        cal["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"
        cal.add("x-published-ttl", vDuration(dt.timedelta(minutes=refresh_minutes)))
    return cal


def _transitions(zone: zoneinfo.ZoneInfo, year: int) -> list[dt.datetime]:
    """UTC instants in ``year`` at which the zone's offset changes (daily scan, then to the minute)."""
    found = []
    day = dt.datetime(year, 1, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.timezone.utc)
    offset = day.astimezone(zone).utcoffset()
    while day < end:
        next_day = day + dt.timedelta(days=1)
        if next_day.astimezone(zone).utcoffset() != offset:
            moment = day
            while moment.astimezone(zone).utcoffset() == offset:
                moment += dt.timedelta(hours=1)
            # Some zones change at half or quarter hours in UTC (Lord Howe, Chatham, India's past).
            moment -= dt.timedelta(hours=1)
            while moment.astimezone(zone).utcoffset() == offset:
                moment += dt.timedelta(minutes=1)
            found.append(moment)
            offset = next_day.astimezone(zone).utcoffset()
        day = next_day
    return found


_WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def _byday(local: dt.datetime) -> str:
    next_month = (local.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    last_day = (next_month - dt.timedelta(days=1)).day
    nth = -1 if local.day + 7 > last_day else (local.day - 1) // 7 + 1
    return f"{nth}{_WEEKDAYS[local.weekday()]}"


def _rule_timezone(tzid: str) -> Timezone | None:
    """A VTIMEZONE with yearly RRULEs (what Outlook writes and every parser understands), or
    None when the zone's rules changed within TZ_FIRST..TZ_LAST and RDATEs are needed."""
    zone = zoneinfo.ZoneInfo(tzid)
    first = _transitions(zone, TZ_FIRST.year)
    tz = Timezone()
    tz.add("tzid", tzid)
    if not first:
        for year in range(TZ_FIRST.year, TZ_LAST.year):
            if _transitions(zone, year):
                return None
        offset = dt.datetime(TZ_FIRST.year, 1, 1, tzinfo=zone).utcoffset()
        standard = TimezoneStandard()
        standard.add("dtstart", dt.datetime(TZ_FIRST.year, 1, 1))
        standard.add("tzoffsetfrom", offset)
        standard.add("tzoffsetto", offset)
        standard.add("tzname", dt.datetime(TZ_FIRST.year, 1, 1, tzinfo=zone).tzname())
        tz.add_component(standard)
        return tz
    if len(first) != 2:
        return None
    rules = []
    for instant in first:
        before = (instant - dt.timedelta(hours=1)).astimezone(zone).utcoffset()
        after = instant.astimezone(zone)
        local = (instant + before).replace(tzinfo=None)
        rules.append((after.dst() != dt.timedelta(0), local, before, after.utcoffset(), after.tzname()))
    for year in range(TZ_FIRST.year + 1, TZ_LAST.year):
        actual = _transitions(zone, year)
        if len(actual) != 2:
            return None
        for (_, local, before, _, _), instant in zip(rules, actual):
            real_local = (instant + before).replace(tzinfo=None)
            if (real_local.month, real_local.time(), _byday(real_local)) != (local.month, local.time(), _byday(local)):
                return None
    for is_daylight, local, before, after, name in rules:
        part = TimezoneDaylight() if is_daylight else TimezoneStandard()
        part.add("dtstart", local)
        part.add("tzoffsetfrom", before)
        part.add("tzoffsetto", after)
        part.add("tzname", name)
        part.add("rrule", {"FREQ": "YEARLY", "BYMONTH": local.month, "BYDAY": _byday(local)})
        tz.add_component(part)
    return tz


def _listed_timezone(tzid: str) -> Timezone:
    """A VTIMEZONE that lists every offset change in TZ_FIRST..TZ_LAST as a sub-component of its
    own (DTSTART only), for zones whose rules changed in that range. Not the RDATE lists that
    icalendar's ``Timezone.from_tzid`` writes: ical.js (Thunderbird, Nextcloud) takes only the
    first date of an RDATE property and not the DTSTART beside it, and vobject misreads them too,
    so New York's summers and São Paulo since 2019 were shown an hour off."""
    zone = zoneinfo.ZoneInfo(tzid)
    tz = Timezone()
    tz.add("tzid", tzid)
    start = dt.datetime(TZ_FIRST.year, 1, 1)
    offset = start.replace(tzinfo=zone).utcoffset()
    changes = [(start, offset, start.replace(tzinfo=zone))]
    for year in range(TZ_FIRST.year, TZ_LAST.year):
        for instant in _transitions(zone, year):
            before = (instant - dt.timedelta(minutes=1)).astimezone(zone).utcoffset()
            changes.append(((instant + before).replace(tzinfo=None), before, instant.astimezone(zone)))
    for local, before, after in changes:
        part = TimezoneDaylight() if after.dst() else TimezoneStandard()
        part.add("dtstart", local)
        part.add("tzoffsetfrom", before)
        part.add("tzoffsetto", after.utcoffset())
        part.add("tzname", after.tzname())
        tz.add_component(part)
    return tz


@functools.lru_cache(maxsize=64)
def _vtimezone_ical(tzid: str) -> bytes:
    try:
        return (_rule_timezone(tzid) or _listed_timezone(tzid)).to_ical()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return Timezone.from_tzid(tzid, first_date=TZ_FIRST, last_date=TZ_LAST).to_ical()


def vtimezone(tzid: str) -> Timezone:
    """The VTIMEZONE for ``tzid`` (computed once per process, then parsed from a cache)."""
    return Timezone.from_ical(_vtimezone_ical(tzid))


def _used_tzids(cal: Calendar) -> list[str]:
    found = set()
    for component in cal.walk():
        for key in ("DTSTART", "DTEND", "DUE", "RECURRENCE-ID"):
            prop = component.get(key)
            if prop is not None and "TZID" in getattr(prop, "params", {}):
                found.add(str(prop.params["TZID"]))
    return sorted(found)


def finish(cal: Calendar, *, default_zone: str | None = None) -> bytes:
    """Add the VTIMEZONE blocks the events use; an otherwise empty calendar gets the default
    zone's block so that it still holds one component and validates."""
    tzids = _used_tzids(cal) or ([] if cal.subcomponents else [default_zone or settings.TIME_ZONE])
    for tzid in reversed(tzids):
        cal.subcomponents.insert(0, vtimezone(tzid))
    return cal.to_ical()


def conference_title(conference, *, terse: bool = False) -> str:
    if terse:
        return _("Case conference")
    return f"{conference.case.reference} – {conference.get_kind_display()}"


def conference_event(
    conference,
    *,
    stamp: dt.datetime,
    terse: bool = False,
    cancelled: bool | None = None,
    organizer: vCalAddress | None = None,
    attendees: list[vCalAddress] = (),
    sequence: int | None = None,
    with_arrangements: bool = False,
    access_needs_noted: bool = False,
    with_status: bool = True,
) -> Event:
    """One VEVENT for a scheduled (or cancelled) conference, in the network's time zone.

    ``with_arrangements`` (invitations and downloads, never feeds) adds a DESCRIPTION naming
    the interpreter's language and that access arrangements exist (``access_needs_noted``, decided
    for the reader: ``conferences.policy.access_needs_noted_for_user``) — never the free text of
    the access needs, which may hold health information."""
    zone = zone_of(conference.case.network)
    event = Event()
    event.add("uid", conference_uid(conference.pk))
    event.add("dtstamp", utc(stamp))
    event.add("sequence", conference.sequence if sequence is None else sequence)
    event.add("summary", conference_title(conference, terse=terse))
    event.add("dtstart", conference.starts_at.astimezone(zone))
    event.add("dtend", conference.ends_at.astimezone(zone))
    is_cancelled = conference.status == conference.Status.CANCELLED if cancelled is None else cancelled
    if with_status:
        event.add("status", "CANCELLED" if is_cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("class", "CONFIDENTIAL")
    if not terse:
        if conference.location:
            event.add("location", one_line(conference.location))
        event.add("last-modified", utc(conference.updated_at))
    event.add("url", reverse_or_root("conferences:conference_detail", conference.pk))
    if with_arrangements and not terse:
        description = arrangements_text(conference, access_needs_noted=access_needs_noted)
        if description:
            event.add("description", description)
    if organizer is not None:
        event.add("organizer", organizer)
    for attendee in attendees:
        event.add("attendee", attendee)
    return event


def arrangements_text(conference, *, access_needs_noted: bool) -> str:
    """"Interpreter: Arabic" and a note that access arrangements exist (``access_needs_noted``: that
    the reader reads some, ``conferences.policy.access_needs_noted_for_user``), as plain lines."""
    lines = []
    if conference.interpreter_language:
        lines.append(_("Interpreter: %(language)s") % {"language": one_line(conference.interpreter_language, limit=40)})
    if access_needs_noted:
        lines.append(_("Access arrangements have been noted; details on the conference page (sign-in required)."))
    return "\n".join(lines)


def board_meeting_event(meeting, *, terse: bool = False) -> Event:
    zone = zone_of(meeting.network)
    event = Event()
    event.add("uid", board_meeting_uid(meeting.pk))
    event.add("dtstamp", utc(meeting.updated_at))
    event.add("sequence", meeting.sequence)
    event.add("summary", _("Cooperation board meeting") if terse else f"{_('Cooperation board meeting')} – {one_line(meeting.network.name)}")
    event.add("dtstart", meeting.starts_at.astimezone(zone))
    event.add("dtend", meeting.ends_at.astimezone(zone))
    event.add("status", "CANCELLED" if meeting.cancelled_at else "CONFIRMED")
    if meeting.location and not terse:
        event.add("location", one_line(meeting.location))
    return event


def conference_download(conference, *, access_needs_noted: bool) -> bytes:
    """The per-conference .ics download (no METHOD: a plain calendar object to import);
    ``access_needs_noted`` for the one who downloads it (``arrangements_text``)."""
    cal = new_calendar()
    terse = conference.case.network.feed_detail == "terse"
    cal.add_component(conference_event(conference, stamp=conference.updated_at, terse=terse, with_arrangements=True,
                                       access_needs_noted=access_needs_noted))
    return finish(cal, default_zone=conference.case.network.time_zone)
