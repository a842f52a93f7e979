"""Adding an invitee after convening: poll access while polling, an iMIP REQUEST once scheduled."""
from __future__ import annotations

import email
import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from icalendar import Calendar

from conferences import services
from cases.models import CaseTeamMember, FamilyMember
from conferences.models import Conference, Invitation, PollLink, SlotVote
from tests.conferences.helpers import answer_all, convene

pytestmark = pytest.mark.django_db


def _calendar(message) -> tuple[str, Calendar]:
    parsed = email.message_from_bytes(message.message().as_bytes())
    part = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    return part.get_param("method"), Calendar.from_ical(part.get_payload(decode=True))


@pytest.fixture
def father(world) -> FamilyMember:
    return FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="F.",
                                       email="father@example.org")


def test_a_colleague_added_to_a_scheduled_conference_gets_a_request_with_the_same_uid_and_sequence(world, committed):
    conference = world.conference
    Conference.objects.filter(pk=conference.pk).update(sequence=2)
    member = CaseTeamMember.objects.get(case=world.case, user=world.lead_colleague)
    with committed():
        invitation = services.invitation_add(world.convenor, conference=conference, team_member=member, required=False)
    assert invitation.user == world.lead_colleague and not invitation.required
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [world.lead_colleague.email]
    method, cal = _calendar(mail.outbox[0])
    event = cal.events[0]
    assert method == "REQUEST" and cal["METHOD"] == "REQUEST"
    assert event["UID"] == f"conference-{conference.pk}@127.0.0.1"
    assert event["SEQUENCE"] == 2
    assert event["ATTENDEE"].params["ROLE"] == "OPT-PARTICIPANT"
    assert event["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    conference.refresh_from_db()
    assert conference.sequence == 2  # the others' copies are unchanged


def test_a_parent_without_an_account_added_while_polling_gets_a_working_poll_link_by_mail(world, father, client, committed):
    conference = convene(world)
    with committed():
        invitation = services.invitation_add(world.convenor, conference=conference, family_member=father)
    assert invitation.required and invitation.family_member == father
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["father@example.org"]
    body = mail.outbox[0].body
    assert "F." not in mail.outbox[0].subject
    url = re.search(r"https?://\S+/p/(\S+)/", body)
    assert url, body
    assert PollLink.objects.filter(invitation=invitation, revoked_at__isnull=True).count() == 1
    response = client.post(reverse("conferences:poll_link_vote", args=[url.group(1)]),
                           {f"slot_{pk}": "yes" for pk in answer_all(conference, "yes")})
    assert response.status_code == 302
    assert SlotVote.objects.filter(invitation=invitation, answer="yes").count() == 3


def test_a_colleague_added_while_polling_is_pointed_to_the_poll_page_and_can_vote(world, committed):
    conference = convene(world)
    conference.invitations.filter(user=world.midwife).update(removed_at=conference.created_at)
    member = CaseTeamMember.objects.get(case=world.case, user=world.midwife)
    with committed():
        invitation = services.invitation_add(world.convenor, conference=conference, team_member=member)
    assert reverse("conferences:conference_poll", args=[conference.pk]) in mail.outbox[0].body
    assert "/p/" not in mail.outbox[0].body
    services.poll_vote(world.midwife, invitation=invitation, answers=answer_all(conference, "no"))
    assert SlotVote.objects.filter(invitation=invitation).count() == 3


def test_only_the_convenor_may_add_and_nobody_twice(world):
    member = CaseTeamMember.objects.get(case=world.case, user=world.lead_colleague)
    with pytest.raises(PermissionDenied):
        services.invitation_add(world.counsellor, conference=world.conference, team_member=member)
    counsellor_row = CaseTeamMember.objects.get(case=world.case, user=world.counsellor)
    with pytest.raises(ValidationError):
        services.invitation_add(world.convenor, conference=world.conference, team_member=counsellor_row)
    with pytest.raises(ValidationError):
        services.invitation_add(world.convenor, conference=world.conference, family_member=world.expected_child)
    assert Invitation.objects.filter(conference=world.conference).count() == 4


def test_an_outsider_of_the_case_cannot_be_added(world):
    foreign_row = CaseTeamMember.objects.get(case=world.other_case, user=world.outsider)
    with pytest.raises(ValidationError):
        services.invitation_add(world.convenor, conference=world.conference, team_member=foreign_row)
    assert not Invitation.objects.filter(user=world.outsider).exists()


def test_a_cancelled_conference_takes_no_new_invitee(world):
    services.conference_cancel(world.convenor, conference=world.conference)
    member = CaseTeamMember.objects.get(case=world.case, user=world.lead_colleague)
    with pytest.raises(ValidationError):
        services.invitation_add(world.convenor, conference=world.conference, team_member=member)


def test_the_page_lists_only_people_not_yet_invited_and_adds_one(world, client, committed):
    client.force_login(world.convenor)
    url = reverse("conferences:invitation_add", args=[world.conference.pk])
    page = client.get(url).content.decode()
    assert "Colleague" in page and "Counsellor" not in page
    member = CaseTeamMember.objects.get(case=world.case, user=world.lead_colleague)
    with committed():
        response = client.post(url, {"invitee": f"team_{member.pk}", "required": "required"})
    assert response.status_code == 302
    assert world.conference.invitations.filter(user=world.lead_colleague, required=True).exists()
    assert len(mail.outbox) == 1


def test_the_page_refuses_an_empty_choice_with_a_field_error(world, client):
    client.force_login(world.convenor)
    response = client.post(reverse("conferences:invitation_add", args=[world.conference.pk]), {"required": "required"})
    assert response.status_code == 400
    assert "Choose one person to invite." in response.content.decode()
    assert world.conference.invitations.count() == 4


def test_the_api_adds_an_invitee_and_reports_bad_ids_per_field(world, client):
    client.force_login(world.convenor)
    url = reverse("conference-invite", args=[world.conference.pk])
    bad = client.post(url, {"team_member": 999999}, content_type="application/json")
    assert bad.status_code == 400 and "invitee" in bad.json()
    member = CaseTeamMember.objects.get(case=world.case, user=world.lead_colleague)
    ok = client.post(url, {"team_member": member.pk, "required": False}, content_type="application/json")
    assert ok.status_code == 201 and ok.json()["required"] is False


def test_the_poll_mail_asks_an_invitee_when_she_can_come_not_to_fix_the_date(world, father, committed, settings):
    """Only the convenor fixes the date; a parent is asked for her availability."""
    settings.LANGUAGE_CODE = "de"
    conference = convene(world)
    with committed():
        services.invitation_add(world.convenor, conference=conference, family_member=father)
    subject = mail.outbox[0].subject
    assert subject.startswith("Bitte geben Sie an, wann Sie können: ") and world.case.reference in subject
    assert "Termin fest" not in subject


def test_inviting_someone_who_cannot_be_reached_says_she_is_invited_and_must_be_told_by_letter_or_phone(world, client, committed):
    # no e-mail address, no account: nothing is sent to him, and the message must not say it was
    unreachable = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="F.")
    client.force_login(world.convenor)
    url = reverse("conferences:invitation_add", args=[world.conference.pk])
    with committed():
        response = client.post(url, {"invitee": f"family_{unreachable.pk}", "required": "required"}, follow=True)
    page = response.content.decode()
    assert world.conference.invitations.filter(family_member=unreachable).exists()
    assert "The invitation was sent." not in page
    assert "The person is invited, but cannot be reached by e-mail or in Fallkonferenz: please tell them by letter or by phone." in page
    assert mail.outbox == []


def test_inviting_someone_who_cannot_be_reached_reads_in_german_and_danish(world, client, committed):
    unreachable = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="F.")
    client.force_login(world.convenor)
    url = reverse("conferences:invitation_add", args=[world.conference.pk])
    with committed():
        page = client.post(url, {"invitee": f"family_{unreachable.pk}", "required": "required"}, follow=True,
                           HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Die Einladung wurde gesendet." not in page
    assert "Bitte benachrichtigen Sie sie per Brief oder Telefon." in page
