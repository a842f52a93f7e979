"""A substitute of the convenor convenes the case through her grant (review h3, H3-3): she puts
others on the case team, never herself nor an organisation she works for, so that her access ends
with the grant. Someone on the team in her own right adds herself as before."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from access import grant_services
from cases import policy as cases_policy
from cases import services as case_services
from cases.models import CaseTeamMember
from participants.models import Membership, ProfessionalRole
from permissions import policy
from permissions.models import AuditEvent, SubstituteGrant
from tests.world import make_professional

pytestmark = pytest.mark.django_db


@pytest.fixture
def standin(world):
    """A caseworker of the lead organisation, not on the team, the convenor's substitute for two weeks."""
    user = make_professional("standin", world.youth_welfare, ProfessionalRole.CASEWORKER)
    today = policy._today()
    grant_services.substitute_appoint(world.convenor, colleague=world.convenor, substitute=user,
                                      valid_from=today, valid_until=today + dt.timedelta(days=14))
    return user


def test_a_substitute_convenes_but_not_in_her_own_right(world, standin):
    assert cases_policy.can_convene(standin, world.case)
    assert not cases_policy.convenes_in_own_right(standin, world.case)
    assert cases_policy.convenes_in_own_right(world.convenor, world.case)
    assert cases_policy.convenes_in_own_right(world.lead_colleague, world.case)


def test_a_substitute_puts_neither_herself_nor_her_own_organisation_on_the_team(world, standin):
    Membership.objects.create(user=standin, organisation=world.early_help, role=ProfessionalRole.OTHER)
    for organisation, user in ((world.youth_welfare, standin), (world.early_help, standin),
                               (world.youth_welfare, None), (world.early_help, None)):
        with pytest.raises(ValidationError) as refused:
            case_services.case_team_member_add(standin, case=world.case, organisation=organisation, user=user)
        assert list(refused.value.message_dict) == ["user"]
    assert not world.case.team.filter(removed_at__isnull=True, organisation__in=[world.early_help]).exists()
    assert not world.case.team.filter(user=standin).exists()
    assert not AuditEvent.objects.filter(action="case_team.add").exists()
    SubstituteGrant.objects.all().delete()
    assert not cases_policy.is_professional_on_case(standin, world.case)


def test_a_substitute_still_puts_others_on_the_team(world, standin):
    early = make_professional("early2", world.early_help, ProfessionalRole.OTHER)
    member = case_services.case_team_member_add(standin, case=world.case, organisation=world.early_help, user=early)
    assert member.user == early and cases_policy.is_professional_on_case(early, world.case)
    case_services.case_team_member_add(standin, case=world.case, organisation=world.midwifery)  # not hers: allowed
    assert AuditEvent.objects.filter(action="case_team.add", actor=standin).count() == 2


def test_on_the_team_in_her_own_right_she_adds_herself_as_before(world):
    """A caseworker of the lead organisation on the team through its organisation row puts herself on personally."""
    caseworker = make_professional("orgrow", world.youth_welfare, ProfessionalRole.CASEWORKER)
    case_services.case_team_member_add(world.convenor, case=world.case, organisation=world.youth_welfare)
    case_services.case_team_member_add(caseworker, case=world.case, organisation=world.youth_welfare, user=caseworker)
    assert world.case.team.filter(user=caseworker, removed_at__isnull=True).exists()


def test_the_team_page_tells_the_substitute_why_and_adds_nothing(client, world, standin):
    client.force_login(standin)
    membership = Membership.objects.get(user=standin, organisation=world.youth_welfare)
    response = client.post(reverse("cases:case_team_add", args=[world.case.pk]), {"member": f"m{membership.pk}", "case_role": ""})
    assert response.status_code == 400
    assert "You convene this case only as a substitute" in response.content.decode()
    assert not CaseTeamMember.objects.filter(case=world.case, user=standin).exists()
    german = client.post(reverse("cases:case_team_add", args=[world.case.pk]), {"member": f"m{membership.pk}", "case_role": ""},
                         HTTP_ACCEPT_LANGUAGE="de")
    assert "Sie handeln in diesem Fall nur als Vertretung" in german.content.decode()


def test_the_team_form_offers_the_substitute_neither_herself_nor_her_organisation(client, world, standin):
    """The form offers no choice the service always refuses; a convenor in her own right is offered
    her colleagues and her own organisation's other people as before."""
    client.force_login(standin)
    page = client.get(reverse("cases:case_team_add", args=[world.case.pk]))
    assert page.status_code == 200
    choices = dict(page.context["form"].fields["member"].choices[2][1])  # organisations
    professionals = dict(page.context["form"].fields["member"].choices[1][1])
    own = Membership.objects.get(user=standin, organisation=world.youth_welfare)
    assert f"m{own.pk}" not in professionals
    assert f"o{world.youth_welfare.pk}" not in choices
    assert f"o{world.early_help.pk}" in choices
    client.force_login(world.convenor)
    page = client.get(reverse("cases:case_team_add", args=[world.case.pk]))
    professionals = dict(page.context["form"].fields["member"].choices[1][1])
    assert f"m{own.pk}" in professionals
