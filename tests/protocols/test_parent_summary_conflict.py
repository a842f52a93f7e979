"""Two convenors write the summary for the parents at once: the second save, written on the
version before the first, is refused; her text stays in the form beside the summary as it is
now, and saving again (now on the current version) saves it."""
from __future__ import annotations

import pytest
from django.urls import reverse

from permissions.conflicts import EditConflict
from protocols import services
from protocols.models import Protocol

pytestmark = pytest.mark.django_db


def test_a_summary_written_on_an_old_version_is_refused_and_changes_nothing(world):
    version = world.protocol.version
    services.parent_summary_set(world.convenor, protocol=world.protocol, text="Erste Fassung", version=version)
    with pytest.raises(EditConflict):
        services.parent_summary_set(world.convenor, protocol=world.protocol, text="Zweite Fassung", version=version)
    assert Protocol.objects.get(pk=world.protocol.pk).parent_summary == "Erste Fassung"


def test_the_page_keeps_her_text_beside_the_current_summary_and_saves_it_on_the_second_try(world, client):
    url = reverse("protocols:parent_summary", args=[world.protocol.pk])
    version = world.protocol.version
    client.force_login(world.convenor)
    assert client.post(url, {"parent_summary": "Erste Fassung", "version": version}).status_code == 302
    refused = client.post(url, {"parent_summary": "Meine Fassung", "version": version})
    assert refused.status_code == 409
    page = refused.content.decode()
    assert "Someone else changed this meanwhile" in page and "Erste Fassung" in page and "Meine Fassung" in page
    current = Protocol.objects.get(pk=world.protocol.pk)
    assert current.parent_summary == "Erste Fassung"
    assert f'name="version" value="{current.version}"' in page
    assert client.post(url, {"parent_summary": "Meine Fassung", "version": current.version}).status_code == 302
    assert Protocol.objects.get(pk=world.protocol.pk).parent_summary == "Meine Fassung"
