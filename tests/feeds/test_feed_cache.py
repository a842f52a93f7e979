"""Feeds at network size (issue 13): a poll of an unchanged feed reads one row, an unchanged body
is served from the cache, and no cached answer survives a change of what the feed shows."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calendars import services
from calendars.models import FeedToken
from cases import consent_services as consent_services
from permissions import content_version
from protocols import services as protocol_services
from protocols.models import AgreedAction

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def uid(action) -> str:
    return f"action-{action.pk}@"


def personal_feed(world, client):
    _, raw = services.feed_token_create(world.counsellor)
    return reverse("calendars:feed", args=[raw])


def test_polling_an_unchanged_personal_feed_costs_one_statement(world, client):
    url = personal_feed(world, client)
    first = client.get(url)
    client.get(url, headers={"if-none-match": first["ETag"]})  # the day's one audited 304
    with CaptureQueriesContext(connection) as ctx:
        again = client.get(url, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304 and again["ETag"] == first["ETag"]
    assert len(ctx) == 1, "\n".join(q["sql"][:200] for q in ctx.captured_queries)


def test_an_unchanged_body_is_served_without_rendering_the_calendar_again(world, client, monkeypatch):
    url = personal_feed(world, client)
    first = client.get(url)
    from calendars import feeds

    monkeypatch.setattr(feeds, "render", lambda *a, **k: pytest.fail("rendered again although nothing changed"))
    again = client.get(url)
    assert again.status_code == 200 and again.content == first.content and again["ETag"] == first["ETag"]


def test_a_changed_action_is_in_the_next_fetch_never_the_cached_body(world, client):
    url = personal_feed(world, client)
    first = client.get(url)
    assert uid(world.action_counselling) in first.content.decode()
    protocol_services.action_update_status(world.counsellor, action=world.action_counselling, status="in_progress")
    world.action_counselling.refresh_from_db()
    again = client.get(url, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 200 and again["ETag"] != first["ETag"]
    assert again.content != first.content
    assert client.get(url).content == again.content


def test_a_change_made_outside_any_service_also_ends_the_cached_answer(world, client):
    """The version is kept by the database: a bulk update (or the admin, or raw SQL) counts too."""
    url = personal_feed(world, client)
    first = client.get(url)
    before = content_version.read()
    due = dt.date(2031, 7, 14)
    AgreedAction.objects.filter(pk=world.action_counselling.pk).update(due_on=due, updated_at=timezone.now())
    assert content_version.read() > before
    again = client.get(url, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 200 and "20310714" in again.content.decode()
    assert "20310714" not in first.content.decode()


def test_a_revoked_token_gets_no_cached_body(world, client):
    url = personal_feed(world, client)
    assert client.get(url).status_code == 200
    token = FeedToken.objects.get(user=world.counsellor, revoked_at__isnull=True)
    services.feed_token_revoke(world.counsellor, token=token)
    assert client.get(url).status_code == 404


def test_a_revoked_consent_takes_the_item_action_out_of_the_case_feed_at_once(world, client):
    """The counsellor reads the restricted item (and its action) under the mother's consent;
    after the revocation the cached case feed must not show it again."""
    _, raw = services.feed_token_create(world.counsellor, kind=FeedToken.Kind.CASE, case=world.case)
    url = reverse("calendars:feed", args=[raw])
    action = AgreedAction.objects.create(
        case=world.case, item=world.item_restricted, title="Vertrauliche Aufgabe", responsible_organisation=world.youth_welfare,
        due_on=timezone.localdate() + dt.timedelta(days=7))
    first = client.get(url)
    assert uid(action) in first.content.decode()
    consent_services.consent_revoke(world.parent, consent=world.consent)
    again = client.get(url, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 200 and uid(action) not in again.content.decode()


def test_every_content_table_carries_the_version_trigger():
    """A table whose changes could reach a feed but raise no version would serve stale calendars."""
    expected = set(content_version.content_tables())
    assert {"protocols_agreedaction", "conferences_conference", "participants_consent", "conferences_caseteammember",
            "participants_membership", "protocols_protocolitem_restricted_to", "privacy_processingrestriction"} <= expected
    assert "permissions_auditevent" not in expected and "calendars_feedtoken" not in expected
    installed = content_version.installed_tables()
    assert expected <= installed
    # A feed read writes its token (last use, served ETag): a trigger there would empty the
    # caches with every poll.
    assert "calendars_feedtoken" not in installed
