"""Yearly partnership figures per programme track, and the residential treatment offer's places,
for the board and the Danish municipal report; the same figures as tables in the board's
half-year summary and the Danish yearly report (``board_tables``, registered with
``board.figures`` from ``OffersConfig.ready``).

Only ended periods (review h3-5c, as for the board's summaries): the board's page and the
municipal report offer and compute a year only once it has ended in the network's time zone
(``ended_years``, ``require_ended_year``); the board's services compute a summary or yearly
report only once its period has ended. Figures of the running year, recomputed on every
request, changed with each enrolment or admission: a board member reloading the page day after
day could difference them back to one family, however each cell was suppressed on its own.

Definitions: a family is served by a track in a period when its enrolment began in the period
(``enrolled_on``); completed / ended early / still active is the enrolment's state *at the end
of the period*: completed or ended early when it ended (``ended_on``) on or before the period's
last day, else still active; sessions attended are sessions of the track's enrolments that
started in the period and were marked attended; the wait is the days the family spent on the
waiting list before its enrolment. Residential treatment: places are the offer's capacity (as
configured now: not a count of families); occupied and waiting are counted *at the end of the
period* from the referral's own history (occupied: accepted before the period's end and not
closed by then; waiting: put on the waiting list before the end, and neither accepted nor
closed by then; a referral's ``waitlisted_at``, ``accepted_at`` and ``closed_at`` are each set
once by ``referral_services`` and never cleared); referred counts referrals made in the period.
So a figure of an ended period is the same whenever it is computed, apart from late entries
(attendance marked afterwards, a session moved into the period).

Counted in SQL with a fixed number of statements whatever the number of enrolments (grouped by
track, status, municipality and birth site), and shown with the board's anonymity rules
(``board.suppression``: counts of 1–4 as "< 5", complementary suppression over every identity
between the cells, medians only over at least five values).

The year and its half years are one system (found after review h3-5c: the half-year summaries, the
yearly report and the year page were suppressed each on its own, so with H1 Vejle 7, Odense 9,
H2 Vejle "< 5", Odense "x" and the year Vejle 10, Odense 17, H2's Vejle came back as 10 - 7).
Every table of a period of a year is suppressed together with the cells of the other periods of
that year (H1, H2, the year; ``partnership_relations``): families enrolled (overall, per
municipality, per birth site), sessions attended and residential referrals are counts of what
happened in the period, so year = H1 + H2; the stock figures counted at the period's end are not
additive, but the second half year ends with the year: occupied and waiting of the year are those
of H2, and a track's completed / ended early / still active of the year are those of H2 plus
the H1 families in that state on 31 December (unshown, protected when small). What the board
already holds is fixed (values as shown, hidden cells as hidden), and a cell the reader cannot
see (a period not published) is protected when small.

Who yields to whom (the year page is computed at will, the summaries are frozen): the year page
of a year can be seen from the day after it ended. It is suppressed against the documents of
that year published before then (in practice the first half year's summary), and against
nothing published later, so it shows the same cells whenever it is computed (apart from late
entries) and two of its versions never combine. Every document of the year computed after the
year ended (the second half year's summary, the yearly report, a first half year's summary
computed late) is suppressed against the year page as it shows the year at that moment, fixed,
besides the documents already published: the later document yields. A draft computed before
the board was given more figures of its year (another document published since, or the year
page once the year ended) is not published (``board.services``); a new draft is computed."""
from __future__ import annotations

import datetime as dt
import statistics
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Sequence

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _, gettext_noop

from board import selectors as board_selectors, suppression
from board.figures import link_published, register_contributor
from participants import policy as participants_policy
from participants.models import Network

from .models import Enrolment, Offer, Session


@dataclass
class TrackFigures:
    offer: Offer
    served: int | str
    capacity: int | None
    share_of_capacity: float | str | None
    completed: int | str
    ended_early: int | str
    active: int | str
    median_wait_days: float | str | None
    by_municipality: list[tuple[str, int | str]] = field(default_factory=list)
    by_birth_site: list[tuple[str, int | str]] = field(default_factory=list)


