"""A network's standard agenda items become the first items of every protocol, as stored text:
a new Danish network starts with Danish ones, not the German defaults."""
from __future__ import annotations

import pytest

from participants.models import DEFAULT_GUIDELINE_ITEMS, Country, Network

pytestmark = pytest.mark.django_db


def test_a_new_danish_network_starts_with_a_danish_agenda():
    network = Network.objects.create(name="Region Nord", slug="region-nord", country=Country.DENMARK,
                                     time_zone="Europe/Copenhagen")
    network.refresh_from_db()
    assert network.guideline_items[0] == "Barnets situation"
    assert "Situation des Kindes" not in network.guideline_items


def test_a_german_network_and_a_chosen_agenda_keep_theirs():
    german = Network.objects.create(name="Kreis Nord", slug="kreis-nord")
    assert german.guideline_items == DEFAULT_GUIDELINE_ITEMS
    chosen = Network.objects.create(name="Region Syd", slug="region-syd", country=Country.DENMARK,
                                    time_zone="Europe/Copenhagen", guideline_items=["Dagsorden"])
    assert chosen.guideline_items == ["Dagsorden"]
    chosen.country = Country.DENMARK
    chosen.guideline_items = list(DEFAULT_GUIDELINE_ITEMS)  # changed later on purpose: kept
    chosen.save()
    chosen.refresh_from_db()
    assert chosen.guideline_items == DEFAULT_GUIDELINE_ITEMS
