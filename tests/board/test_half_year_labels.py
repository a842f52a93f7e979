"""The board reads a half year the way the summary's heading says it, in its own language, on every
page: the list of reports, the charts, the tables, the meetings and the dashboard ("2025, 2. Halbjahr",
"2025, 2. halvår"; "2025 H2" in English). Danish charts and tables say "til stede" alike."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from board import services
from tests.board.crafted import build_crafted

pytestmark = pytest.mark.django_db

LABELS = {
    "de": ("2025, 2. Halbjahr", "2025, 1. Halbjahr"),
    "da": ("2025, 2. halvår", "2025, 1. halvår"),
    "en": ("2025 H2", "2025 H1"),
}


@pytest.fixture
def published(db):
    crafted = build_crafted()
    summary = services.summary_publish(crafted.coordinator, summary=services.summary_compute(
        crafted.coordinator, network=crafted.network, year=2025, half=2))
    return crafted, summary


def _get(client, name, language, *args) -> str:
    response = client.get(reverse(name, args=args), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode("utf-8-sig")


def _svg_text(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", svg) for svg in re.findall(r"<svg.*?</svg>", page, re.S))


@pytest.mark.parametrize("language", ["de", "da", "en"])
def test_every_board_page_names_the_half_year_in_the_language_of_its_heading(client, published, language):
    crafted, summary = published
    current, previous = LABELS[language]
    client.force_login(crafted.coordinator)

    listing = _get(client, "board:summary_list", language)
    page = _get(client, "board:summary_detail", language, summary.pk)
    printed = _get(client, "board:summary_print", language, summary.pk)
    csv_head = _get(client, "board:summary_csv", language, summary.pk).splitlines()[0]
    dashboard = _get(client, "dashboard", language)

    assert current in listing and current in dashboard
    assert current in _svg_text(page) and previous in _svg_text(page)  # chart legends
    assert f'<th scope="col">{current}</th><th scope="col">{previous}</th>' in page  # table header
    assert current in printed and current in csv_head and previous in csv_head
    if language != "en":
        for text in (listing, page, printed, csv_head, dashboard):
            assert "2025 H2" not in text and "2025 H1" not in text


def test_the_danish_chart_says_til_stede_as_the_table_does(client, published):
    crafted, summary = published
    client.force_login(crafted.coordinator)
    page = _get(client, "board:summary_detail", "da", summary.pk)
    assert "Afholdt med mindst én forælder til stede" in _svg_text(page)
    assert "tilstede" not in _svg_text(page) and "tilstede" not in page
