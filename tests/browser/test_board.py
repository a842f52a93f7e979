"""Browser: a board member opens the latest summary, sees its charts and downloads the CSV."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from django.urls import reverse

from tests.world import ended_first_half_year

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_board_member_opens_latest_summary_sees_charts_and_downloads_csv(live_server, browser_login, world):
    from board import services

    summary = services.summary_publish(world.coordinator, summary=services.summary_compute(
        world.coordinator, network=world.network, year=ended_first_half_year(), half=1))
    page = browser_login(world.board_member)
    page.goto(live_server.url + reverse("board:summary_list"))
    page.get_by_role("link", name=f"{summary.year} H1").click()
    page.wait_for_url(f"**{reverse('board:summary_detail', args=[summary.pk])}")
    charts = page.locator("svg.chart")
    assert charts.count() == 3
    expect(charts.first).to_be_visible()
    assert page.get_by_role("img", name="Conferences").count() == 1
    assert page.get_by_role("table").count() >= 4
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as CSV").click()
    download = download_info.value
    assert download.suggested_filename == f"summary-kreis-test-{summary.year}-h1.csv"
    with open(download.path(), encoding="utf-8-sig") as handle:
        content = handle.read()
    assert "Conferences held" in content and world.case.reference not in content
