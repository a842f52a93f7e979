"""The API's HTML rendering must not list other cases' objects in its forms' choices
(writable related fields render every row of their queryset: family members, item titles)."""
from __future__ import annotations

import pytest

URLS = ["/api/consents/", "/api/legal-bases/", "/api/amendments/", "/api/acknowledgements/", "/api/conferences/",
        "/api/protocol-items/", "/api/actions/", "/api/cases/", "/api/protocols/", "/api/board/summaries/"]


@pytest.mark.parametrize("url", URLS)
def test_a_professional_of_another_network_learns_nothing_of_the_case_from_the_api_in_a_browser(world, client, url):
    client.force_login(world.foreign_professional)
    response = client.get(url, HTTP_ACCEPT="text/html")
    page = response.content.decode()
    for secret in (world.mother.display_name + " (", world.expected_child.display_name, world.item_everyone.title,
                   world.item_restricted.title, world.case.reference, world.counselling.name, world.convenor.first_name):
        assert secret not in page, secret
