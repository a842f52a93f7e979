"""Browser, clicking only: a woman asks to be contacted from an offer's public page — once with
JavaScript switched off (honeypot, minimum fill time and rate limit protect the form) and once
with it (the browser also solves the proof of work)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from django.core.cache import cache

from offers.models import ContactRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def public_offer(world):
    from tests.offers.offer_world import build_offer_world

    cache.clear()
    yield build_offer_world(world).public_offer
    cache.clear()


def open_form(page, live_server, offer):
    page.goto(f"{live_server.url}/directory/{offer.pk}/", wait_until="domcontentloaded")
    page.get_by_label("How can we reach you? (phone number or e-mail)").fill("0170 7654321")
    page.get_by_label("When is a good time? (optional)").fill("abends")


def test_without_javascript_she_can_ask_to_be_contacted(browser, live_server, public_offer):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    open_form(page, live_server, public_offer)
    assert not page.get_by_label("Leave this field empty").is_visible()
    # Sent at once, faster than a person types: she is asked to check and send again; what she typed stays.
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_text("Please check your entries and send the form again.")).to_be_visible()
    assert page.get_by_label("How can we reach you? (phone number or e-mail)").input_value() == "0170 7654321"
    assert not ContactRequest.objects.exists()
    page.wait_for_timeout(3500)
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_text("Thank you. Your request has reached the team of this offer only.")).to_be_visible()
    request = ContactRequest.objects.get()
    assert (request.reach_by, request.preferred_time, request.name) == ("0170 7654321", "abends", "")
    context.close()


def test_with_javascript_the_proof_of_work_is_solved_in_the_browser(browser, live_server, public_offer):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    open_form(page, live_server, public_offer)
    page.get_by_text("Spam check done.").wait_for(timeout=20_000)
    assert page.locator("input[name=pow]").input_value() != ""
    page.wait_for_timeout(3000)
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_text("Thank you. Your request has reached the team of this offer only.")).to_be_visible()
    assert ContactRequest.objects.get().reach_by == "0170 7654321"
    context.close()
