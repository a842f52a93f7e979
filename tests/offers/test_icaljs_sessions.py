"""Programme sessions as Thunderbird and Nextcloud read them (ical.js): the staff member's iMIP
invitation and cancellation (from the e-mail as sent) and her personal feed (fetched with its
token). The track's name and the place carry every hard character; the session lies across the
DST change of the network's zone; SEQUENCE and STATUS follow the cancellation."""
from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from calendars import services as calendar_services
from offers import track_services
from offers.calendar import session_title, session_uid, _numbered
from offers.models import Offer
from participants.models import Network
from tests.icaljs import NAME, PLACE, calendar_part, component, icaljs, instant, next_dst_sunday  # noqa: F401 (icaljs: fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def schedule(world, offers, committed, tzid: str):
    Network.objects.filter(pk=world.network.pk).update(time_zone=tzid)
    Offer.objects.filter(pk=offers.network_offer.pk).update(name=NAME)
    offers.network_offer.refresh_from_db()
    enrolment = track_services.enrolment_create(world.outsider, offer=offers.network_offer, family_label="Å.")
    zone = zoneinfo.ZoneInfo(tzid)
    night = next_dst_sunday(zone)
    start = dt.datetime(night.year, night.month, night.day, 1, 15, tzinfo=zone)
    mail.outbox.clear()
    with committed():
        session = track_services.session_schedule(world.outsider, enrolment=enrolment, staff=world.outsider, starts_at=start,
                                                  minutes=240, location=PLACE[:200])
    session.refresh_from_db()
    assert start.utcoffset() != session.ends_at.astimezone(zone).utcoffset()
    return session


def read_mail(icaljs, session):
    (message,) = mail.outbox
    body, method = calendar_part(message)
    reading = icaljs.read(body)
    return reading, component(reading, session_uid(session.pk)), method


@pytest.mark.parametrize("tzid", ["Europe/Berlin", "Europe/Copenhagen"])
def test_the_staff_member_reads_the_session_invitation_and_its_cancellation(world, offers, committed, icaljs, tzid):
    session = schedule(world, offers, committed, tzid)
    reading, event, method = read_mail(icaljs, session)
    assert method == reading["method"] == "REQUEST" and reading["timezones"] == [tzid]
    assert (instant(event["start"]), instant(event["end"])) == (session.starts_at, session.ends_at)
    with translation.override("en"):
        assert event["summary"] == session_title(_numbered([session])[0]) and NAME in event["summary"]
    assert event["location"] == PLACE[:200]
    assert (event["sequence"], event["status"]) == (0, "CONFIRMED")
    attendee, = event["attendees"]
    assert (attendee["value"], attendee["partstat"], attendee["rsvp"]) == (f"mailto:{world.outsider.email}", "ACCEPTED", "FALSE")

    mail.outbox.clear()
    with committed():
        track_services.session_cancel(world.outsider, session=session)
    session.refresh_from_db()
    reading, event, method = read_mail(icaljs, session)
    assert method == reading["method"] == "CANCEL"
    assert (event["sequence"], event["status"]) == (session.sequence, "CANCELLED") and session.sequence == 1
    assert instant(event["start"]) == session.starts_at


def test_the_session_in_the_staff_members_feed_reads_like_the_invitation(world, offers, committed, client, icaljs):
    session = schedule(world, offers, committed, "Europe/Copenhagen")
    _, raw = calendar_services.feed_token_create(world.outsider)
    reading = icaljs.read(client.get(reverse("calendars:feed", args=[raw])).content)
    event = component(reading, session_uid(session.pk))
    assert (instant(event["start"]), instant(event["end"])) == (session.starts_at, session.ends_at)
    assert event["location"] == PLACE[:200] and NAME in event["summary"]
    assert (event["status"], event["start"]["zone"]) == ("CONFIRMED", "Europe/Copenhagen")
