""""Access arrangements have been noted" (the invitation e-mail, its calendar object, the .ics
download) says only that the reader reads some access needs with the conference, by the one rule
of the conference page (``conferences.policy.access_needs_for_user``): never because of the needs
of a person whose processing is restricted (Art. 18), nor, to a parent, another parent's."""
from __future__ import annotations

import email

import pytest
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from cases.models import CaseTeamMember, FamilyMember
from conferences import services
from conferences.models import Conference
from privacy.models import ProcessingRestriction
from tests.conferences.helpers import local
from tests.matrix.roles import ROLES, client_for
from tests.world import make_user

pytestmark = pytest.mark.django_db

FATHERS = "Methadonausgabe 8:30 Uhr, danach erst ab 10 Uhr"
NOTED = "Access arrangements have been noted"
SEES_CONFERENCE = {"convenor", "lead_colleague", "counsellor", "midwife", "parent"}


@pytest.fixture
def father(world):
    """Only the father has access needs on record; the mother (the world's parent) has none."""
    user = make_user("vater")
    return FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.",
                                       user=user, email="vater@example.org", access_needs=FATHERS)


def _restrict(world, member) -> None:
    ProcessingRestriction.objects.create(family_member=member, grounds="Art. 18: Richtigkeit bestritten", set_by=world.dpo)


def _scheduled(world, committed, father) -> Conference:
    team = CaseTeamMember.objects.filter(case=world.case, removed_at__isnull=True).order_by("pk")
    conference = services.conference_create(
        world.convenor, case=world.case, kind=Conference.Kind.FOLLOW_UP, slots=[local(10)],
        invitees=[*(services.Invitee(team_member=m) for m in team), services.Invitee(family_member=world.mother),
                  services.Invitee(family_member=father)])
    mail.outbox.clear()
    with committed():
        services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    return conference


def _says_noted(message) -> tuple[bool, bool]:
    """(the body says so, the calendar object's DESCRIPTION says so)."""
    parsed = email.message_from_bytes(message.message().as_bytes())
    part = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    event = next(c for c in Calendar.from_ical(part.get_payload(decode=True)).walk() if c.name == "VEVENT")
    return NOTED in message.body, NOTED in str(event.get("description", ""))


def _mail_to(address):
    return next(m for m in mail.outbox if m.to == [address])


def test_without_a_restriction_the_team_is_told_and_the_other_parent_is_not(world, father, committed):
    _scheduled(world, committed, father)
    assert _says_noted(_mail_to(world.counsellor.email)) == (True, True)
    assert _says_noted(_mail_to("vater@example.org")) == (True, True)   # his own
    assert _says_noted(_mail_to(world.parent.email))[1] is False        # the mother reads none of his


def test_the_needs_of_a_restricted_person_alone_tell_the_team_nothing(world, father, committed):
    _restrict(world, father)
    _scheduled(world, committed, father)
    team = {user.email for user in (world.counsellor, world.midwife, world.lead_colleague)}
    told = [m for m in mail.outbox if m.to[0] in team and m.alternatives]
    assert {m.to[0] for m in told} >= {world.counsellor.email, world.midwife.email}
    for message in told:
        assert _says_noted(message) == (False, False), message.to
    assert _says_noted(_mail_to("vater@example.org")) == (True, True)   # he still reads his own


def test_the_conference_note_is_still_noted_beside_a_restricted_persons_needs(world, father, client):
    world.conference.invitations.create(family_member=father)
    _restrict(world, father)
    Conference.objects.filter(pk=world.conference.pk).update(access_needs="Rampe am Seiteneingang")
    client.force_login(world.counsellor)
    response = client.get(reverse("conferences:conference_ics", args=[world.conference.pk]))
    assert NOTED.encode() in response.content.replace(b"\r\n ", b"")


@pytest.mark.parametrize("role", ROLES)
def test_the_ics_download_says_so_only_to_whom_reads_needs(world, father, client, role):
    """A matrix row of the download: only the father's needs are on record, and his processing is
    restricted; nobody of the team is told, the mother neither (they are not hers)."""
    world.conference.invitations.create(family_member=father)
    _restrict(world, father)
    response = client_for(client, world, role).get(reverse("conferences:conference_ics", args=[world.conference.pk]))
    assert response.status_code == (302 if role == "anonymous" else 200 if role in SEES_CONFERENCE else 404)
    if response.status_code == 200:
        assert NOTED.encode() not in response.content.replace(b"\r\n ", b"")


@pytest.mark.parametrize("role", ["convenor", "counsellor"])
def test_the_ics_download_says_so_to_the_team_without_the_restriction(world, father, client, role):
    world.conference.invitations.create(family_member=father)
    response = client_for(client, world, role).get(reverse("conferences:conference_ics", args=[world.conference.pk]))
    assert NOTED.encode() in response.content.replace(b"\r\n ", b"")
