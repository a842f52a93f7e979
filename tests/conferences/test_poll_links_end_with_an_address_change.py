"""A parent's poll links end when her e-mail address is corrected (review h9, H9-3).

A parent without an account answers a date poll through a personal link mailed to her address.
When the caseworker corrects that address (it was wrong: someone else's mailbox), whoever reads
the old mailbox must not go on answering in her name: her links in force are revoked in the same
transaction (``cases`` announces the change, ``conferences`` revokes), each recorded, and where a
poll is open a fresh link goes to the new address, through the task that mails every poll
invitation and records it.
"""
from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.models import FamilyMember
from conferences import services
from conferences.models import PollLink, SlotPoll
from permissions.models import AuditEvent
from tests.conferences.helpers import convene, without_account

pytestmark = pytest.mark.django_db


def _wrongly_addressed_link(world):
    member = without_account(world.mother)
    FamilyMember.objects.filter(pk=member.pk).update(email="falsch@example.org")
    member.refresh_from_db()
    conference = convene(world)
    invitation = conference.invitations.get(family_member=member)
    link, raw = services.poll_link_create(world.convenor, invitation=invitation)
    assert services.poll_link_resolve(raw) is not None  # the control
    return member, conference, invitation, link, raw


def _correct(world, member, **values):
    member.refresh_from_db()
    return case_services.family_member_update(world.convenor, member=member, version=member.version, **values)


def _fresh_link(message) -> str:
    prefix = reverse("conferences:poll_link_vote", args=["TOKEN"]).split("TOKEN")[0]
    return re.search(re.escape(prefix) + r"([^/\s]+)/", message.body).group(1)


def test_the_corrected_address_revokes_the_link_and_sends_a_fresh_one_there(world, committed):
    member, conference, invitation, link, raw = _wrongly_addressed_link(world)
    mail.outbox.clear()
    with committed():
        _correct(world, member, email="richtig@example.org")

    link.refresh_from_db()
    assert link.revoked_at is not None and services.poll_link_resolve(raw) is None
    revoked = AuditEvent.objects.get(action="poll_link.revoke")
    assert (revoked.actor_id, revoked.case_id, revoked.detail) == (world.convenor.pk, world.case.pk, {"reason": "address_changed"})
    assert [m.to for m in mail.outbox] == [["richtig@example.org"]]
    fresh = services.poll_link_resolve(_fresh_link(mail.outbox[0]))
    assert fresh is not None and fresh.invitation_id == invitation.pk
    assert AuditEvent.objects.filter(action="poll.invitation_sent", object_id=str(invitation.pk)).exists()


def test_without_an_open_poll_the_link_ends_and_nothing_is_sent(world, committed):
    member, conference, invitation, link, raw = _wrongly_addressed_link(world)
    SlotPoll.objects.filter(conference=conference).update(closed_at=timezone.now())
    mail.outbox.clear()
    with committed():
        _correct(world, member, email="richtig@example.org")
    assert services.poll_link_resolve(raw) is None
    assert mail.outbox == [] and PollLink.objects.filter(invitation=invitation, revoked_at__isnull=True).count() == 0


def test_an_address_taken_away_ends_the_link_and_sends_nothing(world, committed):
    member, conference, invitation, link, raw = _wrongly_addressed_link(world)
    mail.outbox.clear()
    with committed():
        _correct(world, member, email="")
    assert services.poll_link_resolve(raw) is None and mail.outbox == []


def test_another_correction_leaves_her_link_in_force(world, committed):
    member, conference, invitation, link, raw = _wrongly_addressed_link(world)
    mail.outbox.clear()
    with committed():
        _correct(world, member, display_name="Maria")
    assert services.poll_link_resolve(raw) is not None and mail.outbox == []
    assert not AuditEvent.objects.filter(action="poll_link.revoke").exists()
