"""An unchanged poll is answered from the token row alone (issue 13): the token stores the ETag it
was last served and the cache key (content version, local date, events or tasks, language,
calendar format) at which that ETag was established. A poll whose token statement gives the same
key answers 304 with one SQL statement and no cache read; any committed change of content, access
included, gives another key, so the next poll never answers with a stale ETag."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

from access import grant_services
from calendars import feeds, services
from calendars.models import FeedToken
from cases import consent_services
from cases import services as case_services
from cases.models import CaseTeamMember, Consent
from conferences.models import Invitation
from permissions.content_version import TABLE
from permissions.kept import Kept
from permissions.models import AuditEvent
from protocols import services as protocol_services
from protocols.models import AgreedAction

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")


class CountingCache:
    """The feed module's cache, counting the reads it is asked for."""

    def __init__(self, inner):
        self.inner, self.reads = inner, 0

    def get(self, *args, **kwargs):
        self.reads += 1
        return self.inner.get(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture(autouse=True)
def counting_cache(monkeypatch):
    cache.clear()
    counting = CountingCache(cache)
    monkeypatch.setattr(feeds, "cache", counting)
    yield counting
    cache.clear()


def _feed(user, **kwargs) -> tuple[FeedToken, str]:
    token, raw = services.feed_token_create(user, **kwargs)
    return token, reverse("calendars:feed", args=[raw])


def _poll(client, url, etag, counting_cache):
    """A conditional GET: the response, its statements, its writes, and the cache reads it made."""
    reads = counting_cache.reads
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers={"if-none-match": etag})
    sql = [q["sql"] for q in ctx.captured_queries]
    return response, sql, [s for s in sql if s.lstrip().upper().startswith(WRITES)], counting_cache.reads - reads


def _bump() -> None:
    """A change elsewhere in the network: the content version rises, this feed's content does not."""
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {TABLE} SET value = value + 1")


def test_an_unchanged_poll_makes_one_statement_no_cache_read_and_no_write(world, client, counting_cache):
    token, url = _feed(world.counsellor)
    first = client.get(url)  # new content: written to the token row with its key, audited
    token.refresh_from_db()
    assert token.served_etag == first["ETag"] and len(token.served_key) == 64
    for _ in range(3):
        response, sql, writes, reads = _poll(client, url, first["ETag"], counting_cache)
        assert response.status_code == 304 and response["ETag"] == first["ETag"]
        assert response["Last-Modified"] == first["Last-Modified"]
        assert (len(sql), writes, reads) == (1, [], 0), sql
    # If-Modified-Since alone is answered from the row as well
    reads = counting_cache.reads
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers={"if-modified-since": first["Last-Modified"]})
    assert response.status_code == 304 and len(ctx.captured_queries) == 1 and counting_cache.reads == reads


def test_a_poll_with_another_etag_still_gets_the_body(world, client, counting_cache):
    _token, url = _feed(world.counsellor)
    first = client.get(url)
    response, _sql, writes, _reads = _poll(client, url, '"something-else"', counting_cache)
    assert response.status_code == 200 and response.content == first.content and writes == []


def test_a_change_after_a_poll_gives_a_new_etag_and_then_polls_from_the_row_again(world, client, counting_cache):
    token, url = _feed(world.counsellor)
    first = client.get(url)
    assert _poll(client, url, first["ETag"], counting_cache)[0].status_code == 304
    protocol_services.action_update_status(world.counsellor, action=world.action_counselling, status="in_progress")
    response, _sql, writes, _reads = _poll(client, url, first["ETag"], counting_cache)
    assert response.status_code == 200 and response["ETag"] != first["ETag"]
    assert len(writes) >= 1  # the new ETag and its key, and the audit event of what it disclosed
    event = AuditEvent.objects.filter(action="feed.read", object_id=str(token.pk)).latest("pk")
    assert event.detail["status"] == 200 and world.action_counselling.pk in event.detail["actions"]
    again, sql, writes, reads = _poll(client, url, response["ETag"], counting_cache)
    assert again.status_code == 304 and (len(sql), writes, reads) == (1, [], 0)


