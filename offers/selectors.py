"""Reads of the directory and of the organisation's own offers, filtered by ``offers.access``.
Every list is one SQL statement (offers with their organisation and network joined)."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from participants import policy as participants_policy
from participants.models import Country, Network, Organisation

from . import access
from .models import LANGUAGE_CODES, Offer, TargetGroup


ALL_COUNTRIES = "all"
# The country whose offers a visitor reading the directory in this language is most likely to look
# for; English (and any other language) shows every country.
COUNTRY_OF_LANGUAGE = {"de": Country.GERMANY, "da": Country.DENMARK}


def default_country(language: str | None) -> str:
    """The directory's country when the visitor chose none: her language's country, or all ("")."""
    return COUNTRY_OF_LANGUAGE.get((language or "").split("-")[0], "")


def _network_country(slug: str) -> str:
    """The country of the network with this short name ("" when there is none)."""
    return Network.objects.filter(slug=slug).values_list("country", flat=True).first() or ""


@dataclass(frozen=True)
class DirectoryFilter:
    text: str = ""
    place: str = ""          # municipality or postcode
    target_group: str = ""
    language: str = ""
    anonymous: bool = False
    network: str = ""        # network slug
    country: str = ""        # Country code; "" = every country
    network_dropped: bool = False  # she chose a country the network does not lie in
    network_country: str = ""      # the chosen network's country, carried on by the next search

    @classmethod
    def from_query(cls, params, *, country: str = "") -> "DirectoryFilter":
        """``country``: the country to show when ``params`` name none (the page passes the
        visitor's language's; the API shows every country unless asked). A region link names a
        network: where it names no country, the network's own country is meant."""
        target = params.get("target_group", "")
        language = params.get("language", "")
        network = (params.get("network") or "").strip()[:60]
        # The region link names the network's country too, so that choosing another country drops
        # the network (it would show nothing) without a query of its own. A link made before the
        # country filter existed names neither: the network's country is looked up (one query, on
        # that path only, and not where every country is chosen), so that the language's country
        # does not hide the region's offers.
        chosen = params.get("country")
        if chosen is not None:
            country = chosen if chosen in Country.values else ""  # "all", or anything unknown: every country
        network_country = params.get("network_country", "")
        if network and network_country not in Country.values and (chosen is None or country):
            network_country = _network_country(network)  # every country chosen: nothing to decide
        if chosen is None and network and network_country:
            country = network_country
        dropped = bool(network and country and network_country and network_country != country)
        return cls(
            country=country,
            text=(params.get("q") or "").strip()[:100],
            place=(params.get("place") or "").strip()[:60],
            target_group=target if target in TargetGroup.values else "",
            language=language if language in LANGUAGE_CODES else "",
            anonymous=params.get("anonymous") in {"1", "on", "true"},
            network="" if dropped else network,
            network_dropped=dropped,
            network_country="" if dropped else network_country,
        )


def directory(user, filters: DirectoryFilter) -> QuerySet[Offer]:
    """Offers the user may find (public ones for anyone; network-only ones for its professionals)."""
    offers = access.offers_visible_to(user).select_related("organisation", "organisation__network")
    if filters.network:
        offers = offers.filter(organisation__network__slug=filters.network)
    if filters.country:
        offers = offers.filter(organisation__network__country=filters.country)
    if filters.text:
        offers = offers.filter(Q(name__icontains=filters.text) | Q(description__icontains=filters.text)
                               | Q(organisation__name__icontains=filters.text))
    if filters.place:
        offers = offers.filter(Q(municipalities__icontains=filters.place) | Q(postcodes__contains=f",{filters.place},")
                               | Q(address__icontains=filters.place) | Q(organisation__municipality__iexact=filters.place))
    if filters.target_group:
        offers = offers.filter(target_groups__contains=f",{filters.target_group},")
    if filters.language:
        offers = offers.filter(languages__contains=f",{filters.language},")
    if filters.anonymous:
        offers = offers.filter(anonymous_contact=True)
    return offers.order_by("name", "pk")


def networks_with_public_offers() -> QuerySet[Network]:
    return Network.objects.filter(organisations__offers__in=access.public_offers()).distinct().order_by("name")


def get_offer_for_user(user, pk) -> Offer:
    """One offer the user may see in the directory, or 404 (missing and hidden look the same)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such offer.") from None
    offer = access.offers_visible_to(user).select_related("organisation", "organisation__network").filter(pk=pk).first()
    if offer is None:
        raise Http404("No such offer.")
    return offer


def get_managed_offer(user, pk) -> Offer:
    """One offer of the user's organisations, or 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such offer.") from None
    offer = access.offers_managed_by(user).select_related("organisation", "organisation__network").filter(pk=pk).first()
    if offer is None:
        raise Http404("No such offer.")
    return offer


def managed_offers(user) -> QuerySet[Offer]:
    return access.offers_managed_by(user).select_related("organisation").order_by("organisation__name", "name")


def staff_organisations(user) -> QuerySet[Organisation]:
    """Organisations the user works for (she may publish offers for them)."""
    return Organisation.objects.filter(pk__in=participants_policy.organisation_ids(user), is_active=True).order_by("name")


def public_offers_of_network(network: Network) -> QuerySet[Offer]:
    return access.public_offers().filter(organisation__network=network).select_related("organisation").order_by("name", "pk")


def get_network(slug: str) -> Network:
    network = Network.objects.filter(slug=slug).first()
    if network is None:
        raise Http404("No such network.")
    return network
