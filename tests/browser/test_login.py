"""Browser: a parent signs in through the real login form (parents have no second factor) and out again."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from django.urls import reverse

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-GB"}


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def test_parent_signs_in_with_the_form_and_signs_out(live_server, page, world, password):
    page.goto(live_server.url + reverse("dashboard"))
    page.wait_for_url("**/accounts/login/**")
    page.get_by_label("Username or e-mail").fill(world.parent.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + reverse("dashboard"))
    expect(page.get_by_role("heading", name="Your family's case")).to_be_visible()
    expect(page.get_by_text(world.case.reference).first).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(live_server.url + reverse("dashboard"))
    page.wait_for_url("**/accounts/login/**")


def test_a_wrong_password_is_reported_next_to_the_form(live_server, page, world):
    page.goto(live_server.url + reverse("account_login"))
    page.get_by_label("Username or e-mail").fill(world.parent.username)
    page.get_by_label("Password").fill("falsch-falsch-falsch")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert "/accounts/login/" in page.url


def test_sign_in_and_password_reset_pages_have_no_serious_accessibility_violations(live_server, page):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems = {}
    for url in (reverse("account_login"), reverse("account_reset_password"), reverse("accessibility")):
        page.goto(live_server.url + url)
        serious = [v["id"] for v in axe.run(page).response["violations"] if v.get("impact") in {"serious", "critical"}]
        if serious:
            problems[url] = serious
    assert problems == {}
