"""A calendar may not keep what the service no longer says: feed validators cover everything in
the body, HEAD answers like GET, and COMPLETED is the real completion instant."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from calendars import services
from calendars.models import FeedToken
from protocols import services as protocol_services
from protocols.models import ActionNote
from board.models import BoardMeeting

pytestmark = pytest.mark.django_db


def test_renaming_a_network_changes_the_board_feeds_etag_and_titles(world, client):
    start = timezone.now() + dt.timedelta(days=30)
    BoardMeeting.objects.create(network=world.network, starts_at=start, ends_at=start + dt.timedelta(hours=2), location="Kreishaus")
    _, raw = services.feed_token_create(world.board_member, kind=FeedToken.Kind.BOARD, network=world.network)
    url = reverse("calendars:feed", args=[raw])
    first = client.get(url)
    world.network.name = "Kreis Umbenannt"
    world.network.save(update_fields=["name"])
    again = client.get(url, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 200 and again["ETag"] != first["ETag"]
    assert "Kreis Umbenannt" in again.content.decode()


def test_changing_a_case_reference_changes_the_feeds_etag(world, client):
    _, raw = services.feed_token_create(world.counsellor)
    url = reverse("calendars:feed", args=[raw])
    first = client.get(url)
    world.case.reference = "KT-2026-999"
    world.case.save(update_fields=["reference", "updated_at"])
    again = client.get(url, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 200 and "KT-2026-999" in again.content.decode()


@pytest.mark.parametrize("name", ["calendars:feed", "calendars:feed_tasks"])
def test_head_on_a_feed_answers_like_get_without_a_body(world, client, name):
    _, raw = services.feed_token_create(world.counsellor)
    get = client.get(reverse(name, args=[raw]))
    head = client.head(reverse(name, args=[raw]))
    assert head.status_code == 200 and head.content == b""
    assert head["ETag"] == get["ETag"] and head["Content-Type"] == get["Content-Type"]
    assert head["Content-Length"] == str(len(get.content))
    assert client.head(reverse(name, args=[raw]), headers={"if-none-match": get["ETag"]}).status_code == 304
    assert client.head(reverse(name, args=["x" * 43])).status_code == 404


def test_a_completed_action_carries_the_instant_it_was_done(world, client):
    protocol_services.action_update_status(world.counsellor, action=world.action_counselling, status="done")
    done_at = ActionNote.objects.filter(action=world.action_counselling, status="done").latest("created_at").created_at
    _, raw = services.feed_token_create(world.counsellor)
    cal = Calendar.from_ical(client.get(reverse("calendars:feed_tasks", args=[raw])).content)
    todo = next(t for t in cal.walk("VTODO") if str(t["UID"]).endswith(f"action-{world.action_counselling.pk}@127.0.0.1"))
    completed = todo.decoded("COMPLETED")
    assert completed <= timezone.now()
    assert abs(completed - done_at) < dt.timedelta(seconds=1)
