"""Referrals made into a case before the central case manager who made them was taken off that
case's team still name the case. Nobody who is not on the case's team learns anything of the case
through such a referral (its reference, a link to it, whether it is closed), on the page, in the
API or in a notification, and nobody gets a step that leads into the case: the receiving
organisation is not offered to join its team on the old referral, and a sent form is refused.
While she is on the team, the step stays (``test_review_h7_probes``)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cases import policy as cases_policy
from cases import services as case_services
from cases.models import Case
from notifications.models import Notification
from offers import referral_case_services as rcs
from offers import referral_services as rs
from offers.models import Referral
from permissions.models import AuditEvent

pytestmark = pytest.mark.django_db

LEADS_NOWHERE = "This referral does not let your organisation join a case team on its own"
JOIN_FORM = {"join-consent_reference": "TEAM-77", "join-consent_given_on": "2026-01-05", "join-consent_confirmed": "on"}


@pytest.fixture
def old_referral(world, offers, django_capture_on_commit_callbacks) -> Referral:
    """The case manager, on the case's team, attached the midwife's request to the case and referred
    the client to early help's offer (the outsider works there; early help is not on the case). Then
    the convenor took her off the team, and early help accepted the referral."""
    seat = case_services.case_team_member_add(world.convenor, case=world.case, organisation=offers.perinatal,
                                              user=offers.case_manager)
    rs.support_request_attach_case(offers.case_manager, request=offers.support_request, case=world.case)
    with django_capture_on_commit_callbacks(execute=True):
        referral = rs.referral_create(offers.case_manager, offer=offers.network_offer, support_request=offers.support_request)
        case_services.case_team_member_remove(world.convenor, member=seat)
        referral = rs.referral_accept(world.outsider, referral=referral)
    assert referral.case_id == world.case.pk
    assert not cases_policy.is_professional_on_case(offers.case_manager, world.case)
    assert not cases_policy.is_professional_on_case(world.outsider, world.case)
    return referral


def _case_traces(world, text: str) -> list[str]:
    return [trace for trace in (world.case.reference, reverse("cases:case_detail", args=[world.case.pk])) if trace in text]


def test_the_receiving_staff_are_not_offered_to_join_the_case_on_an_old_referral(client, world, old_referral):
    client.force_login(world.outsider)
    page = client.get(reverse("offers:referral_detail", args=[old_referral.pk])).content.decode()
    assert reverse("offers:referral_join_case_team", args=[old_referral.pk]) not in page
    assert "Join the case team" not in page and LEADS_NOWHERE in page
    assert _case_traces(world, page) == []


def test_a_sent_join_form_is_refused_and_nothing_changes(client, world, offers, old_referral, django_capture_on_commit_callbacks):
    client.force_login(world.outsider)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("offers:referral_join_case_team", args=[old_referral.pk]), JOIN_FORM, follow=True)
    page = response.content.decode()
    assert LEADS_NOWHERE in page and _case_traces(world, page) == []
    assert not cases_policy.is_professional_on_case(world.outsider, world.case)
    assert not world.case.team.filter(organisation=world.early_help).exists()
    old_referral.refresh_from_db()
    assert old_referral.team_consent_reference == "" and old_referral.team_consent_given_on is None
    assert not AuditEvent.objects.filter(action__in=["referral.join_case_team", "case_team.admit"]).exists()
    assert client.get(f"/api/protocol-items/{world.item_restricted.pk}/").status_code == 404
    with pytest.raises(ValidationError) as refused:  # the service on its own, too
        rcs.referral_join_case_team(world.outsider, referral=old_referral, consent_reference="TEAM-77",
                                    consent_given_on=dt.date(2026, 1, 5))
    assert LEADS_NOWHERE in str(refused.value)
    assert not cases_policy.is_professional_on_case(world.outsider, world.case)


def test_a_closed_case_is_not_told_as_closed_to_someone_outside_its_team(client, world, offers):
    """Joining a closed case is refused; the refusal must not tell receiving staff, who are not on
    its team, that the family's case was closed (it said "This case is closed.")."""
    case_services.case_team_member_add(world.convenor, case=world.case, organisation=offers.perinatal, user=offers.case_manager)
    rs.support_request_attach_case(offers.case_manager, request=offers.support_request, case=world.case)
    referral = rs.referral_accept(world.outsider, referral=rs.referral_create(
        offers.case_manager, offer=offers.network_offer, support_request=offers.support_request))
    Case.objects.filter(pk=world.case.pk).update(status=Case.Status.CLOSED, closed_on=timezone.localdate())
    client.force_login(world.outsider)
    page = client.get(reverse("offers:referral_detail", args=[referral.pk])).content.decode()
    assert reverse("offers:referral_join_case_team", args=[referral.pk]) not in page
    assert LEADS_NOWHERE in page and "case is closed" not in page
    response = client.post(reverse("offers:referral_join_case_team", args=[referral.pk]), JOIN_FORM, follow=True)
    answer = response.content.decode()
    assert LEADS_NOWHERE in answer and "This case is closed." not in answer
    assert not cases_policy.is_professional_on_case(world.outsider, world.case)


