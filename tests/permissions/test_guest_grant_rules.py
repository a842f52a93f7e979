"""A conference guest is a professional of the case's network, and her grant (like a delegated
minute-taker's) lives and moves with its conference.

Found in review: a cancelled conference's guest still read its items for everyone until the
grant's end; a conference moved earlier kept its guests to the old date plus four weeks; and the
convenor could make a professional of another network, a board member or the parent of another
case a guest, who then read the conference's items for everyone."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from access import grant_services
from conferences import services as conf_services
from conferences.models import Conference
from participants.models import Membership, ProfessionalRole
from permissions import grants
from permissions.models import AuditEvent, ConferenceGuestGrant, MinuteTakerGrant
from tests.world import make_professional, make_user

pytestmark = pytest.mark.django_db


def reads_item_everyone(client, user, world) -> bool:
    client.force_login(user)
    return client.get(f"/api/protocol-items/{world.item_everyone.pk}/").status_code == 200


@pytest.fixture
def guest(world):
    return make_professional("guest", world.early_help)


# --- the grant follows its conference ----------------------------------------------------------

def test_cancelling_the_conference_ends_its_guests_grant_at_once_and_audited(world, client, guest):
    grant = grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest)
    assert reads_item_everyone(client, guest, world)
    conf_services.conference_cancel(world.convenor, conference=world.conference)
    assert not reads_item_everyone(client, guest, world)
    assert client.get(reverse("conferences:conference_detail", args=[world.conference.pk])).status_code == 404
    assert not ConferenceGuestGrant.objects.exists()
    event = AuditEvent.objects.get(action="grant.withdraw", object_id=str(grant.pk))
    assert event.actor_id == world.convenor.pk and event.case_id == world.case.pk
    assert event.detail["kind"] == "guest" and event.detail["user"] == guest.pk
    assert event.detail["reason"] == "conference_cancelled"


def test_cancelling_through_the_api_ends_the_grant_too(world, client, guest):
    grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest)
    client.force_login(world.convenor)
    assert client.post(reverse("conference-cancel", args=[world.conference.pk])).status_code == 200
    assert not ConferenceGuestGrant.objects.exists()
    assert AuditEvent.objects.get(action="grant.withdraw").channel == "api"


def test_cancelling_the_conference_ends_the_delegated_minute_takers_grant(world):
    """The protocol opens an hour before the conference, which can still be cancelled until it begins."""
    grant_services.minute_taker_delegate(world.convenor, protocol=world.protocol, delegate=world.midwife)
    conf_services.conference_cancel(world.convenor, conference=world.conference)
    assert not MinuteTakerGrant.objects.exists()
    event = AuditEvent.objects.get(action="grant.withdraw")
    assert event.detail["kind"] == "minute_taker" and event.detail["reason"] == "conference_cancelled"


def test_no_guest_is_invited_to_a_cancelled_conference(world, guest):
    conf_services.conference_cancel(world.convenor, conference=world.conference)
    with pytest.raises(ValidationError) as exc:
        grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest)
    assert "conference" in exc.value.message_dict
    with pytest.raises(ValidationError):
        grant_services.minute_taker_delegate(world.convenor, protocol=world.protocol, delegate=world.midwife)
    assert not ConferenceGuestGrant.objects.exists() and not MinuteTakerGrant.objects.exists()


def _day(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment)


def test_moving_the_conference_earlier_brings_the_grants_end_forward(world, guest):
    old = world.conference.starts_at
    grant = grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest)
    minutes = grant_services.minute_taker_delegate(world.convenor, protocol=world.protocol, delegate=world.midwife)
    assert grant.valid_until == _day(old) + dt.timedelta(days=28)
    new = old - dt.timedelta(days=5)
    conf_services.conference_move(world.convenor, conference=world.conference, starts_at=new)
    for row in (grant, minutes):
        row.refresh_from_db()
        assert row.valid_until == _day(new) + dt.timedelta(days=28)
    events = AuditEvent.objects.filter(action="grant.redate")
    assert {e.detail["kind"] for e in events} == {"guest", "minute_taker"}
    assert all(e.detail["valid_until"] == (_day(new) + dt.timedelta(days=28)).isoformat() for e in events)


def test_moving_the_conference_later_keeps_the_guest_covered_on_the_new_date(world, guest):
    old = world.conference.starts_at
    grant = grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest)
    new = old + dt.timedelta(days=40)  # after the grant's old end
    conf_services.conference_move(world.convenor, conference=world.conference, starts_at=new)
    grant.refresh_from_db()
    assert grant.valid_until == _day(new) + dt.timedelta(days=28)


def test_a_grant_ending_on_the_conference_day_ends_on_the_new_day(world, guest):
    """The convenor's shorter choice is kept: the end keeps its distance to the conference day."""
    old = world.conference.starts_at
    grant = grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest, valid_until=_day(old))
    new = old + dt.timedelta(days=3)
    conf_services.conference_move(world.convenor, conference=world.conference, starts_at=new)
    grant.refresh_from_db()
    assert grant.valid_until == _day(new)


