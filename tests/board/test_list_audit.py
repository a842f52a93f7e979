"""The board API list hands out full figures, so each list request is audited: one AuditEvent
per request (not per summary), channel api, in the day's chain, naming the summaries listed."""
from __future__ import annotations

import pytest
from django.urls import reverse

from permissions.models import AuditEvent

pytestmark = pytest.mark.django_db


def _list_events(user):
    return AuditEvent.objects.filter(actor=user, action="summary.list")


def test_listing_summaries_through_the_api_writes_one_event_naming_them(client, world):
    client.force_login(world.board_member)
    response = client.get(reverse("board-summary-list"))
    assert response.status_code == 200
    listed = [row["id"] for row in response.json()["results"]]
    assert world.summary.pk in listed
    event = _list_events(world.board_member).get()
    assert (event.channel, event.case_id) == ("api", None)
    assert event.chain_key.startswith("day:")
    assert event.detail["summaries"] == listed
    assert event.detail["networks"] == [world.summary.network_id]


def test_each_list_request_writes_its_own_event(client, world):
    client.force_login(world.coordinator)
    client.get(reverse("board-summary-list"))
    client.get(reverse("board-summary-list"))
    assert _list_events(world.coordinator).count() == 2


def test_an_anonymous_list_request_is_refused_and_writes_nothing(client, world):
    assert client.get(reverse("board-summary-list")).status_code in (401, 403)
    assert not AuditEvent.objects.filter(action="summary.list").exists()