def test_a_change_made_outside_any_service_after_a_poll_is_seen(world, client, counting_cache):
    _token, url = _feed(world.counsellor)
    first = client.get(url)
    assert _poll(client, url, first["ETag"], counting_cache)[0].status_code == 304
    AgreedAction.objects.filter(pk=world.action_counselling.pk).update(due_on=dt.date(2031, 7, 14), updated_at=timezone.now())
    response = _poll(client, url, first["ETag"], counting_cache)[0]
    assert response.status_code == 200 and "20310714" in response.content.decode()


def test_a_revoked_consent_after_a_poll_takes_the_action_out_of_the_case_feed(world, client, counting_cache):
    _token, url = _feed(world.counsellor, kind=FeedToken.Kind.CASE, case=world.case)
    action = AgreedAction.objects.create(
        case=world.case, item=world.item_restricted, title="Vertrauliche Aufgabe", responsible_organisation=world.youth_welfare,
        due_on=timezone.localdate() + dt.timedelta(days=7))
    first = client.get(url)
    assert f"action-{action.pk}@" in first.content.decode()
    assert _poll(client, url, first["ETag"], counting_cache)[0].status_code == 304
    consent_services.consent_revoke(world.parent, consent=world.consent)
    response = _poll(client, url, first["ETag"], counting_cache)[0]
    assert response.status_code == 200 and f"action-{action.pk}@" not in response.content.decode()


def test_a_removed_team_member_after_a_poll_gets_an_empty_feed(world, client, counting_cache):
    _token, url = _feed(world.counsellor)
    first = client.get(url)
    assert f"action-{world.action_counselling.pk}@" in first.content.decode()
    assert _poll(client, url, first["ETag"], counting_cache)[0].status_code == 304
    member = CaseTeamMember.objects.get(case=world.case, user=world.counsellor)
    case_services.case_team_member_remove(world.convenor, member=member)
    response = _poll(client, url, first["ETag"], counting_cache)[0]
    assert response.status_code == 200 and b"BEGIN:VEVENT" not in response.content


def test_a_withdrawn_guest_grant_after_a_poll_takes_the_conference_out(world, client, counting_cache):
    guest = world.outsider
    grant = grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest)
    Invitation.objects.create(conference=world.conference, user=guest, organisation=world.early_help)
    _token, url = _feed(guest)
    first = client.get(url)
    assert f"conference-{world.conference.pk}@" in first.content.decode()
    assert _poll(client, url, first["ETag"], counting_cache)[0].status_code == 304
    grant_services.grant_withdraw(world.convenor, grant=grant)
    response = _poll(client, url, first["ETag"], counting_cache)[0]
    assert response.status_code == 200 and f"conference-{world.conference.pk}@" not in response.content.decode()


def test_a_change_elsewhere_keeps_the_etag_and_writes_nothing(world, client, counting_cache):
    """Another key, same content: the ETag comes from the cache (or is computed), still 304, and
    the token is not written for it (the key rides along with the next day's or content's write)."""
    _token, url = _feed(world.counsellor)
    first = client.get(url)
    _bump()
    response, sql, writes, reads = _poll(client, url, first["ETag"], counting_cache)
    assert response.status_code == 304 and writes == [] and reads >= 1
    response, sql, writes, reads = _poll(client, url, first["ETag"], counting_cache)
    assert response.status_code == 304 and (len(sql), writes, reads) == (1, [], 1)  # the cached ETag


def test_the_first_poll_of_a_day_is_audited_and_records_the_days_key(world, client, counting_cache):
    token, url = _feed(world.counsellor)
    first = client.get(url)
    events = AuditEvent.objects.filter(action="feed.read", object_id=str(token.pk))
    FeedToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - dt.timedelta(days=1), events_last_used_at=timezone.now() - dt.timedelta(days=1))
    response, _sql, writes, _reads = _poll(client, url, first["ETag"], counting_cache)
    assert response.status_code == 304 and writes and events.count() == 2
    response, sql, writes, reads = _poll(client, url, first["ETag"], counting_cache)
    assert response.status_code == 304 and (len(sql), writes, reads) == (1, [], 0)
    assert events.count() == 2


def test_a_new_calendar_format_after_a_deploy_is_not_answered_from_the_row(world, client, counting_cache, settings):
    """The refresh interval is in the body but in no table: the key covers it."""
    _token, url = _feed(world.counsellor)
    first = client.get(url)
    settings.FEED_REFRESH_MINUTES = 30
    response = _poll(client, url, first["ETag"], counting_cache)[0]
    assert response.status_code == 200 and "PT30M" in response.content.decode()