@dataclass
class ResidentialFigures:
    offer: Offer
    places: int | None
    occupied: int | str
    waiting: int | str
    referred_in_year: int | str


FIRST_YEAR = 2000
YEARS_OFFERED = 5


def last_ended_year(network: Network) -> int:
    """The last calendar year that has ended in the network's time zone."""
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(network.time_zone)).year - 1


def ended_years(network: Network) -> list[int]:
    """The years the board's page offers: the last ``YEARS_OFFERED`` ended years, newest first."""
    last = last_ended_year(network)
    return list(range(last, max(FIRST_YEAR - 1, last - YEARS_OFFERED), -1))


def require_ended_year(network: Network, year: int) -> None:
    """Refuse (``ValidationError``) a year that has not ended in the network's time zone."""
    if year > last_ended_year(network):
        raise ValidationError({"year": _(
            "The partnership figures of a year are computed once it has ended, from %(date)s. Figures of the running "
            "year would change with every new enrolment or admission and could point to single families."
        ) % {"date": date_format(dt.date(year + 1, 1, 1), "SHORT_DATE_FORMAT")}})


TRACK_COLUMNS = [
    ("served", gettext_noop("Families enrolled")),
    ("capacity", gettext_noop("Agreed capacity per year")),
    ("completed", gettext_noop("Completed")),
    ("ended_early", gettext_noop("Ended early")),
    ("active", gettext_noop("Still active at the end of the period")),
    ("sessions_attended", gettext_noop("Sessions attended")),
    ("median_wait_days", gettext_noop("Median days on the waiting list")),
]
RESIDENTIAL_COLUMNS = [
    ("places", gettext_noop("Places")),
    ("occupied", gettext_noop("Occupied at the end of the period")),
    ("waiting", gettext_noop("On the waiting list at the end of the period")),
    ("referred", gettext_noop("Referred in the period")),
]


def _columns(columns) -> list[dict]:
    return [{"key": key, "label": label} for key, label in columns]


# ---------------------------------------------------------------------------------------------
# Counting: one period's raw counts (never shown as they are)
# ---------------------------------------------------------------------------------------------

H1, H2, YEAR = "H1", "H2", "year"
# The counts of each table's columns, as cells (table key, row key, column key); the row keys
# are those of the stored tables (a track's or offer's id, "id:municipality", "id:birth site").
COUNTED = {
    "tracks": ("served", "completed", "ended_early", "active", "sessions_attended"),
    "tracks_by_municipality": ("served",),
    "tracks_by_birth_site": ("served",),
    "residential": ("occupied", "waiting", "referred"),
}
TRACK_STATES = ("completed", "ended_early", "active")
# Counts of things that happened in the period: the year's = the first half year's + the second's.
ADDITIVE = {("tracks", "served"), ("tracks", "sessions_attended"), ("tracks_by_municipality", "served"),
            ("tracks_by_birth_site", "served"), ("residential", "referred")}
Cell = tuple[str, str, str]


@dataclass
class _Counts:
    cells: dict[Cell, int]
    waits: dict[int, list[int]]
    residential: list[Offer]


def _periods(year: int) -> dict[str, tuple[dt.date, dt.date]]:
    return {H1: (dt.date(year, 1, 1), dt.date(year, 6, 30)), H2: (dt.date(year, 7, 1), dt.date(year, 12, 31)),
            YEAR: (dt.date(year, 1, 1), dt.date(year, 12, 31))}


def _period_name(start: dt.date, end: dt.date) -> str | None:
    """H1, H2 or the year when ``start``–``end`` is one of them, else None."""
    return next((name for name, bounds in _periods(start.year).items() if bounds == (start, end)), None)


def _bounds(network: Network, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = zoneinfo.ZoneInfo(network.time_zone)
    return (dt.datetime.combine(start, dt.time.min, zone), dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, zone))


def _tracks(network: Network) -> list[Offer]:
    return list(Offer.objects.filter(organisation__network=network, kind=Offer.Kind.TRACK)
                .select_related("organisation").order_by("name"))


