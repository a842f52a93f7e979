"""Board meeting invitations (iMIP REQUEST and CANCEL) as Thunderbird and Nextcloud read them
(ical.js), from the e-mail as sent: a meeting across the DST change of the network's zone, the
network's name and the place with every hard character, the coordinator's name in CN, the
member's answer as PARTSTAT, and SEQUENCE/STATUS through a move and a cancellation."""
from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core import mail

from board import imip, services
from board.models import BoardMeetingInvitation
from conferences import ical
from participants.models import Network, User
from tests.icaljs import NAME, PLACE, calendar_part, component, icaljs, instant, next_dst_sunday  # noqa: F401 (icaljs: fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.LANGUAGE_CODE = "en"


def read_all(icaljs, meeting) -> list[tuple[dict, dict, str]]:
    found = []
    for message in mail.outbox:
        body, method = calendar_part(message)
        reading = icaljs.read(body)
        found.append((reading, component(reading, ical.board_meeting_uid(meeting.pk)), method))
    assert found
    return found


@pytest.mark.parametrize("tzid", ["Europe/Berlin", "Europe/Copenhagen"])
def test_the_board_member_reads_the_meeting_its_place_and_her_answer_through_move_and_cancel(world, icaljs, tzid,
                                                                                          django_capture_on_commit_callbacks):
    Network.objects.filter(pk=world.network.pk).update(name=NAME, time_zone=tzid)
    world.network.refresh_from_db()
    User.objects.filter(pk=world.coordinator.pk).update(first_name="Søren „Sø“", last_name="Weiß, Dr.\\n; 🙂")
    zone = zoneinfo.ZoneInfo(tzid)
    night = next_dst_sunday(zone)
    start = dt.datetime(night.year, night.month, night.day, 0, 30, tzinfo=zone)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        meeting, = services.board_meeting_schedule_series(world.coordinator, network=world.network, starts_at=start,
                                                          ends_at=start + dt.timedelta(hours=5), location=PLACE[:200], count=1)
    (reading, event, method), = read_all(icaljs, meeting)
    assert method == reading["method"] == "REQUEST" and reading["timezones"] == [tzid]
    assert (instant(event["start"]), instant(event["end"])) == (meeting.starts_at, meeting.ends_at)
    assert event["start"]["zone"] == tzid
    assert event["summary"] == f"Cooperation board meeting – {NAME}"
    assert event["location"] == PLACE[:200]
    assert (event["sequence"], event["status"]) == (0, "CONFIRMED")
    assert event["organizer"] == {"value": f"mailto:{world.coordinator.email}", "cn": "Søren „Sø“ Weiß, Dr./n; 🙂"}
    attendee, = event["attendees"]
    assert attendee["value"] == f"mailto:{world.board_member.email}"
    assert (attendee["partstat"], attendee["rsvp"]) == ("NEEDS-ACTION", "FALSE")

    services.board_meeting_respond(world.board_member, meeting=meeting, response="accepted")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        meeting = services.board_meeting_update(world.coordinator, meeting=meeting, starts_at=meeting.starts_at + dt.timedelta(days=1),
                                                ends_at=meeting.ends_at + dt.timedelta(days=1), location="Rådhus; sal 2, ØST",
                                                summary=None)
    (reading, event, method), = read_all(icaljs, meeting)
    assert method == reading["method"] == "REQUEST"
    assert (instant(event["start"]), instant(event["end"])) == (meeting.starts_at, meeting.ends_at)
    assert (event["sequence"], event["location"]) == (1, "Rådhus; sal 2, ØST")
    stored = BoardMeetingInvitation.objects.get(meeting=meeting, user=world.board_member).response
    assert event["attendees"][0]["partstat"] == imip.PARTSTAT[stored] == "ACCEPTED"

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        meeting = services.board_meeting_cancel(world.coordinator, meeting=meeting)
    (reading, event, method), = read_all(icaljs, meeting)
    assert method == reading["method"] == "CANCEL"
    assert (event["sequence"], event["status"]) == (2, "CANCELLED")
    assert instant(event["start"]) == meeting.starts_at
