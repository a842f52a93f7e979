"""Browser tests: Playwright drives Debian's Chromium against Django's live server."""
from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session", autouse=True)
def _orm_in_playwrights_loop():
    """Playwright's sync API runs an event loop in the test thread; Django must allow ORM calls
    there, including in pytest-django's database set-up and flush around each browser test.
    Browser tests run last (tests/conftest.py), so Django's async-safety check stays on for
    every other test; the variable is removed again when the session ends."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser_login(live_server, context):
    """Open a logged-in browser session for ``user`` without the login form (the form, with its
    second factor, has its own browser test). Returns a fresh page."""
    from django.conf import settings
    from django.test import Client

    def _login(user):
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}])
        return context.new_page()

    return _login
