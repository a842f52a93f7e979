"""Permission matrix for the offers API: the directory (public) and referral status."""
from __future__ import annotations

import pytest
from django.urls import reverse

from permissions.models import AuditEvent
from tests.matrix.roles import ROLES, client_for
from tests.offers.offer_world import build_offer_world

URL_NAMES = {"offer-list", "offer-detail", "referral-list", "referral-detail"}

pytestmark = pytest.mark.django_db

ALL_ROLES = [*ROLES, "case_manager"]
NETWORK_PROFESSIONALS = {"convenor", "lead_colleague", "counsellor", "midwife", "outsider", "case_manager"}
SEES_REFERRAL = {"counsellor", "midwife", "case_manager"}   # receiving staff, requesting midwife, referring case manager
SEES_CONTENT = {"counsellor", "case_manager"}               # the midwife's consent does not cover the content


@pytest.fixture
def offers(world):
    return build_offer_world(world)


def login(client, world, offers, role):
    if role == "case_manager":
        client.force_login(offers.case_manager)
        return client
    return client_for(client, world, role)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_offer_list(client, world, offers, role):
    response = login(client, world, offers, role).get(reverse("offer-list"))
    assert response.status_code == 200
    names = {row["name"] for row in response.json()["results"]}
    assert offers.public_offer.name in names
    assert (offers.network_offer.name in names) == (role in NETWORK_PROFESSIONALS)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_offer_detail(client, world, offers, role):
    c = login(client, world, offers, role)
    assert c.get(reverse("offer-detail", args=[offers.public_offer.pk])).status_code == 200
    expected = 200 if role in NETWORK_PROFESSIONALS else 404
    assert c.get(reverse("offer-detail", args=[offers.network_offer.pk])).status_code == expected


@pytest.mark.parametrize("role", ALL_ROLES)
def test_referral_list(client, world, offers, role):
    response = login(client, world, offers, role).get(reverse("referral-list"))
    if role == "anonymous":
        assert response.status_code == 403
        return
    assert response.status_code == 200
    rows = response.json()["results"]
    assert ([r["id"] for r in rows] == [offers.referral.pk]) == (role in SEES_REFERRAL)
    for row in rows:
        assert ("note" in row) == (role in SEES_CONTENT)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_referral_detail(client, world, offers, role):
    response = login(client, world, offers, role).get(reverse("referral-detail", args=[offers.referral.pk]))
    if role == "anonymous":
        assert response.status_code == 403
        return
    assert response.status_code == (200 if role in SEES_REFERRAL else 404)
    if response.status_code == 200:
        data = response.json()
        assert data["status"] == "requested"
        assert ("vertraulicher Hinweis" in str(data)) == (role in SEES_CONTENT)
        assert AuditEvent.objects.filter(object_type="offers.referral", object_id=str(offers.referral.pk), channel="api").exists()
