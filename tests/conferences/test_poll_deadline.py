"""The poll's deadline for answers: set at convening, shown on the poll, enforced, reminded."""
from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import formats, timezone

from conferences import services
from conferences.models import SlotPoll, SlotVote
from tests.conferences.helpers import answer_all, convene, local, without_account

pytestmark = pytest.mark.django_db


def _pass_deadline(conference) -> None:
    SlotPoll.objects.filter(conference=conference).update(closes_at=timezone.now() - dt.timedelta(minutes=5))
    conference.refresh_from_db()


def test_the_deadline_is_set_at_convening_and_shown_on_the_poll(world, client):
    conference = convene(world, closes_at=local(5, 18))
    assert conference.poll.closes_at == local(5, 18)
    client.force_login(world.counsellor)
    page = client.get(reverse("conferences:conference_poll", args=[conference.pk])).content.decode()
    with timezone.override("Europe/Berlin"):
        shown = formats.date_format(timezone.localtime(local(5, 18)), "DATETIME_FORMAT")
    assert f"Answers until {shown}" in page


def test_a_deadline_in_the_past_or_after_the_first_slot_is_refused(world):
    with pytest.raises(ValidationError) as past:
        convene(world, closes_at=timezone.now() - dt.timedelta(hours=1))
    assert "closes_at" in past.value.error_dict
    with pytest.raises(ValidationError) as late:
        convene(world, closes_at=local(30))
    assert "closes_at" in late.value.error_dict


def test_the_convene_form_reports_a_bad_deadline_at_its_field(world, client):
    client.force_login(world.convenor)
    members = world.case.team.filter(removed_at__isnull=True)
    data = {"kind": "participant", "duration_minutes": 90, "slot_1": local(10).strftime("%Y-%m-%dT%H:%M"),
            "closes_at": local(20).strftime("%Y-%m-%dT%H:%M"), f"family_{world.mother.pk}": "required",
            **{f"team_{m.pk}": "required" for m in members}}
    response = client.post(reverse("conferences:conference_create", args=[world.case.pk]), data)
    assert response.status_code == 400
    assert "must come before the first candidate time" in response.content.decode()


def test_votes_after_the_deadline_are_refused_with_a_clear_message_and_change_nothing(world, client):
    conference = convene(world, closes_at=local(5))
    invitation = conference.invitations.get(user=world.counsellor)
    services.poll_vote(world.counsellor, invitation=invitation, answers=answer_all(conference, "yes"))
    _pass_deadline(conference)
    with pytest.raises(ValidationError) as refused:
        services.poll_vote(world.counsellor, invitation=invitation, answers=answer_all(conference, "no"))
    assert "deadline for answers passed" in refused.value.messages[0]
    assert set(SlotVote.objects.filter(invitation=invitation).values_list("answer", flat=True)) == {"yes"}

    client.force_login(world.counsellor)
    response = client.post(reverse("conferences:conference_poll", args=[conference.pk]),
                           {f"slot_{pk}": "no" for pk in answer_all(conference, "no")})
    assert response.status_code == 400 and "deadline for answers passed" in response.content.decode()
    api = client.post(reverse("conference-vote", args=[conference.pk]),
                      {"answers": {str(k): "no" for k in answer_all(conference, "no")}}, content_type="application/json")
    assert api.status_code == 400 and "deadline" in str(api.json())
    assert not SlotVote.objects.filter(answer="no").exists()


def test_a_parent_link_after_the_deadline_shows_the_deadline_and_takes_no_answer(world, client):
    conference = convene(world, closes_at=local(5))
    _, raw = services.poll_link_create(world.convenor, invitation=conference.invitations.get(family_member=without_account(world.mother)))
    _pass_deadline(conference)
    url = reverse("conferences:poll_link_vote", args=[raw])
    assert "deadline for answers passed" in client.get(url).content.decode()
    response = client.post(url, {f"slot_{pk}": "yes" for pk in answer_all(conference, "yes")})
    assert response.status_code == 400
    assert not SlotVote.objects.exists()


def test_the_convenor_may_still_pick_after_the_deadline(world):
    conference = convene(world, closes_at=local(5))
    _pass_deadline(conference)
    services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    conference.refresh_from_db()
    assert conference.status == "scheduled"


def test_the_convenor_is_reminded_once_when_the_deadline_passes_without_a_pick(world, committed):
    conference = convene(world, closes_at=local(5))
    out = StringIO()
    with committed():
        call_command("send_reminders", stdout=out)
    assert "0 poll-deadline reminder" in out.getvalue()
    _pass_deadline(conference)
    for _ in range(2):
        with committed():
            call_command("send_reminders", stdout=out)
    reminders = [m for m in mail.outbox if m.to == [world.convenor.email]]
    assert len(reminders) == 1
    assert "Pick a date" in reminders[0].subject and world.case.reference in reminders[0].subject
    assert reverse("conferences:conference_poll", args=[conference.pk]) in reminders[0].body


def test_no_deadline_reminder_once_a_date_is_picked(world, committed):
    conference = convene(world, closes_at=local(5))
    services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    _pass_deadline(conference)
    mail.outbox.clear()
    with committed():
        call_command("send_reminders", stdout=StringIO())
    assert not [m for m in mail.outbox if "Pick a date" in m.subject]
