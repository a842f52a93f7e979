"""Explicit grants: a substitute for a colleague's cases, a guest of one conference, a delegated
minute-taker. Given and withdrawn through audited services, bounded in time, read by the policy."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import policy as cases_policy
from conferences import policy as conferences_policy
from participants.models import Membership, ProfessionalRole
from access import grant_services
from permissions import grants, policy
from permissions.models import AuditEvent, ConferenceGuestGrant, MinuteTakerGrant, SubstituteGrant
from protocols import policy as protocols_policy
from protocols import services as protocol_services
from tests.world import make_professional

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return policy._today()


@pytest.fixture
def stand_in(world):
    """A second counsellor of the counselling organisation, not on the case team herself."""
    return make_professional("standin", world.counselling, ProfessionalRole.COUNSELLOR)


@pytest.fixture
def guest(world):
    """An interpreter of early help: a professional of the case's network, not on the case."""
    return make_professional("interpreter", world.early_help)


def sees_case(user, case) -> bool:
    return cases_policy.cases_for_user(user).filter(pk=case.pk).exists()


def test_a_substitute_sees_her_absent_colleagues_cases_only_during_the_absence(world, stand_in, today):
    assert not sees_case(stand_in, world.case)
    grant = grant_services.substitute_appoint(world.counsellor, colleague=world.counsellor, substitute=stand_in,
                                              valid_from=today, valid_until=today + dt.timedelta(days=14), note="Urlaub")
    assert sees_case(stand_in, world.case)
    assert protocols_policy.protocol_items_for_user(stand_in).filter(pk=world.item_restricted.pk).exists()  # the consent covers her organisation
    assert protocols_policy.responsible_actions_for_user(stand_in).filter(pk=world.action_counselling.pk).exists()
    assert not sees_case(stand_in, world.other_case)
    event = AuditEvent.objects.get(action="grant.give")
    assert event.actor == world.counsellor and event.detail["kind"] == "substitute"

    SubstituteGrant.objects.filter(pk=grant.pk).update(valid_until=today - dt.timedelta(days=1))
    assert not sees_case(stand_in, world.case)


def test_a_substitute_that_begins_next_week_sees_nothing_yet(world, stand_in, today):
    grant_services.substitute_appoint(world.counsellor, colleague=world.counsellor, substitute=stand_in,
                                      valid_from=today + dt.timedelta(days=7), valid_until=today + dt.timedelta(days=14))
    assert not sees_case(stand_in, world.case)


def test_only_a_colleague_of_the_same_organisation_can_stand_in(world, today):
    with pytest.raises(ValidationError) as exc:
        grant_services.substitute_appoint(world.counsellor, colleague=world.counsellor, substitute=world.midwife,
                                          valid_from=today, valid_until=today + dt.timedelta(days=7))
    assert "substitute" in exc.value.message_dict
    assert not SubstituteGrant.objects.exists()


def test_nobody_appoints_a_substitute_for_someone_else_unless_coordinator(world, stand_in, today):
    with pytest.raises(PermissionDenied):
        grant_services.substitute_appoint(world.convenor, colleague=world.counsellor, substitute=stand_in,
                                          valid_from=today, valid_until=today + dt.timedelta(days=7))
    grant_services.substitute_appoint(world.coordinator, colleague=world.counsellor, substitute=stand_in,
                                      valid_from=today, valid_until=today + dt.timedelta(days=7))
    assert sees_case(stand_in, world.case)


def test_a_coordinator_appoints_only_within_her_network(world, stand_in, today):
    """Review h3, H3-1: a professional who works in both networks; the coordinator of the first
    appoints neither a substitute of the other network nor one who shares an organisation of it
    with the colleague (the grant would read the colleague's cases there). The colleague herself
    may hand out her own cases in either network."""
    Membership.objects.create(user=world.counsellor, organisation=world.foreign_org, role=ProfessionalRole.COUNSELLOR)
    foreign = make_professional("foreignsub", world.foreign_org, ProfessionalRole.CASEWORKER)
    both = make_professional("bothsub", world.counselling, ProfessionalRole.COUNSELLOR)
    Membership.objects.create(user=both, organisation=world.foreign_org, role=ProfessionalRole.COUNSELLOR)
    until = today + dt.timedelta(days=7)
    for substitute in (foreign, both):
        with pytest.raises(ValidationError) as refused:
            grant_services.substitute_appoint(world.coordinator, colleague=world.counsellor, substitute=substitute,
                                              valid_from=today, valid_until=until)
        assert list(refused.value.message_dict) == ["substitute"]
    assert not SubstituteGrant.objects.exists()
    grant_services.substitute_appoint(world.coordinator, colleague=world.counsellor, substitute=stand_in,
                                      valid_from=today, valid_until=until)
    grant_services.substitute_appoint(world.counsellor, colleague=world.counsellor, substitute=foreign,
                                      valid_from=today, valid_until=until)
    assert SubstituteGrant.objects.count() == 2


