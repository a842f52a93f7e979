"""A conference in the hour that happens twice when the clocks go back (02:30 on the last Sunday
of October in Copenhagen) is read an hour apart by different calendar clients: such times are
refused where they are entered, with a message that says why; non-existent times too."""
from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from conferences import services
from conferences.models import Conference
from board import services as board_services
from tests.conferences.helpers import convene

pytestmark = pytest.mark.django_db
COPENHAGEN = zoneinfo.ZoneInfo("Europe/Copenhagen")
FALL_BACK = dt.date(2027, 10, 31)  # last Sunday of October 2027: 02:00–03:00 happens twice


@pytest.fixture(autouse=True)
def danish_time(world):
    world.network.time_zone = "Europe/Copenhagen"
    world.network.save(update_fields=["time_zone"])


@pytest.mark.parametrize("fold", [0, 1])
def test_a_candidate_time_in_the_repeated_hour_is_refused(world, fold):
    ambiguous = dt.datetime(2027, 10, 31, 2, 30, tzinfo=COPENHAGEN, fold=fold)
    with pytest.raises(ValidationError) as refused:
        convene(world, slots=[ambiguous])
    assert "happens twice" in str(refused.value) and "Europe/Copenhagen" in str(refused.value)
    assert not Conference.objects.exclude(pk=world.conference.pk).exists()


def test_a_conference_ending_in_the_repeated_hour_is_refused_too(world):
    with pytest.raises(ValidationError):
        convene(world, slots=[dt.datetime(2027, 10, 31, 1, 45, tzinfo=COPENHAGEN)])  # 90 minutes later it is 02:15 (the second time)
    convene(world, slots=[dt.datetime(2027, 10, 31, 3, 0, tzinfo=COPENHAGEN)])  # after the repeated hour: fine


def test_moving_into_the_repeated_hour_is_refused(world, committed):
    conference = convene(world)
    with committed():
        services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    with pytest.raises(ValidationError):
        services.conference_move(world.convenor, conference=conference,
                                 starts_at=dt.datetime(2027, 10, 31, 2, 15, tzinfo=COPENHAGEN, fold=1))


def test_the_page_refuses_a_time_that_is_ambiguous_or_does_not_exist(world, client):
    client.force_login(world.convenor)
    url = reverse("conferences:conference_create", args=[world.case.pk])
    for value in ("2027-10-31T02:30", "2027-03-28T02:30"):
        page = client.get(url)
        assert page.status_code == 200
        response = client.post(url, {"kind": "participant", "duration_minutes": 90, "slot_1": value,
                                     f"team_{world.case.team.get(user=world.counsellor).pk}": "required"})
        assert response.status_code == 400
        assert "02:30" in response.content.decode()
    assert not Conference.objects.exclude(pk=world.conference.pk).exists()


def test_the_api_refuses_a_naive_time_that_does_not_exist(world, client, settings):
    client.force_login(world.convenor)
    member = world.case.team.get(user=world.counsellor)
    data = {"case": world.case.pk, "kind": "participant", "slots": ["2027-03-28T02:30:00"],
            "invitees": [{"team_member": member.pk, "required": True}]}
    response = client.post(reverse("conference-list"), data, content_type="application/json")
    assert response.status_code == 400 and "daylight saving" in response.content.decode()


def test_a_board_meeting_in_the_repeated_hour_is_refused(world):
    start = dt.datetime(2027, 10, 31, 2, 30, tzinfo=COPENHAGEN)
    with pytest.raises(ValidationError):
        board_services.board_meeting_schedule_series(world.coordinator, network=world.network, starts_at=start,
                                                     ends_at=start + dt.timedelta(hours=2), count=1)
    assert not world.network.board_meetings.exists()
