"""Browser, in German: the convenor's substitute (Vertretung) puts a colleague of another
organisation on the case team (review h3, H3-3). The team form offers her neither herself nor her
own organisation as a whole, since her seat would outlast the grant; it offers the others, and
adding one works."""
from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from access import grant_services
from participants.models import ProfessionalRole
from permissions import policy
from tests.browser.test_accessibility import _serious_violations
from tests.browser.test_refused_pages_journey import dashboard
from tests.world import make_professional

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def german(settings):
    settings.LANGUAGE_CODE = "de"


def test_the_substitute_is_offered_others_not_herself(world, browser, live_server):
    standin = make_professional("standin", world.youth_welfare, ProfessionalRole.CASEWORKER)
    standin.first_name, standin.last_name = "Stella", "Vertretung"
    standin.save()
    helper = make_professional("helper", world.early_help, ProfessionalRole.SOCIAL_WORKER)
    helper.first_name, helper.last_name = "Hanna", "Hilfe"
    helper.save()
    today = policy._today()
    grant_services.substitute_appoint(world.convenor, colleague=world.convenor, substitute=standin,
                                      valid_from=today, valid_until=today + dt.timedelta(days=14))

    page = dashboard(browser, live_server, standin)
    page.get_by_role("navigation").get_by_role("link", name="Fälle", exact=True).first.click()
    page.get_by_role("link", name=world.case.reference, exact=True).click()
    page.get_by_role("link", name="Zum Team hinzufügen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(world.case.reference)
    expect(page.get_by_text("Sie handeln in diesem Fall nur als Vertretung")).to_be_visible()
    choice = page.get_by_label("Wer kommt ins Fallteam")
    options = choice.locator("option")
    texts = options.all_inner_texts()
    assert not [text for text in texts if "Stella Vertretung" in text], texts
    assert not [text for text in texts if text.startswith(f"{world.youth_welfare.name} (ganze Einrichtung)")], texts
    assert [text for text in texts if text.startswith(f"{world.early_help.name} (ganze Einrichtung)")], texts
    assert _serious_violations(page, "team form, substitute") == []

    choice.select_option(label=next(text for text in texts if "Hanna Hilfe" in text))
    page.get_by_role("button", name="Zum Team hinzufügen").click()
    expect(page.get_by_text("Hanna Hilfe gehört jetzt zum Fallteam.")).to_be_visible()
    assert world.case.team.filter(user=helper, removed_at__isnull=True).exists()
    assert not world.case.team.filter(user=standin).exists()
