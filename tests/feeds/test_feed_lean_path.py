"""The feeds are answered by ``calendars.middleware.FeedMiddleware`` before the session, auth,
CSRF, messages, locale and CSP middleware (issue 13). A feed is authenticated by its token only:
it never reads or sets a session cookie, even for a browser that is signed in, and it keeps the
headers a calendar file needs. The token, its user and the content version are one statement."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from calendars import services
from calendars.middleware import FEED_CSP

pytestmark = pytest.mark.django_db


def _feed(world, name="calendars:feed"):
    token, raw = services.feed_token_create(world.counsellor)
    return token, reverse(name, args=[raw])


@pytest.mark.parametrize("name", ["calendars:feed", "calendars:feed_tasks"])
def test_a_feed_neither_reads_nor_sets_a_session_even_for_a_signed_in_browser(world, client, name):
    _token, url = _feed(world, name)
    client.force_login(world.parent)  # someone else's session cookie comes along
    session_key = client.session.session_key
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    assert len(ctx.captured_queries) >= 1
    session_tables = ("django_session", "permissions_loginsession")
    assert not any(table in q["sql"] for q in ctx.captured_queries for table in session_tables)
    assert client.session.session_key == session_key


def test_a_feed_keeps_the_security_headers_of_a_calendar_file(world, client):
    _token, url = _feed(world)
    response = client.get(url)
    assert response["Content-Security-Policy"] == FEED_CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "private, no-cache"
    assert response["X-Request-ID"]
    not_modified = client.get(url, headers={"if-none-match": response["ETag"]})
    assert not_modified.status_code == 304
    assert not_modified["Content-Security-Policy"] == FEED_CSP and not not_modified.cookies


def test_an_unknown_token_answers_a_plain_404_and_a_foreign_host_400(world, client):
    _token, url = _feed(world)
    missing = client.get(reverse("calendars:feed", args=["x" * 43]))
    assert missing.status_code == 404 and missing["Content-Type"].startswith("text/plain")
    assert missing["Content-Security-Policy"] == FEED_CSP and not missing.cookies
    assert client.get(url, headers={"host": "evil.example"}).status_code == 400
    assert client.post(url).status_code == 405


def test_revocation_takes_effect_on_the_next_poll(world, client):
    token, url = _feed(world)
    first = client.get(url)
    assert client.get(url, headers={"if-none-match": first["ETag"]}).status_code == 304
    services.feed_token_revoke(world.counsellor, token=token)
    assert client.get(url, headers={"if-none-match": first["ETag"]}).status_code == 404
    assert client.get(url).status_code == 404


def test_the_token_statement_loads_the_token_its_user_and_the_content_version(world):
    from calendars.selectors import feed_token_by_hash
    from conferences.services import hash_token
    from permissions import content_version

    token, raw = services.feed_token_create(world.counsellor)
    with CaptureQueriesContext(connection) as ctx:
        found = feed_token_by_hash(hash_token(raw))
    assert len(ctx.captured_queries) == 1
    assert found.pk == token.pk and found.user == world.counsellor and found.user.is_active
    assert found.created_at == token.created_at and found.created_at.tzinfo is not None
    assert found.content_version == content_version.read()
    assert feed_token_by_hash("0" * 64) is None
