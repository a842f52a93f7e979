"""A parent reads a conference, its protocol's items and the actions agreed there only while she is
invited to it (review h9, H9-1): the page, the API, her iCal feed and her notifications agree. The
actions that fall to her personally reach her from every conference she is invited to, whatever
the audience of their item (rule 3: the actions that concern her)."""
from __future__ import annotations

import datetime as dt
import html

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from calendars import services as calendar_services
from conferences import services as conference_services
from conferences.models import Conference, Invitation
from protocols import announce
from protocols import policy as protocols_policy
from protocols import services as protocol_services
from protocols.models import AgreedAction, Audience, Protocol, ProtocolItem
from tests.conferences.helpers import uninvite_mother, without_account

pytestmark = pytest.mark.django_db

OWN_TASK = "Suchtberatung anrufen"  # falls to her at the second conference, in an item for professionals


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks (mails, access announcements) as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def second(world):
    """A second conference of the case that the mother is invited to, whose protocol holds an item
    for professionals only with an action that falls to her."""
    start = timezone.now() + dt.timedelta(days=20)
    conference = Conference.objects.create(case=world.case, convenor=world.convenor, status=Conference.Status.SCHEDULED,
                                           starts_at=start, ends_at=start + dt.timedelta(hours=1), location="Familienbüro")
    Invitation.objects.create(conference=conference, user=world.convenor, organisation=world.youth_welfare)
    Invitation.objects.create(conference=conference, family_member=world.mother)
    protocol = Protocol.objects.create(conference=conference, minute_taker=world.convenor)
    item = ProtocolItem.objects.create(protocol=protocol, position=1, title="Einschätzung", text="Nur für Fachkräfte.",
                                       audience=Audience.PROFESSIONALS, created_by=world.convenor)
    return AgreedAction.objects.create(case=world.case, item=item, title=OWN_TASK, responsible_family_member=world.mother,
                                       due_on=timezone.localdate() + dt.timedelta(days=9))


def _uninvite(world, committed):
    with committed():
        uninvite_mother(world)


def _feed_uids(client, raw) -> set[str]:
    body = client.get(reverse("calendars:feed", args=[raw])).content
    return {str(e["UID"]).split("@")[0] for e in Calendar.from_ical(body).walk("VEVENT")}


def test_her_feed_drops_the_action_of_the_conference_she_was_uninvited_from(world, client, committed, second):
    _, raw = calendar_services.feed_token_create(world.parent)
    assert {f"action-{world.action_parent.pk}", f"action-{second.pk}"} <= _feed_uids(client, raw)

    _uninvite(world, committed)

    uids = _feed_uids(client, raw)
    assert f"action-{world.action_parent.pk}" not in uids and f"conference-{world.conference.pk}" not in uids
    assert f"action-{second.pk}" in uids  # hers, at a conference she is invited to, in an item she does not read


def test_her_own_action_of_a_conference_she_is_invited_to_reaches_her_in_every_list(world, client, committed, second):
    _uninvite(world, committed)
    client.force_login(world.parent)
    assert second.pk in [a["id"] for a in client.get("/api/actions/").json()["results"]]
    assert second.pk in [a["id"] for a in client.get("/api/actions/?mine=1").json()["results"]]
    assert OWN_TASK in html.unescape(client.get(reverse("protocols:my_agreements")).content.decode())
    assert OWN_TASK in html.unescape(client.get(reverse("dashboard")).content.decode())
    assert announce.responsible_users(second) == [world.parent]


def test_the_uninvited_parent_is_not_told_of_the_action_nor_may_she_update_it(world, client, committed):
    assert announce.responsible_users(world.action_parent) == [world.parent]
    _uninvite(world, committed)

    assert announce.responsible_users(world.action_parent) == []
    assert not protocols_policy.can_update_action(world.parent, world.action_parent)
    client.force_login(world.parent)
    assert client.get(f"/api/actions/{world.action_parent.pk}/").status_code == 404
    assert client.get(reverse("protocols:action_detail", args=[world.action_parent.pk])).status_code == 404
    assert world.action_parent.title not in html.unescape(client.get(reverse("dashboard")).content.decode())


def test_invited_again_she_reads_the_items_and_her_action_again(world, client, committed):
    _uninvite(world, committed)
    with committed():
        conference_services.invitation_add(world.convenor, conference=world.conference, family_member=world.mother)
    client.force_login(world.parent)
    assert client.get(f"/api/protocol-items/{world.item_everyone.pk}/").status_code == 200
    assert world.action_parent.pk in [a["id"] for a in client.get("/api/actions/").json()["results"]]


@pytest.mark.parametrize("uninvited", [False, True])
def test_a_parent_without_an_account_is_reminded_of_her_overdue_action_only_while_invited(world, committed, settings,
                                                                                          uninvited):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    member = without_account(world.mother)
    AgreedAction.objects.filter(pk=world.action_parent.pk).update(due_on=timezone.localdate() - dt.timedelta(days=2))
    if uninvited:
        _uninvite(world, committed)
    mail.outbox.clear()
    with committed():
        protocol_services.action_send_reminder(action_id=world.action_parent.pk)
    assert [m.to for m in mail.outbox] == ([] if uninvited else [[member.email]])


def test_an_action_is_not_agreed_for_a_parent_who_is_not_invited_to_the_conference(client, world, committed):
    """She would read it in no channel (the rule above): the form does not offer her, and the
    service refuses her at the field, changing nothing, until she is invited again."""
    _uninvite(world, committed)
    client.force_login(world.convenor)
    url = reverse("protocols:action_create", args=[world.item_everyone.pk])
    assert f"parent:{world.mother.pk}" not in client.get(url).content.decode()
    with pytest.raises(ValidationError) as refused:
        protocol_services.action_create(world.convenor, item=world.item_everyone, title="Termin vereinbaren",
                                        due_on=timezone.localdate() + dt.timedelta(days=5),
                                        responsible_family_member=world.mother)
    assert "not invited to this conference" in refused.value.message_dict["responsible"][0]
    assert not AgreedAction.objects.filter(title="Termin vereinbaren").exists()
    Invitation.objects.filter(pk=world.invitation_parent.pk).update(removed_at=None)
    assert f"parent:{world.mother.pk}" in client.get(url).content.decode()
    protocol_services.action_create(world.convenor, item=world.item_everyone, title="Termin vereinbaren",
                                    due_on=timezone.localdate() + dt.timedelta(days=5), responsible_family_member=world.mother)
