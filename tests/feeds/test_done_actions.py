"""Done and dropped actions in feeds: kept FEED_KEEP_CLOSED_DAYS days with a marker in the title
(dropped ones STATUS:CANCELLED), SEQUENCE raised and DTSTAMP at the status change, so calendars
update the event they hold; then they leave the feed. Bytes and ETag stay stable between changes."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from calendars import selectors as calendar_selectors
from calendars import ical as calendar_ical
from calendars import services
from calendars.models import FeedToken
from conferences import ical
from protocols import services as protocol_services
from protocols.models import AgreedAction

pytestmark = pytest.mark.django_db


def fetch(client, raw, path="calendars:feed", **headers):
    return client.get(reverse(path, args=[raw]), headers=headers)


def action_event(body: bytes, action):
    cal = Calendar.from_ical(body)
    for component in cal.walk():
        assert component.errors == [], component.name
    uid = calendar_ical.action_uid(action.pk)
    found = [e for e in cal.walk("VEVENT") if str(e["UID"]) == uid]
    return found[0] if found else None


def test_a_done_action_stays_marked_done_with_a_higher_sequence_and_dtstamp_at_the_change(world, client):
    _, raw = services.feed_token_create(world.counsellor)
    before = fetch(client, raw)
    event = action_event(before.content, world.action_counselling)
    assert str(event["SUMMARY"]) == f"{world.case.reference} – Agreed action due"
    sequence = int(event["SEQUENCE"])

    protocol_services.action_update_status(world.counsellor, action=world.action_counselling, status="done")
    action = AgreedAction.objects.get(pk=world.action_counselling.pk)
    after = fetch(client, raw)
    event = action_event(after.content, action)
    assert str(event["SUMMARY"]) == f"{world.case.reference} – Agreed action due (done)"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert int(event["SEQUENCE"]) == sequence + 1
    assert event.decoded("DTSTAMP") == ical.utc(action.updated_at)
    assert after["ETag"] != before["ETag"]


def test_a_dropped_action_is_cancelled_in_the_calendar(world, client):
    _, raw = services.feed_token_create(world.counsellor)
    protocol_services.action_update_status(world.counsellor, action=world.action_counselling, status="dropped",
                                           note="Vater lehnt die Beratung ab")  # dropping needs its reason
    content = fetch(client, raw).content
    assert b"Vater lehnt" not in content  # the reason is case content: it stays out of the calendar
    event = action_event(content, world.action_counselling)
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["SUMMARY"]).endswith("(dropped)")


def test_the_task_feed_marks_it_completed(world, client):
    _, raw = services.feed_token_create(world.counsellor)
    protocol_services.action_update_status(world.counsellor, action=world.action_counselling, status="done")
    cal = Calendar.from_ical(fetch(client, raw, "calendars:feed_tasks").content)
    todo = next(t for t in cal.walk("VTODO") if str(t["UID"]) == f"todo-{calendar_ical.action_uid(world.action_counselling.pk)}")
    assert str(todo["STATUS"]) == "COMPLETED" and int(todo["SEQUENCE"]) == 1


def test_a_closed_action_leaves_the_feed_after_the_keeping_period(world, client):
    _, raw = services.feed_token_create(world.counsellor)
    protocol_services.action_update_status(world.counsellor, action=world.action_counselling, status="done")
    kept = fetch(client, raw)
    assert action_event(kept.content, world.action_counselling) is not None
    old = timezone.now() - dt.timedelta(days=calendar_selectors.FEED_KEEP_CLOSED_DAYS + 1)
    AgreedAction.objects.filter(pk=world.action_counselling.pk).update(updated_at=old)
    gone = fetch(client, raw, **{"If-None-Match": kept["ETag"]})
    assert gone.status_code == 200  # leaving the feed is a change
    assert action_event(gone.content, world.action_counselling) is None


def test_after_a_status_change_the_feed_is_byte_stable_and_answers_304(world, client):
    token, raw = services.feed_token_create(world.counsellor)
    old = fetch(client, raw)
    # The first fetch was seconds ago: new content within its second would be dated the next
    # second and sent without a date until then (test_feed_poll_from_token_row).
    FeedToken.objects.filter(pk=token.pk).update(content_changed_at=timezone.now() - dt.timedelta(seconds=5))
    protocol_services.action_update_status(world.counsellor, action=world.action_counselling, status="done")
    # The client's old ETag no longer matches: it gets the new calendar.
    assert fetch(client, raw, **{"If-None-Match": old["ETag"]}).status_code == 200
    first = fetch(client, raw)
    second = fetch(client, raw)
    assert first.content == second.content and first["ETag"] == second["ETag"]
    assert fetch(client, raw, **{"If-None-Match": first["ETag"]}).status_code == 304
    assert fetch(client, raw, **{"If-Modified-Since": first["Last-Modified"]}).status_code == 304


def test_the_case_feed_keeps_done_actions_too(world, client):
    _, raw = services.feed_token_create(world.convenor, kind="case", case=world.case)
    protocol_services.action_update_status(world.convenor, action=world.action_parent, status="done")
    event = action_event(fetch(client, raw).content, world.action_parent)
    assert str(event["SUMMARY"]).endswith("(done)")
