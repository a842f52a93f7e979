"""Who is on the case team is the convenor's decision (review findings, 2026-12-06).

1. A referral let staff of the receiving organisation join the case team on their own, with
   whatever consent reference they typed: a member the convenor had removed could put herself
   back, and every colleague could join after her.
2. "Convenor" meant "on the team by any route" plus a caseworker membership at the lead
   organisation: a professional on the team for another organisation, or the substitute of one,
   with a second membership at the lead organisation convened the case (added herself, removed
   others).
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from access import grant_services
from cases import policy as cases_policy
from cases import services as case_services
from offers import referral_case_services as rcs
from offers import referral_services as rs
from participants.models import Membership, ProfessionalRole
from protocols import selectors as protocol_selectors
from tests.offers.offer_world import build_offer_world
from tests.world import make_professional

pytestmark = pytest.mark.django_db


@pytest.fixture
def joined_by_referral(world):
    """The case manager attached a referral to the counselling offer to the case; the counselling
    accepted it. Returns the referral."""
    offers = build_offer_world(world)
    case_services.case_team_member_add(world.convenor, case=world.case, organisation=offers.perinatal, user=offers.case_manager)
    rs.support_request_attach_case(offers.case_manager, request=offers.support_request, case=world.case)
    return rs.referral_accept(world.counsellor, referral=offers.referral)


def test_a_member_the_convenor_removed_cannot_rejoin_through_an_open_referral(world, client, joined_by_referral):
    member = world.case.team.get(user=world.counsellor, removed_at__isnull=True)
    case_services.case_team_member_remove(world.convenor, member=member)
    client.force_login(world.counsellor)
    page = client.get(reverse("offers:referral_detail", args=[joined_by_referral.pk])).content.decode()
    assert "Join the case team" not in page and "only the convenor can add someone of it again" in page
    response = client.post(reverse("offers:referral_join_case_team", args=[joined_by_referral.pk]), {
        "join-consent_reference": "anything", "join-consent_given_on": timezone.localdate().isoformat(),
        "join-consent_confirmed": "on"}, follow=True)
    assert "only the convenor can add someone of it again" in response.content.decode()
    assert not cases_policy.is_professional_on_case(world.counsellor, world.case)
    assert client.get(f"/api/protocol-items/{world.item_restricted.pk}/").status_code == 404


def test_a_colleague_cannot_join_after_the_convenor_removed_her_organisations_member(world, joined_by_referral):
    case_services.case_team_member_remove(world.convenor, member=world.case.team.get(user=world.counsellor))
    colleague = make_professional("counsellor2", world.counselling, ProfessionalRole.COUNSELLOR)
    with pytest.raises(ValidationError):
        rcs.referral_join_case_team(colleague, referral=joined_by_referral, consent_reference="x",
                                    consent_given_on=timezone.localdate())
    assert not cases_policy.is_professional_on_case(colleague, world.case)


def test_a_further_colleague_of_an_organisation_on_the_team_is_added_by_the_convenor_not_by_the_referral(world, client, joined_by_referral):
    colleague = make_professional("counsellor2", world.counselling, ProfessionalRole.COUNSELLOR)
    with pytest.raises(ValidationError) as refused:
        rcs.referral_join_case_team(colleague, referral=joined_by_referral, consent_reference="x",
                                    consent_given_on=timezone.localdate())
    assert "the convenor adds further colleagues" in str(refused.value)
    assert not cases_policy.is_professional_on_case(colleague, world.case)
    # the referral page does not offer her a step that would only be refused; it says why
    client.force_login(colleague)
    page = client.get(reverse("offers:referral_detail", args=[joined_by_referral.pk])).content.decode()
    assert "Join the case team" not in page and "the convenor adds further colleagues" in page
    case_services.case_team_member_add(world.convenor, case=world.case, organisation=world.counselling, user=colleague)
    assert cases_policy.is_professional_on_case(colleague, world.case)


def test_a_substitute_of_a_team_member_for_another_organisation_does_not_convene(world):
    dual = make_professional("dual", world.counselling, ProfessionalRole.COUNSELLOR)
    Membership.objects.create(user=dual, organisation=world.youth_welfare, role=ProfessionalRole.CASEWORKER)
    today = timezone.localdate()
    grant_services.substitute_appoint(world.counsellor, colleague=world.counsellor, substitute=dual, valid_from=today,
                                      valid_until=today + dt.timedelta(days=7))
    assert cases_policy.is_professional_on_case(dual, world.case)  # she stands in for the counsellor...
    assert not cases_policy.can_convene(dual, world.case)          # ...not for the youth-welfare office
    assert world.case.pk not in set(cases_policy.convened_case_ids(dual).values_list("pk", flat=True))
    assert not protocol_selectors.convened_case_ids(dual).exists()
    with pytest.raises(PermissionDenied):
        case_services.case_team_member_add(dual, case=world.case, organisation=world.youth_welfare, user=dual)
    with pytest.raises(PermissionDenied):
        case_services.case_team_member_remove(dual, member=world.case.team.get(user=world.counsellor))


def test_a_second_caseworker_membership_at_the_lead_does_not_make_a_team_member_for_another_organisation_convene(world):
    Membership.objects.create(user=world.counsellor, organisation=world.youth_welfare, role=ProfessionalRole.CASEWORKER)
    assert not cases_policy.can_convene(world.counsellor, world.case)
    assert not cases_policy.convened_case_ids(world.counsellor).exists()
    # on the team for the lead organisation, she convenes
    case_services.case_team_member_add(world.convenor, case=world.case, organisation=world.youth_welfare, user=world.counsellor)
    assert cases_policy.can_convene(world.counsellor, world.case)
    assert cases_policy.convened_case_ids(world.counsellor).filter(pk=world.case.pk).exists()


def test_the_substitute_of_the_convenor_convenes_in_her_place(world):
    deputy = make_professional("deputy", world.youth_welfare, ProfessionalRole.CASEWORKER)
    today = timezone.localdate()
    grant_services.substitute_appoint(world.convenor, colleague=world.convenor, substitute=deputy, valid_from=today,
                                      valid_until=today + dt.timedelta(days=7))
    assert cases_policy.can_convene(deputy, world.case)
    assert cases_policy.convened_case_ids(deputy).filter(pk=world.case.pk).exists()
