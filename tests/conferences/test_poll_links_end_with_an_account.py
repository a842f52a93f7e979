"""A parent's poll links end when her record is linked to an account (review, 2026-12-06).

A parent without an account answers a poll through a personal link. When her record is linked to
an account, she answers signed in: her links were refused when used but stayed "in force" in the
database, and nothing in the audit trail recorded their end. Now they are revoked in the same
transaction, with a ``poll_link.revoke`` event each. The caseworker only offers access
(``cases.access_services``); the link takes effect when the parent uses her set-up link or her
linking code, and so does the revocation: until then she still answers through her poll link.
"""
from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases import access_services
from cases.models import FamilyMember
from conferences import services
from conferences.models import PollLink
from permissions.models import AuditEvent
from tests.access_offers import account_by_link
from tests.conferences.helpers import convene, without_account
from tests.world import make_user

pytestmark = pytest.mark.django_db


def a_link(world):
    conference = convene(world)
    invitation = conference.invitations.get(family_member=without_account(world.mother))
    link, raw = services.poll_link_create(world.convenor, invitation=invitation)
    assert services.poll_link_resolve(raw) is not None  # the control
    return conference, invitation, link, raw


def test_her_account_revokes_her_poll_links_and_records_it(world):
    conference, invitation, link, raw = a_link(world)
    user = account_by_link(world.convenor, world.mother)

    link.refresh_from_db()
    assert link.revoked_at is not None
    assert not PollLink.objects.filter(invitation__family_member=world.mother, revoked_at__isnull=True).exists()
    event = AuditEvent.objects.get(action="poll_link.revoke")
    assert event.case_id == conference.case_id and event.actor_id == user.pk  # she linked it, using her link
    assert event.detail == {"reason": "account_created", "user": user.pk}
    assert services.poll_link_resolve(raw) is None


def test_a_refused_offer_leaves_her_links_as_they_were(world):
    """Same transaction: an offer that is refused revokes nothing."""
    conference, invitation, link, raw = a_link(world)
    FamilyMember.objects.filter(pk=world.mother.pk).update(email="")
    with pytest.raises(ValidationError):
        access_services.family_member_access_offer(world.convenor, member=world.mother)
    link.refresh_from_db()
    assert link.revoked_at is None and not AuditEvent.objects.filter(action="poll_link.revoke").exists()


def test_an_offer_she_has_not_taken_yet_leaves_her_links_in_force(world):
    """Offered is not linked: she may never use the set-up link (or it reached someone else's
    mailbox), and she keeps answering as before until she does."""
    conference, invitation, link, raw = a_link(world)
    access_services.family_member_access_offer(world.convenor, member=world.mother)
    link.refresh_from_db()
    assert link.revoked_at is None and services.poll_link_resolve(raw) is not None
    assert FamilyMember.objects.get(pk=world.mother.pk).user_id is None


def test_her_linking_code_revokes_her_links_when_she_enters_it(world):
    """An account received mail at her address: only the code links, and only then do her links end."""
    conference, invitation, link, raw = a_link(world)
    her_account = make_user("maria")  # made by the admin, say, or for a case of hers elsewhere
    FamilyMember.objects.filter(pk=world.mother.pk).update(email=her_account.email)
    offered = access_services.family_member_access_offer(world.convenor, member=world.mother)
    assert services.poll_link_resolve(raw) is not None
    access_services.access_offer_take(her_account, code=offered.code)
    link.refresh_from_db()
    assert link.revoked_at is not None and services.poll_link_resolve(raw) is None
    assert AuditEvent.objects.get(action="poll_link.revoke").actor_id == her_account.pk


def test_the_set_up_link_from_the_case_page_revokes_her_links_when_she_uses_it(world, client,
                                                                              django_capture_on_commit_callbacks):
    conference, invitation, link, raw = a_link(world)
    client.force_login(world.convenor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("cases:case_family_account", args=[world.case.pk, world.mother.pk]))
    link.refresh_from_db()
    assert link.revoked_at is None  # offered, not taken
    set_up = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body).group(1)
    client.logout()
    form_page = client.get(set_up, follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else set_up
    assert client.post(action, {"password1": "mutter-passwort-2026", "password2": "mutter-passwort-2026"}).status_code == 302
    assert world.mother.__class__.objects.get(pk=world.mother.pk).user_id is not None
    link.refresh_from_db()
    assert link.revoked_at is not None