def _counts(network: Network, tracks: list[Offer], start: dt.date, end: dt.date) -> _Counts:
    """The raw counts of one period in six statements whatever the number of families."""
    cells: dict[Cell, int] = {}
    enrolments = Enrolment.objects.filter(offer__in=tracks, enrolled_on__gte=start, enrolled_on__lte=end)
    for row in enrolments.values("offer_id").annotate(
        n=Count("pk"), completed=Count("pk", filter=Q(status="completed", ended_on__lte=end)),
        ended=Count("pk", filter=Q(status="ended_early", ended_on__lte=end)),
        active=Count("pk", filter=Q(status="active") | Q(ended_on__gt=end)),
    ).order_by():
        key = str(row["offer_id"])
        cells.update({("tracks", key, "served"): row["n"], ("tracks", key, "completed"): row["completed"],
                      ("tracks", key, "ended_early"): row["ended"], ("tracks", key, "active"): row["active"]})
    for table, field_name in (("tracks_by_municipality", "municipality"), ("tracks_by_birth_site", "birth_site")):
        for row in enrolments.values("offer_id", field_name).annotate(n=Count("pk")).order_by():
            cell = (table, f"{row['offer_id']}:{row[field_name] or '–'}", "served")
            cells[cell] = cells.get(cell, 0) + row["n"]
    waits: dict[int, list[int]] = defaultdict(list)
    for offer_id, days in enrolments.order_by().values_list("offer_id", "waited_days"):
        waits[offer_id].append(days)
    since, until = _bounds(network, start, end)
    for row in (Session.objects.filter(enrolment__offer__in=tracks, attended=True, starts_at__gte=since, starts_at__lt=until)
                .order_by().values("enrolment__offer_id").annotate(n=Count("pk"))):
        cells[("tracks", str(row["enrolment__offer_id"]), "sessions_attended")] = row["n"]
    not_closed = Q(referrals__closed_at__isnull=True) | Q(referrals__closed_at__gte=until)
    not_accepted = Q(referrals__accepted_at__isnull=True) | Q(referrals__accepted_at__gte=until)
    residential = list(Offer.objects.filter(organisation__network=network, is_residential_treatment=True).annotate(
        occupied=Count("referrals", filter=Q(referrals__accepted_at__lt=until) & not_closed),
        waiting=Count("referrals", filter=Q(referrals__waitlisted_at__lt=until) & not_accepted & not_closed),
        referred=Count("referrals", filter=Q(referrals__created_at__gte=since, referrals__created_at__lt=until)),
    ).order_by("name"))
    for offer in residential:
        for column in COUNTED["residential"]:
            cells[("residential", str(offer.pk), column)] = getattr(offer, column)
    return _Counts(cells=cells, waits=waits, residential=residential)


# ---------------------------------------------------------------------------------------------
# Suppression: the year and its half years together, against what the board has been given
# ---------------------------------------------------------------------------------------------

def _document_period(tables: Sequence[dict]) -> str | None:
    for table in tables:
        try:
            return _period_name(dt.date.fromisoformat(table["from"]), dt.date.fromisoformat(table["to"]))
        except (KeyError, TypeError, ValueError):
            continue
    return None


def _document_cells(tables: Sequence[dict]) -> dict[Cell, Any]:
    """The counts a stored document's tables show (capacity, places and medians are no counts)."""
    cells: dict[Cell, Any] = {}
    for table in tables:
        for row in table.get("rows") or []:
            for column in COUNTED.get(table.get("key"), ()):
                value = (row.get("values") or {}).get(column)
                if value is not None:
                    cells[(table["key"], str(row.get("key")), column)] = value
    return cells


