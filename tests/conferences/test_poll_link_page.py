"""The page that shows a new poll link to the convenor says until when it works."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import formats, timezone

from cases import services as case_services
from cases.models import FamilyMember
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


def test_a_parent_who_was_given_an_account_leaves_the_list_of_parents_without_one(client, world):
    """Once the caseworker creates her account from the case page, she answers the poll herself:
    the poll page no longer offers a personal link for her."""
    FamilyMember.objects.filter(pk=world.mother.pk).update(user=None)
    world.mother.refresh_from_db()
    conference = convene(world)
    invitation = conference.invitations.get(family_member=world.mother)
    create = reverse("conferences:poll_link_create", args=[conference.pk, invitation.pk])
    client.force_login(world.convenor)
    page = client.get(reverse("conferences:conference_poll", args=[conference.pk])).content.decode()
    assert "Links for parents without an account" in page and create in page

    case_services.family_member_account_create(world.convenor, member=world.mother)

    page = client.get(reverse("conferences:conference_poll", args=[conference.pk])).content.decode()
    assert "Links for parents without an account" not in page and create not in page
