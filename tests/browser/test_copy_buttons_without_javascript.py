"""Browser: the "Copy" buttons beside a new calendar link work only with JavaScript (copy.js
shows them). Without it they carry ``hidden``, and the site's button style (``display:
inline-block``) must not show them again: a button that does nothing is a dead end for a
keyboard or screen-reader user. With JavaScript they are shown."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def new_calendar_link(browser, live_server, user, *, javascript: bool):
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="en-GB", java_script_enabled=javascript, viewport={"width": 390, "height": 844})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": live_server.url}])
    context.set_default_timeout(8000)
    page = context.new_page()
    page.goto(live_server.url + reverse("calendars:calendar"))
    page.get_by_role("button", name="Create link").click()
    page.wait_for_load_state()
    expect(page.locator("#feed-https")).to_be_visible()
    return page


def test_without_javascript_the_copy_buttons_stay_hidden(live_server, browser, world):
    page = new_calendar_link(browser, live_server, world.convenor, javascript=False)
    buttons = page.locator("button[data-copy-target]")
    assert buttons.count() >= 2
    for index in range(buttons.count()):
        expect(buttons.nth(index)).to_be_hidden()
    assert page.get_by_role("button", name="Copy").count() == 0  # not in the accessibility tree either


def test_with_javascript_the_copy_buttons_are_shown(live_server, browser, world):
    page = new_calendar_link(browser, live_server, world.convenor, javascript=True)
    buttons = page.locator("button[data-copy-target]")
    assert buttons.count() >= 2
    for index in range(buttons.count()):
        expect(buttons.nth(index)).to_be_visible()
