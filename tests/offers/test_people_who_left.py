"""People who have left read and write nothing of requests and referrals any more.

The sender of a request takes part only while she is an active member of the (active)
organisation she sent it for; the central case manager only while she holds an active role in
the request's (or referral's) network at an organisation she still works for. The rule is the
one ``sessions_for_staff`` and ``case_manager_roles`` follow: "only while she still works
there". Nothing is handed on to colleagues."""
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseTeamMember
from notifications.models import Notification
from offers import access
from offers import referral_services as rs
from offers.models import CentralCaseManager, Referral, SupportMessage, SupportRequest
from participants.models import Membership, Organisation, ProfessionalRole
from tests.world import make_professional

pytestmark = pytest.mark.django_db


def midwife_leaves(world) -> None:
    Membership.objects.filter(user=world.midwife).update(is_active=False)


def case_manager_leaves(world, offers) -> None:
    """She gave up the role, left the perinatal centre and now works in another network."""
    CentralCaseManager.objects.filter(user=offers.case_manager).update(is_active=False)
    Membership.objects.filter(user=offers.case_manager).update(is_active=False)
    Membership.objects.create(user=offers.case_manager, organisation=world.foreign_org, is_active=True)


def api_rows(response) -> list[dict]:
    data = response.json()
    return data.get("results", data)


# --- the sender who left ---------------------------------------------------------------------------


def test_a_sender_who_left_reads_none_of_her_requests_pages_or_api(client, world, offers):
    midwife_leaves(world)
    client.force_login(world.midwife)
    for request in (offers.consultation, offers.support_request):
        assert client.get(reverse("offers:request_detail", args=[request.pk])).status_code == 404
        assert client.get(f"/api/support-requests/{request.pk}/").status_code == 404
    assert api_rows(client.get("/api/support-requests/")) == []
    assert client.get(f"/api/referrals/{offers.referral.pk}/").status_code == 404
    assert api_rows(client.get("/api/referrals/")) == []
    assert client.get(reverse("offers:referral_detail", args=[offers.referral.pk])).status_code == 404
    assert not access.support_requests_for(world.midwife).exists()
    assert not access.referrals_for(world.midwife).exists()


def test_a_sender_who_left_cannot_write_or_close(client, world, offers):
    midwife_leaves(world)
    client.force_login(world.midwife)
    posted = client.post(reverse("offers:request_detail", args=[offers.consultation.pk]), {"text": "noch da"})
    assert posted.status_code == 404
    assert client.post(f"/api/support-requests/{offers.consultation.pk}/messages/", {"text": "noch da"}).status_code == 404
    assert client.post(reverse("offers:request_close", args=[offers.consultation.pk])).status_code == 404
    assert not SupportMessage.objects.filter(text="noch da").exists()
    with pytest.raises(PermissionDenied):
        rs.support_message_add(world.midwife, request=offers.consultation, text="noch da")
    with pytest.raises(PermissionDenied):
        rs.support_request_close(world.midwife, request=offers.consultation)
    offers.consultation.refresh_from_db()
    assert offers.consultation.status == SupportRequest.Status.OPEN


def test_a_sender_whose_organisation_was_deactivated_reads_nothing(client, world, offers):
    Organisation.objects.filter(pk=world.midwifery.pk).update(is_active=False)
    client.force_login(world.midwife)
    assert client.get(f"/api/support-requests/{offers.support_request.pk}/").status_code == 404
    assert api_rows(client.get("/api/referrals/")) == []


def test_a_sender_who_moved_to_another_organisation_of_the_network_no_longer_reads_the_old_requests(client, world, offers):
    midwife_leaves(world)
    Membership.objects.create(user=world.midwife, organisation=world.early_help, is_active=True)
    client.force_login(world.midwife)
    assert client.get(reverse("offers:request_detail", args=[offers.support_request.pk])).status_code == 404
    assert api_rows(client.get("/api/support-requests/")) == []
    assert api_rows(client.get("/api/referrals/")) == []


def test_a_sender_who_left_does_not_hand_her_requests_to_colleagues_and_the_case_manager_keeps_them(client, world, offers):
    colleague = make_professional("midwife-colleague", world.midwifery, ProfessionalRole.MIDWIFE)
    midwife_leaves(world)
    client.force_login(colleague)
    assert client.get(reverse("offers:request_detail", args=[offers.support_request.pk])).status_code == 404
    assert api_rows(client.get("/api/support-requests/")) == []
    client.force_login(offers.case_manager)
    assert client.get(reverse("offers:request_detail", args=[offers.support_request.pk])).status_code == 200
    assert {row["id"] for row in api_rows(client.get("/api/support-requests/"))} == {
        offers.consultation.pk, offers.support_request.pk}


def test_a_sender_who_left_is_no_longer_told_of_replies_or_status_changes(world, offers, django_capture_on_commit_callbacks):
    midwife_leaves(world)
    with django_capture_on_commit_callbacks(execute=True):
        rs.support_message_add(offers.case_manager, request=offers.consultation, text="Rufen Sie mich an.")
        rs.referral_accept(world.counsellor, referral=offers.referral)
    assert not Notification.objects.filter(recipient=world.midwife).exists()
    assert Notification.objects.filter(recipient=offers.case_manager, kind="referral_status").exists()


