"""The page that shows a new poll link to the convenor says until when it works; a parent with an
account gets no link (she answers signed in)."""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import formats, timezone

from cases.models import FamilyMember
from conferences import services
from conferences.models import PollLink
from permissions.models import AuditEvent
from tests.access_offers import account_by_link
from tests.conferences.helpers import convene, without_account

pytestmark = pytest.mark.django_db


def test_the_new_poll_link_page_names_the_parent_and_the_expiry(client, world):
    conference = convene(world)
    invitation = conference.invitations.get(family_member=without_account(world.mother))
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
    """Once her record is linked to an account (the caseworker offered access, she used the set-up
    link), she answers the poll herself: the poll page no longer offers a personal link for her."""
    without_account(world.mother)
    world.mother.refresh_from_db()
    conference = convene(world)
    invitation = conference.invitations.get(family_member=world.mother)
    create = reverse("conferences:poll_link_create", args=[conference.pk, invitation.pk])
    client.force_login(world.convenor)
    page = client.get(reverse("conferences:conference_poll", args=[conference.pk])).content.decode()
    assert "Links for parents without an account" in page and create in page

    account_by_link(world.convenor, world.mother)

    page = client.get(reverse("conferences:conference_poll", args=[conference.pk])).content.decode()
    assert "Links for parents without an account" not in page and create not in page


# --- a parent with an account answers signed in: no personal link for her ------------------------

def test_the_service_refuses_a_poll_link_for_a_parent_with_an_account(world):
    conference = convene(world)
    invitation = conference.invitations.get(family_member=world.mother)
    assert world.mother.user_id == world.parent.pk
    with pytest.raises(ValidationError) as refused:
        services.poll_link_create(world.convenor, invitation=invitation)
    assert refused.value.message_dict["invitation"] == [
        f"{world.mother} has an account and answers the poll signed in to Fallkonferenz. "
        "Personal poll links are only for parents without an account."]
    assert not PollLink.objects.filter(invitation=invitation).exists()
    assert not AuditEvent.objects.filter(action="poll_link.create").exists()


def test_a_crafted_post_for_a_parent_with_an_account_gets_the_reason_and_no_link(client, world):
    conference = convene(world)
    invitation = conference.invitations.get(family_member=world.mother)
    client.force_login(world.convenor)
    poll_page = reverse("conferences:conference_poll", args=[conference.pk])
    assert reverse("conferences:poll_link_create", args=[conference.pk, invitation.pk]) not in client.get(poll_page).content.decode()
    response = client.post(reverse("conferences:poll_link_create", args=[conference.pk, invitation.pk]), follow=True)
    assert response.redirect_chain == [(poll_page, 302)]
    page = response.content.decode()
    assert f"{world.mother} has an account and answers the poll signed in to Fallkonferenz." in page
    assert "/p/" not in page
    assert not invitation.poll_links.exists()


def test_an_account_made_after_the_page_was_opened_counts(client, world):
    """The convenor opened the poll page while the mother had no account; she took an offer of
    access meanwhile: the link is refused as the account stands now."""
    without_account(world.mother)
    conference = convene(world)
    invitation = conference.invitations.select_related("family_member").get(family_member=world.mother)
    assert invitation.answers_by_poll_link
    account_by_link(world.convenor, world.mother)
    with pytest.raises(ValidationError) as refused:
        services.poll_link_create(world.convenor, invitation=invitation)
    assert "invitation" in refused.value.message_dict
    assert not invitation.poll_links.exists()


def test_a_link_issued_before_she_got_an_account_no_longer_answers_the_poll(client, world):
    """Found by a review with a probe: the refusal covered new links only; a link mailed before
    her account was made still opened the poll without signing in. She answers signed in now."""
    without_account(world.mother)
    conference = convene(world)
    invitation = conference.invitations.select_related("family_member").get(family_member=world.mother)
    _link, raw = services.poll_link_create(world.convenor, invitation=invitation)
    assert services.poll_link_resolve(raw) is not None
    account_by_link(world.convenor, world.mother)
    assert services.poll_link_resolve(raw) is None
    assert client.get(reverse("conferences:poll_link_vote", args=[raw])).status_code in (404, 410)


def test_a_link_of_a_parent_with_an_account_now_tells_her_to_sign_in_and_nothing_else(client, world):
    """Clicked in a browser: the refused link said "ask the person who invited you for a new link",
    a dead end, as no new link is made for a parent with an account. It tells her to sign in now,
    and still shows nothing of the conference."""
    without_account(world.mother)
    conference = convene(world)
    invitation = conference.invitations.select_related("family_member").get(family_member=world.mother)
    _link, raw = services.poll_link_create(world.convenor, invitation=invitation)
    account_by_link(world.convenor, world.mother)
    response = client.get(reverse("conferences:poll_link_vote", args=[raw]), HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Bitte melden Sie sich zum Antworten an" in page
    assert f'href="{reverse("account_login")}"' in page
    assert "Link ist nicht mehr gültig" not in page
    for secret in (world.case.reference, "Rathaus", str(world.mother), 'type="radio"'):
        assert secret not in page
    assert response["Cache-Control"] == "no-store"
    # A link that is unknown, or revoked, still says only that it is not valid.
    assert "Link ist nicht mehr gültig" in client.get(reverse("conferences:poll_link_vote", args=["x" * 40]),
                                                      HTTP_ACCEPT_LANGUAGE="de").content.decode()