def test_a_coordinator_never_appoints_herself(world, today):
    """Review h3, H3-2: not even where she works beside the colleague."""
    Membership.objects.create(user=world.coordinator, organisation=world.counselling, role=ProfessionalRole.COUNSELLOR)
    with pytest.raises(ValidationError) as refused:
        grant_services.substitute_appoint(world.coordinator, colleague=world.counsellor, substitute=world.coordinator,
                                          valid_from=today, valid_until=today + dt.timedelta(days=7))
    assert list(refused.value.message_dict) == ["substitute"]
    assert not sees_case(world.coordinator, world.case)


def test_a_substitution_lasts_half_a_year_at_most(world, stand_in, today):
    with pytest.raises(ValidationError) as exc:
        grant_services.substitute_appoint(world.counsellor, colleague=world.counsellor, substitute=stand_in,
                                          valid_from=today, valid_until=today + dt.timedelta(days=200))
    assert "valid_until" in exc.value.message_dict


def test_a_grant_held_for_a_colleague_of_another_organisation_opens_nothing(world, today):
    """The policy, not only the service, binds a substitute to the organisation both work for."""
    SubstituteGrant.objects.create(user=world.midwife, content_object=world.counsellor, valid_from=today,
                                   valid_until=today, granted_by=world.counsellor, granted_at=timezone.now(),
                                   permission=grants.permission(SubstituteGrant))
    assert not cases_policy.cases_for_user(world.midwife).filter(pk=world.other_case.pk).exists()
    assert not protocols_policy.protocol_items_for_user(world.midwife).filter(pk=world.item_restricted.pk).exists()


def test_a_guest_sees_her_conference_and_the_items_for_everyone_nothing_else(world, guest, client):
    grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest, note="Dolmetscherin")
    assert conferences_policy.conferences_for_user(guest).filter(pk=world.conference.pk).exists()
    assert list(protocols_policy.protocol_items_for_user(guest)) == [world.item_everyone]
    assert not sees_case(guest, world.case)
    client.force_login(guest)
    assert client.get(reverse("conferences:conference_detail", args=[world.conference.pk])).status_code == 200
    page = client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode()
    assert world.item_everyone.title in page
    assert world.item_professionals.title not in page and world.item_restricted.title not in page
    assert client.get(reverse("cases:case_detail", args=[world.case.pk])).status_code == 404
    assert client.get(f"/api/protocol-items/{world.item_everyone.pk}/").status_code == 200
    assert client.get(f"/api/protocol-items/{world.item_professionals.pk}/").status_code == 404


def test_only_the_convenor_invites_a_guest_and_never_someone_already_on_the_case(world, guest):
    with pytest.raises(PermissionDenied):
        grant_services.guest_invite(world.counsellor, conference=world.conference, guest=guest)
    with pytest.raises(ValidationError):
        grant_services.guest_invite(world.convenor, conference=world.conference, guest=world.midwife)


def test_a_guest_grant_ends_four_weeks_after_the_conference_at_the_latest(world, guest):
    # The conference's day where it takes place: 23:30 UTC is already the next day in Berlin.
    day = timezone.localdate(world.conference.starts_at)
    with pytest.raises(ValidationError) as exc:
        grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest,
                                    valid_until=day + dt.timedelta(days=60))
    assert "valid_until" in exc.value.message_dict
    grant = grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest)
    assert grant.valid_until == day + dt.timedelta(days=grant_services.AFTER_CONFERENCE_MAX_DAYS)


def test_withdrawing_a_guest_takes_effect_at_once_and_is_audited(world, guest):
    grant = grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest)
    grant_services.grant_withdraw(world.convenor, grant=grant)
    assert not conferences_policy.conferences_for_user(guest).exists()
    assert not ConferenceGuestGrant.objects.exists()
    event = AuditEvent.objects.get(action="grant.withdraw")
    assert event.case_id == world.case.pk and event.detail["user"] == guest.pk


