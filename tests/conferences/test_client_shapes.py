"""Calendar answers as the calendar clients and mail gateways out there shape them: Thunderbird,
Outlook with a Windows or a customised time zone, Google, Apple, a client writing floating local
times, and gateways that rewrap the message, re-encode the calendar, drop ``method`` from its
Content-Type or append a disclaimer. Each is read as the answer or the time its sender meant."""
from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.core import mail

from conferences import imip
from conferences.models import CalendarReply, Invitation
from conferences.reply_services import calendar_reply_receive
from tests.conferences.helpers import BERLIN, local
from tests.conferences.mailfixtures import answer_to

pytestmark = pytest.mark.django_db

HELSINKI = zoneinfo.ZoneInfo("Europe/Helsinki")


def request_for(address: str):
    return next(m for m in mail.outbox if m.to == [address])


def receive(raw: bytes) -> str:
    result = calendar_reply_receive(raw=raw, source="pipe")
    return f"{result.outcome}:{result.reason}" if result.reason else result.outcome


def without_vtimezone(calendar: str) -> str:
    return re.sub(r"BEGIN:VTIMEZONE\n.*?END:VTIMEZONE\n", "", calendar, flags=re.S)


SHAPES = {
    "thunderbird": {"client": "thunderbird"},
    "floating local times": {"client": "floating"},
    "outlook customised zone": {"client": "outlook_custom_zone", "layout": "outlook_reply"},
    "outlook without its VTIMEZONE": {"client": "outlook", "edit": without_vtimezone},
    "gateway rewraps outlook as attachment": {"client": "outlook", "layout": "gateway_attachment"},
    "gateway rewraps google as attachment": {"client": "gmail", "layout": "gateway_attachment"},
    "gateway footer on apple's calendar": {"client": "apple", "layout": "gateway_footer"},
    "gateway footer on thunderbird's calendar": {"client": "thunderbird", "layout": "gateway_footer"},
}


@pytest.mark.parametrize("shape", SHAPES)
def test_an_answer_in_each_clients_or_gateways_shape_is_recorded(world, scheduled, shape):
    raw = answer_to(request_for(world.counsellor.email), partstat="DECLINED", comment="Leider krank", **SHAPES[shape])
    assert receive(raw) == "applied"
    invitation = scheduled.invitations.get(user=world.counsellor)
    assert invitation.rsvp == Invitation.Rsvp.DECLINED and invitation.rsvp_comment == "Leider krank"


@pytest.mark.parametrize("shape", SHAPES)
def test_a_proposed_time_in_each_clients_or_gateways_shape_is_the_time_meant(world, scheduled, shape):
    proposed = local(15, 14)
    raw = answer_to(request_for(world.counsellor.email), method="COUNTER", partstat="TENTATIVE",
                    starts=proposed, ends=proposed + dt.timedelta(minutes=90), **SHAPES[shape])
    assert receive(raw) == "counter"
    reply = CalendarReply.objects.get(outcome=CalendarReply.Outcome.COUNTER)
    assert (reply.proposed_starts_at, reply.proposed_ends_at) == (proposed, proposed + dt.timedelta(minutes=90))


def test_a_floating_proposal_is_read_in_the_networks_time_zone(world, scheduled):
    type(world.network).objects.filter(pk=world.network.pk).update(time_zone="Europe/Helsinki")
    wall = dt.datetime.combine(local(15).date(), dt.time(14, 0))
    raw = answer_to(request_for(world.counsellor.email), client="floating", method="COUNTER",
                    starts=wall, ends=wall + dt.timedelta(hours=1))
    assert receive(raw) == "counter"
    assert CalendarReply.objects.get().proposed_starts_at == wall.replace(tzinfo=HELSINKI)


def test_two_outlook_users_in_different_customised_zones_each_get_their_own_time(world, scheduled):
    """Outlook names every zone it cannot name "Customized Time Zone"; one message's definition
    must not decide the time of the next one read by the same process (fetch_mail reads many)."""
    for user, proposed, zone, offsets in ((world.counsellor, local(15, 14), BERLIN, ("+0100", "+0200")),
                                          (world.midwife, local(16, 14), HELSINKI, ("+0200", "+0300")),
                                          (world.parent, local(17, 9), BERLIN, ("+0100", "+0200"))):
        raw = answer_to(request_for(user.email), client="outlook_custom_zone", layout="outlook_reply", method="COUNTER", offsets=offsets,
                        starts=proposed.astimezone(zone), ends=(proposed + dt.timedelta(hours=1)).astimezone(zone))
        assert receive(raw) == "counter"
        assert CalendarReply.objects.get(invitation__in=scheduled.invitations.filter(
            user=user) | scheduled.invitations.filter(family_member__user=user)).proposed_starts_at == proposed


def test_an_answer_from_the_invitees_address_in_another_case_is_hers(world, scheduled):
    request = request_for(world.counsellor.email)
    invitation = scheduled.invitations.get(user=world.counsellor)
    shouted = world.counsellor.email.upper()
    raw = answer_to(request, client="thunderbird", sender=world.counsellor.email.title(), attendee=shouted,
                    organizer=imip.reply_address(invitation.pk).upper(),
                    edit=lambda calendar: calendar.replace(f"mailto:{shouted}", f"MAILTO:{shouted}"))
    assert f"MAILTO:{shouted}".encode() in raw
    assert receive(raw) == "applied"
    assert scheduled.invitations.get(user=world.counsellor).rsvp == Invitation.Rsvp.ACCEPTED


def test_method_only_in_the_calendar_not_on_the_content_type_is_enough(world, scheduled):
    raw = answer_to(request_for(world.counsellor.email), client="apple", partstat="TENTATIVE").replace(b"\tmethod=REPLY;\r\n", b"")
    assert b"method=" not in raw.lower()
    assert receive(raw) == "applied"
    assert scheduled.invitations.get(user=world.counsellor).rsvp == Invitation.Rsvp.TENTATIVE
