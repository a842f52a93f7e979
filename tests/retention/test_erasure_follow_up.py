"""The daily retention run follows up Art. 17 erasures made before the erasure itself withdrew the
person's invitations and told of her open actions (``privacy.retention.follow_up_erasures``): her
invitations to coming conferences are withdrawn through the same service, with the same audit
event (reason ``erased``, the retention run as actor) and the same notice to the convenor, so that
no date poll waits for her; the convenor is told once of her open actions. Invitations to
conferences held, cancelled or past stay as the record; a second run changes nothing."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import ERASED_MARK, Case, FamilyMember
from conferences import selectors
from conferences import services as conference_services
from conferences.models import Conference, Invitation, SlotVote
from notifications.models import Kind, Notification
from operations.retention import retention_apply
from permissions import audit
from permissions.models import AuditEvent
from protocols.models import AgreedAction
from tests.conferences.helpers import convene
from tests.privacy.test_erasure_is_a_fact import _erase
from tests.retention.conftest import snapshot

pytestmark = pytest.mark.django_db

WITHDRAWN = "invitations of erased family members withdrawn"
TOLD = "convenors told of open actions of erased family members"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _erased_before_the_follow_up(member: FamilyMember) -> None:
    """Her record as an erasure made before this code left it: erased, unlinked, her invitations
    and actions untouched."""
    FamilyMember.objects.filter(pk=member.pk).update(display_name=ERASED_MARK, email="", user=None,
                                                      erased_at=timezone.now() - dt.timedelta(days=40))


def _everyone_else_can_come(conference: Conference) -> None:
    slot = conference.poll.slots.order_by("starts_at").first()
    for invitation in conference.invitations.filter(family_member__isnull=True):
        SlotVote.objects.create(invitation=invitation, slot=slot, answer=SlotVote.Answer.YES)


def _invitation(conference: Conference, member: FamilyMember) -> Invitation:
    return Invitation.objects.get(conference=conference, family_member=member)


def test_the_daily_run_withdraws_a_leftover_invitation_so_the_poll_no_longer_waits_for_her(world, committed):
    polling = convene(world)  # the mother is a required invitee
    _everyone_else_can_come(polling)
    assert not selectors.poll_grid(polling).ranking[0].all_required_can
    _erased_before_the_follow_up(world.mother)

    with committed():
        report = retention_apply()

    grid = selectors.poll_grid(polling)
    assert grid.ranking[0].all_required_can
    assert world.mother.pk not in [i.family_member_id for i in grid.invitations]
    withdrawn = [_invitation(c, world.mother) for c in (world.conference, polling)]
    assert all(invitation.removed_at is not None for invitation in withdrawn)
    events = AuditEvent.objects.filter(action="invitation.remove").order_by("object_id")
    assert [(e.object_id, e.actor_id, e.actor_label, e.channel, e.detail["reason"], e.detail["family_member"])
            for e in events] == [(str(i.pk), None, "retention", audit.Channel.COMMAND, "erased", world.mother.pk)
                                 for i in sorted(withdrawn, key=lambda i: str(i.pk))]
    notices = Notification.objects.filter(kind=Kind.INVITATION_ERASED)
    assert sorted((n.recipient_id, n.url) for n in notices) == sorted(
        (world.convenor.pk, reverse("conferences:conference_detail", args=[c.pk])) for c in (world.conference, polling))
    assert report.other_rows[WITHDRAWN] == 2
    assert audit.verify_all() == []


def test_the_task_records_its_own_channel(world):
    _erased_before_the_follow_up(world.mother)
    retention_apply(channel=audit.Channel.TASK)
    assert AuditEvent.objects.get(action="invitation.remove").channel == audit.Channel.TASK


def test_invitations_to_held_cancelled_and_past_conferences_stay_as_the_record(world, committed):
    held = world.conference
    Conference.objects.filter(pk=held.pk).update(status=Conference.Status.HELD, starts_at=timezone.now() - dt.timedelta(days=3),
                                                 ends_at=timezone.now() - dt.timedelta(days=3, hours=-2))
    cancelled = convene(world)
    conference_services.conference_cancel(world.convenor, conference=cancelled)
    begun = convene(world)
    Conference.objects.filter(pk=begun.pk).update(status=Conference.Status.SCHEDULED,
                                                  starts_at=timezone.now() - dt.timedelta(hours=1))
    coming = convene(world)
    _erased_before_the_follow_up(world.mother)

    with committed():
        report = retention_apply()

    for conference in (held, cancelled, begun):
        assert _invitation(conference, world.mother).removed_at is None
    withdrawn = _invitation(coming, world.mother)
    assert withdrawn.removed_at is not None
    assert list(AuditEvent.objects.filter(action="invitation.remove").values_list("object_id", flat=True)) == [
        str(withdrawn.pk)]
    assert list(Notification.objects.filter(kind=Kind.INVITATION_ERASED).values_list("url", flat=True)) == [
        reverse("conferences:conference_detail", args=[coming.pk])]
    assert report.other_rows[WITHDRAWN] == 1


def _draft(case, convenor, member: FamilyMember) -> Conference:
    conference = Conference.objects.create(case=case, convenor=convenor, status=Conference.Status.DRAFT)
    Invitation.objects.create(conference=conference, family_member=member)
    return conference


def test_a_closed_case_is_left_alone_an_open_one_is_followed_up(world, committed):
    """A closed case has no coming conference and nobody convenes it: a draft left in it keeps her
    invitation, and nobody is told. The same draft in an open case stops waiting for its erased parent."""
    closed_draft = _draft(world.case, world.convenor, world.mother)
    Conference.objects.filter(pk=world.conference.pk).update(status=Conference.Status.CANCELLED)
    Case.objects.filter(pk=world.case.pk).update(status=Case.Status.CLOSED, closed_on=timezone.localdate())
    _erased_before_the_follow_up(world.mother)
    father = FamilyMember.objects.get(case=world.other_case)
    open_draft = _draft(world.other_case, world.lead_colleague, father)
    _erased_before_the_follow_up(father)

    with committed():
        report = retention_apply()

    assert _invitation(closed_draft, world.mother).removed_at is None
    assert _invitation(open_draft, father).removed_at is not None
    assert report.other_rows[WITHDRAWN] == 1 and TOLD not in report.other_rows
    assert list(Notification.objects.values_list("recipient", "kind")) == [(world.lead_colleague.pk, Kind.INVITATION_ERASED)]


def test_the_convenor_is_told_once_of_her_open_actions(world, committed):
    _erased_before_the_follow_up(world.mother)

    with committed():
        report = retention_apply()

    notice = Notification.objects.get(kind=Kind.ACTIONS_ERASED)
    assert (notice.recipient, notice.count) == (world.convenor, 1)
    assert notice.url == reverse("protocols:action_detail", args=[world.action_parent.pk])
    assert report.other_rows[TOLD] == 1
    assert AgreedAction.objects.get(pk=world.action_parent.pk).responsible_family_member_id == world.mother.pk


def test_a_second_run_writes_nothing(world, committed):
    polling = convene(world)
    _erased_before_the_follow_up(world.mother)
    with committed():
        first = retention_apply()
    assert (first.other_rows[WITHDRAWN], first.other_rows[TOLD]) == (2, 1)
    assert _invitation(polling, world.mother).removed_at is not None
    before = snapshot()

    with committed():
        report = retention_apply()

    assert WITHDRAWN not in report.other_rows and TOLD not in report.other_rows
    assert snapshot() == before


def test_a_dry_run_withdraws_nothing_and_tells_nobody(world, committed):
    _erased_before_the_follow_up(world.mother)
    with committed():
        report = retention_apply(dry_run=True)
    assert report.other_rows[WITHDRAWN] == 1 and report.other_rows[TOLD] == 1
    assert _invitation(world.conference, world.mother).removed_at is None
    assert not Notification.objects.exists()
    assert not AuditEvent.objects.filter(action="invitation.remove").exists()


def test_an_erasure_made_today_leaves_the_run_nothing_to_do(world, committed):
    with committed():
        _erase(world, world.mother)
    assert Notification.objects.filter(kind=Kind.ACTIONS_ERASED, recipient=world.convenor).count() == 1
    before = snapshot()
    with committed():
        report = retention_apply()
    assert WITHDRAWN not in report.other_rows and TOLD not in report.other_rows
    assert snapshot() == before