def test_an_unrelated_user_cannot_withdraw_a_grant(world, guest, client):
    grant = grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest)
    with pytest.raises(PermissionDenied):
        grant_services.grant_withdraw(world.midwife, grant=grant)
    client.force_login(world.outsider)
    assert client.post(reverse("access:grant_withdraw", args=["guest", grant.pk])).status_code == 404
    assert ConferenceGuestGrant.objects.filter(pk=grant.pk).exists()


def test_a_delegated_minute_taker_may_write_items_while_the_grant_runs(world, today):
    assert not protocol_services.can_write_items(world.midwife, world.protocol)
    grant = grant_services.minute_taker_delegate(world.convenor, protocol=world.protocol, delegate=world.midwife)
    assert protocol_services.can_write_items(world.midwife, world.protocol)
    item = protocol_services.item_create(world.midwife, protocol=world.protocol, title="Notiz der Hebamme")
    assert item.created_by == world.midwife
    MinuteTakerGrant.objects.filter(pk=grant.pk).update(valid_until=today - dt.timedelta(days=1))
    assert not protocol_services.can_write_items(world.midwife, world.protocol)


def test_minutes_are_delegated_only_to_a_professional_on_the_team(world):
    with pytest.raises(ValidationError):
        grant_services.minute_taker_delegate(world.convenor, protocol=world.protocol, delegate=world.outsider)
    with pytest.raises(PermissionDenied):
        grant_services.minute_taker_delegate(world.midwife, protocol=world.protocol, delegate=world.counsellor)


def test_the_policy_reads_grants_in_the_same_single_statement(world, stand_in, guest, today):
    grant_services.substitute_appoint(world.counsellor, colleague=world.counsellor, substitute=stand_in,
                                      valid_from=today, valid_until=today + dt.timedelta(days=7))
    grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest)
    for user in (stand_in, guest):
        with CaptureQueriesContext(connection) as ctx:
            list(protocols_policy.protocol_items_for_user(user))
            list(conferences_policy.conferences_for_user(user))
        assert len(ctx) == 2


def test_the_grants_page_appoints_a_substitute_and_shows_it_to_both(world, stand_in, client, today):
    client.force_login(world.counsellor)
    response = client.post(reverse("access:grant_create", args=["substitute"]), {
        "substitute": stand_in.pk, "valid_from": today.isoformat(), "valid_until": (today + dt.timedelta(days=10)).isoformat(),
        "note": "Fortbildung"})
    assert response.status_code == 302
    assert sees_case(stand_in, world.case)
    client.force_login(stand_in)
    page = client.get(reverse("access:grants")).content.decode()
    assert "Fortbildung" in page and "in force" in page


def test_the_grants_page_names_the_field_of_a_bad_period(world, stand_in, client, today):
    client.force_login(world.counsellor)
    response = client.post(reverse("access:grant_create", args=["substitute"]), {
        "substitute": stand_in.pk, "valid_from": today.isoformat(), "valid_until": (today + dt.timedelta(days=400)).isoformat()})
    assert response.status_code == 400
    assert "valid_until" in response.context["substitute_form"].errors
    assert not SubstituteGrant.objects.exists()


def test_the_convenor_invites_a_guest_by_user_name_from_the_page(world, guest, client):
    client.force_login(world.convenor)
    response = client.post(reverse("access:grant_create", args=["guest"]), {
        "conference": world.conference.pk, "guest": "interpreter", "note": "Dolmetscherin"})
    assert response.status_code == 302
    assert conferences_policy.conferences_for_user(guest).filter(pk=world.conference.pk).exists()
    client.force_login(guest)
    page = client.get(reverse("access:grants")).content.decode()
    assert reverse("conferences:conference_detail", args=[world.conference.pk]) in page


def test_the_dpo_sees_every_grant_of_her_network_and_the_view_is_audited(world, stand_in, guest, client, today):
    grant_services.substitute_appoint(world.counsellor, colleague=world.counsellor, substitute=stand_in,
                                      valid_from=today, valid_until=today + dt.timedelta(days=7), note="Urlaub")
    grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest, note="Dolmetscherin")
    grant_services.minute_taker_delegate(world.convenor, protocol=world.protocol, delegate=world.lead_colleague)
    client.force_login(world.dpo)
    page = client.get(reverse("access:dpo_grants")).content.decode()
    assert "Urlaub" in page and "Dolmetscherin" in page and world.case.reference in page
    assert AuditEvent.objects.filter(action="grants.view", actor=world.dpo).exists()
    client.force_login(world.convenor)
    assert client.get(reverse("access:dpo_grants")).status_code == 404
