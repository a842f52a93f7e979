"""Browser: on a phone (390 px) the directory's results are cards without list bullets; the
bullets sat outside the cards, left of them, and the list's indent narrowed the cards."""
from __future__ import annotations

import pytest
from django.urls import reverse

from tests.offers.offer_world import build_offer_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_directorys_result_cards_carry_no_bullets_and_no_indent_at_390px(live_server, browser, world):
    build_offer_world(world)
    context = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(live_server.url + reverse("offers:directory"))
    results = page.locator("ul.offer-list")
    assert page.locator("ul.offer-list > li.card").count() >= 1
    assert results.evaluate("list => getComputedStyle(list).listStyleType") == "none"
    assert results.evaluate("list => getComputedStyle(list.firstElementChild).display") != "list-item" or \
        results.evaluate("list => getComputedStyle(list.firstElementChild).listStyleType") == "none"
    # the cards start where the list does: no room left for a marker
    assert results.evaluate("list => list.firstElementChild.getBoundingClientRect().left - list.getBoundingClientRect().left") == 0
    context.close()