@pytest.mark.parametrize("who", ["outsider", "case_manager", "midwife"])
def test_nobody_off_the_team_reads_the_case_through_the_old_referral(client, world, offers, old_referral, who,
                                                                     django_capture_on_commit_callbacks):
    """Probe (held before the mend too): the receiving staff, the case manager who was taken off the
    team and the midwife who asked (taken off it too here) see the referral, never its case: not on
    its page, in the lists, on the request's page, in the API, nor in their notifications."""
    seat = world.case.team.get(user=world.midwife, removed_at__isnull=True)
    case_services.case_team_member_remove(world.convenor, member=seat)
    user = offers.case_manager if who == "case_manager" else getattr(world, who)
    assert not cases_policy.is_professional_on_case(user, world.case)
    with django_capture_on_commit_callbacks(execute=True):
        rs.referral_start(world.outsider, referral=old_referral)  # a status change: the referrers are told
    client.force_login(user)
    pages = [client.get(reverse("offers:referral_detail", args=[old_referral.pk])),
             client.get(reverse("offers:referral_list")),
             client.get(f"/api/referrals/{old_referral.pk}/"), client.get("/api/referrals/")]
    if who != "outsider":
        pages += [client.get(reverse("offers:request_detail", args=[offers.support_request.pk])),
                  client.get(f"/api/support-requests/{offers.support_request.pk}/")]
    for response in pages:
        assert response.status_code == 200
        assert _case_traces(world, response.content.decode()) == [], response.request["PATH_INFO"]
        if response["Content-Type"].startswith("application/json"):
            data = response.json()
            assert all("case" not in row for row in data.get("results", [data]))
    assert not Notification.objects.filter(recipient=user, case=world.case).exists()
    assert all(_case_traces(world, note.url) == [] for note in Notification.objects.filter(recipient=user))


def test_while_the_case_manager_is_on_the_team_the_receiving_staff_still_join(client, world, offers):
    """The mend keeps the path: on the team, her referral lets the receiving organisation join."""
    case_services.case_team_member_add(world.convenor, case=world.case, organisation=offers.perinatal, user=offers.case_manager)
    rs.support_request_attach_case(offers.case_manager, request=offers.support_request, case=world.case)
    referral = rs.referral_accept(world.outsider, referral=rs.referral_create(
        offers.case_manager, offer=offers.network_offer, support_request=offers.support_request))
    client.force_login(world.outsider)
    page = client.get(reverse("offers:referral_detail", args=[referral.pk])).content.decode()
    assert reverse("offers:referral_join_case_team", args=[referral.pk]) in page and LEADS_NOWHERE not in page
    assert world.case.reference not in page
    assert client.post(reverse("offers:referral_join_case_team", args=[referral.pk]), JOIN_FORM).status_code == 302
    assert cases_policy.is_professional_on_case(world.outsider, world.case)
    assert world.case.reference in client.get(reverse("offers:referral_detail", args=[referral.pk])).content.decode()
