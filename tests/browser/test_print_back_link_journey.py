"""Browser, in German: the print views of a protocol and of a half-year summary had no way back
(newcomer walk). Each now has a back link on screen that is left out of the print (axe: no
serious or critical WCAG violation)."""
from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from board import services as board_services
from tests.browser.test_accessibility import _serious_violations
from tests.browser.test_refused_pages_journey import dashboard
from tests.world import ended_first_half_year

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def german(settings):
    settings.LANGUAGE_CODE = "de"


def _back_link_on_screen_not_in_print(page, name: str, back_url: str) -> None:
    back = page.get_by_role("link", name=name)
    expect(back).to_be_visible()
    assert _serious_violations(page, name) == []
    page.emulate_media(media="print")
    expect(back).to_be_hidden()
    page.emulate_media(media="screen")
    back.click()
    page.wait_for_url(f"**{back_url}")


def test_the_protocol_print_leads_back_to_the_protocol(world, browser, live_server):
    page = dashboard(browser, live_server, world.convenor)
    page.goto(live_server.url + reverse("protocols:protocol_print", args=[world.protocol.pk]))
    _back_link_on_screen_not_in_print(page, "Zurück zum Protokoll",
                                      reverse("protocols:protocol_detail", args=[world.protocol.pk]))


def test_the_summary_print_leads_back_to_the_summary(world, browser, live_server):
    summary = board_services.summary_publish(world.coordinator, summary=board_services.summary_compute(
        world.coordinator, network=world.network, year=ended_first_half_year(), half=1))
    page = dashboard(browser, live_server, world.board_member)
    page.goto(live_server.url + reverse("board:summary_print", args=[summary.pk]))
    _back_link_on_screen_not_in_print(page, "Zurück zum Halbjahresbericht",
                                      reverse("board:summary_detail", args=[summary.pk]))
