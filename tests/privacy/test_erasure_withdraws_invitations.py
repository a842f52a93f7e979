"""Art. 17: when a family member's record is erased, the coming conferences stop waiting for her.
Her invitations to conferences not yet held (nor cancelled) are withdrawn with the erasure as the
reason, their convenors are told without a word about who she was, and those to conferences held
stay as the record."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from cases.models import FamilyMember
from conferences import selectors
from conferences import services as conference_services
from conferences.models import Conference, Invitation, SlotVote
from notifications.messages import text_of
from notifications.models import Kind, Notification
from permissions.models import AuditEvent
from tests.conferences.helpers import convene
from tests.world import hold_conference
from tests.privacy.test_erasure_is_a_fact import _erase

pytestmark = pytest.mark.django_db

NAME, ADDRESS = "Maria Musterfrau", "maria.musterfrau@example.org"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _everyone_else_can_come(conference: Conference) -> None:
    slot = conference.poll.slots.order_by("starts_at").first()
    for invitation in conference.invitations.filter(family_member__isnull=True):
        SlotVote.objects.create(invitation=invitation, slot=slot, answer=SlotVote.Answer.YES)


def test_the_date_poll_no_longer_waits_for_the_erased_parent(world):
    conference = convene(world)  # the mother is a required invitee
    _everyone_else_can_come(conference)
    assert not selectors.poll_grid(conference).ranking[0].all_required_can
    _erase(world, world.mother)
    grid = selectors.poll_grid(conference)
    assert grid.ranking[0].all_required_can
    assert world.mother.pk not in [i.family_member_id for i in grid.invitations]
    invitation = Invitation.objects.get(conference=conference, family_member=world.mother)
    assert invitation.removed_at is not None
    event = AuditEvent.objects.get(action="invitation.remove", object_id=str(invitation.pk))
    assert event.actor_id == world.dpo.pk and event.detail["reason"] == "erased"


def test_her_invitation_to_a_scheduled_conference_is_withdrawn_without_any_mail_to_her(world, committed, mailoutbox):
    FamilyMember.objects.filter(pk=world.mother.pk).update(email=ADDRESS)
    sequence = world.conference.sequence
    with committed():
        _erase(world, world.mother)
    world.invitation_parent.refresh_from_db()
    assert world.invitation_parent.removed_at is not None
    assert not [m for m in mailoutbox if ADDRESS in m.to or world.parent.email in m.to]
    world.conference.refresh_from_db()
    assert world.conference.sequence == sequence  # no CANCEL went out, so none is announced


def test_only_the_coming_conference_lets_her_go_held_and_cancelled_ones_keep_her_as_the_record(world):
    held = world.conference
    hold_conference(held)
    cancelled = convene(world)
    conference_services.conference_cancel(world.convenor, conference=cancelled)
    coming = convene(world)
    _erase(world, world.mother)
    for conference in (held, cancelled):
        assert Invitation.objects.get(conference=conference, family_member=world.mother).removed_at is None
    withdrawn = Invitation.objects.get(conference=coming, family_member=world.mother)
    assert withdrawn.removed_at is not None
    assert list(AuditEvent.objects.filter(action="invitation.remove").values_list("object_id", flat=True)) == [
        str(withdrawn.pk)]


def test_the_convenor_is_told_in_app_and_by_mail_without_a_word_of_who_she_was(world, committed, mailoutbox, client):
    FamilyMember.objects.filter(pk=world.mother.pk).update(display_name=NAME, email=ADDRESS,
                                                            interpreter_language="Tigrinya")
    world.mother.refresh_from_db()
    with committed():
        polling = convene(world)
    mailoutbox.clear()
    with committed():
        _erase(world, world.mother)
    notices = Notification.objects.filter(recipient=world.convenor, kind=Kind.INVITATION_ERASED)
    assert sorted(n.url for n in notices) == sorted(
        reverse("conferences:conference_detail", args=[c.pk]) for c in (world.conference, polling))
    client.force_login(world.convenor)
    overview = client.get(reverse("notifications:list")).content.decode()
    assert "was withdrawn because a person&#x27;s data were erased" in overview
    notice = notices.first()
    with translation.override("de"):
        assert "Bitte prüfen Sie, ob die Konferenz wie geplant stattfinden kann" in text_of(notice)
    with translation.override("da"):
        assert "Kontrollér venligst, om mødet kan holdes som planlagt" in text_of(notice)
    mails = [m for m in mailoutbox if world.convenor.email in m.to]
    assert mails, "the convenor's notification e-mail"
    for text in [overview, *(m.subject + m.body for m in mails)]:
        for kept_back in (NAME, "Maria", ADDRESS, "Tigrinya", "[erased]"):
            assert kept_back not in text
