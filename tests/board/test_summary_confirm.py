"""Publishing a half-year summary and discarding a draft cannot be undone: each asks for a tick
first, and without it nothing changes and the page says why (newcomer walk 11)."""
from __future__ import annotations

import pytest
from django.urls import reverse

from board import services
from board.models import HalfYearSummary
from tests.board.crafted import build_crafted

pytestmark = pytest.mark.django_db


@pytest.fixture
def crafted(db):
    return build_crafted()


@pytest.mark.parametrize("name", ["board:summary_publish", "board:summary_discard"])
def test_without_the_tick_nothing_changes_and_the_page_says_why(crafted, client, name):
    draft = services.summary_compute(crafted.coordinator, network=crafted.network, year=2025, half=2)
    client.force_login(crafted.coordinator)
    page = client.get(reverse("board:summary_detail", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.count('type="checkbox" name="confirm"') == 2
    answer = client.post(reverse(name, args=[draft.pk]), {}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "Tick the box to confirm" in answer.content.decode()
    assert HalfYearSummary.objects.filter(pk=draft.pk, status=HalfYearSummary.Status.DRAFT).exists()


def test_with_the_tick_the_draft_is_published(crafted, client):
    draft = services.summary_compute(crafted.coordinator, network=crafted.network, year=2025, half=2)
    client.force_login(crafted.coordinator)
    client.post(reverse("board:summary_publish", args=[draft.pk]), {"confirm": "on"})
    assert HalfYearSummary.objects.get(pk=draft.pk).status == HalfYearSummary.Status.PUBLISHED


def test_with_the_tick_the_draft_is_discarded(crafted, client):
    draft = services.summary_compute(crafted.coordinator, network=crafted.network, year=2025, half=2)
    client.force_login(crafted.coordinator)
    client.post(reverse("board:summary_discard", args=[draft.pk]), {"confirm": "on"})
    assert not HalfYearSummary.objects.filter(pk=draft.pk).exists()
