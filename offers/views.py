"""Pages of the directory: the public search and offer pages (no sign-in), the HSDS export, and
the organisation's own offers. Thin: selectors read, services check and write."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from permissions import conflicts

from . import hsds, selectors, services
from . import referral_selectors as rsel
from .contact_views import contact_context
from .forms import AvailabilityForm, DirectorySearchForm, HsdsImportForm, OfferEditForm, OfferForm

OFFERS_PER_PAGE = 25


def apply_errors(form, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form: to its field where it names one."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    # Without a choice, the country of the language she reads in (a German page lists German offers).
    filters = selectors.DirectoryFilter.from_query(request.GET, country=selectors.default_country(get_language()))
    page = Paginator(selectors.directory(request.user, filters), OFFERS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query["country"] = filters.country or selectors.ALL_COUNTRIES  # the next page keeps what this one showed
    if filters.network:
        query["network_country"] = filters.network_country  # an old region link without it gets it here
    else:
        query.pop("network", None)
        query.pop("network_country", None)
    form_data = query.copy()
    return render(request, "offers/directory.html", {
        "form": DirectorySearchForm(form_data), "page": page, "offers": page.object_list,
        "query": query.urlencode(), "filters": filters,
        "all_networks_query": _without(query, "network", "network_country"),
    })


def _without(query, *names: str) -> str:
    query = query.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@require_GET
def offer_public(request: HttpRequest, pk: int) -> HttpResponse:
    offer = selectors.get_offer_for_user(request.user, pk)
    return render(request, "offers/offer_public.html", {
        "offer": offer, "sent": request.GET.get("sent") == "1", **contact_context(offer),
        # her next steps from here, only where the request form takes them (a visitor has none)
        "may_ask_case_manager": request.user.is_authenticated and rsel.offer_to_ask_about(request.user, offer.pk) is not None,
    })


@require_GET
def network_hsds_export(request: HttpRequest, slug: str) -> HttpResponse:
    """The network's public directory as HSDS 3.0 service records (public offers only)."""
    network = selectors.get_network(slug)
    response = JsonResponse(hsds.export_services(selectors.public_offers_of_network(network)), safe=False,
                            json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'inline; filename="{network.slug}-hsds-services.json"'
    return response


@login_required
def offer_manage_list(request: HttpRequest) -> HttpResponse:
    organisations = selectors.staff_organisations(request.user)
    if not organisations.exists():
        raise PermissionDenied(_("Only staff of an organisation manage its offers."))
    offers = list(selectors.managed_offers(request.user))
    return render(request, "offers/manage_list.html", {
        "offers": [(offer, AvailabilityForm(initial={
            "availability": offer.availability, "expected_wait_weeks": offer.expected_wait_weeks,
            "based_on": services.availability_based_on(offer.availability, offer.expected_wait_weeks)},
            prefix=f"offer{offer.pk}")) for offer in offers],
        "networks": {o.network for o in organisations},
    })


@login_required
@require_http_methods(["GET", "POST"])
def offer_create(request: HttpRequest) -> HttpResponse:
    organisations = selectors.staff_organisations(request.user)
    if not organisations.exists():
        raise PermissionDenied(_("Only staff of an organisation manage its offers."))
    form = OfferForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            offer = services.offer_save(request.user, organisation=form.cleaned_data["organisation"], **form.values())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Offer “%(name)s” saved.") % {"name": offer.name})
            return redirect("offers:manage_list")
    return render(request, "offers/offer_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def offer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    offer = selectors.get_managed_offer(request.user, pk)
    form = OfferEditForm(request.POST or None, instance=offer)
    conflict_rows = None
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.offer_save(request.user, organisation=offer.organisation, offer=offer,
                                        version=form.cleaned_data["version"], **form.values())
        except conflicts.EditConflict as conflict:
            # Her input stays in the form, now based on the current version, beside the offer as it is.
            form, conflict_rows = conflicts.refused_form(
                lambda data: OfferEditForm(data, instance=conflict.current), conflict, request.POST,
                lambda form: form.stored_values())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Offer “%(name)s” saved.") % {"name": saved.name})
            return redirect("offers:manage_list")
    return render(request, "offers/offer_form.html", {"form": form, "offer": offer, "conflict_rows": conflict_rows},
                  status=409 if conflict_rows else (400 if form.errors else 200))


@login_required
@require_POST
def offer_availability(request: HttpRequest, pk: int) -> HttpResponse:
    offer = selectors.get_managed_offer(request.user, pk)
    prefix = f"offer{offer.pk}"
    form = AvailabilityForm(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            services.offer_availability_set(request.user, offer=offer, availability=form.cleaned_data["availability"],
                                            expected_wait_weeks=form.cleaned_data["expected_wait_weeks"],
                                            based_on=form.cleaned_data["based_on"])
        except conflicts.EditConflict as conflict:
            # Her choice stays in the form, now based on the availability as it is, shown beside it.
            current = conflict.current
            form, conflict_rows = conflicts.refused_form(
                lambda data: AvailabilityForm(data, prefix=prefix), conflict, request.POST,
                lambda form: {"availability": current.availability, "expected_wait_weeks": current.expected_wait_weeks},
                field=form.add_prefix("based_on"),
                based_on=services.availability_based_on(current.availability, current.expected_wait_weeks))
            return render(request, "offers/availability_form.html",
                          {"offer": current, "form": form, "conflict_rows": conflict_rows}, status=409)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("offers:manage_list")
        messages.success(request, _("Availability of “%(name)s” updated.") % {"name": offer.name})
    elif form.stale:  # said beside her choice: nothing is compared with a made-up availability
        return render(request, "offers/availability_form.html", {"offer": offer, "form": form}, status=400)
    else:
        messages.error(request, _("Choose one of the listed states."))
    return redirect("offers:manage_list")


@login_required
@require_http_methods(["GET", "POST"])
def offer_import(request: HttpRequest) -> HttpResponse:
    organisations = selectors.staff_organisations(request.user)
    if not organisations.exists():
        raise PermissionDenied(_("Only staff of an organisation manage its offers."))
    form = HsdsImportForm(request.POST or None, request.FILES or None, organisations=organisations)
    report = None
    if request.method == "POST" and form.is_valid():
        report = services.offers_import_hsds(request.user, organisation=form.cleaned_data["organisation"],
                                            payload=form.cleaned_data["payload"], dry_run=form.cleaned_data["dry_run"])
        if report.ok and not report.dry_run:
            messages.success(request, _("Imported: %(created)s new, %(updated)s changed.") % {
                "created": len(report.created), "updated": len(report.updated)})
            return redirect("offers:manage_list")
    status = 400 if form.errors or (report and not report.ok) else 200
    return render(request, "offers/import.html", {"form": form, "report": report}, status=status)
