"""One rule for "the central case manager" (``offers.access``): a role in force is active, held by an
active account that still works for the organisation the role is at.

The request's pages and services asked it in one place each (``referral_create``, the request page
and its refer / attach / open-case forms compared ``case_manager_id`` inline); they now ask
``access.case_manager_role_of``. Where the inline check was wrong: sending a request looked only at
the role's own ``is_active``, so a case manager who had left her organisation (or whose account was
disabled) but kept the role row was still offered to every professional of the network and received
requests she could never read — the request was lost, and the sender was told nothing.
"""
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from offers import access
from offers import referral_services as rs
from offers.models import CentralCaseManager, SupportRequest
from participants.models import Membership, ProfessionalRole, User
from permissions.models import AuditEvent
from tests.world import make_professional

pytestmark = pytest.mark.django_db


def left_the_organisation(offers) -> CentralCaseManager:
    """She left the perinatal centre; nobody ended her role row."""
    Membership.objects.filter(user=offers.case_manager).update(is_active=False)
    return CentralCaseManager.objects.get(user=offers.case_manager)


def account_disabled(offers) -> CentralCaseManager:
    User.objects.filter(pk=offers.case_manager.pk).update(is_active=False)
    return CentralCaseManager.objects.get(user=offers.case_manager)


@pytest.fixture
def colleague(world, offers) -> CentralCaseManager:
    """A second central case manager of the network, still working there."""
    user = make_professional("casemanager2", offers.perinatal, ProfessionalRole.CASE_MANAGER)
    return CentralCaseManager.objects.create(network=world.network, organisation=offers.perinatal, user=user)


def send(world, role: CentralCaseManager) -> SupportRequest:
    return rs.support_request_send(world.midwife, case_manager=role, sender_organisation=world.midwifery,
                                   kind="consultation", situation="Was raten Sie?")


@pytest.mark.parametrize("gone", [left_the_organisation, account_disabled])
def test_a_case_manager_who_is_gone_gets_no_new_requests_from_the_service(world, offers, colleague, gone):
    role = gone(offers)
    with pytest.raises(ValidationError) as refused:
        send(world, role)
    assert refused.value.message_dict == {"case_manager": ["Choose a case manager of your network."]}
    assert not SupportRequest.objects.filter(case_manager=offers.case_manager, situation="Was raten Sie?").exists()
    assert send(world, colleague).case_manager == colleague.user


def test_the_request_page_no_longer_offers_her_and_refuses_her_with_a_field_reason(client, world, offers, colleague):
    role = left_the_organisation(offers)
    client.force_login(world.midwife)
    url = reverse("offers:request_create")
    offered = client.get(url).context["form"].fields["case_manager"].queryset
    assert set(offered) == {colleague}
    response = client.post(url, {"kind": "consultation", "case_manager": role.pk, "sender_organisation": world.midwifery.pk,
                                 "situation": "Was raten Sie?"})
    assert response.status_code == 400
    assert "case_manager" in response.context["form"].errors
    assert not SupportRequest.objects.filter(case_manager=offers.case_manager, situation="Was raten Sie?").exists()


def test_the_api_no_longer_lists_her_and_refuses_her_with_a_field_reason(client, world, offers, colleague):
    role = left_the_organisation(offers)
    client.force_login(world.midwife)
    listed = client.get("/api/case-managers/").json()
    ids = [row["id"] for row in listed.get("results", listed)]
    assert colleague.pk in ids and role.pk not in ids
    response = client.post("/api/support-requests/", {"case_manager": role.pk, "sender_organisation": world.midwifery.pk,
                                                      "kind": "consultation", "situation": "Was raten Sie?"},
                           content_type="application/json")
    assert response.status_code == 400 and "case_manager" in response.json()


def test_the_role_of_the_requests_case_manager_is_one_rule_for_pages_and_services(world, offers):
    """Her role while it is in force; nobody else's, the sender's included; none once she left."""
    role = access.case_manager_role_of(offers.case_manager, offers.support_request)
    assert role == CentralCaseManager.objects.get(user=offers.case_manager) and role.organisation == offers.perinatal
    assert access.case_manager_role_of(world.midwife, offers.support_request) is None
    with pytest.raises(PermissionDenied, match="attach it to a case"):
        rs.support_request_attach_case(world.midwife, request=offers.support_request, case=world.case)
    with pytest.raises(PermissionDenied, match="open a case from it"):
        rs.support_request_open_case(world.midwife, request=offers.support_request, reference="KT-2026-090")
    with pytest.raises(PermissionDenied, match="refer from it"):
        rs.referral_create(world.midwife, offer=offers.network_offer, support_request=offers.support_request)
    left_the_organisation(offers)
    assert access.case_manager_role_of(offers.case_manager, offers.support_request) is None


def test_a_case_manager_cannot_send_a_request_to_herself_through_the_service(world, offers):
    """The pages' lists leave her out; the service refuses her too, with a field reason, and writes nothing."""
    own_role = CentralCaseManager.objects.get(user=offers.case_manager)
    with pytest.raises(ValidationError) as refused:
        rs.support_request_send(offers.case_manager, case_manager=own_role, sender_organisation=offers.perinatal,
                                kind="consultation", situation="Frage an mich selbst")
    assert refused.value.message_dict == {"case_manager": ["You cannot send a request to yourself. Choose another case manager."]}
    assert not SupportRequest.objects.filter(sender=offers.case_manager).exists()
    assert not AuditEvent.objects.filter(action="support_request.send", actor=offers.case_manager).exists()


def test_the_api_refuses_a_request_to_herself_with_the_same_field_reason(client, world, offers):
    own_role = CentralCaseManager.objects.get(user=offers.case_manager)
    client.force_login(offers.case_manager)
    response = client.post("/api/support-requests/", {"case_manager": own_role.pk, "sender_organisation": offers.perinatal.pk,
                                                      "kind": "consultation", "situation": "Frage an mich selbst"},
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json()["case_manager"] == ["You cannot send a request to yourself. Choose another case manager."]
    assert not SupportRequest.objects.filter(sender=offers.case_manager).exists()
    assert not AuditEvent.objects.filter(action="support_request.send", actor=offers.case_manager).exists()
