"""A substitute of the convenor convenes the case through her grant (review h3 follow-up of H3-3):
she names others as minute-taker, never herself - neither when she opens the protocol, nor when
she records the attendance, nor by delegating the minutes to herself. A minute-taker writes the
minutes while she is on the team by any row, so with a seat of her own for another organisation
her writing would outlast the substitute grant. Naming others still works; so does naming herself
for someone on the team in her own right."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from access import grant_services
from cases import services as case_services
from conferences.models import Conference
from participants.models import Membership, ProfessionalRole
from permissions import policy
from permissions.models import AuditEvent, MinuteTakerGrant, SubstituteGrant
from protocols import services
from protocols.models import Protocol
from tests.world import hold_conference, make_professional

pytestmark = pytest.mark.django_db

REFUSAL = "You convene this case only as a substitute: you cannot name yourself as minute-taker."


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def standin(world):
    """A caseworker of the lead organisation, the convenor's substitute for two weeks, who also
    works for early help and sits on the case team for it herself (so she stays on the team, and
    the attendance form offers her, after the grant)."""
    user = make_professional("standin", world.youth_welfare, ProfessionalRole.CASEWORKER)
    Membership.objects.create(user=user, organisation=world.early_help, role=ProfessionalRole.OTHER)
    case_services.case_team_member_add(world.convenor, case=world.case, organisation=world.early_help, user=user)
    today = policy._today()
    grant_services.substitute_appoint(world.convenor, colleague=world.convenor, substitute=user,
                                      valid_from=today, valid_until=today + dt.timedelta(days=14))
    return user


def _soon(world) -> Conference:
    start = timezone.now() + dt.timedelta(minutes=30)  # the protocol opens an hour before the start
    return Conference.objects.create(case=world.case, convenor=world.convenor, status=Conference.Status.SCHEDULED,
                                     starts_at=start, ends_at=start + dt.timedelta(minutes=90))


def _grant_ends(standin) -> None:
    SubstituteGrant.objects.filter(user=standin).delete()


def test_a_substitute_does_not_open_the_protocol_as_its_minute_taker(world, standin):
    conference = _soon(world)
    with pytest.raises(ValidationError) as refused:
        services.protocol_open(standin, conference=conference, minute_taker=standin)
    assert list(refused.value.message_dict) == ["minute_taker"] and REFUSAL in " ".join(refused.value.messages)
    assert not Protocol.objects.filter(conference=conference).exists()
    # Opened without naming anyone, nobody is named yet (she writes as convenor while the grant lasts).
    protocol = services.protocol_open(standin, conference=conference)
    assert protocol.minute_taker_id is None
    assert services.can_write_items(standin, protocol)
    _grant_ends(standin)
    assert not services.can_write_items(standin, Protocol.objects.get(pk=protocol.pk))


def test_a_substitute_opens_the_protocol_with_another_minute_taker(world, standin):
    protocol = services.protocol_open(standin, conference=_soon(world), minute_taker=world.lead_colleague)
    assert protocol.minute_taker == world.lead_colleague


def test_someone_convening_in_her_own_right_still_takes_the_minutes_herself(world, standin):
    assert services.protocol_open(world.convenor, conference=_soon(world)).minute_taker == world.convenor
    second = services.protocol_open(world.lead_colleague, conference=_soon(world), minute_taker=world.lead_colleague)
    assert second.minute_taker == world.lead_colleague


def test_a_substitute_does_not_record_herself_as_minute_taker(world, standin):
    hold_conference(world.conference)
    started = services.attendance_based_on(world.protocol)
    with pytest.raises(ValidationError) as refused:
        services.attendance_record(standin, protocol=world.protocol, attendance={world.invitation_parent.pk: "present"},
                                   minute_taker=standin, based_on=started)
    assert list(refused.value.message_dict) == ["minute_taker"]
    protocol = Protocol.objects.get(pk=world.protocol.pk)
    assert protocol.minute_taker == world.convenor
    assert not AuditEvent.objects.filter(action="protocol.attendance").exists()
    _grant_ends(standin)
    assert not services.can_write_items(standin, protocol)


def test_a_substitute_records_another_minute_taker(world, standin):
    hold_conference(world.conference)
    services.attendance_record(standin, protocol=world.protocol, attendance={world.invitation_parent.pk: "present"},
                               minute_taker=world.counsellor, based_on=services.attendance_based_on(world.protocol))
    assert Protocol.objects.get(pk=world.protocol.pk).minute_taker == world.counsellor


def test_a_substitute_does_not_delegate_the_minutes_to_herself(world, standin):
    with pytest.raises(ValidationError) as refused:
        grant_services.minute_taker_delegate(standin, protocol=world.protocol, delegate=standin)
    assert list(refused.value.message_dict) == ["delegate"]
    assert not MinuteTakerGrant.objects.exists()
    grant_services.minute_taker_delegate(standin, protocol=world.protocol, delegate=world.counsellor)
    assert MinuteTakerGrant.objects.filter(user=world.counsellor).exists()
    _grant_ends(standin)
    assert not services.can_write_items(standin, world.protocol)


@pytest.mark.parametrize(("language", "message"), [
    ("de", "Sie handeln in diesem Fall nur als Vertretung: Sie können sich nicht selbst als Protokollführung benennen. "
           "Bitte benennen Sie eine andere Fachkraft aus dem Fallteam."),
    ("da", "Du handler kun i denne sag som stedfortræder: du kan ikke udpege dig selv som referent. "
           "Udpeg en anden fagperson i sagens team."),
    ("en", REFUSAL),
])
def test_the_attendance_page_refuses_her_as_minute_taker_at_the_field(client, world, standin, language, message):
    hold_conference(world.conference)
    client.force_login(standin)
    url = reverse("protocols:attendance", args=[world.protocol.pk])
    form = client.get(url).context["form"]
    assert standin in form.fields["minute_taker"].queryset  # on the team for early help herself
    response = client.post(url, {"minute_taker": standin.pk, "based_on": services.attendance_based_on(world.protocol)},
                           HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    assert response.context["form"].errors["minute_taker"] and message in response.content.decode()
    assert Protocol.objects.get(pk=world.protocol.pk).minute_taker == world.convenor
    other = client.post(url, {"minute_taker": world.counsellor.pk, "based_on": services.attendance_based_on(world.protocol)})
    assert other.status_code == 302
    assert Protocol.objects.get(pk=world.protocol.pk).minute_taker == world.counsellor


def test_the_grants_page_refuses_delegating_the_minutes_to_herself_at_the_field(client, world, standin):
    client.force_login(standin)
    response = client.post(reverse("access:grant_create", args=["minute_taker"]),
                           {"protocol": world.protocol.pk, "delegate": standin.username, "valid_until": ""})
    assert response.status_code == 400
    assert response.context["minute_taker_form"].errors["delegate"] and REFUSAL in response.content.decode()
    assert not MinuteTakerGrant.objects.exists()


def test_the_protocol_page_opened_by_a_substitute_names_no_minute_taker(client, world, standin):
    conference = _soon(world)
    client.force_login(standin)
    assert client.post(reverse("protocols:protocol_open", args=[conference.pk])).status_code == 302
    assert Protocol.objects.get(conference=conference).minute_taker_id is None
