"""No calendar may believe what the service does not: every iMIP message is built from the state
it announces, is dropped when that state is gone before the worker runs, and SEQUENCE strictly
orders what one attendee receives."""
from __future__ import annotations

import pytest
from django.core import mail

from conferences import services
from cases.models import CaseTeamMember
from tests.conferences.helpers import convene, local
from tests.conferences.mailfixtures import request_calendar

pytestmark = pytest.mark.django_db


def sent(address: str) -> list[tuple[str, int, str | None]]:
    """(METHOD, SEQUENCE, STATUS) of every message to ``address``, in order."""
    found = []
    for message in mail.outbox:
        if message.to == [address]:
            cal = request_calendar(message)
            event = cal.events[0]
            found.append((str(cal["METHOD"]), int(event["SEQUENCE"]), str(event["STATUS"]) if "STATUS" in event else None))
    return found


def test_a_conference_picked_and_cancelled_before_the_worker_runs_sends_only_the_cancel(world, django_capture_on_commit_callbacks):
    conference = convene(world)
    with django_capture_on_commit_callbacks() as picked:
        services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    with django_capture_on_commit_callbacks() as cancelled:
        services.conference_cancel(world.convenor, conference=conference)
    with django_capture_on_commit_callbacks(execute=True):  # the worker runs only now (and hands its mail to the outbox)
        for callback in picked + cancelled:
            callback()
    assert mail.outbox and {m.subject.split(":")[0] for m in mail.outbox} == {"Cancelled"}
    assert sent(world.counsellor.email) == [("CANCEL", 1, "CANCELLED")]


def test_an_invitee_withdrawn_before_the_worker_runs_is_not_sent_a_request(world, django_capture_on_commit_callbacks):
    conference = convene(world)
    with django_capture_on_commit_callbacks() as picked:
        services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    with django_capture_on_commit_callbacks() as withdrawn:
        services.invitation_remove(world.convenor, invitation=conference.invitations.get(user=world.midwife))
    with django_capture_on_commit_callbacks(execute=True):
        for callback in picked + withdrawn:
            callback()
    assert [method for method, _seq, _status in sent(world.midwife.email)] == ["CANCEL"]
    assert sent(world.counsellor.email) == [("REQUEST", 1, "CONFIRMED")]


def test_a_move_before_the_worker_runs_sends_each_invitee_one_request_for_the_new_time(world, django_capture_on_commit_callbacks):
    conference = convene(world)
    with django_capture_on_commit_callbacks() as picked:
        services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    with django_capture_on_commit_callbacks() as moved:
        services.conference_move(world.convenor, conference=conference, starts_at=local(20))
    with django_capture_on_commit_callbacks(execute=True):
        for callback in picked + moved:
            callback()
    assert sent(world.counsellor.email) == [("REQUEST", 1, "CONFIRMED")]
    event = request_calendar(next(m for m in mail.outbox if m.to == [world.counsellor.email])).events[0]
    assert event["DTSTART"].dt == local(20)


def test_withdrawing_one_invitee_sends_a_cancel_without_status(world, committed):
    conference = convene(world)
    with committed():
        services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    mail.outbox.clear()
    with committed():
        services.invitation_remove(world.convenor, invitation=conference.invitations.get(user=world.midwife))
    assert sent(world.midwife.email) == [("CANCEL", 1, None)]  # RFC 5546 §3.2.5


def test_a_re_invitation_after_a_withdrawal_outranks_the_cancel(world, committed):
    conference = convene(world)
    with committed():
        services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    with committed():
        services.invitation_remove(world.convenor, invitation=conference.invitations.get(user=world.midwife))
    member = CaseTeamMember.objects.get(case=world.case, user=world.midwife, removed_at__isnull=True)
    with committed():
        services.invitation_add(world.convenor, conference=conference, team_member=member)
    sequences = [seq for _method, seq, _status in sent(world.midwife.email)]
    assert [m for m, _s, _t in sent(world.midwife.email)] == ["REQUEST", "CANCEL", "REQUEST"]
    assert sequences == sorted(sequences) and len(set(sequences)) == 3
