"""Browser, clicking only: from the directory's offer page a midwife asks the central case manager to
refer her client to that offer (the request form filled in for it), and both of them read what
she asked for; the track's social worker chooses the referral on the enrolment form and its family
and municipality are filled in, while what she typed herself stays."""
from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from offers import referral_services as rs
from tests.browser.test_accessibility import _serious_violations
from tests.offers.offer_world import build_offer_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def offers(world):
    return build_offer_world(world)


def test_from_an_offer_to_a_request_about_it(live_server, browser_login, world, offers):
    page = browser_login(world.midwife)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Find help").click()
    page.get_by_role("link", name=offers.public_offer.name).click()
    expect(page.get_by_role("heading", name=offers.public_offer.name)).to_be_visible()
    assert _serious_violations(page, "offer page with next steps") == []
    page.get_by_role("link", name="Refer a client to this offer through the central case manager").click()
    expect(page.get_by_text(f"About the offer “{offers.public_offer.name}”")).to_be_visible()
    expect(page.get_by_label("Referral of a client: with her documented consent")).to_be_checked()
    expect(page.get_by_label("What are you asking for?")).to_have_value(
        f"Please refer my client to the offer “{offers.public_offer.name}” ({world.counselling.name}).")
    page.get_by_label("Situation").fill("Sie möchte vertraulich beraten werden.")
    page.get_by_label("Client (first name or initials)").fill("S.K.")
    page.get_by_label("Reference of the signed consent form").fill("SE-2026-45")
    page.get_by_label("Consent given on").fill("2026-01-05")
    page.get_by_role("button", name="Send the request").click()
    asked = page.locator("dd.asked-for")
    expect(asked).to_contain_text(offers.public_offer.name)

    page = browser_login(offers.case_manager)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Central case manager").click()
    page.get_by_role("link", name="Referral of a client (with consent)").first.click()
    expect(page.locator("dd.asked-for")).to_contain_text(offers.public_offer.name)
    expect(page.get_by_label("Offer:", exact=True)).to_have_value("")  # no offer chosen for her


def test_choosing_the_referral_fills_in_its_family(live_server, browser_login, world, offers):
    first = rs.referral_accept(world.outsider, referral=rs.referral_create(
        offers.case_manager, offer=offers.network_offer, client_label="S.K.", municipality="Kolding"))
    second = rs.referral_accept(world.outsider, referral=rs.referral_create(
        offers.case_manager, offer=offers.network_offer, client_label="A.B.", municipality="Vejle"))
    page = browser_login(world.outsider)
    page.goto(live_server.url + reverse("offers:track_enrolments", args=[offers.network_offer.pk]))
    page.get_by_label("From the referral").select_option(str(first.pk))
    expect(page.get_by_label("Family (first name or initials)")).to_have_value("S.K.")
    expect(page.get_by_label("Municipality")).to_have_value("Kolding")
    page.get_by_label("From the referral").select_option(str(second.pk))  # she changes her mind
    expect(page.get_by_label("Family (first name or initials)")).to_have_value("A.B.")
    page.get_by_label("Municipality").fill("Fredericia")  # hers: kept on another choice
    page.get_by_label("From the referral").select_option(str(first.pk))
    expect(page.get_by_label("Family (first name or initials)")).to_have_value("S.K.")
    expect(page.get_by_label("Municipality")).to_have_value("Fredericia")
    page.get_by_role("button", name="Enrol", exact=True).click()
    expect(page.get_by_text("Enrolled. Now schedule the sessions.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("S.K.")
