"""Permission matrix for the directory of offers: public pages, HSDS export, the organisation's
own offers. Every role, including a professional of another network and the anonymous visitor."""
from __future__ import annotations

import time

import pytest
from django.urls import reverse

from offers import contact, contact_services
from offers.models import ContactRequest
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
    "offers:contact_request_create",
    "offers:contact_requests",
    "offers:contact_request_handle",
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
        reverse("offers:offer_availability", args=[offers.public_offer.pk]),
        {f"{prefix}-availability": "not_accepting", f"{prefix}-based_on": "accepting:"})
    offers.public_offer.refresh_from_db()
    if role in OFFER_STAFF:
        assert response.status_code == 302 and offers.public_offer.availability == "not_accepting"
    else:
        assert response.status_code in {302, 404} and offers.public_offer.availability == "accepting"
        if role == "anonymous":
            assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", ROLES)
def test_contact_request_create_is_open_to_anyone_with_a_solved_challenge(client, world, offers, role):
    from django.core.cache import cache

    cache.clear()
    payload = contact.solve(contact.new_challenge(max_number=100))
    started = contact.new_form_token(now=time.time() - 30)
    response = client_for(client, world, role).post(reverse("offers:contact_request_create", args=[offers.public_offer.pk]),
                                                    {"reach_by": "0170 1", "pow": payload, "started": started})
    assert response.status_code == 302 and ContactRequest.objects.filter(offer=offers.public_offer).count() == 1
    # without JavaScript (no proof of work): the form token and the honeypot suffice
    without_js = client.post(reverse("offers:contact_request_create", args=[offers.public_offer.pk]),
                             {"reach_by": "0170 2", "started": contact.new_form_token(now=time.time() - 30)})
    assert without_js.status_code == 302 and ContactRequest.objects.filter(offer=offers.public_offer).count() == 2
    network_only = client.post(reverse("offers:contact_request_create", args=[offers.network_offer.pk]), {"reach_by": "x"})
    assert network_only.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_contact_requests_list(client, world, offers, role):
    contact_services.contact_request_create(offer=offers.public_offer, reach_by="0170 999")
    response = client_for(client, world, role).get(reverse("offers:contact_requests", args=[offers.public_offer.pk]))
    assert response.status_code == (302 if role == "anonymous" else (200 if role in OFFER_STAFF else 404))
    assert ("0170 999" in response.content.decode()) == (role in OFFER_STAFF)


@pytest.mark.parametrize("role", ROLES)
def test_contact_request_handle(client, world, offers, role):
    item = contact_services.contact_request_create(offer=offers.public_offer, reach_by="0170 999")
    response = client_for(client, world, role).post(reverse("offers:contact_request_handle", args=[item.pk]))
    item.refresh_from_db()
    assert (item.handled_at is not None) == (role in OFFER_STAFF)
    assert response.status_code == (302 if role in OFFER_STAFF | {"anonymous"} else 404)
