"""A calendar feed speaks its holder's language (``participants.language``): her own setting, else
the networks she works in; the name her calendar programme shows is in it, and a change of either
reaches the next fetch although polls never work the rule out (the content version covers it)."""
from __future__ import annotations

import pytest
from django.urls import reverse
from icalendar import Calendar

from calendars import services
from participants import services as participant_services
from participants.models import Network

pytestmark = pytest.mark.django_db


def _name(client, raw: str) -> str:
    response = client.get(reverse("calendars:feed", args=[raw]))
    assert response.status_code == 200
    return str(Calendar.from_ical(response.content)["X-WR-CALNAME"])


def test_a_danish_caseworker_without_a_setting_sees_her_calendar_named_in_danish(world, client):
    caseworker = world.foreign_professional
    assert caseworker.preferred_language == ""
    _, raw = services.feed_token_create(caseworker)
    assert _name(client, raw) == "Fallkonferenz – mine møder og aftaler"
    participant_services.user_language_set(caseworker, language="de")
    assert _name(client, raw) == "Fallkonferenz – meine Konferenzen und Vereinbarungen"


def test_her_network_becoming_danish_reaches_the_next_fetch(world, client):
    _, raw = services.feed_token_create(world.counsellor)
    assert _name(client, raw) == "Fallkonferenz – my conferences and actions"
    Network.objects.filter(pk=world.network.pk).update(country="DK")
    assert _name(client, raw) == "Fallkonferenz – mine møder og aftaler"
