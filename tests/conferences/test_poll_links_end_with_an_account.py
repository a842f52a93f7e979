"""A parent's poll links end when she gets an account (review, 2026-12-06).

A parent without an account answers a poll through a personal link. When the caseworker gives her
an account (``cases.services.family_member_account_create``), she answers signed in: her links were
refused when used but stayed "in force" in the database, and nothing in the audit trail recorded
their end. Now they are revoked in the same transaction, with a ``poll_link.revoke`` event each.
"""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases import services as case_services
from cases.models import FamilyMember
from conferences import services
from conferences.models import PollLink
from permissions.models import AuditEvent
from tests.conferences.helpers import convene, without_account

pytestmark = pytest.mark.django_db


def a_link(world):
    conference = convene(world)
    invitation = conference.invitations.get(family_member=without_account(world.mother))
    link, raw = services.poll_link_create(world.convenor, invitation=invitation)
    assert services.poll_link_resolve(raw) is not None  # the control
    return conference, invitation, link, raw


def test_her_account_revokes_her_poll_links_and_records_it(world):
    conference, invitation, link, raw = a_link(world)
    user = case_services.family_member_account_create(world.convenor, member=world.mother)

    link.refresh_from_db()
    assert link.revoked_at is not None
    assert not PollLink.objects.filter(invitation__family_member=world.mother, revoked_at__isnull=True).exists()
    event = AuditEvent.objects.get(action="poll_link.revoke")
    assert event.case_id == conference.case_id and event.actor_id == world.convenor.pk
    assert event.detail == {"reason": "account_created", "user": user.pk}
    assert services.poll_link_resolve(raw) is None


def test_a_refused_account_leaves_her_links_as_they_were(world):
    """Same transaction: an account that is not created revokes nothing."""
    conference, invitation, link, raw = a_link(world)
    FamilyMember.objects.filter(pk=world.mother.pk).update(email="")
    with pytest.raises(ValidationError):
        case_services.family_member_account_create(world.convenor, member=world.mother)
    link.refresh_from_db()
    assert link.revoked_at is None and not AuditEvent.objects.filter(action="poll_link.revoke").exists()


def test_the_case_page_that_creates_her_account_revokes_her_links(world, client):
    conference, invitation, link, raw = a_link(world)
    client.force_login(world.convenor)
    client.post(reverse("cases:case_family_account", args=[world.case.pk, world.mother.pk]))
    link.refresh_from_db()
    assert world.mother.__class__.objects.get(pk=world.mother.pk).user_id is not None
    assert link.revoked_at is not None
