"""The header's language switch in a real browser, without script: a signed-in counsellor
switches to Danish on one page, stays on it, and finds the same language saved on her account
page (her e-mails and feeds follow it)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_header_switch_saves_her_language_and_the_account_page_shows_it(live_server, browser_login, world):
    page = browser_login(world.counsellor)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="My actions", exact=True).click()
    actions_url = page.url
    page.locator("#language-select").select_option("da")
    page.locator("form.language button").click()
    expect(page.locator("html")).to_have_attribute("lang", "da")
    assert page.url == actions_url
    expect(page.get_by_text("Dit sprog er gemt.")).to_be_visible()
    page.get_by_role("link", name=re.compile("^Logget ind som")).click()
    expect(page.locator("#id_language")).to_have_value("da")
    expect(page.locator("#language-select")).to_have_value("da")
    world.counsellor.refresh_from_db()
    assert world.counsellor.preferred_language == "da"
