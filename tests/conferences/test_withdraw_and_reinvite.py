"""Withdrawing an invitation and inviting her again: a confirmation first, mails that say what
happened (her invitation withdrawn, not the conference cancelled; a renewed invitation, not a
change of time or place), and no withdrawal that would hide an open action of hers."""
from __future__ import annotations

import datetime as dt
import email
import html
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from conferences import services
from conferences.models import Invitation
from protocols.models import AgreedAction
from tests.conferences.helpers import convene

pytestmark = pytest.mark.django_db


def _calendar(message) -> tuple[str, Calendar]:
    parsed = email.message_from_bytes(message.message().as_bytes())
    part = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    return part.get_param("method"), Calendar.from_ical(part.get_payload(decode=True))


def _close_her_action(world) -> None:
    AgreedAction.objects.filter(pk=world.action_parent.pk).update(status=AgreedAction.Status.DONE,
                                                                  completed_on=timezone.localdate())


def test_withdrawing_her_invitation_mails_her_that_it_was_withdrawn_not_that_the_conference_was_cancelled(world, committed):
    _close_her_action(world)
    with committed():
        services.invitation_remove(world.convenor, invitation=world.invitation_parent)
    [message] = mail.outbox
    assert message.to == ["parent@example.org"]
    assert message.subject.startswith("Invitation withdrawn: ")
    assert "Your invitation to this conference has been withdrawn" in message.body
    assert "has been cancelled" not in message.body
    assert "attendance is important" not in message.body
    assert message.body.startswith("Good day,") and "M." not in message.body  # no family member named
    # her calendar drops the event: a CANCEL addressed to her alone, without STATUS:CANCELLED
    method, cal = _calendar(message)
    event = cal.events[0]
    assert method == "CANCEL" and cal["METHOD"] == "CANCEL"
    assert "STATUS" not in event and str(event["ATTENDEE"]) == "mailto:parent@example.org"
    html_part = next(body for body, kind in message.alternatives if kind == "text/html")
    assert "has been withdrawn" in html_part and "attendance is important" not in html_part


def test_a_cancelled_conference_still_says_cancelled(world, committed):
    with committed():
        services.conference_cancel(world.convenor, conference=world.conference)
    to_her = next(m for m in mail.outbox if m.to == ["parent@example.org"])
    assert to_her.subject.startswith("Cancelled: ") and "has been cancelled" in to_her.body
    assert "attendance is important" not in to_her.body


def test_inviting_her_again_reads_as_an_invitation_with_a_higher_sequence(world, committed):
    _close_her_action(world)
    with committed():
        services.invitation_remove(world.convenor, invitation=world.invitation_parent)
    world.conference.refresh_from_db()
    withdrawn_at = world.conference.sequence
    mail.outbox.clear()
    with committed():
        services.invitation_add(world.convenor, conference=world.conference, family_member=world.mother)
    [message] = mail.outbox
    assert message.subject.startswith("Invitation: ")
    assert "You are invited to a conference" in message.body
    assert "time or place" not in message.body
    method, cal = _calendar(message)
    assert method == "REQUEST" and cal.events[0]["SEQUENCE"] > withdrawn_at


def test_a_move_tells_those_invited_before_that_time_or_place_changed(world, committed, scheduled):
    mail.outbox.clear()
    with committed():
        services.conference_move(world.convenor, conference=scheduled, starts_at=scheduled.starts_at + dt.timedelta(days=1),
                                 sequence=scheduled.sequence)
    to_her = next(m for m in mail.outbox if m.to == ["parent@example.org"])
    assert to_her.subject.startswith("Updated invitation: ")
    assert "The time or place of this conference has changed" in to_her.body


def test_the_mail_names_the_time_zone_without_nested_parentheses(world, committed, settings):
    settings.LANGUAGE_CODE = "de"
    with committed():
        services.invitation_add(world.convenor, conference=world.conference,
                                team_member=world.case.team.get(user=world.lead_colleague))
    body = mail.outbox[0].body
    assert "(deutsche Zeit (MEZ/MESZ))" not in body
    assert ", deutsche Zeit (MEZ/MESZ)" in body