def partnership_relations(tracks: list[Offer], counts: dict[str, _Counts], target: str,
                          documents: Sequence[Sequence[dict]] = (), unshown_columns: Sequence[str] = (),
                          ) -> tuple[dict, list[dict], set, set, set]:
    """The cells of the periods in ``counts`` (``H1``, ``H2``, ``YEAR`` of one year, or one other
    period alone) keyed ``(period, table, row, column)``, of which ``target``'s are to be shown
    (but its ``unshown_columns``), every identity between them, and the documents the board
    already holds (``documents``: their stored tables; ``board.figures.link_published`` ties each
    of their cells to ours, fixed as shown). The identities:

    - per period and track: completed + ended early + still active = families enrolled, and the
      families per municipality, and per birth site, add up to the families enrolled;
    - counts of what happened in a period (families enrolled, overall and per municipality and
      birth site; sessions attended; residential referrals): year = H1 + H2;
    - counts at the period's end (the second half year ends with the year): residential places
      occupied and the waiting list of the year are those of H2; a track's completed / ended
      early / still active of the year are those of H2 plus the families enrolled in H1 in that
      state at the year's end (unshown, protected when small).

    The cells of the periods other than ``target`` are unshown here (a small one is protected);
    returns ``(values, relations, unshown, fixed, fixed_hidden)`` for ``board.suppression.suppress``."""
    linked = [(period, _document_cells(tables)) for tables in documents
              if (period := _document_period(tables)) in counts]
    keys: set[Cell] = {cell for c in counts.values() for cell in c.cells}
    keys |= {("tracks", str(track.pk), column) for track in tracks for column in COUNTED["tracks"]}
    keys |= {cell for _, cells in linked for cell in cells}
    keys = sorted(keys)
    values: dict = {}
    relations: list[dict] = []
    unshown: set = set()
    fixed: set = set()
    fixed_hidden: set = set()
    for period in sorted(counts, key=lambda name: name != target):
        for cell in keys:
            values[(period, *cell)] = counts[period].cells.get(cell, 0)
            if period != target or cell[2] in unshown_columns:
                unshown.add((period, *cell))
    breakdowns: dict[tuple[str, str], list[str]] = defaultdict(list)
    for table, row, _column in keys:
        if table in ("tracks_by_municipality", "tracks_by_birth_site"):
            breakdowns[(table, row.split(":", 1)[0])].append(row)
    track_keys = sorted({row for table, row, _column in keys if table == "tracks"})
    for period in counts:
        for track in track_keys:
            served = (period, "tracks", track, "served")
            relations.append(suppression.group([(period, "tracks", track, state) for state in TRACK_STATES], served))
            for table in ("tracks_by_municipality", "tracks_by_birth_site"):
                if breakdowns.get((table, track)):
                    relations.append(suppression.group([(period, table, row, "served") for row in breakdowns[(table, track)]],
                                                       served))
    if {H1, H2, YEAR} <= set(counts):
        for cell in keys:
            table, _row, column = cell
            if (table, column) in ADDITIVE:
                relations.append({(YEAR, *cell): 1, (H1, *cell): -1, (H2, *cell): -1})
            elif table == "residential" and column in ("occupied", "waiting"):
                relations.append({(YEAR, *cell): 1, (H2, *cell): -1})
            elif table == "tracks" and column in TRACK_STATES:
                rest = ("enrolled in H1", *cell)
                values[rest] = abs(values[(YEAR, *cell)] - values[(H2, *cell)])
                unshown.add(rest)
                relations.append({(YEAR, *cell): 1, (H2, *cell): -1, rest: -1})
    for i, (period, cells) in enumerate(linked):
        for cell, shown in cells.items():
            link_published(values, relations, unshown, fixed, fixed_hidden, (period, *cell), ("published", i, *cell), shown)
    return values, relations, unshown, fixed, fixed_hidden


def _suppressed(tracks: list[Offer], counts: dict[str, _Counts], target: str, documents: Sequence[Sequence[dict]] = (),
                unshown_columns: Sequence[str] = ()) -> dict:
    values, relations, unshown, fixed, fixed_hidden = partnership_relations(tracks, counts, target, documents,
                                                                            unshown_columns)
    return suppression.suppress(values, relations, unshown=unshown, fixed=fixed, fixed_hidden=fixed_hidden)


