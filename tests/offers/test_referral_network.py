"""A request is referred only within its own network: the client's label and what is asked for
never cross the tenant boundary, even when its case manager serves two networks."""
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from offers import referral_services as rs
from offers.models import CentralCaseManager, Referral
from participants.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def serves_two_networks(world, offers):
    """The perinatal centre's case manager also serves the neighbouring network."""
    Membership.objects.create(user=offers.case_manager, organisation=world.foreign_org, is_active=True)
    CentralCaseManager.objects.create(network=world.other_network, organisation=world.foreign_org, user=offers.case_manager)
    return offers.case_manager


def test_a_request_cannot_be_referred_to_an_offer_of_another_network(world, offers, serves_two_networks):
    with pytest.raises(ValidationError) as caught:
        rs.referral_create(serves_two_networks, offer=offers.foreign_offer, support_request=offers.support_request)
    assert "offer" in caught.value.message_dict
    assert not Referral.objects.filter(offer=offers.foreign_offer).exists()
    # within the request's network she still refers
    assert rs.referral_create(serves_two_networks, offer=offers.network_offer, support_request=offers.support_request).pk


def test_the_request_page_lists_only_the_offers_of_the_requests_network(client, world, offers, serves_two_networks):
    client.force_login(serves_two_networks)
    page = client.get(reverse("offers:request_detail", args=[offers.support_request.pk])).content.decode()
    assert "Zwei Beratungsgespräche" in page
    assert "Familierådgivning" not in page
    client.post(reverse("offers:request_refer", args=[offers.support_request.pk]),
                {"offer": offers.foreign_offer.pk, "note": "", "municipality": ""})
    assert not Referral.objects.filter(offer=offers.foreign_offer).exists()


def test_a_referral_without_request_needs_the_role_in_the_offers_network(world, offers):
    with pytest.raises(PermissionDenied):
        rs.referral_create(offers.case_manager, offer=offers.foreign_offer, client_label="M.")
