"""A lead caseworker who left the lead organisation leads nothing any more (review, 2026-12-06).

Convening (who joins the case team, and so who reads the case) and the legal-hold page went by
``Case.lead_caseworker`` alone. The convenor of the test world moved from the youth-welfare office
to the midwifery practice and stayed on the team for the midwifery: she still convened the case and
put another organisation on its team. Having left every organisation, she still opened the case's
hold page (its reference and the holds on it) and could set a hold. She now leads while she is on
the team for the lead organisation; her former colleague at the lead organisation convenes.
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from cases import hold_services
from cases import policy as cases_policy
from cases import services as case_services
from cases.models import CaseTeamMember, LegalHold
from participants.models import Membership, ProfessionalRole

pytestmark = pytest.mark.django_db
IN_30 = timezone.localdate() + dt.timedelta(days=30)


def moves_to_the_midwifery(world) -> None:
    """She leaves the youth-welfare office, works for the midwifery and is on the team for it."""
    Membership.objects.filter(user=world.convenor, organisation=world.youth_welfare).update(is_active=False)
    Membership.objects.create(user=world.convenor, organisation=world.midwifery, role=ProfessionalRole.MIDWIFE)
    CaseTeamMember.objects.create(case=world.case, organisation=world.midwifery, user=world.convenor)


def test_she_no_longer_convenes_the_case_she_was_named_lead_caseworker_of(world):
    moves_to_the_midwifery(world)
    assert cases_policy.is_professional_on_case(world.convenor, world.case)  # for the midwifery

    assert not cases_policy.can_convene(world.convenor, world.case)
    assert world.case.pk not in set(cases_policy.convened_case_ids(world.convenor).values_list("pk", flat=True))
    # her colleague at the lead organisation, on the team for it, convenes
    assert cases_policy.can_convene(world.lead_colleague, world.case)


def test_she_cannot_put_another_organisation_on_the_team(world, client):
    moves_to_the_midwifery(world)
    with pytest.raises(PermissionDenied):
        case_services.case_team_member_add(world.convenor, case=world.case, organisation=world.early_help)
    client.force_login(world.convenor)
    response = client.post(reverse("cases:case_team_add", args=[world.case.pk]), {"organisation": world.early_help.pk})
    assert response.status_code in (403, 404)
    assert not CaseTeamMember.objects.filter(case=world.case, organisation=world.early_help).exists()
    assert not cases_policy.is_professional_on_case(world.outsider, world.case)


def test_having_left_every_organisation_she_opens_no_hold_page_and_sets_no_hold(world, client):
    Membership.objects.filter(user=world.convenor).update(is_active=False)
    client.force_login(world.convenor)
    assert client.get(reverse("cases:case_legal_hold", args=[world.case.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        hold_services.legal_hold_set(world.convenor, case=world.case, ground="court", reason="AG 1", review_on=IN_30,
                                     instructed_by=world.dpo)
    assert not LegalHold.objects.filter(case=world.case).exists()


def test_on_the_team_for_another_organisation_only_she_opens_no_hold_page_either(world, client):
    moves_to_the_midwifery(world)
    client.force_login(world.convenor)
    assert client.get(reverse("cases:case_legal_hold", args=[world.case.pk])).status_code == 404


def test_while_on_the_team_for_the_lead_organisation_she_still_leads(world, client):
    assert cases_policy.can_convene(world.convenor, world.case)
    client.force_login(world.convenor)
    assert client.get(reverse("cases:case_legal_hold", args=[world.case.pk])).status_code == 200
    hold = hold_services.legal_hold_set(world.convenor, case=world.case, ground="court", reason="AG 1", review_on=IN_30,
                                        instructed_by=world.dpo)
    assert hold.set_by == world.convenor
