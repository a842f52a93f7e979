"""Yearly partnership figures per programme track, and the residential treatment offer's places,
for the board and the Danish municipal report.

Counted in SQL with a fixed number of statements whatever the number of enrolments (grouped by
track, status, municipality and birth site), and shown with the board's anonymity rules
(``protocols.board.suppression``: counts of 1–4 as "< 5", complementary suppression within each
additive group, medians only over at least five values)."""
from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from participants.models import Network
from permissions import policy
from protocols.board import suppression

from .models import Enrolment, Offer, Referral


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
    tracks = list(Offer.objects.filter(organisation__network=network, kind=Offer.Kind.TRACK).select_related("organisation").order_by("name"))
    enrolments = Enrolment.objects.filter(offer__in=tracks, enrolled_on__year=year)
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
    offers = Offer.objects.filter(organisation__network=network, is_residential_treatment=True).annotate(
        occupied=Count("referrals", filter=Q(referrals__status__in=Referral.HOLDS_PLACE)),
        waiting=Count("referrals", filter=Q(referrals__status="waitlisted")),
        referred=Count("referrals", filter=Q(referrals__created_at__year=year)),
    ).order_by("name")
    return [ResidentialFigures(offer=o, places=o.capacity, occupied=suppression.count(o.occupied), waiting=suppression.count(o.waiting),
                               referred_in_year=suppression.count(o.referred)) for o in offers]


def board_networks(user) -> QuerySet[Network]:
    return Network.objects.filter(pk__in=policy.board_network_ids(user)).order_by("name")
