"""Conference invitations (iMIP REQUEST and CANCEL) as Thunderbird and Nextcloud read them
(ical.js), from the e-mail as sent: the calendar part with its transfer encoding undone.

Conferences are convened, picked, moved, cancelled and uninvited through the services, and every
message the outbox holds is read; the values compared are the stored ones: times at the stored
instants across the DST change of Berlin and Copenhagen, the place and the arrangements text
exactly (umlauts, ß, æøå, emoji, TEXT specials, folds between multi-byte characters), the
convenor's name in CN, the recipient's PARTSTAT, and SEQUENCE/STATUS as the changes go.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core import mail
from django.utils import timezone, translation

from conferences import ical, imip, services
from conferences.models import Invitation
from participants.models import Network, User
from tests.conferences.helpers import convene, schedule_across_dst
from tests.icaljs import PLACE, calendar_part, component, icaljs, instant  # noqa: F401 (icaljs is a fixture)

pytestmark = pytest.mark.django_db

# A backslash in a parameter: ical.js decodes \\n there as a line break and \\, as a comma.
CONVENOR_FIRST, CONVENOR_LAST = "Jørgen „Jo“", "Müller-Ærø\\nBerg, Dr.; \\, 🙂"
CONVENOR_CN = "Jørgen „Jo“ Müller-Ærø/nBerg, Dr.; /, 🙂"


def readings(icaljs, conference) -> dict[str, tuple[dict, dict, str]]:
    """Per recipient address: what ical.js read of her message, its event, and the MIME method."""
    found = {}
    for message in mail.outbox:
        if not any(mimetype == "text/calendar" for _, mimetype in getattr(message, "alternatives", [])):
            continue  # the poll e-mails before the pick
        body, method = calendar_part(message)
        reading = icaljs.read(body)
        found[message.to[0]] = (reading, component(reading, ical.conference_uid(conference.pk)), method)
    return found


def invitation_of(conference, user) -> Invitation:
    return conference.invitations.get(user=user)


def convene_hard(world, committed, tzid: str, language: str):
    User.objects.filter(pk=world.convenor.pk).update(first_name=CONVENOR_FIRST, last_name=CONVENOR_LAST)
    world.convenor.refresh_from_db()
    mail.outbox.clear()
    return schedule_across_dst(world, committed, tzid, language=language)


@pytest.mark.parametrize("tzid, language", [("Europe/Berlin", "de"), ("Europe/Copenhagen", "da")])
def test_each_invitee_reads_the_request_at_the_stored_instants_with_place_and_arrangements(world, committed, icaljs, tzid, language):
    conference = convene_hard(world, committed, tzid, language)
    read = readings(icaljs, conference)
    assert set(read) >= {world.counsellor.email, world.mother.email}
    for address, (reading, event, method) in read.items():
        assert reading["method"] == method == "REQUEST"
        assert reading["timezones"] == [tzid]
        assert (instant(event["start"]), instant(event["end"])) == (conference.starts_at, conference.ends_at)
        assert event["location"] == PLACE[:200]
        assert (event["sequence"], event["status"]) == (0, "CONFIRMED")
        organizer = event["organizer"]
        assert organizer["cn"] == CONVENOR_CN
        assert organizer["sent-by"] == f"mailto:{world.convenor.email}"
        attendee, = event["attendees"]
        assert attendee["value"] == f"mailto:{address}"
        assert (attendee["partstat"], attendee["rsvp"]) == ("NEEDS-ACTION", "TRUE")
    counsellor_invitation = invitation_of(conference, world.counsellor)
    _, event, _ = read[world.counsellor.email]
    assert imip.invitation_id_from_address(event["organizer"]["value"]) == counsellor_invitation.pk
    with translation.override(language):
        assert event["summary"] == ical.conference_title(conference)
        assert event["description"] == ical.arrangements_text(conference, access_needs_noted=True)
    assert "\n" in event["description"]


def test_a_move_and_a_cancel_are_read_with_new_times_a_rising_sequence_and_cancelled(world, committed, icaljs):
    conference = convene_hard(world, committed, "Europe/Copenhagen", "da")
    mail.outbox.clear()
    with committed():
        conference = services.conference_move(world.convenor, conference=conference,
                                              starts_at=conference.starts_at + dt.timedelta(days=1, hours=8),
                                              location="Rådhuset; mødelokale 2, 1. sal 🙂", sequence=conference.sequence)
    for reading, event, method in readings(icaljs, conference).values():
        assert method == reading["method"] == "REQUEST"
        assert (instant(event["start"]), instant(event["end"])) == (conference.starts_at, conference.ends_at)
        assert (event["sequence"], event["status"], event["location"]) == (1, "CONFIRMED", "Rådhuset; mødelokale 2, 1. sal 🙂")
        assert event["attendees"][0]["partstat"] == "NEEDS-ACTION"
    mail.outbox.clear()
    with committed():
        conference = services.conference_cancel(world.convenor, conference=conference)
    read = readings(icaljs, conference)
    assert read
    for reading, event, method in read.values():
        assert method == reading["method"] == "CANCEL"
        assert (event["sequence"], event["status"]) == (2, "CANCELLED")
        assert instant(event["start"]) == conference.starts_at
        assert event["description"] is None


def test_the_uninvited_reads_a_cancel_that_leaves_the_conference_standing(world, committed, icaljs):
    conference = convene_hard(world, committed, "Europe/Berlin", "de")
    mail.outbox.clear()
    with committed():
        services.invitation_remove(world.convenor, invitation=invitation_of(conference, world.counsellor))
    conference.refresh_from_db()
    (reading, event, method), = readings(icaljs, conference).values()
    assert method == reading["method"] == "CANCEL"
    assert event["status"] is None and event["sequence"] == conference.sequence == 1
    assert event["attendees"][0]["value"] == f"mailto:{world.counsellor.email}"
    assert (instant(event["start"]), instant(event["end"])) == (conference.starts_at, conference.ends_at)


@pytest.mark.parametrize("tzid", ["America/New_York", "America/Sao_Paulo", "Europe/Istanbul", "Australia/Lord_Howe"])
def test_a_network_in_a_zone_whose_rules_changed_is_read_at_the_stored_instant(world, committed, icaljs, tzid):
    """Zones whose DST rules changed after 2000 get no yearly-rule VTIMEZONE. ical.js reads only
    the first date of an RDATE list (and not the DTSTART beside it): in the form icalendar's
    ``Timezone.from_tzid`` writes, New York's summer was read an hour off, São Paulo an hour off
    all year since 2019."""
    Network.objects.filter(pk=world.network.pk).update(time_zone=tzid)
    zone = zoneinfo.ZoneInfo(tzid)
    year = timezone.localdate().year + 1
    slots = [dt.datetime(year, 7, 15, 10, tzinfo=zone), dt.datetime(year, 1, 15, 10, tzinfo=zone)]
    mail.outbox.clear()
    for slot in slots:
        with committed():
            conference = convene(world, slots=[slot])
            services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.get())
        conference.refresh_from_db()
        for reading, event, _method in readings(icaljs, conference).values():
            assert reading["timezones"] == [tzid]
            assert (instant(event["start"]), instant(event["end"])) == (conference.starts_at, conference.ends_at)
            assert dt.datetime.fromisoformat(event["start"]["utc"]).astimezone(zone).hour == 10
        mail.outbox.clear()
