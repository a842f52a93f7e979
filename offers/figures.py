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
(``board.suppression``: counts of 1–4 as "< 5", complementary suppression within each
additive group, medians only over at least five values)."""
from __future__ import annotations

import datetime as dt
import statistics
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _, gettext_noop

from board import suppression
from board.figures import register_contributor
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


def _grouped(rows, key: str) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        out[row["offer_id"]][row[key] or "–"] = row["n"]
    return out


def _suppressed_breakdown(counts: dict[str, int], total: int) -> list[tuple[str, int | str]]:
    values = {("cell", name): n for name, n in counts.items()} | {("total",): total}
    shown = suppression.suppress_groups(values, [([("cell", name) for name in counts], ("total",))])
    return sorted(((name, shown[("cell", name)]) for name in counts), key=lambda item: item[0])


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


def track_figures(network: Network, year: int) -> list[TrackFigures]:
    """The tracks' figures of an ended ``year`` (a year not ended is refused)."""
    require_ended_year(network, year)
    return track_figures_between(network, dt.date(year, 1, 1), dt.date(year, 12, 31))


def track_figures_between(network: Network, start: dt.date, end: dt.date) -> list[TrackFigures]:
    tracks = list(Offer.objects.filter(organisation__network=network, kind=Offer.Kind.TRACK).select_related("organisation").order_by("name"))
    enrolments = Enrolment.objects.filter(offer__in=tracks, enrolled_on__gte=start, enrolled_on__lte=end)
    status_rows = enrolments.values("offer_id").annotate(
        n=Count("pk"), completed=Count("pk", filter=Q(status="completed", ended_on__lte=end)),
        ended=Count("pk", filter=Q(status="ended_early", ended_on__lte=end)),
        active=Count("pk", filter=Q(status="active") | Q(ended_on__gt=end)),
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
    """The residential treatment offers' figures of an ended ``year`` (a year not ended is refused)."""
    require_ended_year(network, year)
    return residential_figures_between(network, dt.date(year, 1, 1), dt.date(year, 12, 31))


def _bounds(network: Network, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = zoneinfo.ZoneInfo(network.time_zone)
    return (dt.datetime.combine(start, dt.time.min, zone), dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, zone))


def residential_figures_between(network: Network, start: dt.date, end: dt.date) -> list[ResidentialFigures]:
    since, until = _bounds(network, start, end)
    not_closed = Q(referrals__closed_at__isnull=True) | Q(referrals__closed_at__gte=until)
    not_accepted = Q(referrals__accepted_at__isnull=True) | Q(referrals__accepted_at__gte=until)
    offers = Offer.objects.filter(organisation__network=network, is_residential_treatment=True).annotate(
        occupied=Count("referrals", filter=Q(referrals__accepted_at__lt=until) & not_closed),
        waiting=Count("referrals", filter=Q(referrals__waitlisted_at__lt=until) & not_accepted & not_closed),
        referred=Count("referrals", filter=Q(referrals__created_at__gte=since, referrals__created_at__lt=until)),
    ).order_by("name")
    return [ResidentialFigures(offer=o, places=o.capacity, occupied=suppression.count(o.occupied), waiting=suppression.count(o.waiting),
                               referred_in_year=suppression.count(o.referred)) for o in offers]


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
