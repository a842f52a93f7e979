"""Browser, in German: the receiving service finds an unanswered referral to her offer on her
dashboard and opens it from there; the central case manager finds the open requests to her; the
mother finds the released draft minutes of her family's conference."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import _serious_violations
from protocols import services as protocol_services
from tests.browser.test_refused_pages_journey import dashboard
from tests.offers.offer_world import build_offer_world
from tests.world import hold_conference

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def german(settings):
    settings.LANGUAGE_CODE = "de"


def test_the_receiving_service_opens_the_waiting_referral_from_her_dashboard(world, browser, live_server):
    offers = build_offer_world(world)
    page = dashboard(browser, live_server, world.counsellor)
    waiting = page.get_by_role("region", name="Im Verbund wartet man auf Ihre Antwort")
    expect(waiting.get_by_role("heading", name="Vermittlungen an Ihre Angebote")).to_be_visible()
    assert _serious_violations(page, "dashboard, waiting referrals") == []
    waiting.get_by_role("link", name=offers.public_offer.name).click()
    expect(page).to_have_url(f"{live_server.url}/referrals/{offers.referral.pk}/")

    page = dashboard(browser, live_server, offers.case_manager)
    waiting = page.get_by_role("region", name="Im Verbund wartet man auf Ihre Antwort")
    expect(waiting.get_by_role("heading", name="Anfragen an Sie als zentrale Case Managerin")).to_be_visible()
    expect(waiting.get_by_role("listitem")).to_have_count(2)
    waiting.get_by_role("listitem").first.get_by_role("link").click()
    expect(page).to_have_url(f"{live_server.url}/requests/{offers.consultation.pk}/")


def test_the_mother_opens_her_released_draft_minutes_from_her_dashboard(world, browser, live_server):
    """Released draft minutes of her family's conference wait for the mother on her dashboard, one
    click from the draft (before, only her case page linked them)."""
    hold_conference(world.conference)
    protocol_services.protocol_release(world.convenor, protocol=world.protocol)
    page = dashboard(browser, live_server, world.parent)
    family = page.get_by_role("region", name="Der Fall Ihrer Familie")
    expect(family.get_by_role("heading", name="Protokollentwurf zum Lesen")).to_be_visible()
    assert _serious_violations(page, "parent dashboard, released draft") == []
    family.get_by_role("link", name=re.compile(r"^Was wir in der Konferenz am .+ vereinbart haben$")).click()
    expect(page).to_have_url(f"{live_server.url}/protocols/{world.protocol.pk}/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert world.item_everyone.title in page.content() and world.item_professionals.title not in page.content()
