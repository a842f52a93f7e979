"""The subscription feeds and .ics downloads as Thunderbird and Nextcloud read them (ical.js).

Every feed is fetched through its URL with a token, as a calendar client does; conferences are
convened and scheduled through the services, so what is compared is what the product stored:
texts exactly (umlauts, ß, æøå, emoji, commas, semicolons, backslashes, long lines folded
between multi-byte characters), times at the stored UTC instant across the DST change of the
network's zone, due dates as dates, and the changes a calendar must follow (SEQUENCE, STATUS).
"""
from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import translation

from board import services as board_services
from calendars import services
from calendars.ical import action_title
from calendars.models import FeedToken
from conferences import ical
from conferences import services as conference_services
from participants.models import Network
from protocols import services as protocol_services
from tests.conferences.helpers import schedule_across_dst
from tests.icaljs import LANGUAGES, NAME, PLACE, component, day, icaljs, instant, next_dst_sunday  # noqa: F401 (icaljs: fixture)

pytestmark = pytest.mark.django_db

def fetch(client, name: str, raw: str) -> bytes:
    response = client.get(reverse(name, args=[raw]))
    assert response.status_code == 200
    return response.content


@pytest.mark.parametrize("tzid, language", [("Europe/Berlin", "de"), ("Europe/Copenhagen", "da")])
def test_the_personal_feed_shows_a_conference_across_the_dst_change_at_its_stored_instants(world, client, committed, icaljs,
                                                                                             tzid, language):
    conference = schedule_across_dst(world, committed, tzid, language=language)
    _, raw = services.feed_token_create(world.counsellor)
    reading = icaljs.read(fetch(client, "calendars:feed", raw))
    assert reading["timezones"] == [tzid]
    event = component(reading, ical.conference_uid(conference.pk))
    assert instant(event["start"]) == conference.starts_at
    assert instant(event["end"]) == conference.ends_at
    assert event["start"]["zone"] == event["end"]["zone"] == tzid
    assert event["location"] == PLACE[:200]
    with translation.override(language):
        assert event["summary"] == ical.conference_title(conference)
    assert (event["status"], event["sequence"]) == ("CONFIRMED", conference.sequence)
    assert event["description"] is None  # access needs never reach a feed


def test_the_personal_feed_shows_an_agreed_action_as_an_all_day_event_on_its_due_date(world, client, icaljs):
    _, raw = services.feed_token_create(world.counsellor)
    reading = icaljs.read(fetch(client, "calendars:feed", raw))
    action = world.action_counselling
    event = component(reading, f"action-{action.pk}@127.0.0.1")
    assert day(event["start"]) == action.due_on
    assert day(event["end"]) == action.due_on + dt.timedelta(days=1)
    assert event["summary"] == action_title(action)
    assert (event["transp"], event["status"]) == ("TRANSPARENT", "CONFIRMED")
    assert event["recurring"] is False and event["alarms"] == []


def test_a_done_and_a_dropped_action_are_read_as_such_in_both_feeds(world, client, icaljs):
    done = protocol_services.action_update_status(world.counsellor, action=world.action_counselling, status="done", note="erledigt ✓")
    dropped = protocol_services.action_update_status(world.convenor, action=world.action_parent, status="dropped",
                                                     note="entfällt; Grund: Umzug")
    _, counsellor = services.feed_token_create(world.counsellor)
    _, parent = services.feed_token_create(world.parent)
    done_event = component(icaljs.read(fetch(client, "calendars:feed", counsellor)), f"action-{done.pk}@127.0.0.1")
    dropped_event = component(icaljs.read(fetch(client, "calendars:feed", parent)), f"action-{dropped.pk}@127.0.0.1")
    assert done_event["summary"] == action_title(done) and done_event["summary"].endswith("(done)")
    assert (done_event["status"], done_event["sequence"]) == ("CONFIRMED", done.sequence) and done.sequence == 1
    assert day(done_event["start"]) == done.due_on
    assert dropped_event["summary"] == action_title(dropped) and dropped_event["summary"].endswith("(dropped)")
    assert (dropped_event["status"], dropped_event["sequence"]) == ("CANCELLED", 1)

    done_todo = component(icaljs.read(fetch(client, "calendars:feed_tasks", counsellor)), f"todo-action-{done.pk}@127.0.0.1")
    dropped_todo = component(icaljs.read(fetch(client, "calendars:feed_tasks", parent)), f"todo-action-{dropped.pk}@127.0.0.1")
    assert day(done_todo["due"]) == done.due_on
    assert (done_todo["status"], done_todo["sequence"]) == ("COMPLETED", 1)
    assert instant(done_todo["completed"]) == done.notes.get(status="done").created_at.replace(microsecond=0)
    assert (dropped_todo["status"], dropped_todo["completed"]) == ("CANCELLED", None)