def _track_figures(tracks: list[Offer], counts: _Counts, shown: dict, period: str) -> list[TrackFigures]:
    def breakdown(table: str, track: Offer) -> list[tuple[str, int | str]]:
        rows = [row for (t, row, _column), n in counts.cells.items()
                if t == table and n and row.split(":", 1)[0] == str(track.pk)]
        return sorted(((row.split(":", 1)[1], shown[(period, table, row, "served")]) for row in rows), key=lambda item: item[0])

    figures = []
    for track in tracks:
        def cell(column: str) -> int | str:
            return shown[(period, "tracks", str(track.pk), column)]

        capacity = track.capacity if track.capacity_unit == Offer.CapacityUnit.PER_YEAR else None
        waits = counts.waits.get(track.pk, [])
        figures.append(TrackFigures(
            offer=track, served=cell("served"), capacity=capacity,
            share_of_capacity=suppression.share(cell("served"), capacity) if capacity else None,
            completed=cell("completed"), ended_early=cell("ended_early"), active=cell("active"),
            median_wait_days=suppression.median(len(waits), statistics.median(waits) if waits else None),
            by_municipality=breakdown("tracks_by_municipality", track), by_birth_site=breakdown("tracks_by_birth_site", track),
        ))
    return figures


def _residential_figures(counts: _Counts, shown: dict, period: str) -> list[ResidentialFigures]:
    return [ResidentialFigures(offer=offer, places=offer.capacity, occupied=shown[(period, "residential", str(offer.pk), "occupied")],
                               waiting=shown[(period, "residential", str(offer.pk), "waiting")],
                               referred_in_year=shown[(period, "residential", str(offer.pk), "referred")])
            for offer in counts.residential]


# ---------------------------------------------------------------------------------------------
# The year page (and the municipal report) and the board's tables
# ---------------------------------------------------------------------------------------------

def _year_counts(network: Network, year: int) -> tuple[list[Offer], dict[str, _Counts]]:
    tracks = _tracks(network)
    return tracks, {name: _counts(network, tracks, start, end) for name, (start, end) in _periods(year).items()}


def _shown_before_the_year_ended(network: Network, year: int) -> list[list[dict]]:
    """The tables of the documents of ``year`` published before it ended (in the network's time
    zone): the year page is suppressed against these, and only these, so that it stays as it was
    first shown; every document computed later is suppressed against the year page."""
    ended = dt.datetime.combine(dt.date(year + 1, 1, 1), dt.time.min, zoneinfo.ZoneInfo(network.time_zone))
    return [document["tables"] for document in board_selectors.published_year_documents(network, year)
            if document["published_at"] < ended]


def _year_page(network: Network, year: int, tracks: list[Offer], counts: dict[str, _Counts]
               ) -> tuple[list[TrackFigures], list[ResidentialFigures]]:
    shown = _suppressed(tracks, counts, YEAR, _shown_before_the_year_ended(network, year),
                        unshown_columns=("sessions_attended",))
    return _track_figures(tracks, counts[YEAR], shown, YEAR), _residential_figures(counts[YEAR], shown, YEAR)


def year_figures(network: Network, year: int) -> tuple[list[TrackFigures], list[ResidentialFigures]]:
    """The tracks' and residential treatment offers' figures of an ended ``year`` as the board's
    page and the municipal report show them (a year not ended is refused)."""
    require_ended_year(network, year)
    tracks, counts = _year_counts(network, year)
    return _year_page(network, year, tracks, counts)


def track_figures(network: Network, year: int) -> list[TrackFigures]:
    """The tracks' figures of an ended ``year`` (a year not ended is refused)."""
    return year_figures(network, year)[0]


def residential_figures(network: Network, year: int) -> list[ResidentialFigures]:
    """The residential treatment offers' figures of an ended ``year`` (a year not ended is refused)."""
    return year_figures(network, year)[1]


