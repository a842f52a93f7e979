"""Matrix cells for the data-protection officer's file (records app): the record of processing
activities, its versions and downloads, and the impact assessment with its edit and history
pages. Only the network's data-protection officer gets an answer; every other role gets 404
(the admin too: no need to know), anonymous a redirect to the login."""
from __future__ import annotations

import pytest
from django.urls import reverse

from records import services
from records.models import DpiaRevision
from tests.matrix.roles import ROLES, client_for

pytestmark = pytest.mark.django_db

URL_NAMES = {"records:index", "records:record", "records:versions", "records:version", "records:download",
             "records:dpia", "records:dpia_print", "records:dpia_edit", "records:dpia_history"}


def expect(role: str, *, ok: int = 200) -> int:
    if role == "anonymous":
        return 302
    return ok if role == "dpo" else 404


def _stored(world):
    record, _created = services.processing_record_refresh("seed_demo", network=world.network)
    return record


def _pages(world, record) -> list[str]:
    slug = world.network.slug
    return [
        reverse("records:index"),
        reverse("records:record", args=[slug]),
        reverse("records:versions", args=[slug]),
        reverse("records:version", args=[slug, record.version]),
        reverse("records:download", args=[slug, record.version, "html"]),
        reverse("records:download", args=[slug, record.version, "csv"]),
        reverse("records:download", args=[slug, record.version, "json"]),
        reverse("records:dpia", args=[slug, "dsk"]),
        reverse("records:dpia", args=[slug, "datatilsynet"]),
        reverse("records:dpia_print", args=[slug, "dsk"]),
        reverse("records:dpia_edit", args=[slug, "dsk", "scope"]),
        reverse("records:dpia_history", args=[slug, "dsk", "scope"]),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_only_the_officer_opens_the_record_its_versions_downloads_and_the_assessment(world, client, role):
    record = _stored(world)
    services.dpia_section_save(world.dpo, network=world.network, template="dsk", section="scope",
                               text="Geprüft.", base_number=0)
    c = client_for(client, world, role)
    for url in _pages(world, record):
        response = c.get(url)
        assert response.status_code == expect(role), url
        if response.status_code == 200 and "/dpo/records/kreis-test/" in url and not url.endswith("/versions/"):
            assert world.youth_welfare.name in response.content.decode(), url


@pytest.mark.parametrize("role", ROLES)
def test_only_the_officer_saves_a_section(world, client, role):
    url = reverse("records:dpia_edit", args=[world.network.slug, "dsk", "legal"])
    response = client_for(client, world, role).post(url, {"text": "Art. 6 Abs. 1 lit. e DS-GVO", "base_number": 0})
    assert response.status_code == expect(role, ok=302)
    saved = DpiaRevision.objects.filter(network=world.network, section="legal").exists()
    assert saved == (role == "dpo")


@pytest.mark.parametrize("role", ROLES)
def test_the_officer_of_another_network_is_not_this_networks_officer(world, client, role):
    """The record of the other network (whose officer nobody in the world is) answers 404 to all."""
    record, _created = services.processing_record_refresh("seed_demo", network=world.other_network)
    c = client_for(client, world, role)
    for url in (reverse("records:record", args=[world.other_network.slug]),
                reverse("records:download", args=[world.other_network.slug, record.version, "json"]),
                reverse("records:dpia", args=[world.other_network.slug, "datatilsynet"])):
        assert c.get(url).status_code == (302 if role == "anonymous" else 404)
