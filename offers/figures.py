"""Yearly partnership figures per programme track, and the residential treatment offer's places,
for the board and the Danish municipal report; the same figures as tables in the board's
half-year summary and the Danish yearly report (``board_tables``, registered with
``board.figures`` from ``OffersConfig.ready``).

Definitions: a family is served by a track in a period when its enrolment began in the period
(``enrolled_on``); completed / ended early / still active is the enrolment's status when the
figures are computed; sessions attended are sessions of the track's enrolments that started in
the period and were marked attended; the wait is the days the family spent on the waiting list
before its enrolment. Residential treatment: places are the offer's capacity; occupied and
waiting are counted when the figures are computed; referred counts referrals made in the period.

Counted in SQL with a fixed number of statements whatever the number of enrolments (grouped by
track, status, municipality and birth site), and shown with the board's anonymity rules
(``board.suppression``: counts of 1–4 as "< 5", complementary suppression within each
additive group, medians only over at least five values)."""
from __future__ import annotations

import datetime as dt
import statistics
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_noop

from board import suppression
from board.figures import register_contributor
from participants import policy as participants_policy
from participants.models import Network

from .models import Enrolment, Offer, Referral, Session


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


def _grouped(rows, key: str) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        out[row["offer_id"]][row[key] or "–"] = row["n"]
    return out


def _suppressed_breakdown(counts: dict[str, int], total: int) -> list[tuple[str, int | str]]:
    values = {("cell", name): n for name, n in counts.items()} | {("total",): total}
    shown = suppression.suppress_groups(values, [([("cell", name) for name in counts], ("total",))])
    return sorted(((name, shown[("cell", name)]) for name in counts), key=lambda item: item[0])


def track_figures(network: Network, year: int) -> list[TrackFigures]:
    return track_figures_between(network, dt.date(year, 1, 1), dt.date(year, 12, 31))


def track_figures_between(network: Network, start: dt.date, end: dt.date) -> list[TrackFigures]:
    tracks = list(Offer.objects.filter(organisation__network=network, kind=Offer.Kind.TRACK).select_related("organisation").order_by("name"))
    enrolments = Enrolment.objects.filter(offer__in=tracks, enrolled_on__gte=start, enrolled_on__lte=end)
    status_rows = enrolments.values("offer_id").annotate(
        n=Count("pk"), completed=Count("pk", filter=Q(status="completed")), ended=Count("pk", filter=Q(status="ended_early")),
        active=Count("pk", filter=Q(status="active")),
    )
    by_status = {row["offer_id"]: row for row in status_rows}
    municipalities = _grouped(enrolments.values("offer_id", "municipality").annotate(n=Count("pk")).order_by(), "municipality")
    sites = _grouped(enrolments.values("offer_id", "birth_site").annotate(n=Count("pk")).order_by(), "birth_site")
    waits: dict[int, list[int]] = defaultdict(list)
    for offer_id, days in enrolments.order_by().values_list("offer_id", "waited_days"):
        waits[offer_id].append(days)
    figures = []
    for track in tracks:
        row = by_status.get(track.pk, {"n": 0, "completed": 0, "ended": 0, "active": 0})
        status_values = {"completed": row["completed"], "ended": row["ended"], "active": row["active"], "total": row["n"]}
        shown = suppression.suppress_groups(status_values, [(["completed", "ended", "active"], "total")])
        capacity = track.capacity if track.capacity_unit == Offer.CapacityUnit.PER_YEAR else None
        wait_values = waits.get(track.pk, [])
        figures.append(TrackFigures(
            offer=track, served=shown["total"], capacity=capacity,
            share_of_capacity=suppression.share(shown["total"], capacity) if capacity else None,
            completed=shown["completed"], ended_early=shown["ended"], active=shown["active"],
            median_wait_days=suppression.median(len(wait_values), statistics.median(wait_values) if wait_values else None),
            by_municipality=_suppressed_breakdown(municipalities.get(track.pk, {}), row["n"]),
            by_birth_site=_suppressed_breakdown(sites.get(track.pk, {}), row["n"]),
        ))
    return figures


