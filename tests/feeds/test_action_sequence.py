"""An action's event SEQUENCE is AgreedAction.sequence, which the protocols services raise when
the status changes: calendars replace the event they hold, and the ETag changes with it."""
from __future__ import annotations

import pytest
from django.urls import reverse
from icalendar import Calendar

from calendars import ical as calendar_ical
from calendars import services
from protocols import services as protocol_services
from protocols.models import AgreedAction

pytestmark = pytest.mark.django_db


def fetch(client, raw, **headers):
    return client.get(reverse("calendars:feed", args=[raw]), headers=headers)


def sequence_in_feed(body: bytes, action) -> int:
    uid = calendar_ical.action_uid(action.pk)
    event = next(e for e in Calendar.from_ical(body).walk("VEVENT") if str(e["UID"]) == uid)
    return int(event["SEQUENCE"])


def test_a_status_change_raises_the_stored_sequence_and_the_event_sequence_by_one_and_changes_the_etag(world, client):
    _, raw = services.feed_token_create(world.counsellor)
    before = fetch(client, raw)
    stored = AgreedAction.objects.get(pk=world.action_counselling.pk).sequence
    assert sequence_in_feed(before.content, world.action_counselling) == stored

    protocol_services.action_update_status(world.counsellor, action=world.action_counselling, status="in_progress")

    after = fetch(client, raw, if_none_match=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert AgreedAction.objects.get(pk=world.action_counselling.pk).sequence == stored + 1
    assert sequence_in_feed(after.content, world.action_counselling) == stored + 1


def test_a_progress_note_that_keeps_the_status_keeps_the_sequence(world, client):
    _, raw = services.feed_token_create(world.counsellor)
    action = AgreedAction.objects.get(pk=world.action_counselling.pk)
    protocol_services.action_update_status(world.counsellor, action=action, status=action.status, note="Called the clinic")
    assert AgreedAction.objects.get(pk=action.pk).sequence == action.sequence
    assert sequence_in_feed(fetch(client, raw).content, action) == action.sequence


def test_each_status_change_raises_the_sequence_again(world):
    action = world.action_counselling
    start = AgreedAction.objects.get(pk=action.pk).sequence
    for status in ("in_progress", "done", "open"):
        action = protocol_services.action_update_status(world.counsellor, action=action, status=status)
    assert AgreedAction.objects.get(pk=action.pk).sequence == start + 3
