"""Professional pages name the network's time zone as people say it, never its database id."""
from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "name"), [("en", "German time (CET/CEST)"), ("de", "deutsche Zeit (MEZ/MESZ)"),
                                                ("da", "tysk tid (CET/CEST)")])
def test_conference_pages_name_the_zone_in_the_active_language(client, world, language, name):
    client.force_login(world.convenor)
    response = client.get(reverse("conferences:conference_detail", args=[world.conference.pk]),
                          headers={"accept-language": language})
    assert response.status_code == 200
    page = response.content.decode()
    assert name in page
    assert "Europe/Berlin" not in page

def test_a_danish_network_is_named_danish_time(world):
    from django.utils import translation

    world.network.time_zone = "Europe/Copenhagen"
    with translation.override("da"):
        assert world.network.time_zone_name == "dansk tid (CET/CEST)"
    world.network.time_zone = "America/New_York"
    assert world.network.time_zone_name == "New York"
