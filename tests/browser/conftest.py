"""Browser tests: Playwright drives Debian's Chromium against Django's live server."""
from __future__ import annotations

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django must allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


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
