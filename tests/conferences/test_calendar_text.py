"""Times across daylight-saving changes, escaping and injection, independent parsing."""
from __future__ import annotations

import datetime as dt
import email
import zoneinfo

import pytest
import vobject
from django.core import mail
from icalendar import Calendar

from conferences import ical, imip, services
from conferences.models import Conference
from tests.conferences.helpers import convene

pytestmark = pytest.mark.django_db
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def _future_dst_pair():
    """A Monday before and the Monday after the next spring-forward change in Berlin."""
    year = dt.date.today().year + 1
    last_sunday = max(dt.date(year, 3, d) for d in range(25, 32) if dt.date(year, 3, d).weekday() == 6)
    return last_sunday - dt.timedelta(days=6), last_sunday + dt.timedelta(days=1)


def test_a_conference_moved_across_the_dst_change_keeps_its_wall_clock_time(world, committed):
    before, after = _future_dst_pair()
    start = dt.datetime.combine(before, dt.time(10), tzinfo=BERLIN)
    conference = convene(world, slots=[start])
    with committed():
        services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.get())
    conference.refresh_from_db()
    assert conference.starts_at.astimezone(dt.timezone.utc).hour == 9   # CET
    mail.outbox.clear()
    with committed():
        services.conference_move(world.convenor, conference=conference, starts_at=start + dt.timedelta(days=7))
    conference.refresh_from_db()
    assert conference.starts_at.astimezone(dt.timezone.utc).hour == 8   # CEST, still 10:00 in Berlin
    body = ical.conference_download(conference, access_needs_noted=False).decode()
    assert f"DTSTART;TZID=Europe/Berlin:{after:%Y%m%d}T100000" in body
    parsed = vobject.readOne(body)
    assert parsed.vevent.dtstart.value.astimezone(BERLIN).hour == 10


def test_the_convene_form_reads_times_in_the_networks_zone(world, client):
    world.case.network.time_zone = "Europe/Copenhagen"
    world.case.network.save()
    _, after = _future_dst_pair()
    client.force_login(world.convenor)
    from django.urls import reverse

    url = reverse("conferences:conference_create", args=[world.case.pk])
    form = client.get(url).context["form"]
    data = {name: (field.initial or "") for name, field in form.fields.items() if name != "report_organisations"}
    data.update(kind="participant", duration_minutes=60, slot_1=f"{after:%Y-%m-%d}T10:00")
    assert client.post(url, data).status_code == 302
    slot = Conference.objects.exclude(pk=world.conference.pk).get().poll.slots.get()
    assert slot.starts_at.astimezone(zoneinfo.ZoneInfo("Europe/Copenhagen")).hour == 10


INJECTION = "Raum 2, Etage 3; Tür\r\nATTENDEE:mailto:evil@example.org\r\nX-EVIL:1"


def test_user_text_cannot_inject_properties_into_an_invitation(world, committed):
    conference = convene(world, interpreter_language="Türkisch\r\nBcc: evil@example.org")
    Conference.objects.filter(pk=conference.pk).update(location=INJECTION)
    with committed():
        services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    message = mail.outbox[0]
    raw = message.message().as_bytes()
    parsed = email.message_from_bytes(raw)
    assert parsed["Bcc"] is None and "evil" not in (parsed["To"] or "")
    part = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    text = part.get_payload(decode=True).decode()
    assert "\r\nATTENDEE:mailto:evil" not in text and "\r\nX-EVIL" not in text
    cal = Calendar.from_ical(text)
    event = cal.events[0]
    assert len([a for a in [event["ATTENDEE"]]]) == 1 and "evil" not in str(event["ATTENDEE"])
    assert str(event["LOCATION"]).startswith("Raum 2, Etage 3; Tür")
    assert "LOCATION:Raum 2\\, Etage 3\\; Tür" in text.replace("\r\n ", "")
    html = next(p for p in parsed.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    assert "<script" not in html


def test_html_in_user_text_is_escaped_in_the_html_part(world, committed):
    conference = convene(world)
    Conference.objects.filter(pk=conference.pk).update(location="<script>alert(1)</script>")
    with committed():
        services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    parsed = email.message_from_bytes(mail.outbox[0].message().as_bytes())
    html = next(p for p in parsed.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_every_invitation_parses_in_vobject_and_icalendar_without_errors(world, committed):
    conference = convene(world)
    with committed():
        services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    with committed():
        services.conference_cancel(world.convenor, conference=conference)
    assert len(mail.outbox) == 8  # 4 REQUESTs, 4 CANCELs: the convenor is sent neither
    for message in mail.outbox:
        parsed = email.message_from_bytes(message.message().as_bytes())
        part = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
        text = part.get_payload(decode=True).decode("utf-8")
        cal = Calendar.from_ical(text)
        assert cal.errors == [] and all(c.errors == [] for c in cal.walk())
        vevent = vobject.readOne(text).vevent
        assert vevent.uid.value == f"conference-{conference.pk}@127.0.0.1"
        assert part.get_param("charset") == "utf-8"


def test_the_organizer_and_attendee_are_mailto_addresses(world):
    conference = convene(world)
    services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    conference.refresh_from_db()
    invitation = conference.invitations.get(family_member=world.mother)
    body = imip.build_calendar(conference, invitation, "parent@example.org", method="REQUEST",
                               now=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)).decode()
    unfolded = body.replace("\r\n ", "")
    assert f"mailto:{world.convenor.email}" in unfolded
    assert "ATTENDEE;CUTYPE=INDIVIDUAL;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:parent@example.org" in unfolded
    assert "DTSTAMP:20260101T000000Z" in unfolded
