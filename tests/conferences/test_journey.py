"""End to end: convene → poll (a parent through her link) → pick → REQUEST e-mails → RSVP →
move (SEQUENCE+1) → cancel (METHOD:CANCEL)."""
from __future__ import annotations

import email

import pytest
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from conferences import services
from conferences.models import Conference, Invitation, SlotVote
from conferences.selectors import poll_grid
from tests.conferences.helpers import answer_all, convene, local, without_account

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def calendar_part(message):
    parsed = email.message_from_bytes(message.message().as_bytes())
    assert parsed.get_content_type() == "multipart/alternative"
    types = [p.get_content_type() for p in parsed.walk() if not p.is_multipart()]
    assert types == ["text/plain", "text/html", "text/calendar"]
    part = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    return part, Calendar.from_ical(part.get_payload(decode=True))


def test_the_whole_scheduling_journey_sends_requests_updates_and_a_cancel(world, client, committed):
    conference = convene(world)
    assert conference.status == Conference.Status.POLLING
    slots = list(conference.poll.slots.order_by("starts_at"))
    counsellor_invitation = conference.invitations.get(user=world.counsellor)
    mother_invitation = conference.invitations.get(family_member=without_account(world.mother))  # answers by link

    services.poll_vote(world.counsellor, invitation=counsellor_invitation, answers=answer_all(conference, "yes"))
    link, raw = services.poll_link_create(world.convenor, invitation=mother_invitation)
    response = client.post(reverse("conferences:poll_link_vote", args=[raw]),
                           {f"slot_{s.pk}": ("no" if s == slots[0] else "yes") for s in slots})
    assert response.status_code == 302
    assert SlotVote.objects.filter(invitation=mother_invitation, answer="yes").count() == 2

    with committed():
        services.poll_pick(world.convenor, conference=conference, slot=slots[1])
    conference.refresh_from_db()
    assert conference.status == Conference.Status.SCHEDULED and conference.starts_at == slots[1].starts_at
    assert len(mail.outbox) == 4  # colleague, counsellor, midwife, mother — not the convenor herself
    part, cal = calendar_part(mail.outbox[0])
    assert part.get_param("method") == "REQUEST"
    assert cal["METHOD"] == "REQUEST"
    event = cal.events[0]
    assert event["UID"] == f"conference-{conference.pk}@127.0.0.1"
    assert event["SEQUENCE"] == 0
    attendee = event["ATTENDEE"]
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION" and attendee.params["RSVP"] == "TRUE"
    assert attendee.params["ROLE"] in {"REQ-PARTICIPANT", "OPT-PARTICIPANT"}
    assert cal.walk("VTIMEZONE")[0]["TZID"] == "Europe/Berlin"
    midwife_mail = next(m for m in mail.outbox if m.to == [world.midwife.email])
    assert calendar_part(midwife_mail)[1].events[0]["ATTENDEE"].params["ROLE"] == "OPT-PARTICIPANT"

    services.invitation_rsvp(world.counsellor, invitation=counsellor_invitation, rsvp=Invitation.Rsvp.DECLINED, comment="Urlaub")
    client.force_login(world.convenor)
    page = client.get(reverse("conferences:conference_detail", args=[conference.pk])).content.decode()
    assert "A required invitee declined." in page and reverse("conferences:conference_move", args=[conference.pk]) in page

    mail.outbox.clear()
    with committed():
        services.conference_move(world.convenor, conference=conference, starts_at=local(20))
    conference.refresh_from_db()
    assert conference.sequence == 1
    counsellor_invitation.refresh_from_db()
    assert counsellor_invitation.rsvp == Invitation.Rsvp.NEEDS_ACTION
    part, cal = calendar_part(mail.outbox[0])
    assert part.get_param("method") == "REQUEST" and cal.events[0]["SEQUENCE"] == 1

    mail.outbox.clear()
    with committed():
        services.conference_cancel(world.convenor, conference=conference)
    part, cal = calendar_part(mail.outbox[0])
    assert part.get_param("method") == "CANCEL" and cal["METHOD"] == "CANCEL"
    event = cal.events[0]
    assert event["STATUS"] == "CANCELLED" and event["SEQUENCE"] == 2
    assert event["UID"] == f"conference-{conference.pk}@127.0.0.1"
    assert len(mail.outbox) == 4


def test_removing_an_invitee_sends_her_alone_a_cancel(world, committed):
    conference = convene(world)
    with committed():
        services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    mail.outbox.clear()
    invitation = conference.invitations.get(user=world.midwife)
    with committed():
        services.invitation_remove(world.convenor, invitation=invitation)
    assert [m.to for m in mail.outbox] == [[world.midwife.email]]
    part, cal = calendar_part(mail.outbox[0])
    assert part.get_param("method") == "CANCEL" and cal.events[0]["SEQUENCE"] == 1


def test_the_ranking_puts_slots_where_all_required_can_come_first(world):
    conference = convene(world)
    first, second, third = conference.poll.slots.order_by("starts_at")
    required = conference.invitations.filter(required=True)
    for invitation in required:
        answers = {first.pk: "yes", second.pk: "if_need_be", third.pk: "yes"}
        if invitation.family_member_id:
            answers[third.pk] = "no"  # the mother cannot come to the third: most yes, but not all required
        if invitation.user_id == world.convenor.pk:
            answers[first.pk] = "if_need_be"
        SlotVote.objects.bulk_create([SlotVote(slot_id=k, invitation=invitation, answer=v) for k, v in answers.items()])
    ranking = [row.slot for row in poll_grid(conference).ranking]
    assert ranking == [first, second, third]


def test_the_invitation_names_no_family_member_and_no_diagnosis(world, committed):
    world.mother.display_name = "Jacqueline"
    world.mother.save()
    conference = convene(world)
    with committed():
        services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    assert mail.outbox
    for message in mail.outbox:
        raw = message.message().as_bytes().decode("utf-8", "replace")
        assert "Jacqueline" not in raw
        assert "Sucht" not in raw.replace("Suchtberatung", "")
        assert world.case.reference in message.subject


def test_an_asked_organisation_reads_the_report_due_date_in_its_invitation(world, committed):
    conference = convene(world)
    with committed():
        services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    counsellor_mail = next(m for m in mail.outbox if m.to == [world.counsellor.email])
    colleague_mail = next(m for m in mail.outbox if m.to == [world.lead_colleague.email])
    assert "written report" in counsellor_mail.body
    assert "written report" not in colleague_mail.body  # the lead organisation is not asked


def test_a_time_the_mother_said_no_to_never_outranks_one_she_can_manage_if_need_be(world):
    """The fifth newcomer walk: the required mother answered yes / if need be / no, nobody else
    answered yet; the "no" time ranked second, above the "if need be" one."""
    conference = convene(world)
    first, second, third = conference.poll.slots.order_by("starts_at")
    mother = conference.invitations.get(family_member=world.mother)
    SlotVote.objects.bulk_create([SlotVote(slot=first, invitation=mother, answer="yes"),
                                  SlotVote(slot=second, invitation=mother, answer="if_need_be"),
                                  SlotVote(slot=third, invitation=mother, answer="no")])
    assert [row.slot for row in poll_grid(conference).ranking] == [first, second, third]