def test_the_task_feed_is_not_answered_with_the_event_feeds_row(world, client, counting_cache):
    token, raw = services.feed_token_create(world.counsellor)
    events = client.get(reverse("calendars:feed", args=[raw]))
    tasks_url = reverse("calendars:feed_tasks", args=[raw])
    response = client.get(tasks_url, headers={"if-none-match": events["ETag"]})
    assert response.status_code == 200 and b"BEGIN:VTODO" in response.content


def test_a_repeated_full_get_is_answered_from_the_process_and_a_change_or_revocation_is_not(world, client, counting_cache):
    """Calendar clients that fetch without a validator: the second full GET of an unchanged feed
    in the same process reads no cache; a change gives a new body; a revoked token gets nothing,
    although its last body is still held in memory."""
    token, url = _feed(world.counsellor)
    first = client.get(url)
    reads = counting_cache.reads
    with CaptureQueriesContext(connection) as ctx:
        again = client.get(url)
    assert again.status_code == 200 and again.content == first.content and again["ETag"] == first["ETag"]
    assert counting_cache.reads == reads and len(ctx.captured_queries) == 1

    protocol_services.action_update_status(world.counsellor, action=world.action_counselling, status="in_progress")
    changed = client.get(url)
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"] and changed.content != first.content

    services.feed_token_revoke(world.counsellor, token=token)
    assert client.get(url).status_code == 404
    assert client.get(url, headers={"if-none-match": changed["ETag"]}).status_code == 404


def test_the_bodies_held_in_memory_are_bounded_by_their_size():
    bodies = Kept(10, weight=feeds._body_weight)
    bodies.put("a", {"etag": "1", "body": b"12345"})
    bodies.put("b", {"etag": "2", "body": b"12345"})
    assert bodies.get("a") is not None  # a used last: b goes first
    bodies.put("c", {"etag": "3", "body": b"123"})
    assert bodies.get("b") is None and bodies.get("a") and bodies.get("c") and bodies.held == 8
    bodies.put("huge", {"etag": "4", "body": b"x" * 11})  # larger than all memory: not held
    assert bodies.get("huge") is None and bodies.held == 8



@pytest.mark.parametrize("validator", ["if-none-match", "if-modified-since"])
def test_a_poll_is_not_answered_from_the_row_with_an_etag_another_request_wrote_for_older_content(
        world, client, counting_cache, monkeypatch, validator):
    """Two fetches of one token (a phone and a desktop share the link) race on the day's first use.
    B read the row and rendered the case feed while a consent still covered a restricted item; A
    read the row after the consent was revoked but before B's write landed, found the content it
    was last served and so wrote only the day's served key, after B. The row must not pair the
    current key with B's ETag (and B's time): B's client would be answered 304 from the row, its
    calendar keeping the restricted item after the consent ended, until something else changes."""
    token, url = _feed(world.counsellor, kind=FeedToken.Kind.CASE, case=world.case)
    raw = url.removesuffix(".ics").rsplit("/", 1)[-1]
    action = AgreedAction.objects.create(
        case=world.case, item=world.item_restricted, title="Vertrauliche Aufgabe", responsible_organisation=world.youth_welfare,
        due_on=timezone.localdate() + dt.timedelta(days=7))
    consent = Consent.objects.filter(pk=world.consent.pk)
    mine = FeedToken.objects.filter(pk=token.pk)
    columns = ("served_etag", "served_key", "content_changed_at", "last_used_at", "events_last_used_at")
    now = timezone.now()

    consent.update(revoked_at=now)
    yesterday = client.get(url)
    assert f"action-{action.pk}@" not in yesterday.content.decode()
    mine.update(last_used_at=now - dt.timedelta(days=1), events_last_used_at=now - dt.timedelta(days=1), content_changed_at=now - dt.timedelta(days=1))
    before_b = mine.values(*columns).get()

    consent.update(revoked_at=None)
    b = client.get(url)  # B renders the restricted item ...
    assert f"action-{action.pk}@" in b.content.decode()
    b_wrote = {**mine.values(*columns).get(), "content_changed_at": now - dt.timedelta(seconds=30)}
    mine.update(**before_b)  # ... its write not landed yet

    consent.update(revoked_at=now)  # the consent ends
    stale = feeds.resolve_token(raw)  # A reads the row: last served yesterday's ETag, not used today
    mine.update(**b_wrote)  # B's write lands
    with monkeypatch.context() as patched:
        patched.setattr(feeds, "resolve_token", lambda _raw: stale)
        assert client.get(url, headers={"if-none-match": yesterday["ETag"]}).status_code == 304  # A: unchanged

    held = b["ETag"] if validator == "if-none-match" else http_date(b_wrote["content_changed_at"].timestamp())
    polled = client.get(url, headers={validator: held})  # B's client polls
    assert polled.status_code == 200
    assert f"action-{action.pk}@" not in polled.content.decode()


