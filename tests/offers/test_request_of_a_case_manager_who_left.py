"""A request whose case manager left the network is answered by nobody: its sender is told so on
the request and in her list, and sends it, as she wrote it, to another case manager of the network
(page and API). The old conversation closes; nothing of it travels but her own request."""
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from offers import access
from offers import referral_services as rs
from offers.models import CentralCaseManager, SupportMessage, SupportRequest
from participants.models import Membership, ProfessionalRole
from permissions.models import AuditEvent
from tests.world import make_professional

pytestmark = pytest.mark.django_db

LEFT = "Ihre Case Managerin ist nicht mehr im Verbund tätig"


@pytest.fixture
def colleague(world, offers) -> CentralCaseManager:
    user = make_professional("casemanager2", offers.perinatal, ProfessionalRole.CASE_MANAGER)
    return CentralCaseManager.objects.create(network=world.network, organisation=offers.perinatal, user=user)


def she_left(offers) -> None:
    Membership.objects.filter(user=offers.case_manager).update(is_active=False)


def test_the_sender_is_told_in_her_list_and_on_the_request_and_sends_it_on(client, world, offers, colleague):
    request = offers.support_request
    SupportMessage.objects.create(request=request, author=offers.case_manager, text="Ich kümmere mich – vertraulich.")
    she_left(offers)
    client.force_login(world.midwife)
    listing = client.get(reverse("offers:request_list"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Die Case Managerin ist nicht mehr im Verbund tätig" in listing
    page = client.get(reverse("offers:request_detail", args=[request.pk]), HTTP_ACCEPT_LANGUAGE="de")
    assert LEFT in page.content.decode()
    assert set(page.context["send_on_form"].fields["case_manager"].queryset) == {colleague}
    response = client.post(reverse("offers:request_send_on", args=[request.pk]), {"case_manager": colleague.pk})
    sent = SupportRequest.objects.exclude(pk__in=[request.pk, offers.consultation.pk]).get()
    assert response.status_code == 302 and response["Location"] == reverse("offers:request_detail", args=[sent.pk])
    assert (sent.case_manager, sent.kind, sent.situation, sent.client_label, sent.consent_reference) == (
        colleague.user, request.kind, request.situation, request.client_label, request.consent_reference)
    assert [m.text for m in sent.messages.all()] == [request.situation]  # not the old case manager's reply
    request.refresh_from_db()
    assert request.status == SupportRequest.Status.CLOSED
    assert AuditEvent.objects.filter(action="support_request.send_on", object_id=str(request.pk)).exists()
    assert access.may_take_part(colleague.user, sent) and not access.may_take_part(colleague.user, request)


def test_nothing_is_offered_or_sent_while_her_case_manager_still_works_there(client, world, offers, colleague):
    request = offers.support_request
    client.force_login(world.midwife)
    page = client.get(reverse("offers:request_detail", args=[request.pk]), HTTP_ACCEPT_LANGUAGE="de")
    assert page.context["send_on_form"] is None and LEFT not in page.content.decode()
    with pytest.raises(ValidationError):
        rs.support_request_send_on(world.midwife, request=request, case_manager=colleague)
    client.post(reverse("offers:request_send_on", args=[request.pk]), {"case_manager": colleague.pk})
    assert not SupportRequest.objects.filter(case_manager=colleague.user).exists()
    request.refresh_from_db()
    assert request.status != SupportRequest.Status.CLOSED


def test_only_its_sender_sends_it_on(world, offers, colleague):
    she_left(offers)
    with pytest.raises(PermissionDenied):
        rs.support_request_send_on(colleague.user, request=offers.support_request, case_manager=colleague)
    assert not SupportRequest.objects.filter(case_manager=colleague.user).exists()


def test_the_api_marks_it_and_sends_it_on_with_field_reasons(client, world, offers, colleague):
    request = offers.consultation
    she_left(offers)
    client.force_login(world.midwife)
    listed = client.get("/api/support-requests/").json()
    rows = {row["id"]: row for row in listed.get("results", listed)}
    assert rows[request.pk]["case_manager_left"] is True
    gone = CentralCaseManager.objects.get(user=offers.case_manager)
    refused = client.post(f"/api/support-requests/{request.pk}/send-on/", {"case_manager": gone.pk})
    assert refused.status_code == 400 and "case_manager" in refused.json()
    response = client.post(f"/api/support-requests/{request.pk}/send-on/", {"case_manager": colleague.pk})
    assert response.status_code == 201
    body = response.json()
    assert body["case_manager_left"] is False and body["situation"] == request.situation and body["kind"] == "consultation"
    request.refresh_from_db()
    assert request.status == SupportRequest.Status.CLOSED
