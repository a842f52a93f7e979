"""A conference or board meeting that goes past midnight names the end's date wherever its time
span is shown (pages, the date poll, invitation mails): "23:50 – 01:20" alone reads as a span
running backwards on one day. One that ends on its own day shows the end's time alone. The
invitation mail names the time zone as the pages do ("Danish time (CET/CEST)"), never its
database id, in the recipient's language."""
from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core import mail
from django.urls import reverse

from board import services as board_services
from conferences import imip
from conferences.models import Conference, PollSlot, SlotPoll
from participants import services as participant_services

pytestmark = pytest.mark.django_db
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
LATE = dt.datetime(2031, 3, 12, 23, 50, tzinfo=BERLIN)
AFTER_MIDNIGHT = dt.datetime(2031, 3, 13, 1, 20, tzinfo=BERLIN)


def late_conference(world) -> Conference:
    Conference.objects.filter(pk=world.conference.pk).update(starts_at=LATE, ends_at=AFTER_MIDNIGHT)
    world.conference.refresh_from_db()
    return world.conference


def test_the_conference_page_names_the_next_day_of_a_conference_past_midnight(client, world):
    late_conference(world)
    client.force_login(world.convenor)
    page = client.get(reverse("conferences:conference_detail", args=[world.conference.pk])).content.decode()
    assert "12 March 2031, 23:50 – 13 March 2031, 01:20" in page


def test_a_conference_on_one_day_shows_the_end_time_alone(client, world):
    Conference.objects.filter(pk=world.conference.pk).update(starts_at=LATE - dt.timedelta(hours=2),
                                                             ends_at=LATE - dt.timedelta(minutes=30))
    client.force_login(world.convenor)
    page = client.get(reverse("conferences:conference_detail", args=[world.conference.pk])).content.decode()
    assert "12 March 2031, 21:50 – 23:20" in page


def test_the_invitation_mail_names_the_next_day_and_the_zone_as_the_pages_do(world):
    late_conference(world)
    message = imip.build_message(world.conference, world.invitation_counsellor, method=imip.REQUEST)
    html = next(content for content, kind in message.alternatives if kind == "text/html")
    for text in (message.body, html):
        assert "12 March 2031, 23:50 – 13 March 2031, 01:20, German time (CET/CEST)" in text
        assert "Europe/Berlin" not in text.split("BEGIN:VCALENDAR")[0]


@pytest.mark.parametrize(("language", "zone", "span"), [
    ("da", "dansk tid (CET/CEST)", "12. marts 2031 23:50 – 13. marts 2031 01:20"),
    ("de", "dänische Zeit (MEZ/MESZ)", "12. März 2031 23:50 – 13. März 2031 01:20"),
    ("en", "Danish time (CET/CEST)", "12 March 2031, 23:50 – 13 March 2031, 01:20"),
])
def test_the_invitation_mail_of_a_danish_network_names_its_zone_in_her_language(world, language, zone, span):
    world.network.time_zone = "Europe/Copenhagen"
    world.network.save(update_fields=["time_zone"])
    late_conference(world)
    participant_services.user_language_set(world.counsellor, language=language)
    world.invitation_counsellor.refresh_from_db()
    message = imip.build_message(world.conference, world.invitation_counsellor, method=imip.REQUEST)
    assert f"{span}, {zone}" in message.body
    assert "Europe/Copenhagen" not in message.body


def test_the_date_poll_names_the_next_day_of_a_slot_past_midnight(client, world):
    conference = world.conference
    Conference.objects.filter(pk=conference.pk).update(status=Conference.Status.POLLING, starts_at=None, ends_at=None)
    poll = SlotPoll.objects.create(conference=conference)
    PollSlot.objects.create(poll=poll, starts_at=LATE, ends_at=AFTER_MIDNIGHT)
    client.force_login(world.counsellor)
    page = client.get(reverse("conferences:conference_poll", args=[conference.pk])).content.decode()
    assert "23:50–13 March 2031, 01:20" in page


def test_the_board_meeting_page_and_mail_name_the_next_day(client, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        meeting, = board_services.board_meeting_schedule_series(
            world.coordinator, network=world.network, starts_at=LATE, ends_at=AFTER_MIDNIGHT, location="Kreishaus", count=1)
    assert "12 March 2031, 23:50–13 March 2031, 01:20" in mail.outbox[0].body
    client.force_login(world.board_member)
    page = client.get(reverse("board:board_meeting_detail", args=[meeting.pk])).content.decode()
    assert "12 March 2031, 23:50 – 13 March 2031, 01:20" in page
