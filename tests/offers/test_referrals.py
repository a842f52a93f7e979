"""Requests to the central case manager and referrals with their closed loop and real capacity."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from cases import selectors as case_selectors
from cases.models import Case, CaseTeamMember
from notifications.models import Notification
from offers import referral_services as rs
from offers.models import CentralCaseManager, Referral, SupportRequest
from permissions.models import AuditEvent

pytestmark = pytest.mark.django_db


def cm_role(offers) -> CentralCaseManager:
    return CentralCaseManager.objects.get(user=offers.case_manager)


def refer(offers, label: str, offer=None) -> Referral:
    return rs.referral_create(offers.case_manager, offer=offer or offers.public_offer, client_label=label, note="Bitte aufnehmen")


def test_a_consultation_keeps_no_personal_data_even_when_typed_in(world, offers):
    request = rs.support_request_send(
        world.midwife, case_manager=cm_role(offers), sender_organisation=world.midwifery, kind="consultation",
        situation="Was raten Sie?", client_label="Anna", consent_reference="X-1", consent_given_on=dt.date.today(),
    )
    assert request.client_label == "" and request.consent_reference == "" and request.consent_given_on is None


def test_a_referral_request_without_consent_is_refused_with_a_field_reason(world, offers):
    with pytest.raises(ValidationError) as error:
        rs.support_request_send(world.midwife, case_manager=cm_role(offers), sender_organisation=world.midwifery,
                                kind="referral", situation="Hilfe nötig", client_label="K.")
    assert "consent_reference" in error.value.message_dict


def test_the_conversation_is_visible_to_the_two_only(client, world, offers):
    url = reverse("offers:request_detail", args=[offers.consultation.pk])
    for user, status in [(world.midwife, 200), (offers.case_manager, 200), (world.counsellor, 404), (world.convenor, 404),
                         (world.foreign_professional, 404), (world.admin, 404), (world.dpo, 404)]:
        client.force_login(user)
        assert client.get(url).status_code == status, user
    assert AuditEvent.objects.filter(action="support_request.read", actor=offers.case_manager).exists()


def test_the_case_manager_answers_and_the_sender_is_notified(world, offers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rs.support_message_add(offers.case_manager, request=offers.consultation, text="Rufen Sie mich an.")
    offers.consultation.refresh_from_db()
    assert offers.consultation.status == SupportRequest.Status.ANSWERED
    assert Notification.objects.filter(recipient=world.midwife, kind="support_reply").exists()


def test_a_professional_of_another_network_cannot_ask_this_case_manager(world, offers):
    with pytest.raises(ValidationError):
        rs.support_request_send(world.foreign_professional, case_manager=cm_role(offers), sender_organisation=world.foreign_org,
                                kind="consultation", situation="?")


def test_only_a_central_case_manager_refers(world, offers):
    with pytest.raises(PermissionDenied):
        rs.referral_create(world.midwife, offer=offers.public_offer, client_label="K.")


def test_a_consultation_cannot_become_a_referral(world, offers):
    with pytest.raises(ValidationError):
        rs.referral_create(offers.case_manager, offer=offers.public_offer, support_request=offers.consultation)


def test_the_referring_midwife_sees_the_status_but_not_the_content(client, world, offers):
    client.force_login(world.midwife)
    page = client.get(reverse("offers:referral_detail", args=[offers.referral.pk])).content.decode()
    assert "Requested" in page and "vertraulicher Hinweis" not in page
    assert AuditEvent.objects.filter(action="referral.read_status", actor=world.midwife).exists()


def test_with_consent_the_referring_midwife_sees_the_content(client, world, offers):
    SupportRequest.objects.filter(pk=offers.support_request.pk).update(consent_sender_sees_content=True)
    client.force_login(world.midwife)
    assert "vertraulicher Hinweis" in client.get(reverse("offers:referral_detail", args=[offers.referral.pk])).content.decode()


@pytest.mark.parametrize("user", ["midwife", "outsider", "convenor", "foreign_professional", "parent", "admin"])
def test_nobody_else_sees_the_referral(client, world, offers, user):
    client.force_login(getattr(world, user))
    if user == "midwife":
        return  # the sender of the request: status only (above)
    assert client.get(reverse("offers:referral_detail", args=[offers.referral.pk])).status_code in {404, 403}


def test_accepting_uses_the_last_place_and_the_next_goes_onto_the_waiting_list(world, offers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = rs.referral_accept(world.counsellor, referral=offers.referral)
    assert first.status == "accepted"
    assert Notification.objects.filter(recipient=world.midwife, kind="referral_status").exists()
    second = refer(offers, "L.")
    third = refer(offers, "M.")
    second = rs.referral_accept(world.counsellor, referral=second)
    third = rs.referral_accept(world.counsellor, referral=third)
    assert (second.status, third.status) == ("waitlisted", "waitlisted")
    from offers.capacity import position_on_waiting_list

    assert [position_on_waiting_list(second), position_on_waiting_list(third)] == [1, 2]


def test_freeing_a_place_offers_it_to_the_first_on_the_waiting_list(world, offers, django_capture_on_commit_callbacks):
    rs.referral_accept(world.counsellor, referral=offers.referral)
    second, third = refer(offers, "L."), refer(offers, "M.")
    rs.referral_waitlist(world.counsellor, referral=second)
    rs.referral_waitlist(world.counsellor, referral=third)
    with pytest.raises(ValidationError):
        rs.referral_accept(world.counsellor, referral=second)  # still full
    with django_capture_on_commit_callbacks(execute=True):
        rs.referral_close(world.counsellor, referral=offers.referral, outcome="completed")
    second.refresh_from_db(); third.refresh_from_db()
    assert second.place_offered_at is not None and third.place_offered_at is None
    assert Notification.objects.filter(recipient=offers.case_manager, kind="place_freed").exists()
    with pytest.raises(ValidationError):
        rs.referral_accept(world.counsellor, referral=third)  # the place is hers (second's), not his
    assert rs.referral_accept(world.counsellor, referral=second).status == "accepted"


def test_declining_needs_a_reason(world, offers):
    with pytest.raises(ValidationError):
        rs.referral_decline(world.counsellor, referral=offers.referral, reason=" ")
    assert rs.referral_decline(world.counsellor, referral=offers.referral, reason="Nicht zuständig").status == "declined"


def test_only_the_receiving_staff_answer(world, offers):
    for user in (world.midwife, offers.case_manager, world.outsider):
        with pytest.raises(PermissionDenied):
            rs.referral_accept(user, referral=offers.referral)


def test_the_referring_case_manager_may_cancel(world, offers):
    assert rs.referral_close(offers.case_manager, referral=offers.referral, outcome="cancelled").status == "cancelled"


def test_the_full_status_flow_is_audited(world, offers):
    rs.referral_receive(world.counsellor, referral=offers.referral)
    rs.referral_accept(world.counsellor, referral=offers.referral)
    rs.referral_start(world.counsellor, referral=offers.referral)
    rs.referral_close(world.counsellor, referral=offers.referral, outcome="completed")
    actions = list(AuditEvent.objects.filter(object_type="offers.referral", object_id=str(offers.referral.pk))
                   .order_by("pk").values_list("action", flat=True))
    assert actions == ["referral.receive", "referral.accept", "referral.start", "referral.completed"]


def test_an_unanswered_referral_is_flagged_once_and_its_senders_notified(world, offers, django_capture_on_commit_callbacks):
    Referral.objects.filter(pk=offers.referral.pk).update(created_at=timezone.now() - dt.timedelta(days=14))
    with django_capture_on_commit_callbacks(execute=True):
        assert rs.referrals_flag_unanswered() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert rs.referrals_flag_unanswered() == 0
    assert Notification.objects.filter(kind="referral_unanswered", recipient=world.midwife).count() == 1
    assert Notification.objects.filter(kind="referral_unanswered", recipient=offers.case_manager).count() == 1


def test_a_fresh_referral_is_not_flagged(world, offers):
    assert rs.referrals_flag_unanswered() == 0


def test_a_midwife_sends_a_referral_request_through_the_page(client, world, offers):
    client.force_login(world.midwife)
    response = client.post(reverse("offers:request_create"), {
        "kind": "referral", "case_manager": cm_role(offers).pk, "sender_organisation": world.midwifery.pk,
        "situation": "Braucht Begleitung", "client_label": "S.", "consent_reference": "SE-9",
        "consent_given_on": dt.date.today().isoformat(),
    })
    assert response.status_code == 302
    request = SupportRequest.objects.get(client_label="S.")
    assert request.sender == world.midwife and request.case_manager == offers.case_manager


def test_the_case_manager_attaches_a_referral_request_to_a_case_she_is_on(world, offers):
    from cases.models import CaseTeamMember

    CaseTeamMember.objects.create(case=world.case, organisation=offers.perinatal, user=offers.case_manager)
    added = rs.support_request_attach_case(offers.case_manager, request=offers.support_request, case=world.case)
    offers.referral.refresh_from_db()
    assert offers.referral.case_id == world.case.pk and added is False  # no consent to join the team, and she does not convene
    assert AuditEvent.objects.filter(action="support_request.attach_case", case=world.case).exists()


def test_a_case_she_is_not_on_cannot_be_attached(world, offers):
    with pytest.raises(ValidationError):
        rs.support_request_attach_case(offers.case_manager, request=offers.support_request, case=world.case)


def test_a_closed_case_is_not_offered_for_attaching_a_request_and_a_forged_choice_of_it_is_refused_at_the_field(client, world, offers):
    """Attached to a closed case, the request's referrals would belong to a case that takes nobody
    in (the receiving organisation's join is refused there, and so is the midwife's seat): the page
    offers only her open cases, and a form sent with the closed one anyway is refused at its field,
    with nothing changed."""
    CaseTeamMember.objects.create(case=world.case, organisation=offers.perinatal, user=offers.case_manager)
    CaseTeamMember.objects.create(case=world.other_case, organisation=offers.perinatal, user=offers.case_manager)
    Case.objects.filter(pk=world.case.pk).update(status=Case.Status.CLOSED, closed_on=timezone.localdate())
    client.force_login(offers.case_manager)
    url = reverse("offers:request_detail", args=[offers.support_request.pk])
    page = client.get(url).content.decode()
    attach = reverse("offers:request_attach_case", args=[offers.support_request.pk])
    form = page[page.index(f'action="{attach}"'):]
    form = form[:form.index("</form>")]
    assert f'<option value="{world.other_case.pk}"' in form and f'<option value="{world.case.pk}"' not in form
    assert world.other_case.reference in form and world.case.reference not in form
    response = client.post(reverse("offers:request_attach_case", args=[offers.support_request.pk]), {"case": world.case.pk})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose an open case of your network on whose team you are." in page and 'class="error-summary"' in page
    offers.support_request.refresh_from_db()
    offers.referral.refresh_from_db()
    assert offers.support_request.case_id is None and offers.referral.case_id is None
    assert not AuditEvent.objects.filter(action="support_request.attach_case").exists()
    with pytest.raises(ValidationError) as refused:  # the service on its own, too
        rs.support_request_attach_case(offers.case_manager, request=offers.support_request, case=world.case)
    assert "case" in refused.value.message_dict
    offers.support_request.refresh_from_db()
    assert offers.support_request.case_id is None
    # the open one is attached as before
    assert client.post(reverse("offers:request_attach_case", args=[offers.support_request.pk]),
                       {"case": world.other_case.pk}).status_code == 302
    offers.support_request.refresh_from_db()
    assert offers.support_request.case_id == world.other_case.pk


def test_with_consent_a_convening_case_manager_puts_the_midwife_on_the_team(world, offers):
    from cases.models import CaseTeamMember

    SupportRequest.objects.filter(pk=offers.support_request.pk).update(consent_sender_on_team=True, case_manager=world.convenor)
    # the convenor is a central case manager of the network too (the service checks the role)
    CentralCaseManager.objects.create(network=world.network, organisation=world.youth_welfare, user=world.convenor)
    offers.support_request.refresh_from_db()
    CaseTeamMember.objects.filter(case=world.case, user=world.midwife).update(removed_at=timezone.now())
    assert rs.support_request_attach_case(world.convenor, request=offers.support_request, case=world.case) is True
    assert world.case.team.filter(user=world.midwife, removed_at__isnull=True).exists()


def test_the_sending_midwife_finds_a_referral_from_her_request_under_a_truthful_heading(client, world, offers):
    """The case manager referred it on her request: the list says so instead of "sent by me"."""
    client.force_login(world.midwife)
    page = client.get(reverse("offers:referral_list"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Von mir gesendet oder aus meinen Anfragen" in page
    assert f"Vermittelt von {offers.case_manager}" in page


def test_opening_a_case_from_a_request_gives_the_networks_own_reference_as_the_example(client, world, offers):
    client.force_login(offers.case_manager)
    page = client.get(reverse("offers:request_detail", args=[offers.support_request.pk]),
                      HTTP_ACCEPT_LANGUAGE="de").content.decode()
    suggestion = case_selectors.suggest_reference(world.network)
    assert suggestion.startswith("KT-") and f"zum Beispiel {suggestion}. Niemals ein Name." in page
    assert "HS-2026-014" not in page
