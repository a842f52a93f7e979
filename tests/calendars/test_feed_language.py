"""A personal calendar feed is written in the language of the token's owner: her own setting, and
for a professional without one the language of her network (``participants.language``), never
the installation's default for everyone. The language is part of what is cached and of the ETag,
so a change of her setting is served at once."""
from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse
from icalendar import Calendar

from calendars import services
from participants import services as participant_services
from participants.models import Country

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def german_installation(settings):
    settings.LANGUAGE_CODE = "de"  # the product's default: a feed in German is the mistake to catch
    cache.clear()
    yield
    cache.clear()


def parse(body: bytes) -> Calendar:
    cal = Calendar.from_ical(body)
    assert cal.errors == []
    return cal


def summaries(body: bytes, component: str = "VEVENT") -> dict[str, str]:
    return {str(c["UID"]).split("@")[0]: str(c["SUMMARY"]) for c in parse(body).walk(component)}


def personal_urls(user) -> tuple[str, str]:
    _token, raw = services.feed_token_create(user)
    return reverse("calendars:feed", args=[raw]), reverse("calendars:feed_tasks", args=[raw])


def danish_network(world) -> None:
    world.network.country = Country.DENMARK
    world.network.save(update_fields=["country"])


def test_a_danish_professional_without_a_setting_gets_her_networks_language(world, client):
    danish_network(world)
    assert world.counsellor.preferred_language == ""
    events_url, tasks_url = personal_urls(world.counsellor)
    events = summaries(client.get(events_url).content)
    ref = world.case.reference
    assert events[f"conference-{world.conference.pk}"] == f"{ref} – Netværksmøde"
    assert events[f"action-{world.action_counselling.pk}"] == f"{ref} – Aftale forfalder"
    tasks = summaries(client.get(tasks_url).content, "VTODO")
    assert tasks[f"todo-action-{world.action_counselling.pk}"] == f"{ref} – Aftale forfalder"
    assert parse(client.get(events_url).content)["X-WR-CALNAME"] == "Fallkonferenz – mine møder og aftaler"


def test_an_english_user_gets_english_in_a_german_network(world, client):
    participant_services.user_language_set(world.midwife, language="en")
    events_url, _tasks_url = personal_urls(world.midwife)
    events = summaries(client.get(events_url).content)
    assert events[f"conference-{world.conference.pk}"] == f"{world.case.reference} – Participant conference"


def test_two_users_of_one_network_each_get_their_own_language(world, client):
    danish_network(world)
    participant_services.user_language_set(world.midwife, language="en")
    counsellor_url, _ = personal_urls(world.counsellor)
    midwife_url, _ = personal_urls(world.midwife)
    key = f"conference-{world.conference.pk}"
    assert summaries(client.get(counsellor_url).content)[key].endswith("Netværksmøde")
    assert summaries(client.get(midwife_url).content)[key].endswith("Participant conference")
    assert summaries(client.get(counsellor_url).content)[key].endswith("Netværksmøde")


def test_after_she_changes_her_language_the_old_etag_gets_the_new_body(world, client):
    danish_network(world)
    events_url, tasks_url = personal_urls(world.counsellor)
    first, first_tasks = client.get(events_url), client.get(tasks_url)
    assert summaries(first.content)[f"action-{world.action_counselling.pk}"].endswith("Aftale forfalder")
    assert client.get(events_url, headers={"if-none-match": first["ETag"]}).status_code == 304

    participant_services.user_language_set(world.counsellor, language="en")
    again = client.get(events_url, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 200 and again["ETag"] != first["ETag"]
    events = summaries(again.content)
    assert events[f"action-{world.action_counselling.pk}"] == f"{world.case.reference} – Agreed action due"
    tasks = client.get(tasks_url, headers={"if-none-match": first_tasks["ETag"]})
    assert tasks.status_code == 200
    assert summaries(tasks.content, "VTODO")[f"todo-action-{world.action_counselling.pk}"].endswith("Agreed action due")

    participant_services.user_language_set(world.counsellor, language="da")
    back = client.get(events_url, headers={"if-none-match": again["ETag"]})
    assert back.status_code == 200
    assert summaries(back.content)[f"action-{world.action_counselling.pk}"].endswith("Aftale forfalder")


def test_without_a_setting_a_change_of_her_networks_language_is_served_at_once(world, client):
    events_url, _ = personal_urls(world.counsellor)
    first = client.get(events_url)
    assert summaries(first.content)[f"conference-{world.conference.pk}"].endswith("Beteiligtenkonferenz")
    danish_network(world)
    again = client.get(events_url, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 200 and again["ETag"] != first["ETag"]
    assert summaries(again.content)[f"conference-{world.conference.pk}"].endswith("Netværksmøde")