def test_the_tasks_feed_gives_each_open_action_a_due_date_not_a_time(world, client, icaljs):
    for user, action in ((world.counsellor, world.action_counselling), (world.parent, world.action_parent)):
        _, raw = services.feed_token_create(user)
        tasks = icaljs.read(fetch(client, "calendars:feed_tasks", raw))
        todo = component(tasks, f"todo-action-{action.pk}@127.0.0.1")
        assert day(todo["due"]) == action.due_on and todo["start"] is None
        assert todo["status"] == "NEEDS-ACTION" and todo["summary"] == action_title(action)
        assert tasks["refresh_interval"] == "PT1H"


def test_a_moved_then_cancelled_conference_is_read_with_its_rising_sequence_and_cancelled(world, client, committed, icaljs):
    conference = schedule_across_dst(world, committed, "Europe/Berlin")
    _, raw = services.feed_token_create(world.counsellor)
    with committed():
        conference = conference_services.conference_move(world.convenor, conference=conference,
                                                         starts_at=conference.starts_at + dt.timedelta(days=1, hours=9),
                                                         location="Rådhus, lokale 3; 🙂", sequence=conference.sequence)
    moved = component(icaljs.read(fetch(client, "calendars:feed", raw)), ical.conference_uid(conference.pk))
    assert instant(moved["start"]) == conference.starts_at and instant(moved["end"]) == conference.ends_at
    assert (moved["sequence"], moved["location"], moved["status"]) == (1, "Rådhus, lokale 3; 🙂", "CONFIRMED")
    with committed():
        conference = conference_services.conference_cancel(world.convenor, conference=conference)
    cancelled = component(icaljs.read(fetch(client, "calendars:feed", raw)), ical.conference_uid(conference.pk))
    assert (cancelled["sequence"], cancelled["status"]) == (2, "CANCELLED")
    assert instant(cancelled["start"]) == conference.starts_at


def test_the_case_feed_reads_like_the_personal_one(world, client, committed, icaljs):
    conference = schedule_across_dst(world, committed, "Europe/Copenhagen")
    _, raw = services.feed_token_create(world.counsellor, kind=FeedToken.Kind.CASE, case=world.case)
    reading = icaljs.read(fetch(client, "calendars:feed", raw))
    event = component(reading, ical.conference_uid(conference.pk))
    assert (instant(event["start"]), instant(event["end"])) == (conference.starts_at, conference.ends_at)
    assert event["location"] == PLACE[:200]
    assert day(component(reading, f"action-{world.action_counselling.pk}@127.0.0.1")["start"]) == world.action_counselling.due_on


def test_the_board_feed_and_the_meeting_download_read_the_networks_name_and_place(world, client, icaljs):
    Network.objects.filter(pk=world.network.pk).update(name=NAME, time_zone="Europe/Copenhagen")
    world.network.refresh_from_db()
    zone = zoneinfo.ZoneInfo("Europe/Copenhagen")
    night = next_dst_sunday(zone)
    start = dt.datetime(night.year, night.month, night.day, 0, 45, tzinfo=zone)
    meeting, = board_services.board_meeting_schedule_series(world.coordinator, network=world.network, starts_at=start,
                                                            ends_at=start + dt.timedelta(hours=4), location=PLACE[:200], count=1)
    _, raw = services.feed_token_create(world.board_member, kind=FeedToken.Kind.BOARD, network=world.network)
    feed = icaljs.read(fetch(client, "calendars:feed", raw))
    client.force_login(world.board_member)
    download = icaljs.read(client.get(reverse("calendars:board_meeting_ics", args=[meeting.pk])).content)
    for reading in (feed, download):
        event = component(reading, ical.board_meeting_uid(meeting.pk))
        assert (instant(event["start"]), instant(event["end"])) == (meeting.starts_at, meeting.ends_at)
        assert event["summary"].endswith(f" – {NAME}")
        assert event["location"] == PLACE[:200]
        assert (event["status"], event["sequence"]) == ("CONFIRMED", 0)


def test_the_conference_download_reads_its_arrangements_line_by_line(world, client, committed, icaljs):
    conference = schedule_across_dst(world, committed, "Europe/Berlin")
    client.force_login(world.convenor)
    response = client.get(reverse("conferences:conference_ics", args=[conference.pk]))
    event = component(icaljs.read(response.content), ical.conference_uid(conference.pk))
    with translation.override("en"):  # the page's language (the tests' LANGUAGE_CODE)
        expected = ical.arrangements_text(conference, access_needs_noted=True)
    assert event["description"] == expected and expected.startswith(f"Interpreter: {LANGUAGES}\n")
    assert (instant(event["start"]), instant(event["end"])) == (conference.starts_at, conference.ends_at)
    assert event["location"] == PLACE[:200]
