"""Picking a time re-checks the quorum; interpreter and access needs travel with the invitation
without revealing what the access needs are."""
from __future__ import annotations

import email

import pytest
import vobject
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from conferences import selectors, services
from conferences.models import Conference
from tests.conferences.helpers import answer_all, convene

pytestmark = pytest.mark.django_db


def _vote(conference, user, answer):
    services.poll_vote(user, invitation=conference.invitations.get(user=user), answers=answer_all(conference, answer))


def test_quorum_counts_required_organisations_that_can_come_at_the_slot(world):
    world.network.quorum_min_organisations = 2
    world.network.save()
    conference = convene(world)
    slot = conference.poll.slots.first()
    assert selectors.quorum_for_slot(conference, slot).organisations == 0
    _vote(conference, world.convenor, "yes")
    _vote(conference, world.lead_colleague, "if_need_be")   # same organisation: still one
    _vote(conference, world.midwife, "yes")                 # optional: does not count
    assert selectors.quorum_for_slot(conference, slot).organisations == 1
    _vote(conference, world.counsellor, "if_need_be")
    quorum = selectors.quorum_for_slot(conference, slot)
    assert quorum.organisations == 2 and quorum.met


def test_the_page_warns_before_picking_a_time_without_quorum_and_changes_nothing(world, client):
    conference = convene(world)
    slot = conference.poll.slots.first()
    client.force_login(world.convenor)
    response = client.post(reverse("conferences:poll_pick", args=[conference.pk]), {"slot": slot.pk})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Quorum not met at this time: 0 of at least 3 organisations" in page
    assert 'name="confirm_without_quorum"' in page
    conference.refresh_from_db()
    assert conference.status == Conference.Status.POLLING and not mail.outbox


def test_confirming_schedules_anyway(world, client, committed):
    conference = convene(world)
    slot = conference.poll.slots.first()
    client.force_login(world.convenor)
    with committed():
        response = client.post(reverse("conferences:poll_pick", args=[conference.pk]),
                               {"slot": slot.pk, "confirm_without_quorum": "1"})
    assert response.status_code == 302
    conference.refresh_from_db()
    assert conference.status == Conference.Status.SCHEDULED and len(mail.outbox) == 4


def test_a_time_with_quorum_is_picked_without_a_warning(world, client):
    world.network.quorum_min_organisations = 2
    world.network.save()
    conference = convene(world)
    _vote(conference, world.convenor, "yes")
    _vote(conference, world.counsellor, "yes")
    client.force_login(world.convenor)
    response = client.post(reverse("conferences:poll_pick", args=[conference.pk]), {"slot": conference.poll.slots.first().pk})
    assert response.status_code == 302
    conference.refresh_from_db()
    assert conference.status == Conference.Status.SCHEDULED


def test_the_api_refuses_a_pick_without_quorum_unless_confirmed(world, client):
    conference = convene(world)
    client.force_login(world.convenor)
    url = reverse("conference-pick", args=[conference.pk])
    slot = conference.poll.slots.first().pk
    refused = client.post(url, {"slot": slot}, content_type="application/json")
    assert refused.status_code == 400 and "Quorum not met" in refused.json()["slot"][0]
    conference.refresh_from_db()
    assert conference.status == Conference.Status.POLLING
    confirmed = client.post(url, {"slot": slot, "confirm_without_quorum": True}, content_type="application/json")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "scheduled"


def _calendar(message):
    parsed = email.message_from_bytes(message.message().as_bytes())
    part = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    return part.get_payload(decode=True)


def test_interpreter_and_access_needs_are_carried_without_revealing_health_details(world, committed):
    conference = convene(world, interpreter_language="Arabic", access_needs="Wheelchair; withdrawal symptoms, methadone at 9")
    with committed():
        services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    message = next(m for m in mail.outbox if m.to == [world.counsellor.email])
    html = message.alternatives[0][0]
    raw = _calendar(message)
    for text in (message.body, html, raw.decode()):
        assert "Interpreter: Arabic" in text or "Interpreter</dt><dd>Arabic" in text
        assert "methadone" not in text and "withdrawal" not in text and "Wheelchair" not in text
    event = Calendar.from_ical(raw).events[0]
    assert "Interpreter: Arabic" in str(event["DESCRIPTION"])
    assert "Access arrangements have been noted" in str(event["DESCRIPTION"])
    parsed = vobject.readOne(raw.decode())
    assert "Interpreter: Arabic" in parsed.vevent.description.value


def test_a_moved_conference_carries_the_interpreter_too(world, committed):
    conference = convene(world, interpreter_language="Arabic")
    services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    conference.refresh_from_db()
    mail.outbox.clear()
    with committed():
        services.conference_move(world.convenor, conference=conference,
                                 starts_at=conference.poll.slots.last().starts_at)
    assert all("Interpreter: Arabic" in m.body for m in mail.outbox) and mail.outbox


def test_feeds_carry_no_arrangements(world):
    from conferences import ical

    world.conference.interpreter_language = "Arabic"
    world.conference.access_needs = "methadone"
    event = ical.conference_event(world.conference, stamp=world.conference.updated_at)
    assert "DESCRIPTION" not in event
    assert b"Interpreter: Arabic" in ical.conference_download(world.conference, access_needs_noted=True)
    assert b"methadone" not in ical.conference_download(world.conference, access_needs_noted=True)
