"""Browser: each role lands on its own dashboard; the caseworker's first pages pass axe-core."""
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


def open_dashboard(live_server, browser_login, user):
    page = browser_login(user)
    page.goto(live_server.url + reverse("dashboard"))
    expect(page.get_by_role("heading", level=1, name="Overview")).to_be_visible()
    return page


def test_caseworker_sees_her_cases_and_opens_one(live_server, browser_login, world):
    page = open_dashboard(live_server, browser_login, world.convenor)
    expect(page.get_by_role("heading", name="My cases", exact=True)).to_be_visible()
    page.get_by_role("link", name=world.case.reference).first.click()
    page.wait_for_url(f"**{reverse('cases:case_detail', args=[world.case.pk])}")
    expect(page.get_by_role("heading", name="Case team")).to_be_visible()
    expect(page.get_by_role("cell", name=world.counselling.name).first).to_be_visible()


def test_professional_sees_her_open_actions_and_conferences(live_server, browser_login, world):
    page = open_dashboard(live_server, browser_login, world.counsellor)
    actions = page.get_by_role("table").filter(has_text=world.action_counselling.title)
    expect(actions).to_be_visible()
    expect(page.get_by_role("heading", name="Upcoming conferences")).to_be_visible()
    assert page.get_by_text(world.action_parent.title).count() == 0
    expect(page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Cases", exact=True)).to_be_visible()


def test_parent_sees_her_next_conference_and_her_actions(live_server, browser_login, world):
    page = open_dashboard(live_server, browser_login, world.parent)
    expect(page.get_by_role("heading", name="Your family's case")).to_be_visible()
    expect(page.get_by_text(world.conference.location)).to_be_visible()
    expect(page.get_by_text(world.action_parent.title)).to_be_visible()
    assert page.get_by_text(world.action_counselling.title).count() == 0


def test_board_member_sees_the_summaries_and_no_case(live_server, browser_login, world):
    page = open_dashboard(live_server, browser_login, world.board_member)
    expect(page.get_by_role("heading", name="Half-year summaries")).to_be_visible()
    assert page.get_by_role("link", name=f"{world.summary.year} H{world.summary.half}").count() == 1
    assert page.get_by_text(world.case.reference).count() == 0


def test_the_caseworkers_first_pages_have_no_serious_accessibility_violations(live_server, browser_login, world):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page = browser_login(world.convenor)
    problems = {}
    for url in (reverse("dashboard"), reverse("cases:case_list"), reverse("cases:case_create"),
                reverse("cases:case_detail", args=[world.case.pk]),
                reverse("cases:case_team_add", args=[world.case.pk]),
                reverse("cases:case_family_add", args=[world.case.pk])):
        page.goto(live_server.url + url)
        results = axe.run(page)
        serious = [v["id"] for v in results.response["violations"] if v.get("impact") in {"serious", "critical"}]
        if serious:
            problems[url] = serious
    assert problems == {}
