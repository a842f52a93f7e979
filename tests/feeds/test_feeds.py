"""Calendar feeds: content by role, pseudonymity, revocation, 304 behaviour, parsing."""
from __future__ import annotations

import datetime as dt

import pytest
import vobject
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from calendars import services
from calendars.models import FeedToken
from cases.models import CaseTeamMember
from permissions.models import AuditEvent
from board.models import BoardMeeting

pytestmark = pytest.mark.django_db


def feed_url(raw: str) -> str:
    return reverse("calendars:feed", args=[raw])


def fetch(client, raw, **headers):
    return client.get(feed_url(raw), headers=headers)


def parse(body: bytes) -> Calendar:
    cal = Calendar.from_ical(body)
    assert cal.errors == []
    for component in cal.walk():
        assert component.errors == [], component.name
    vobject.readOne(body.decode("utf-8"))  # an independent parser accepts it too
    return cal


def summaries(cal) -> list[str]:
    return sorted(str(e["SUMMARY"]) for e in cal.walk("VEVENT"))


def test_the_counsellors_feed_holds_her_conference_and_her_organisations_action(world, client):
    _, raw = services.feed_token_create(world.counsellor)
    response = fetch(client, raw)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Referrer-Policy"] == "no-referrer"
    cal = parse(response.content)
    uids = sorted(str(e["UID"]) for e in cal.walk("VEVENT"))
    assert uids == [f"action-{world.action_counselling.pk}@127.0.0.1", f"conference-{world.conference.pk}@127.0.0.1"]
    action = next(e for e in cal.walk("VEVENT") if str(e["UID"]).startswith("action-"))
    assert action["TRANSP"] == "TRANSPARENT"
    assert action.decoded("DTSTART") == world.action_counselling.due_on
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in response.content.decode()
    assert "X-PUBLISHED-TTL:PT1H" in response.content.decode()


def test_the_parents_feed_holds_her_conference_and_her_own_action_only(world, client):
    _, raw = services.feed_token_create(world.parent)
    cal = parse(fetch(client, raw).content)
    uids = sorted(str(e["UID"]).split("@")[0] for e in cal.walk("VEVENT"))
    assert uids == [f"action-{world.action_parent.pk}", f"conference-{world.conference.pk}"]


def test_an_outsiders_feed_is_empty_but_still_a_valid_calendar(world, client):
    _, raw = services.feed_token_create(world.outsider)
    cal = parse(fetch(client, raw).content)
    assert cal.walk("VEVENT") == [] and cal.walk("VTIMEZONE")


def test_feeds_carry_no_names_no_action_titles_and_no_protocol_text(world, client):
    world.mother.display_name = "Jacqueline"
    world.mother.save()
    for user in (world.counsellor, world.parent, world.convenor):
        _, raw = services.feed_token_create(user)
        body = fetch(client, raw).content.decode()
        for secret in ("Jacqueline", world.action_counselling.title, world.action_parent.title, world.item_restricted.text,
                       world.counsellor.first_name, "Sucht"):
            assert secret not in body
        assert world.case.reference in body


def test_a_terse_network_shows_neutral_titles_only(world, client):
    world.network.feed_detail = "terse"
    world.network.save()
    _, raw = services.feed_token_create(world.counsellor)
    body = fetch(client, raw).content.decode()
    assert world.case.reference not in body and "Rathaus" not in body


def test_a_revoked_unknown_or_expired_token_answers_404(world, client):
    token, raw = services.feed_token_create(world.counsellor)
    assert fetch(client, raw).status_code == 200
    services.feed_token_revoke(world.counsellor, token=token)
    assert fetch(client, raw).status_code == 404
    assert fetch(client, "x" * 43).status_code == 404
    token, raw = services.feed_token_create(world.counsellor, expires_at=timezone.now() + dt.timedelta(days=1))
    FeedToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert fetch(client, raw).status_code == 404


def test_regenerating_a_token_retires_the_old_one(world, client):
    _, old = services.feed_token_create(world.counsellor)
    _, new = services.feed_token_create(world.counsellor)
    assert fetch(client, old).status_code == 404 and fetch(client, new).status_code == 200


def test_only_the_hash_of_a_token_is_stored(world):
    token, raw = services.feed_token_create(world.counsellor)
    assert len(raw) >= 43 and raw not in token.token_hash and len(token.token_hash) == 64


def test_identical_data_gives_byte_identical_output_and_the_same_etag(world, client):
    _, raw = services.feed_token_create(world.counsellor)
    first, second = fetch(client, raw), fetch(client, raw)
    assert first.content == second.content and first["ETag"] == second["ETag"]


def test_a_matching_etag_or_date_answers_304_without_a_body(world, client, django_assert_max_num_queries):
    _, raw = services.feed_token_create(world.counsellor)
    first = fetch(client, raw)
    etag, last_modified = first["ETag"], first["Last-Modified"]
    not_modified = fetch(client, raw, if_none_match=etag)
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert fetch(client, raw, if_modified_since=last_modified).status_code == 304
    assert fetch(client, raw, if_none_match='"other"').status_code == 200


