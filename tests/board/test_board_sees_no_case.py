"""A board member sees nothing of any case, through any channel (pages, API, policy querysets)."""
from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse

from cases import policy as cases_policy
from conferences import policy as conferences_policy
from protocols import policy as protocols_policy

pytestmark = pytest.mark.django_db


def test_policy_gives_the_board_member_no_case_object(world):
    user = world.board_member
    assert not cases_policy.cases_for_user(user).exists()
    assert not conferences_policy.conferences_for_user(user).exists()
    assert not protocols_policy.protocol_items_for_user(user).exists()
    assert not protocols_policy.actions_for_user(user).exists()
    assert not protocols_policy.responsible_actions_for_user(user).exists()


@pytest.mark.parametrize("name,arg", [
    ("cases:case_detail", "case"),
    ("case-detail", "case"),
])
def test_case_urls_are_404_for_the_board_member(world, client, name, arg):
    try:
        url = reverse(name, args=[getattr(world, arg).pk])
    except NoReverseMatch:
        pytest.skip(f"{name} does not exist")
    client.force_login(world.board_member)
    assert client.get(url).status_code == 404


def test_summary_pages_and_api_contain_no_case_reference(world, client):
    from board import services

    summary = services.summary_compute(world.coordinator, network=world.network, year=world.summary.year, half=2)
    client.force_login(world.coordinator)
    for url in (reverse("board:summary_detail", args=[summary.pk]), reverse("board:summary_csv", args=[summary.pk])):
        body = client.get(url).content.decode("utf-8-sig")
        assert world.case.reference not in body and world.other_case.reference not in body
        assert world.mother.display_name + " " not in body