def test_a_sender_who_left_sees_no_content_even_with_consent(client, world, offers):
    SupportRequest.objects.filter(pk=offers.support_request.pk).update(consent_sender_sees_content=True)
    client.force_login(world.midwife)
    assert api_rows(client.get("/api/referrals/"))[0]["content_visible"] is True
    assert access.referral_content_visible(world.midwife, offers.referral)
    midwife_leaves(world)
    assert not access.referral_content_visible(world.midwife, offers.referral)
    assert api_rows(client.get("/api/referrals/")) == []


def test_a_sender_who_left_does_not_join_the_case_team(world, offers):
    SupportRequest.objects.filter(pk=offers.support_request.pk).update(consent_sender_on_team=True, case_manager=world.convenor)
    CentralCaseManager.objects.create(network=world.network, organisation=world.youth_welfare, user=world.convenor)
    CaseTeamMember.objects.filter(case=world.case, user=world.midwife).update(removed_at=timezone.now())
    midwife_leaves(world)
    offers.support_request.refresh_from_db()
    assert rs.support_request_attach_case(world.convenor, request=offers.support_request, case=world.case) is False
    assert not world.case.team.filter(user=world.midwife, removed_at__isnull=True).exists()


# --- the case manager who left ------------------------------------------------------------------------


def test_a_case_manager_who_left_reads_no_request_or_referral(client, world, offers):
    case_manager_leaves(world, offers)
    client.force_login(offers.case_manager)
    assert client.get(reverse("offers:referral_detail", args=[offers.referral.pk])).status_code == 404
    assert client.get(reverse("offers:request_detail", args=[offers.support_request.pk])).status_code == 404
    assert client.get(f"/api/support-requests/{offers.support_request.pk}/").status_code == 404
    assert api_rows(client.get("/api/support-requests/")) == []
    assert client.get(f"/api/referrals/{offers.referral.pk}/").status_code == 404
    assert api_rows(client.get("/api/referrals/")) == []
    assert not access.referral_content_visible(offers.case_manager, offers.referral)


def test_a_case_manager_who_left_cannot_cancel_write_or_attach(client, world, offers):
    case_manager_leaves(world, offers)
    client.force_login(offers.case_manager)
    response = client.post(reverse("offers:referral_decide", args=[offers.referral.pk]), {"decision": "cancel", "text": ""})
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        rs.referral_close(offers.case_manager, referral=offers.referral, outcome=Referral.Status.CANCELLED)
    offers.referral.refresh_from_db()
    assert offers.referral.status == Referral.Status.REQUESTED
    with pytest.raises(PermissionDenied):
        rs.support_message_add(offers.case_manager, request=offers.consultation, text="Antwort")
    with pytest.raises(PermissionDenied):
        rs.support_request_close(offers.case_manager, request=offers.consultation)
    with pytest.raises(PermissionDenied):
        rs.support_request_attach_case(offers.case_manager, request=offers.support_request, case=world.case)
    with pytest.raises(PermissionDenied):
        rs.referral_create(offers.case_manager, offer=offers.network_offer, support_request=offers.support_request)


def test_a_case_manager_whose_role_ended_but_who_still_works_there_reads_nothing(client, world, offers):
    CentralCaseManager.objects.filter(user=offers.case_manager).update(is_active=False)
    client.force_login(offers.case_manager)
    assert client.get(reverse("offers:request_detail", args=[offers.consultation.pk])).status_code == 404
    assert client.get(reverse("offers:referral_detail", args=[offers.referral.pk])).status_code == 404
    assert api_rows(client.get("/api/referrals/")) == []
    with pytest.raises(PermissionDenied):
        rs.referral_close(offers.case_manager, referral=offers.referral, outcome=Referral.Status.CANCELLED)


def test_a_case_manager_who_left_the_organisation_but_kept_the_role_row_reads_nothing(client, world, offers):
    Membership.objects.filter(user=offers.case_manager).update(is_active=False)
    client.force_login(offers.case_manager)
    assert client.get(f"/api/support-requests/{offers.consultation.pk}/").status_code == 404
    assert client.get(f"/api/referrals/{offers.referral.pk}/").status_code == 404


def test_the_active_case_manager_still_reads_and_cancels(client, world, offers):
    client.force_login(offers.case_manager)
    rows = api_rows(client.get("/api/referrals/"))
    assert rows[0]["content_visible"] is True and rows[0]["note"].startswith("Bitte um Erstgespräch")
    page = client.get(reverse("offers:referral_detail", args=[offers.referral.pk]))
    assert page.status_code == 200 and "vertraulicher Hinweis" in page.content.decode()
    client.post(reverse("offers:referral_decide", args=[offers.referral.pk]), {"decision": "cancel", "text": ""})
    offers.referral.refresh_from_db()
    assert offers.referral.status == Referral.Status.CANCELLED
