"""Opening a half-year summary is audited: the page, the printable page, the CSV downloads and the
API detail each write one AuditEvent naming the channel, in the day's chain (no case id)."""
from __future__ import annotations

import pytest
from django.urls import reverse

from permissions.models import AuditEvent

pytestmark = pytest.mark.django_db


def _reads(user):
    return AuditEvent.objects.filter(actor=user, object_type="board.halfyearsummary").order_by("position")


@pytest.mark.parametrize("name,action", [
    ("board:summary_detail", "summary.view"),
    ("board:summary_print", "summary.print"),
    ("board:summary_csv", "summary.csv"),
])
def test_board_member_opening_a_summary_page_is_audited_in_the_day_chain(client, world, name, action):
    client.force_login(world.board_member)
    assert client.get(reverse(name, args=[world.summary.pk])).status_code == 200
    event = _reads(world.board_member).get()
    assert (event.action, event.channel, event.object_id, event.case_id) == (action, "page", str(world.summary.pk), None)
    assert event.chain_key.startswith("day:")


def test_reading_a_summary_through_the_api_is_audited_with_the_api_channel(client, world):
    client.force_login(world.coordinator)
    assert client.get(reverse("board-summary-detail", args=[world.summary.pk])).status_code == 200
    event = _reads(world.coordinator).get()
    assert (event.action, event.channel, event.case_id) == ("summary.view", "api", None)


def test_a_refused_read_writes_no_read_event(client, world):
    client.force_login(world.outsider)
    assert client.get(reverse("board:summary_detail", args=[world.summary.pk])).status_code == 404
    assert client.get(reverse("board-summary-detail", args=[world.summary.pk])).status_code == 404
    assert not _reads(world.outsider).exists()


def test_the_list_of_summaries_is_not_a_read_of_any_summary(client, world):
    client.force_login(world.board_member)
    client.get(reverse("board:summary_list"))
    client.get(reverse("board-summary-list"))
    assert not _reads(world.board_member).exists()