def test_the_calendars_name_is_in_the_language_of_the_tokens_owner(world, client, counting_cache):
    """The feed knows no request language (it skips the locale middleware): its name, like its
    events, is in her language, which is in the key of what is cached."""
    world.counsellor.preferred_language = "da"
    world.counsellor.save(update_fields=["preferred_language"])
    _token, url = _feed(world.counsellor)
    body = client.get(url).content.decode()
    assert "X-WR-CALNAME:Fallkonferenz – mine møder og aftaler" in body


def test_both_feeds_of_one_token_polled_in_turn_answer_from_the_row_without_writes(world, client, counting_cache):
    """The account page offers the events feed and the tasks feed of one personal token; a client
    subscribed to both polls them in turn. Each feed keeps its own served state: after one full
    fetch of each, every poll of either is a 304 from the token row, with no write and no audit event."""
    token, url = _feed(world.counsellor)
    tasks_url = url.removesuffix(".ics") + "/tasks.ics"
    events, tasks = client.get(url), client.get(tasks_url)
    assert events.status_code == tasks.status_code == 200 and events["ETag"] != tasks["ETag"]
    token.refresh_from_db()
    assert (token.served_etag, token.tasks_served_etag) == (events["ETag"], tasks["ETag"])
    audited = AuditEvent.objects.filter(action="feed.read", object_id=str(token.pk)).count()
    assert audited == 2  # each feed's first content
    for _ in range(3):
        for feed_url, etag in ((url, events["ETag"]), (tasks_url, tasks["ETag"])):
            response, sql, writes, reads = _poll(client, feed_url, etag, counting_cache)
            assert response.status_code == 304 and response["ETag"] == etag
            assert (len(sql), writes, reads) == (1, [], 0), sql
    assert AuditEvent.objects.filter(action="feed.read", object_id=str(token.pk)).count() == audited
    # A change of a task moves the tasks feed, and its poll is audited with what it disclosed.
    protocol_services.action_update_status(world.counsellor, action=world.action_counselling, status="in_progress")
    response, _sql, writes, _reads = _poll(client, tasks_url, tasks["ETag"], counting_cache)
    assert response.status_code == 200 and response["ETag"] != tasks["ETag"] and writes
    event = AuditEvent.objects.filter(action="feed.read", object_id=str(token.pk)).latest("pk")
    assert event.detail["tasks"] is True and world.action_counselling.pk in event.detail["actions"]


def test_each_feed_of_a_token_is_audited_on_its_first_use_of_a_day(world, client, counting_cache):
    token, url = _feed(world.counsellor)
    tasks_url = url.removesuffix(".ics") + "/tasks.ics"
    events, tasks = client.get(url), client.get(tasks_url)
    yesterday = timezone.now() - dt.timedelta(days=1)
    FeedToken.objects.filter(pk=token.pk).update(last_used_at=yesterday, events_last_used_at=yesterday, tasks_last_used_at=yesterday)
    client.get(url, headers={"if-none-match": events["ETag"]})  # the events feed's first poll today
    before = AuditEvent.objects.filter(action="feed.read", object_id=str(token.pk)).count()
    response = client.get(tasks_url, headers={"if-none-match": tasks["ETag"]})
    assert response.status_code == 304
    event = AuditEvent.objects.filter(action="feed.read", object_id=str(token.pk)).latest("pk")
    assert AuditEvent.objects.filter(action="feed.read", object_id=str(token.pk)).count() == before + 1
    assert (event.detail["tasks"], event.detail["status"]) == (True, 304)
    # ... and then no more that day
    client.get(tasks_url, headers={"if-none-match": tasks["ETag"]})
    assert AuditEvent.objects.filter(action="feed.read", object_id=str(token.pk)).count() == before + 1


