"""The board's page of yearly partnership figures and the municipal report (CSV).

Only ended years are offered and computed (``offers.figures.require_ended_year``, review h3-5c):
a running or future year is refused with the reason (400) and nothing is counted or audited."""
from __future__ import annotations


from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from permissions import audit, csv_export

from . import figures


def _year(network, raw) -> int:
    """The year asked for; the last ended year when none (or no number) is given."""
    try:
        year = int(raw)
    except (TypeError, ValueError):
        return figures.last_ended_year(network)
    return year if year >= figures.FIRST_YEAR else figures.last_ended_year(network)


def _network(request, slug: str | None):
    networks = figures.board_networks(request.user)
    if not networks.exists():
        raise PermissionDenied(_("Only the cooperation board sees the partnership figures."))
    network = networks.filter(slug=slug).first() if slug else networks.first()
    if network is None:
        raise Http404("No such network.")
    return networks, network


def _page(request: HttpRequest, networks, network, year: int, **context) -> HttpResponse:
    years = figures.ended_years(network)
    return render(request, "offers/partnership_figures.html", {
        "networks": networks, "network": network, "year": year, "years": years, **context,
    }, status=400 if context.get("refusal") else 200)


def _refused(request: HttpRequest, networks, network, year: int) -> HttpResponse | None:
    """The page with the reason when ``year`` has not ended (nothing computed), else None."""
    try:
        figures.require_ended_year(network, year)
    except ValidationError as error:
        return _page(request, networks, network, year, refusal=" ".join(error.messages))
    return None


@login_required
def partnership_figures(request: HttpRequest) -> HttpResponse:
    networks, network = _network(request, request.GET.get("network"))
    year = _year(network, request.GET.get("year"))
    refused = _refused(request, networks, network, year)
    if refused is not None:
        return refused
    audit.record(request.user, action="offers.figures.read", obj=network, detail={"year": year})
    tracks, residential = figures.year_figures(network, year)
    return _page(request, networks, network, year, tracks=tracks, residential=residential)


@login_required
def municipal_report_csv(request: HttpRequest, slug: str, year: int) -> HttpResponse:
    networks, network = _network(request, slug)
    year = _year(network, year)
    refused = _refused(request, networks, network, year)
    if refused is not None:
        return refused
    audit.record(request.user, action="offers.figures.export", obj=network, detail={"year": year})
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{network.slug}-{year}-municipal-report.csv"'
    writer = csv_export.writer(response)
    writer.writerow([_("Track"), _("Municipality"), _("Families served"), _("Agreed capacity per year")])
    tracks, residential = figures.year_figures(network, year)
    for track in tracks:
        writer.writerow([track.offer.name, _("all"), track.served, track.capacity or ""])
        for name, value in track.by_municipality:
            writer.writerow([track.offer.name, name, value, ""])
    writer.writerow([])
    writer.writerow([_("Residential treatment offer"), _("Places"), _("Occupied on 31 December"),
                     _("On the waiting list on 31 December"), _("Referred in the year")])
    for item in residential:
        writer.writerow([item.offer.name, item.places or "", item.occupied, item.waiting, item.referred_in_year])
    return response
