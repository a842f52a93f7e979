"""Browser, in German: a visitor of the public directory finds the German networks' offers, not the
Danish ones among them, sees each offer's region, and chooses another country or one network."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import _serious_violations
from tests.browser.test_refused_pages_journey import new_page
from tests.offers.offer_world import build_offer_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def german(settings):
    settings.LANGUAGE_CODE = "de"


def test_a_german_visitor_finds_german_offers_and_chooses_another_country_or_one_network(world, browser, live_server):
    offers = build_offer_world(world)
    page = new_page(browser, live_server)
    page.goto(f"{live_server.url}/directory/")
    results = page.get_by_role("list", name="1 Angebot gefunden")
    expect(results.get_by_role("link", name=offers.public_offer.name)).to_be_visible()
    expect(page.get_by_role("link", name=offers.foreign_offer.name)).to_have_count(0)
    expect(page.get_by_label("Land")).to_have_value("DE")
    assert _serious_violations(page, "directory, German offers") == []

    page.get_by_label("Land").select_option(label="Alle Länder")
    page.get_by_role("button", name="Suchen").click()
    expect(page.get_by_role("link", name=offers.foreign_offer.name)).to_be_visible()
    card = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=offers.foreign_offer.name))
    expect(card).to_contain_text("Region: Region Anders (Dänemark)")

    card.get_by_role("link", name="Region Anders").click()
    expect(page.get_by_text("Es werden nur Angebote des Verbunds Region Anders angezeigt.")).to_be_visible()
    expect(page.get_by_role("link", name=offers.public_offer.name)).to_have_count(0)
    page.get_by_role("textbox", name="Suchen").fill("Rådgivning")
    page.get_by_role("button", name="Suchen").click()  # a refined search keeps the network
    expect(page.get_by_text("Es werden nur Angebote des Verbunds Region Anders angezeigt.")).to_be_visible()
    expect(page.get_by_role("link", name=offers.foreign_offer.name)).to_be_visible()
    assert _serious_violations(page, "directory, one network") == []
    page.get_by_role("link", name="Angebote aller Verbünde anzeigen").click()  # the search stays, the network goes
    expect(page.get_by_text("Es werden nur Angebote des Verbunds")).to_have_count(0)
    expect(page.get_by_role("textbox", name="Suchen")).to_have_value("Rådgivning")
    expect(page.get_by_label("Land")).to_have_value("all")