class _Clock:
    """``django.utils.timezone`` for the feed module, with a clock the test sets."""

    def __init__(self, at):
        self.at = at

    def now(self):
        return self.at

    def __getattr__(self, name):
        return getattr(timezone, name)


def test_new_content_within_the_second_of_the_last_change_reaches_a_client_that_asks_by_date_alone(world, client, monkeypatch):
    """Last-Modified has whole seconds. Device A fetched; within the same second the content
    changed and device B fetched it. A client asking with If-Modified-Since alone (no ETag) must
    get the new content, not a 304 for its older copy."""
    start = timezone.now().replace(microsecond=100_000)
    clock = _Clock(start)
    monkeypatch.setattr(feeds, "timezone", clock)
    _token, url = _feed(world.counsellor)
    a_first = client.get(url)  # device A
    assert a_first["Last-Modified"] == http_date(start.timestamp())
    protocol_services.action_update_status(world.counsellor, action=world.action_counselling, status="in_progress")
    clock.at = start + dt.timedelta(milliseconds=500)  # the same second
    b_first = client.get(url)  # device B: the new content, dated the next second, not yet sent as a date
    assert b_first.status_code == 200 and b_first["ETag"] != a_first["ETag"] and "Last-Modified" not in b_first
    a_poll = client.get(url, headers={"if-modified-since": a_first["Last-Modified"]})
    assert a_poll.status_code == 200 and a_poll.content == b_first.content
    clock.at = start + dt.timedelta(milliseconds=1500)  # the next second has come: the date is sent
    b_poll = client.get(url, headers={"if-none-match": b_first["ETag"]})
    assert b_poll.status_code == 304 and b_poll["Last-Modified"] == http_date(start.timestamp() // 1 + 1)
    by_date = client.get(url, headers={"if-modified-since": b_poll["Last-Modified"]})
    assert by_date.status_code == 304


def _a_day_passes(token):
    """Yesterday's served state: both feeds last fetched yesterday, at yesterday's keys (a key holds its date)."""
    yesterday = timezone.now() - dt.timedelta(days=1)
    FeedToken.objects.filter(pk=token.pk).update(last_used_at=yesterday, events_last_used_at=yesterday, tasks_last_used_at=yesterday,
                                                 served_key="yesterday", tasks_served_key="yesterday")


def test_tasks_first_then_events_each_feed_is_audited_on_its_first_use_of_a_day(world, client, counting_cache):
    """(Found in review.) A tasks fetch set the token's last fetch, which the events feed also read
    as its own: after the tasks feed's first poll of a day, the events feed's went unaudited."""
    token, url = _feed(world.counsellor)
    tasks_url = url.removesuffix(".ics") + "/tasks.ics"
    events, tasks = client.get(url), client.get(tasks_url)
    _a_day_passes(token)
    assert client.get(tasks_url, headers={"if-none-match": tasks["ETag"]}).status_code == 304  # tasks first today
    before = AuditEvent.objects.filter(action="feed.read", object_id=str(token.pk)).count()
    assert client.get(url, headers={"if-none-match": events["ETag"]}).status_code == 304  # then the events feed
    event = AuditEvent.objects.filter(action="feed.read", object_id=str(token.pk)).latest("pk")
    assert AuditEvent.objects.filter(action="feed.read", object_id=str(token.pk)).count() == before + 1
    assert (event.detail["tasks"], event.detail["status"]) == (False, 304)


def test_tasks_first_then_events_the_events_polls_are_answered_from_the_row(world, client, counting_cache):
    """... and the events feed's key stayed yesterday's, so its polls read the cache all day."""
    token, url = _feed(world.counsellor)
    tasks_url = url.removesuffix(".ics") + "/tasks.ics"
    events, tasks = client.get(url), client.get(tasks_url)
    _a_day_passes(token)
    client.get(tasks_url, headers={"if-none-match": tasks["ETag"]})
    client.get(url, headers={"if-none-match": events["ETag"]})
    feeds._bodies.clear()  # another server process, or the body evicted: the row alone must answer
    response, sql, writes, reads = _poll(client, url, events["ETag"], counting_cache)
    assert response.status_code == 304 and (len(sql), writes, reads) == (1, [], 0), sql