# --- who may be a guest ------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["foreign_professional", "board_member", "other_parent", "coordinator", "dpo"])
def test_only_a_professional_of_the_cases_network_is_a_guest(world, client, who):
    person = getattr(world, who)
    with pytest.raises(ValidationError) as exc:
        grant_services.guest_invite(world.convenor, conference=world.conference, guest=person)
    assert exc.value.message_dict["guest"] == [grant_services.guest_refusal()]
    assert not ConferenceGuestGrant.objects.exists()
    assert not reads_item_everyone(client, person, world)


def test_a_professional_whose_membership_or_organisation_is_inactive_is_no_guest(world):
    ended = make_professional("ended", world.early_help)
    Membership.objects.filter(user=ended).update(is_active=False)
    closed_org = make_professional("closedorg", world.early_help)
    for person in (ended, closed_org):
        if person is closed_org:
            world.early_help.is_active = False
            world.early_help.save(update_fields=["is_active"])
        with pytest.raises(ValidationError) as exc:
            grant_services.guest_invite(world.convenor, conference=world.conference, guest=person)
        assert "guest" in exc.value.message_dict


def test_a_board_member_who_also_works_in_the_network_may_be_a_guest(world):
    Membership.objects.create(user=world.board_member, organisation=world.early_help, role=ProfessionalRole.SOCIAL_WORKER)
    grant_services.guest_invite(world.convenor, conference=world.conference, guest=world.board_member)
    assert ConferenceGuestGrant.objects.filter(user=world.board_member).exists()


def _invite_on_page(client, world, name: str):
    client.force_login(world.convenor)
    return client.post(reverse("access:grant_create", args=["guest"]), {"conference": world.conference.pk, "guest": name})


def test_the_page_refuses_an_account_of_another_network_exactly_as_an_unknown_name(world, client):
    make_user("inactive", is_active=False)
    answers = {}
    for name in (world.foreign_professional.username, world.board_member.username, world.other_parent.username,
                 "inactive", "nobody-has-this-name"):
        response = _invite_on_page(client, world, name)
        assert response.status_code == 400
        answers[name] = response.context["guest_form"].errors["guest"]
    assert len({tuple(errors) for errors in answers.values()}) == 1
    assert list(answers.values())[0] == [grant_services.guest_refusal()]
    assert not ConferenceGuestGrant.objects.exists()


def test_the_page_offers_no_cancelled_conference_and_refuses_it(world, client, guest):
    conf_services.conference_cancel(world.convenor, conference=world.conference)
    response = _invite_on_page(client, world, guest.username)
    assert response.status_code == 400
    assert "conference" in response.context["guest_form"].errors
    assert not ConferenceGuestGrant.objects.exists()


def test_the_refusal_reads_in_german(world, client):
    client.force_login(world.convenor)
    response = client.post(reverse("access:grant_create", args=["guest"]),
                           {"conference": world.conference.pk, "guest": world.foreign_professional.username},
                           HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 400
    assert "Einrichtung des Netzwerks dieses Falls" in response.content.decode()
    assert Conference.objects.filter(pk=world.conference.pk, status=Conference.Status.SCHEDULED).exists()


# --- the read checks the same terms: grants from before the rules, memberships that ended ------

def _raw_grant(world, user) -> ConferenceGuestGrant:
    """A grant row as the service wrote it before these rules (no eligibility check)."""
    today = timezone.localdate()
    return ConferenceGuestGrant.objects.create(user=user, content_object=world.conference, granted_by=world.convenor,
                                               granted_at=timezone.now(), permission=grants.permission(ConferenceGuestGrant),
                                               valid_from=today, valid_until=today + dt.timedelta(days=7))


@pytest.mark.parametrize("who", ["foreign_professional", "other_parent"])
def test_an_old_grant_to_someone_outside_the_network_reads_nothing(world, client, who):
    _raw_grant(world, getattr(world, who))
    assert not reads_item_everyone(client, getattr(world, who), world)


def test_an_old_grant_on_a_cancelled_conference_reads_nothing(world, client, guest):
    _raw_grant(world, guest)
    assert reads_item_everyone(client, guest, world)
    Conference.objects.filter(pk=world.conference.pk).update(status=Conference.Status.CANCELLED)
    assert not reads_item_everyone(client, guest, world)


def test_a_guest_who_left_the_network_reads_nothing_more(world, client, guest):
    grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest)
    assert reads_item_everyone(client, guest, world)
    Membership.objects.filter(user=guest).update(is_active=False)
    assert not reads_item_everyone(client, guest, world)
    assert client.get(reverse("conferences:conference_detail", args=[world.conference.pk])).status_code == 404
