"""The board's page of yearly partnership figures and the municipal report (CSV)."""
from __future__ import annotations


from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from permissions import audit, csv_export

from . import figures


def _year(raw) -> int:
    try:
        year = int(raw)
    except (TypeError, ValueError):
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _network(request, slug: str | None):
    networks = figures.board_networks(request.user)
    if not networks.exists():
        raise PermissionDenied(_("Only the cooperation board sees the partnership figures."))
    network = networks.filter(slug=slug).first() if slug else networks.first()
    if network is None:
        raise Http404("No such network.")
    return networks, network


@login_required
def partnership_figures(request: HttpRequest) -> HttpResponse:
    networks, network = _network(request, request.GET.get("network"))
    year = _year(request.GET.get("year"))
    audit.record(request.user, action="offers.figures.read", obj=network, detail={"year": year})
    return render(request, "offers/partnership_figures.html", {
        "networks": networks, "network": network, "year": year, "years": range(timezone.localdate().year, timezone.localdate().year - 5, -1),
        "tracks": figures.track_figures(network, year), "residential": figures.residential_figures(network, year),
    })


@login_required
def municipal_report_csv(request: HttpRequest, slug: str, year: int) -> HttpResponse:
    _networks, network = _network(request, slug)
    year = _year(year)
    audit.record(request.user, action="offers.figures.export", obj=network, detail={"year": year})
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{network.slug}-{year}-municipal-report.csv"'
    writer = csv_export.writer(response)
    writer.writerow([_("Track"), _("Municipality"), _("Families served"), _("Agreed capacity per year")])
    for track in figures.track_figures(network, year):
        writer.writerow([track.offer.name, _("all"), track.served, track.capacity or ""])
        for name, value in track.by_municipality:
            writer.writerow([track.offer.name, name, value, ""])
    writer.writerow([])
    writer.writerow([_("Residential treatment offer"), _("Places"), _("Occupied"), _("Waiting list"), _("Referred this year")])
    for item in figures.residential_figures(network, year):
        writer.writerow([item.offer.name, item.places or "", item.occupied, item.waiting, item.referred_in_year])
    return response
