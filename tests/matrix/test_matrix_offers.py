"""Permission matrix for the directory of offers: public pages, HSDS export, the organisation's
own offers. Every role, including a professional of another network and the anonymous visitor."""
from __future__ import annotations

import pytest
from django.urls import reverse

from tests.matrix.roles import ROLES, client_for
from tests.offers.offer_world import build_offer_world

URL_NAMES = {
    "offers:directory",
    "offers:offer_public",
    "offers:hsds_export",
    "offers:manage_list",
    "offers:offer_create",
    "offers:offer_import",
    "offers:offer_edit",
    "offers:offer_availability",
}

pytestmark = pytest.mark.django_db

NETWORK_PROFESSIONALS = {"convenor", "lead_colleague", "counsellor", "midwife", "outsider"}
PROFESSIONALS = NETWORK_PROFESSIONALS | {"foreign_professional"}
OFFER_STAFF = {"counsellor"}  # works for the organisation of offers.public_offer


@pytest.fixture
def offers(world):
    return build_offer_world(world)


@pytest.mark.parametrize("role", ROLES)
def test_directory_lists_public_offers_to_all_and_network_offers_to_the_network(client, world, offers, role):
    response = client_for(client, world, role).get(reverse("offers:directory"))
    assert response.status_code == 200
    page = response.content.decode()
    assert offers.public_offer.name in page
    assert (offers.network_offer.name in page) == (role in NETWORK_PROFESSIONALS)


@pytest.mark.parametrize("role", ROLES)
def test_public_offer_page(client, world, offers, role):
    c = client_for(client, world, role)
    assert c.get(reverse("offers:offer_public", args=[offers.public_offer.pk])).status_code == 200
    network_only = c.get(reverse("offers:offer_public", args=[offers.network_offer.pk])).status_code
    assert network_only == (200 if role in NETWORK_PROFESSIONALS else 404)


@pytest.mark.parametrize("role", ROLES)
def test_hsds_export_is_public_and_holds_only_public_offers(client, world, offers, role):
    response = client_for(client, world, role).get(reverse("offers:hsds_export", args=[world.network.slug]))
    assert response.status_code == 200
    assert offers.network_offer.name not in response.content.decode()


@pytest.mark.parametrize("name", ["offers:manage_list", "offers:offer_create", "offers:offer_import"])
@pytest.mark.parametrize("role", ROLES)
def test_own_offer_pages_are_for_professionals(client, world, offers, role, name):
    response = client_for(client, world, role).get(reverse(name))
    if role == "anonymous":
        assert response.status_code == 302
    else:
        assert response.status_code == (200 if role in PROFESSIONALS else 403)


@pytest.mark.parametrize("role", ROLES)
def test_manage_list_shows_only_own_organisations_offers(client, world, offers, role):
    if role not in PROFESSIONALS:
        return
    page = client_for(client, world, role).get(reverse("offers:manage_list")).content.decode()
    assert (offers.public_offer.name in page) == (role in OFFER_STAFF)


@pytest.mark.parametrize("role", ROLES)
def test_offer_edit(client, world, offers, role):
    response = client_for(client, world, role).get(reverse("offers:offer_edit", args=[offers.public_offer.pk]))
    expected = 302 if role == "anonymous" else (200 if role in OFFER_STAFF else 404)
    assert response.status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_offer_availability(client, world, offers, role):
    prefix = f"offer{offers.public_offer.pk}"
    response = client_for(client, world, role).post(
        reverse("offers:offer_availability", args=[offers.public_offer.pk]), {f"{prefix}-availability": "not_accepting"})
    offers.public_offer.refresh_from_db()
    if role in OFFER_STAFF:
        assert response.status_code == 302 and offers.public_offer.availability == "not_accepting"
    else:
        assert response.status_code in {302, 404} and offers.public_offer.availability == "accepting"
        if role == "anonymous":
            assert "/accounts/login/" in response["Location"]