def test_her_open_action_at_the_conference_refuses_the_withdrawal_naming_it(world, committed):
    with pytest.raises(ValidationError) as refused:
        services.invitation_remove(world.convenor, invitation=world.invitation_parent)
    text = " ".join(refused.value.messages)
    assert "M. (Mother) is responsible for an open action agreed at this conference" in text
    assert "“Termin bei der Hebamme wahrnehmen”" in text and "Give it to someone else first" in text
    # it points to the way that exists: the action's page, where the convenor changes who is responsible
    assert "the convenor changes the responsible person on the action's page (“Give the action to someone else”)" in text
    world.invitation_parent.refresh_from_db()
    assert world.invitation_parent.removed_at is None and not mail.outbox
    AgreedAction.objects.filter(pk=world.action_parent.pk).update(status=AgreedAction.Status.IN_PROGRESS)
    with pytest.raises(ValidationError):
        services.invitation_remove(world.convenor, invitation=world.invitation_parent)
    AgreedAction.objects.filter(pk=world.action_parent.pk).update(status=AgreedAction.Status.DROPPED)
    services.invitation_remove(world.convenor, invitation=world.invitation_parent)
    world.invitation_parent.refresh_from_db()
    assert world.invitation_parent.removed_at is not None


def test_the_withdraw_button_leads_to_a_confirmation_that_names_her_and_what_she_will_not_see(world, client, committed):
    _close_her_action(world)
    client.force_login(world.convenor)
    url = reverse("conferences:invitation_remove", args=[world.conference.pk, world.invitation_parent.pk])
    detail = client.get(reverse("conferences:conference_detail", args=[world.conference.pk])).content.decode()
    detail = html.unescape(re.sub(r"<[^>]+>", "", detail))  # the button's accessible name, as read out
    assert "Withdraw invitation: M. (Mother)" in detail and "(M. (Mother))" not in detail
    for response in (client.get(url), client.post(url)):  # the page's button posts without "confirm"
        page = html.unescape(response.content.decode())
        assert response.status_code == 200
        assert "M. (Mother) will no longer see this conference" in page and 'name="confirm"' in page
    world.invitation_parent.refresh_from_db()
    assert world.invitation_parent.removed_at is None and not mail.outbox
    with committed():
        response = client.post(url, {"confirm": "1"})
    assert response.status_code == 302
    world.invitation_parent.refresh_from_db()
    assert world.invitation_parent.removed_at is not None


def test_the_confirmation_page_shows_the_refusal_and_offers_no_withdrawal(world, client):
    client.force_login(world.convenor)
    url = reverse("conferences:invitation_remove", args=[world.conference.pk, world.invitation_parent.pk])
    page = html.unescape(client.get(url).content.decode())
    assert "This invitation cannot be withdrawn now." in page and "Termin bei der Hebamme wahrnehmen" in page
    assert 'name="confirm"' not in page
    client.post(url, {"confirm": "1"})
    assert Invitation.objects.get(pk=world.invitation_parent.pk).removed_at is None


def test_the_invite_form_names_the_relation_once(world, client, committed):
    _close_her_action(world)
    with committed():
        services.invitation_remove(world.convenor, invitation=world.invitation_parent)
    client.force_login(world.convenor)
    page = html.unescape(client.get(reverse("conferences:invitation_add", args=[world.conference.pk])).content.decode())
    assert "M. (Mother)" in page and "(Mother) (Mother)" not in page


def test_the_poll_invitation_begins_with_a_greeting(world, committed, settings):
    settings.LANGUAGE_CODE = "de"
    with committed():
        convene(world)
    to_counsellor = next(m for m in mail.outbox if m.to == [world.counsellor.email])
    to_her = next(m for m in mail.outbox if m.to == ["parent@example.org"])
    assert to_counsellor.body.startswith(f"Guten Tag {world.counsellor.get_full_name()},")
    assert to_her.body.splitlines()[0] == "Guten Tag,"  # no family member is named in an e-mail