def residential_figures(network: Network, year: int) -> list[ResidentialFigures]:
    return residential_figures_between(network, dt.date(year, 1, 1), dt.date(year, 12, 31))


def _bounds(network: Network, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = zoneinfo.ZoneInfo(network.time_zone)
    return (dt.datetime.combine(start, dt.time.min, zone), dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, zone))


def residential_figures_between(network: Network, start: dt.date, end: dt.date) -> list[ResidentialFigures]:
    since, until = _bounds(network, start, end)
    offers = Offer.objects.filter(organisation__network=network, is_residential_treatment=True).annotate(
        occupied=Count("referrals", filter=Q(referrals__status__in=Referral.HOLDS_PLACE)),
        waiting=Count("referrals", filter=Q(referrals__status="waitlisted")),
        referred=Count("referrals", filter=Q(referrals__created_at__gte=since, referrals__created_at__lt=until)),
    ).order_by("name")
    return [ResidentialFigures(offer=o, places=o.capacity, occupied=suppression.count(o.occupied), waiting=suppression.count(o.waiting),
                               referred_in_year=suppression.count(o.referred)) for o in offers]


TRACK_COLUMNS = [
    ("served", gettext_noop("Families enrolled")),
    ("capacity", gettext_noop("Agreed capacity per year")),
    ("completed", gettext_noop("Completed")),
    ("ended_early", gettext_noop("Ended early")),
    ("active", gettext_noop("Still active")),
    ("sessions_attended", gettext_noop("Sessions attended")),
    ("median_wait_days", gettext_noop("Median days on the waiting list")),
]
RESIDENTIAL_COLUMNS = [
    ("places", gettext_noop("Places")),
    ("occupied", gettext_noop("Occupied when computed")),
    ("waiting", gettext_noop("On the waiting list when computed")),
    ("referred", gettext_noop("Referred in the period")),
]


def _columns(columns) -> list[dict]:
    return [{"key": key, "label": label} for key, label in columns]


def _sessions_attended(network: Network, tracks: list[Offer], start: dt.date, end: dt.date) -> dict[int, int]:
    since, until = _bounds(network, start, end)
    rows = (Session.objects.filter(enrolment__offer__in=tracks, attended=True, starts_at__gte=since, starts_at__lt=until)
            .order_by().values("enrolment__offer_id").annotate(n=Count("pk")))
    return {row["enrolment__offer_id"]: row["n"] for row in rows}


def board_tables(network: Network, start: dt.date, end: dt.date) -> list[dict]:
    """The partnership figures of one period as tables for the board's summary and the Danish
    yearly report, suppressed like every board figure; none when the network has neither tracks
    nor a residential treatment offer. A fixed number of queries whatever the number of families."""
    tracks = track_figures_between(network, start, end)
    residential = residential_figures_between(network, start, end)
    tables: list[dict] = []
    period = {"from": start.isoformat(), "to": end.isoformat()}
    if tracks:
        attended = _sessions_attended(network, [t.offer for t in tracks], start, end)
        tables.append({
            "key": "tracks", "title": gettext_noop("Programme tracks of the partnership"), "head": gettext_noop("Track"),
            **period, "columns": _columns(TRACK_COLUMNS),
            "rows": [{"key": str(t.offer.pk), "label": t.offer.name, "values": {
                "served": t.served, "capacity": t.capacity, "completed": t.completed, "ended_early": t.ended_early,
                "active": t.active, "sessions_attended": suppression.count(attended.get(t.offer.pk, 0)),
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


def board_networks(user) -> QuerySet[Network]:
    return Network.objects.filter(pk__in=participants_policy.board_network_ids(user)).order_by("name")


def register() -> None:
    """Called from ``OffersConfig.ready``: the board's summaries and reports carry these tables."""
    register_contributor(board_tables)
