"""Browser: a counsellor submits her organisation's written report from her overview, and two
tabs revising it at once do not silently overwrite each other."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from conferences.models import WrittenReport
from tests.browser.test_accessibility import _serious_violations
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


def test_she_restricts_her_report_to_the_jugendamt_and_is_told_who_reads_it(live_server, browser_login, world):
    """The audience is a group with a legend (WCAG 1.3.1, axe: no serious or critical violation);
    the choices name the readers; after submitting she is told that the Jugendamt does not read it
    until a consent covers it, and the convenor indeed does not."""

    conference = convene(world)
    report = conference.reports.get(organisation=world.counselling)
    page = browser_login(world.counsellor)
    page.goto(live_server.url + reverse("conferences:report_submit", args=[conference.pk, report.pk]))
    audience = page.get_by_role("group", name="Who may read this report")
    expect(audience.get_by_role("radio", name=re.compile(r"^Every professional on the case team \("))).to_be_checked()
    assert _serious_violations(page, "report form") == []

    page.get_by_label("Written report").fill("Rückfall im Mai; seither wieder in Substitution.")
    audience.get_by_role("radio", name=re.compile(r"^Only your organisation \(Suchtberatung Test\)")).check()
    named = audience.get_by_role("group", name="Organisations that may read it besides yours (restricted report)")
    named.get_by_role("checkbox", name="Jugendamt Test").check()
    audience.get_by_label("Information category (restricted report)").select_option(label="Addiction treatment")
    page.get_by_role("button", name="Submit the report").click()
    expect(page.get_by_text("The report was submitted.")).to_be_visible()
    expect(page.get_by_text("No consent or other legal basis covers passing the report on to Jugendamt Test")).to_be_visible()
    report.refresh_from_db()
    assert report.audience == WrittenReport.Audience.RESTRICTED
    assert not WrittenReport.objects.visible_to(world.convenor).filter(pk=report.pk).exists()

    convenor = browser_login(world.convenor)
    convenor.goto(live_server.url + reverse("conferences:conference_detail", args=[conference.pk]))
    expect(convenor.get_by_role("heading", level=1)).to_be_visible()
    expect(convenor.get_by_text("Rückfall im Mai")).to_have_count(0)