def _tables(tracks: list[TrackFigures], residential: list[ResidentialFigures], start: dt.date, end: dt.date,
            sessions: dict[int, int | str] | None) -> list[dict]:
    """Figures in the stored form of the board's contributed tables (``sessions`` None: not shown)."""
    tables: list[dict] = []
    period = {"from": start.isoformat(), "to": end.isoformat()}
    if tracks:
        tables.append({
            "key": "tracks", "title": gettext_noop("Programme tracks of the partnership"), "head": gettext_noop("Track"),
            **period, "columns": _columns(TRACK_COLUMNS),
            "rows": [{"key": str(t.offer.pk), "label": t.offer.name, "values": {
                "served": t.served, "capacity": t.capacity, "completed": t.completed, "ended_early": t.ended_early,
                "active": t.active, "sessions_attended": None if sessions is None else sessions[t.offer.pk],
                "median_wait_days": t.median_wait_days,
            }} for t in tracks],
        })
        tables.append({
            "key": "tracks_by_municipality", "title": gettext_noop("Families enrolled per municipality and track"),
            "head": gettext_noop("Track – municipality"), **period,
            "columns": _columns([("served", gettext_noop("Families enrolled"))]),
            "rows": [{"key": f"{t.offer.pk}:{name}", "label": f"{t.offer.name} – {name}", "values": {"served": value}}
                     for t in tracks for name, value in t.by_municipality],
        })
        tables.append({
            "key": "tracks_by_birth_site", "title": gettext_noop("Families enrolled per birth site and track"),
            "head": gettext_noop("Track – birth site"), **period,
            "columns": _columns([("served", gettext_noop("Families enrolled"))]),
            "rows": [{"key": f"{t.offer.pk}:{name}", "label": f"{t.offer.name} – {name}", "values": {"served": value}}
                     for t in tracks for name, value in t.by_birth_site],
        })
    if residential:
        tables.append({
            "key": "residential", "title": gettext_noop("Residential treatment for pregnant women"),
            "head": gettext_noop("Offer"), **period, "columns": _columns(RESIDENTIAL_COLUMNS),
            "rows": [{"key": str(r.offer.pk), "label": r.offer.name, "values": {
                "places": r.places, "occupied": r.occupied, "waiting": r.waiting, "referred": r.referred_in_year,
            }} for r in residential],
        })
    return tables


def board_tables(network: Network, start: dt.date, end: dt.date, published: Sequence[dict] = ()) -> list[dict]:
    """The partnership figures of one period as tables for the board's summary (a half year) and
    the Danish yearly report (a calendar year); none when the network has neither tracks nor a
    residential treatment offer. Suppressed together with the other periods of the year
    (``partnership_relations``) against what the board already holds: ``published``, the
    published documents of the year (``board.selectors.published_year_documents``), and, once
    the year has ended, the year page as it shows the year. A fixed number of queries whatever
    the number of families."""
    target = _period_name(start, end)
    tracks = _tracks(network)
    if not tracks and not Offer.objects.filter(organisation__network=network, is_residential_treatment=True).exists():
        return []
    documents: list[list[dict]] = []
    if target is None:
        target = "period"
        counts = {target: _counts(network, tracks, start, end)}
    else:
        counts = {name: _counts(network, tracks, s, e) for name, (s, e) in _periods(start.year).items()}
        documents = [list(document.get("tables") or []) for document in published]
        if start.year <= last_ended_year(network):
            year_tracks, year_residential = _year_page(network, start.year, tracks, counts)
            first, last = _periods(start.year)[YEAR]
            documents.append(_tables(year_tracks, year_residential, first, last, None))
    shown = _suppressed(tracks, counts, target, documents)
    figures = _track_figures(tracks, counts[target], shown, target)
    sessions = {track.pk: shown[(target, "tracks", str(track.pk), "sessions_attended")] for track in tracks}
    return _tables(figures, _residential_figures(counts[target], shown, target), start, end, sessions)


def board_networks(user) -> QuerySet[Network]:
    return Network.objects.filter(pk__in=participants_policy.board_network_ids(user)).order_by("name")


def register() -> None:
    """Called from ``OffersConfig.ready``: the board's summaries and reports carry these tables."""
    register_contributor(board_tables)
