"""The page that shows a new poll link to the convenor says until when it works."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import formats, timezone

from tests.conferences.helpers import convene

pytestmark = pytest.mark.django_db


def test_the_new_poll_link_page_names_the_parent_and_the_expiry(client, world):
    conference = convene(world)
    invitation = conference.invitations.get(family_member=world.mother)
    client.force_login(world.convenor)
    response = client.post(reverse("conferences:poll_link_create", args=[conference.pk, invitation.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    link = invitation.poll_links.order_by("-pk").first()
    expected = formats.date_format(timezone.localtime(link.expires_at), "DATETIME_FORMAT")
    assert f"Give this link to {world.mother}" in page
    assert f"until {expected}." in page


def test_every_page_title_ends_with_the_product_name(client, world):
    client.force_login(world.convenor)
    page = client.get(reverse("dashboard")).content.decode()
    assert "<title>Overview – Fallkonferenz</title>" in page
