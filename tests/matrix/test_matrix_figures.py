"""Permission matrix for the partnership figures (board members and coordinators of the network)."""
from __future__ import annotations

import pytest
from django.urls import reverse

from offers.figures import last_ended_year
from tests.matrix.roles import ROLES, client_for
from tests.offers.offer_world import build_offer_world

URL_NAMES = {"offers:partnership_figures", "offers:municipal_report_csv"}

pytestmark = pytest.mark.django_db

BOARD = {"board_member", "coordinator"}


def expected(role):
    return 302 if role == "anonymous" else (200 if role in BOARD else 403)


@pytest.mark.parametrize("role", ROLES)
def test_partnership_figures(client, world, role):
    build_offer_world(world)
    assert client_for(client, world, role).get(reverse("offers:partnership_figures")).status_code == expected(role)


@pytest.mark.parametrize("role", ROLES)
def test_municipal_report(client, world, role):
    build_offer_world(world)
    c = client_for(client, world, role)
    year = last_ended_year(world.network)  # the running year is refused to everyone (tests/offers/test_figures.py)
    assert c.get(reverse("offers:municipal_report_csv", args=[world.network.slug, year])).status_code == expected(role)
    other = c.get(reverse("offers:municipal_report_csv", args=[world.other_network.slug, year])).status_code
    assert other == (302 if role == "anonymous" else (404 if role in BOARD else 403))
