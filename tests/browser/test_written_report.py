"""Browser: a counsellor submits her organisation's written report from her overview, and two
tabs revising it at once do not silently overwrite each other."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.conferences.helpers import convene

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-GB"}


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def test_she_submits_the_report_from_her_overview_and_a_second_tab_cannot_overwrite_it_unseen(
        live_server, browser_login, world):
    conference = convene(world)
    report = conference.reports.get(organisation=world.counselling)
    first = browser_login(world.counsellor)
    first.goto(live_server.url + reverse("dashboard"))
    first.get_by_role("link", name=re.compile(rf"Written report for the conference in case {world.case.reference}")).click()
    expect(first.get_by_role("heading", level=1, name="Written report")).to_be_visible()

    # A second tab with the same form, opened before the first one submits.
    second = browser_login(world.counsellor)
    second.goto(first.url)

    first.get_by_label("Written report").fill("Frau M. nimmt die Termine wahr.")
    first.get_by_role("button", name="Submit the report").click()
    expect(first.get_by_text("The report was submitted.")).to_be_visible()
    expect(first.get_by_text("Frau M. nimmt die Termine wahr.")).to_be_visible()  # on the conference page

    second.get_by_label("Written report").fill("Mein Text aus dem zweiten Tab.")
    second.get_by_role("button", name="Submit the report").click()
    # Refused: the report as it stands now is shown, and what she typed is still in the form.
    expect(second.get_by_role("heading", name="The report as it stands now")).to_be_visible()
    expect(second.get_by_text("Frau M. nimmt die Termine wahr.")).to_be_visible()
    expect(second.get_by_label("Written report")).to_have_value("Mein Text aus dem zweiten Tab.")
    report.refresh_from_db()
    assert report.text == "Frau M. nimmt die Termine wahr."

    # Having seen it, she submits her text on purpose.
    second.get_by_role("button", name="Submit the report").click()
    expect(second.get_by_text("The report was submitted.")).to_be_visible()
    report.refresh_from_db()
    assert report.text == "Mein Text aus dem zweiten Tab."