def test_a_change_makes_the_old_etag_stale(world, client):
    _, raw = services.feed_token_create(world.counsellor)
    first = fetch(client, raw)
    world.action_counselling.due_on += dt.timedelta(days=3)
    world.action_counselling.sequence += 1
    world.action_counselling.save()
    again = fetch(client, raw, if_none_match=first["ETag"])
    assert again.status_code == 200 and again["ETag"] != first["ETag"]


def test_leaving_the_case_team_removes_its_items_on_the_next_fetch(world, client):
    _, raw = services.feed_token_create(world.counsellor)
    first = fetch(client, raw)
    assert parse(first.content).walk("VEVENT")
    CaseTeamMember.objects.filter(case=world.case, user=world.counsellor).update(removed_at=timezone.now())
    again = fetch(client, raw, if_none_match=first["ETag"], if_modified_since=first["Last-Modified"])
    assert again.status_code == 200
    assert parse(again.content).walk("VEVENT") == []


def test_new_content_is_always_audited_and_content_already_served_once_a_day(world, client):
    """Issue 13: the audit of feed reads keeps its meaning without a write per poll. Every answer
    with new content is recorded with what it disclosed; polls (304) and the same body again are
    recorded once per token, feed and day."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    token, raw = services.feed_token_create(world.counsellor)
    events = AuditEvent.objects.filter(action="feed.read", object_id=str(token.pk), channel="feed")
    first = fetch(client, raw)
    assert events.count() == 1 and events.get().detail["status"] == 200
    assert world.action_counselling.pk in events.get().detail["actions"]  # what the body disclosed
    with CaptureQueriesContext(connection) as ctx:
        for _ in range(3):
            assert fetch(client, raw, if_none_match=first["ETag"]).status_code == 304
        for _ in range(2):
            again = fetch(client, raw)
            assert again.status_code == 200 and again.content == first.content
    assert events.count() == 1  # the same content the same day discloses nothing new and writes nothing
    assert not [q for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    FeedToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - dt.timedelta(days=1), events_last_used_at=timezone.now() - dt.timedelta(days=1))
    assert fetch(client, raw, if_none_match=first["ETag"]).status_code == 304
    assert events.count() == 2 and events.latest("pk").detail["status"] == 304  # the next day's poll is recorded
    FeedToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - dt.timedelta(days=1), events_last_used_at=timezone.now() - dt.timedelta(days=1))
    assert fetch(client, raw).status_code == 200
    assert events.count() == 3 and events.latest("pk").detail["status"] == 200  # and the next day's body
    assert world.action_counselling.pk in events.latest("pk").detail["actions"]
    world.action_counselling.title = "Neuer Titel"
    world.action_counselling.version += 1
    world.action_counselling.save()
    assert fetch(client, raw, if_none_match=first["ETag"]).status_code == 200
    assert events.count() == 4 and events.latest("pk").detail["status"] == 200  # a changed body is always recorded
    token.refresh_from_db()
    assert timezone.localdate(token.last_used_at) == timezone.localdate()


def test_the_case_feed_serves_the_team_and_stops_when_she_leaves(world, client):
    _, raw = services.feed_token_create(world.midwife, kind=FeedToken.Kind.CASE, case=world.case)
    cal = parse(fetch(client, raw).content)
    assert any(str(e["UID"]).startswith("conference-") for e in cal.walk("VEVENT"))
    CaseTeamMember.objects.filter(case=world.case, user=world.midwife).update(removed_at=timezone.now())
    assert fetch(client, raw).status_code == 404


def test_only_the_team_may_create_a_case_feed_and_only_the_board_a_board_feed(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.feed_token_create(world.outsider, kind=FeedToken.Kind.CASE, case=world.case)
    with pytest.raises(PermissionDenied):
        services.feed_token_create(world.counsellor, kind=FeedToken.Kind.BOARD, network=world.network)


def test_the_board_feed_lists_the_networks_board_meetings(world, client):
    start = timezone.now() + dt.timedelta(days=30)
    meeting = BoardMeeting.objects.create(network=world.network, starts_at=start, ends_at=start + dt.timedelta(hours=2),
                                          location="Kreishaus")
    _, raw = services.feed_token_create(world.board_member, kind=FeedToken.Kind.BOARD, network=world.network)
    cal = parse(fetch(client, raw).content)
    assert [str(e["UID"]) for e in cal.walk("VEVENT")] == [f"board-meeting-{meeting.pk}@127.0.0.1"]


def test_the_task_feed_publishes_actions_as_todos(world, client):
    _, raw = services.feed_token_create(world.counsellor)
    response = client.get(reverse("calendars:feed_tasks", args=[raw]))
    cal = parse(response.content)
    assert [str(t["UID"]) for t in cal.walk("VTODO")] == [f"todo-action-{world.action_counselling.pk}@127.0.0.1"]


def test_feed_query_count_does_not_grow_with_the_number_of_actions(world, client, django_assert_max_num_queries):
    from protocols.models import AgreedAction

    _, raw = services.feed_token_create(world.counsellor)
    with django_assert_max_num_queries(20) as few:
        fetch(client, raw)
    AgreedAction.objects.bulk_create([
        AgreedAction(case=world.case, item=world.item_professionals, title=f"A{i}", responsible_organisation=world.counselling,
                     due_on=timezone.localdate() + dt.timedelta(days=i)) for i in range(30)
    ])
    with django_assert_max_num_queries(len(few.captured_queries)):
        fetch(client, raw)
