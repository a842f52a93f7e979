"""Browser, clicking only: an accepted referral becomes part of a case. The youth-welfare office
accepts a referral to its own offer and opens a case from it with the family's consent; the
early-help social worker joins the case the central case manager attached her referral to."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def referrals(world):
    from cases.models import CaseTeamMember
    from offers import referral_services as rs
    from offers.models import Offer
    from tests.offers.offer_world import build_offer_world

    offers = build_offer_world(world)
    youth_offer = Offer.objects.create(organisation=world.youth_welfare, name="Familienhilfe im Jugendamt",
                                       description="Ambulante Hilfe.", visibility=Offer.Visibility.NETWORK, capacity=5)
    to_youth = rs.referral_create(offers.case_manager, offer=youth_offer, client_label="Y.")
    CaseTeamMember.objects.create(case=world.case, organisation=offers.perinatal, user=offers.case_manager)
    rs.support_request_attach_case(offers.case_manager, request=offers.support_request, case=world.case)
    to_early_help = rs.referral_create(offers.case_manager, offer=offers.network_offer, support_request=offers.support_request)
    rs.referral_accept(world.outsider, referral=to_early_help)
    return offers, to_youth, to_early_help



def test_an_accepted_referral_becomes_a_case_and_the_receiving_organisation_joins_a_team(live_server, browser_login, world, referrals):
    from cases.models import Case

    offers, to_youth, to_early_help = referrals
    # The youth-welfare caseworker accepts the referral and opens a case from it.
    page = browser_login(world.convenor)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Referrals", exact=True).click()
    page.get_by_role("link", name="Y.", exact=True).click()
    page.get_by_label("Decision").select_option(label="Accept")
    page.get_by_role("button", name="Save the decision").click()
    expect(page.get_by_text("Status now: Accepted.")).to_be_visible()
    form = page.locator("form[action$='/open-case/']")
    form.get_by_label("Pseudonymous reference").fill("KT-2026-077")
    form.get_by_label("Reference of the family's signed consent form").fill("TEAM-2026-3")
    form.get_by_label("Consent given on").fill("2026-01-05")
    form.get_by_label("The family has agreed in writing that our organisation joins the case team.").check()
    form.get_by_role("button", name="Open the case").click()
    expect(page.get_by_text("Case opened from the referral.")).to_be_visible()
    page.get_by_role("link", name="KT-2026-077").click()
    expect(page.get_by_role("heading", name="KT-2026-077").first).to_be_visible()
    assert Case.objects.get(reference="KT-2026-077").lead_caseworker == world.convenor

    # The early-help social worker joins the case the case manager attached the request to.
    page = browser_login(world.outsider)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Referrals", exact=True).click()
    page.get_by_role("link", name="K.", exact=True).click()
    assert page.get_by_text(world.case.reference).count() == 0
    form = page.locator("form[action$='/join-case-team/']")
    form.get_by_label("Reference of the family's signed consent form").fill("TEAM-2026-4")
    form.get_by_label("Consent given on").fill("2026-01-05")
    form.get_by_label("The family has agreed in writing that our organisation joins the case team.").check()
    form.get_by_role("button", name="Join the case team").click()
    expect(page.get_by_text("Your organisation is now on the case team.")).to_be_visible()
    page.get_by_role("link", name=world.case.reference).click()
    expect(page.get_by_role("heading", name=world.case.reference).first).to_be_visible()
