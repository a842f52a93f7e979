"""A conference's access needs come from the family members' and may be health information: the
case team and the parents of the case read them on the conference page and in the API, a guest
of the conference (an explicit grant on that one conference) does not."""
from __future__ import annotations

import pytest
from django.urls import reverse

from access import grant_services
from tests.world import make_professional

pytestmark = pytest.mark.django_db

NEEDS = "Rollstuhl; Methadon um 9 Uhr"


@pytest.fixture
def conference(world):
    world.conference.access_needs = NEEDS
    world.conference.save(update_fields=["access_needs"])
    return world.conference


@pytest.fixture
def guest(world, conference):
    guest = make_professional("dolmetscherin", world.early_help)
    grant_services.guest_invite(world.convenor, conference=conference, guest=guest, note="Dolmetscherin")
    return guest


def test_a_guest_reads_the_conference_page_without_the_family_access_needs(client, world, conference, guest):
    client.force_login(guest)
    response = client.get(reverse("conferences:conference_detail", args=[conference.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert conference.location in page  # she does read the conference
    assert "Methadon" not in page and "Access needs" not in page


@pytest.mark.parametrize("role", ["convenor", "counsellor", "parent"])
def test_the_team_and_the_parents_still_read_the_access_needs_on_the_page(client, world, conference, guest, role):
    client.force_login(getattr(world, role))
    page = client.get(reverse("conferences:conference_detail", args=[conference.pk])).content.decode()
    assert "Access needs" in page and NEEDS in page


def test_a_guest_gets_the_access_needs_empty_in_the_api(client, world, conference, guest):
    client.force_login(guest)
    detail = client.get(reverse("conference-detail", args=[conference.pk]))
    assert detail.status_code == 200
    assert detail.json()["access_needs"] == "" and detail.json()["location"] == conference.location
    rows = {row["id"]: row for row in client.get(reverse("conference-list")).json()["results"]}
    assert rows[conference.pk]["access_needs"] == ""
    assert "Methadon" not in detail.content.decode()


@pytest.mark.parametrize("role", ["convenor", "counsellor", "parent"])
def test_the_team_and_the_parents_still_get_the_access_needs_in_the_api(client, world, conference, guest, role):
    client.force_login(getattr(world, role))
    assert client.get(reverse("conference-detail", args=[conference.pk])).json()["access_needs"] == NEEDS
    rows = {row["id"]: row for row in client.get(reverse("conference-list")).json()["results"]}
    assert rows[conference.pk]["access_needs"] == NEEDS
