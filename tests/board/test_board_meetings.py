"""Board meetings: a half-yearly series, invitations, changes that calendars notice, minutes."""
from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from board import services
from board.models import BoardMeeting

pytestmark = pytest.mark.django_db
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def schedule(world, count=3, **extra):
    start = dt.datetime(2031, 3, 31, 16, 0, tzinfo=BERLIN)
    return services.board_meeting_schedule_series(world.coordinator, network=world.network, starts_at=start,
                                                  ends_at=start + dt.timedelta(hours=2), location="Kreishaus",
                                                  count=count, **extra)


def test_series_repeats_every_six_months_at_the_same_local_time(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        meetings = schedule(world, summary=world.summary)
    starts = [timezone.localtime(m.starts_at, BERLIN) for m in meetings]
    assert [(s.year, s.month, s.day, s.hour) for s in starts] == [(2031, 3, 31, 16), (2031, 9, 30, 16), (2032, 3, 31, 16)]
    assert len({m.series_key for m in meetings}) == 1 and meetings[0].series_key
    assert meetings[0].summary == world.summary and meetings[1].summary is None
    # every board member of the network is invited by e-mail, one invitation per meeting; nobody else
    assert [m.to for m in mail.outbox] == [[world.board_member.email]] * 3
    assert "Kreishaus" in mail.outbox[0].body and world.case.reference not in mail.outbox[0].body


def test_moving_or_cancelling_a_meeting_raises_its_sequence(world, django_capture_on_commit_callbacks):
    meeting = schedule(world, count=1)[0]
    same = services.board_meeting_update(world.coordinator, meeting=meeting, starts_at=meeting.starts_at,
                                         ends_at=meeting.ends_at, location=meeting.location, summary=None)
    assert same.sequence == 0
    new_place = services.board_meeting_update(world.coordinator, meeting=meeting, starts_at=meeting.starts_at,
                                              ends_at=meeting.ends_at, location="Raum 2", summary=None)
    assert new_place.sequence == 1  # members' calendars show the place too
    moved = services.board_meeting_update(world.coordinator, meeting=meeting, starts_at=meeting.starts_at + dt.timedelta(hours=1),
                                          ends_at=meeting.ends_at + dt.timedelta(hours=1), location="Raum 2", summary=None)
    assert moved.sequence == 2
    cancelled = services.board_meeting_cancel(world.coordinator, meeting=moved)
    assert cancelled.sequence == 3 and cancelled.cancelled_at


def test_only_a_published_summary_of_the_network_can_be_attached(world):
    from board.models import HalfYearSummary

    draft = HalfYearSummary.objects.create(network=world.network, year=2020, half=1, definitions_version="x")
    with pytest.raises(ValidationError):
        schedule(world, summary=draft)


def test_board_member_cannot_schedule_or_record_minutes(world):
    with pytest.raises(PermissionDenied):
        services.board_meeting_schedule_series(world.board_member, network=world.network, starts_at=timezone.now(),
                                              ends_at=timezone.now() + dt.timedelta(hours=1))
    start = timezone.now() - dt.timedelta(hours=3)
    meeting = BoardMeeting.objects.create(network=world.network, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    with pytest.raises(PermissionDenied):
        services.board_meeting_record_minutes(world.board_member, meeting=meeting, minutes="x", decisions="")


def test_minutes_are_recorded_after_the_meeting_and_shown_to_the_board(world, client):
    start = timezone.now() - dt.timedelta(hours=3)
    meeting = BoardMeeting.objects.create(network=world.network, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    future = schedule(world, count=1)[0]
    with pytest.raises(ValidationError):
        services.board_meeting_record_minutes(world.coordinator, meeting=future, minutes="zu früh", decisions="")
    client.force_login(world.coordinator)
    empty = client.post(reverse("board:board_meeting_minutes", args=[meeting.pk]),
                        {"minutes": "", "decisions": "", "minutes_version": meeting.minutes_version})
    assert empty.status_code == 400 and "Write the minutes or the decisions." in empty.content.decode()
    client.post(reverse("board:board_meeting_minutes", args=[meeting.pk]),
                {"minutes": "Quote der Elternbeteiligung besprochen.", "decisions": "Elternlotsen einsetzen.",
                 "minutes_version": meeting.minutes_version})
    client.force_login(world.board_member)
    page = client.get(reverse("board:board_meeting_detail", args=[meeting.pk])).content.decode()
    assert "Elternlotsen einsetzen." in page and "Record minutes" not in page


def test_schedule_form_shows_field_errors_and_creates_nothing(world, client):
    client.force_login(world.coordinator)
    response = client.post(reverse("board:board_meeting_schedule"),
                           {"network": world.network.pk, "starts_at": "not a date", "duration_minutes": 120, "count": 99})
    assert response.status_code == 400
    assert not BoardMeeting.objects.exists()
