"""Review h7 (2026-12-07): a fresh attacker's review of the network's work before a case exists and
of the newest code (offers, requests to the central case manager, referrals, enrolments and
sessions, the board's partnership figures, data-subject requests, grants, written reports, the
dashboard's waiting lists), looking at every path that changes who may read something.

A probe asserts what SHOULD hold. A probe marked ``xfail(strict=True)`` is a finding that is not
mended yet: it fails today; its reason names the fault (H7-n). Plain tests are findings that were
mended (they failed before the mend) or paths that were probed and held.
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
from cases.models import CaseTeamMember
from offers import access
from offers import referral_case_services as rcs
from offers import referral_services as rs
from offers.models import CentralCaseManager, Referral
from participants.models import Membership
from tests.offers.offer_world import build_offer_world

pytestmark = pytest.mark.django_db

CONSENT = {"consent_reference": "TEAM-4711", "consent_given_on": dt.date(2026, 1, 5)}


@pytest.fixture
def offers(world):
    return build_offer_world(world)


def _case_manager_attaches_the_request(world, offers) -> CaseTeamMember:
    """The central case manager is on the case team and attaches the referral request to the case."""
    seat = case_services.case_team_member_add(world.convenor, case=world.case, organisation=offers.perinatal,
                                              user=offers.case_manager)
    rs.support_request_attach_case(offers.case_manager, request=offers.support_request, case=world.case)
    return seat


# --- H7-1: a case manager taken off the case team still routes organisations onto it --------------

def test_a_case_manager_taken_off_the_team_no_longer_refers_into_the_case(world, offers):
    """H7-1: the request stays with the case it was attached to, so every referral made from it
    later belongs to that case, and the receiving organisation may then join the case's team on it
    (``referral_join_case_team``). Once the convenor has taken the case manager off the team she
    reads nothing of the case, yet she could still refer the request's client to any offer of the
    network and so let any organisation onto the family's case team. A referral into a case is
    made only by someone on its team."""
    seat = _case_manager_attaches_the_request(world, offers)
    case_services.case_team_member_remove(world.convenor, member=seat)
    assert not cases_policy.is_professional_on_case(offers.case_manager, world.case)

    with pytest.raises((PermissionDenied, ValidationError)):
        rs.referral_create(offers.case_manager, offer=offers.network_offer, support_request=offers.support_request)
    assert not Referral.objects.filter(offer=offers.network_offer).exists()
    assert not cases_policy.is_professional_on_case(world.outsider, world.case)


def test_a_case_manager_on_the_team_still_refers_into_the_case(world, offers):
    """The mend of H7-1 keeps the path it guards: on the team, she refers, and the receiving
    organisation joins the case on the family's documented consent."""
    _case_manager_attaches_the_request(world, offers)
    referral = rs.referral_create(offers.case_manager, offer=offers.network_offer, support_request=offers.support_request)
    assert referral.case_id == world.case.pk
    referral = rs.referral_accept(world.outsider, referral=referral)
    rcs.referral_join_case_team(world.outsider, referral=referral, **CONSENT)
    assert cases_policy.is_professional_on_case(world.outsider, world.case)


def test_the_request_page_says_why_she_no_longer_refers_and_a_stale_form_is_refused(world, offers, client):
    seat = _case_manager_attaches_the_request(world, offers)
    case_services.case_team_member_remove(world.convenor, member=seat)
    client.force_login(offers.case_manager)
    page = client.get(reverse("offers:request_detail", args=[offers.support_request.pk])).content.decode()
    assert reverse("offers:request_refer", args=[offers.support_request.pk]) not in page
    assert "only the case team refers its client from it" in page
    response = client.post(reverse("offers:request_refer", args=[offers.support_request.pk]),
                           {"offer": offers.network_offer.pk, "note": "", "municipality": ""})
    assert response.status_code == 403
    assert not Referral.objects.filter(offer=offers.network_offer).exists()


# --- H7-2: a staff account with a membership slipped past the admin reads the network's work ------

def test_a_staff_account_reads_nothing_of_the_network_even_with_a_membership_slipped_past_the_admin(world, offers, client):
    """Rule 6 holds for cases even where a membership slipped past the admin's refusal
    (``test_admin_powers``): a staff account holds no role. The offers app must hold it too: the
    referrals to an organisation's offers carry the client and what is asked of the offer, the
    requests to the central case manager the family's situation."""
    Membership.objects.create(user=world.admin, organisation=world.counselling, role="other")
    Membership.objects.create(user=world.admin, organisation=offers.perinatal, role="other")
    CentralCaseManager.objects.create(network=world.network, organisation=offers.perinatal, user=world.admin)
    assert not access.referrals_for(world.admin).exists()
    assert not access.support_requests_for(world.admin).exists()
    assert not access.offers_managed_by(world.admin).exists()
    client.force_login(world.admin)
    assert client.get(reverse("offers:referral_detail", args=[offers.referral.pk])).status_code == 404
    assert client.get(f"/api/referrals/{offers.referral.pk}/").status_code == 404
    assert client.get(f"/api/support-requests/{offers.support_request.pk}/").status_code == 404
    assert client.get(reverse("offers:contact_requests", args=[offers.public_offer.pk])).status_code == 404
    with pytest.raises(PermissionDenied):  # nor does she write as staff of the organisation
        rs.referral_receive(world.admin, referral=offers.referral)


# --- H7-3: a substitute gives herself a seat of her own through a referral -------------------------

def test_a_substitute_does_not_seat_herself_on_the_colleagues_case_through_a_referral(world, offers):
    """The rule of H3-3 (a substitute who convenes through her grant gives herself no seat: it would
    keep her reading the case after the grant ends) on the referral path: the outsider also works
    for the midwifery practice and stands in for the midwife, who is on the case for it. Staff of
    early help, she attaches an accepted referral to early help's track to the midwife's case and
    is admitted to its team for early help, a seat of her own that outlasts the grant."""
    Membership.objects.create(user=world.outsider, organisation=world.midwifery, role="other")
    grant_services.substitute_appoint(world.midwife, colleague=world.midwife, substitute=world.outsider,
                                      valid_from=timezone.localdate(), valid_until=timezone.localdate() + dt.timedelta(days=14))
    assert cases_policy.is_professional_on_case(world.outsider, world.case)  # as the midwife's substitute only
    referral = rs.referral_create(offers.case_manager, offer=offers.network_offer, client_label="K.")
    referral = rs.referral_accept(world.outsider, referral=referral)
    assert not rcs.attachable_cases(world.outsider, referral).filter(pk=world.case.pk).exists()
    with pytest.raises((PermissionDenied, ValidationError)):
        rcs.referral_attach_case(world.outsider, referral=referral, case=world.case, **CONSENT)
    assert not world.case.team.filter(user=world.outsider, removed_at__isnull=True).exists()


def test_a_professional_on_the_case_in_her_own_right_still_attaches_a_referral_to_it(world, offers):
    """The mend of H7-3 keeps the path: on the case herself (for another organisation), she attaches
    the referral and is admitted for early help."""
    CaseTeamMember.objects.create(case=world.case, organisation=world.midwifery, user=world.outsider)
    Membership.objects.create(user=world.outsider, organisation=world.midwifery, role="other")
    referral = rs.referral_accept(world.outsider, referral=rs.referral_create(
        offers.case_manager, offer=offers.network_offer, client_label="K."))
    member = rcs.referral_attach_case(world.outsider, referral=referral, case=world.case, **CONSENT)
    assert (member.user, member.organisation) == (world.outsider, world.early_help)
