"""The link to the Danish yearly reports shows only to people of a Danish network's board or
coordination (newcomer walk 11: a Heinsberg board member was shown it)."""
from __future__ import annotations

import pytest
from django.urls import reverse

from participants.models import NetworkRole

pytestmark = pytest.mark.django_db

LINK = reverse("board:yearly_report_list")


def test_a_german_board_member_is_not_shown_the_danish_yearly_reports(world, client):
    client.force_login(world.board_member)
    assert world.network.country != "DK"
    assert LINK not in client.get(reverse("board:summary_list")).content.decode()


def test_a_board_member_of_a_danish_network_is_shown_them(world, client):
    assert world.other_network.country == "DK"
    NetworkRole.objects.create(user=world.board_member, network=world.other_network, role=NetworkRole.Role.BOARD_MEMBER)
    client.force_login(world.board_member)
    assert LINK in client.get(reverse("board:summary_list")).content.decode()
