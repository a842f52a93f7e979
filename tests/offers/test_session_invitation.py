"""The iMIP invitation a staff member gets for a programme session names as organiser the address
it was sent from (not an invented no-reply mailbox at the site's host, where a calendar
programme's answer would be lost) and asks for no answer (RSVP=FALSE)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from offers.calendar import send_session_invitation
from offers.models import Enrolment, Session

pytestmark = pytest.mark.django_db


def test_the_session_invitation_names_its_sender_as_organiser_and_asks_no_answer(world, offers, settings):
    settings.DEFAULT_FROM_EMAIL = "Fallkonferenz <fallkonferenz@kreis.example>"
    enrolment = Enrolment.objects.create(offer=offers.network_offer, family_label="A.", enrolled_by=world.outsider)
    start = timezone.now() + dt.timedelta(days=7)
    session = Session.objects.create(enrolment=enrolment, staff=world.outsider, starts_at=start, ends_at=start + dt.timedelta(hours=1))
    mail.outbox.clear()
    send_session_invitation(session)
    [message] = mail.outbox
    [body] = [content for content, mimetype in message.alternatives if mimetype.startswith("text/calendar")]
    [event] = Calendar.from_ical(body).walk("VEVENT")
    assert str(event["organizer"]) == "mailto:fallkonferenz@kreis.example"
    attendee = event["attendee"]
    assert str(attendee) == f"mailto:{world.outsider.email}"
    assert attendee.params["RSVP"] == "FALSE" and attendee.params["PARTSTAT"] == "ACCEPTED"
