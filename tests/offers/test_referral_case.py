"""An accepted referral becomes part of a case: the receiving organisation opens a case from it,
attaches it to a case it is on, or joins the case the central case manager attached it to —
always with the family's documented consent, audited, and without showing the case to anyone
who is not on its team."""
from __future__ import annotations

import html

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from cases import policy as cases_policy
from cases.models import Case, CaseTeamMember
from offers import referral_case_services as rcs
from offers import referral_services as rs
from offers.models import Offer, Referral
from permissions.models import AuditEvent

pytestmark = pytest.mark.django_db

CONSENT = {"consent_reference": "TEAM-4711", "consent_given_on": dt.date(2026, 1, 5)}


@pytest.fixture
def youth_offer(world, offers) -> Offer:
    """An offer of the youth-welfare office, whose caseworkers (convenor, colleague) open cases."""
    return Offer.objects.create(organisation=world.youth_welfare, name="Familienhilfe im Jugendamt",
                                description="Ambulante Hilfe.", visibility=Offer.Visibility.NETWORK, capacity=5)


def accepted(offers, offer, actor, *, from_request=True) -> Referral:
    referral = rs.referral_create(offers.case_manager, offer=offer, support_request=offers.support_request if from_request else None,
                                  client_label="" if from_request else "R.")
    return rs.referral_accept(actor, referral=referral)


def test_a_caseworker_of_the_receiving_organisation_opens_a_case_from_an_accepted_referral(world, offers, youth_offer):
    referral = accepted(offers, youth_offer, world.lead_colleague)
    case = rcs.referral_open_case(world.lead_colleague, referral=referral, reference="KT-2026-050", **CONSENT)
    referral.refresh_from_db()
    assert referral.case == case and referral.team_consent_reference == "TEAM-4711"
    assert case.lead_organisation == world.youth_welfare and case.lead_caseworker == world.lead_colleague
    assert cases_policy.is_professional_on_case(world.lead_colleague, case)
    # the midwife who asked had no consent to join the team; the case manager is not put on it either
    assert not cases_policy.is_professional_on_case(world.midwife, case)
    assert not cases_policy.is_professional_on_case(offers.case_manager, case)
    event = AuditEvent.objects.get(action="referral.open_case")
    assert event.case_id == case.pk and event.legal_basis == "consent"
    assert AuditEvent.objects.filter(action="case.open", case=case).exists()


def test_where_the_consent_allows_it_the_professional_who_asked_joins_the_new_case(world, offers, youth_offer):
    offers.support_request.consent_sender_on_team = True
    offers.support_request.save(update_fields=["consent_sender_on_team"])
    referral = accepted(offers, youth_offer, world.lead_colleague)
    case = rcs.referral_open_case(world.lead_colleague, referral=referral, reference="KT-2026-051", **CONSENT)
    assert case.team.filter(user=world.midwife, organisation=world.midwifery, removed_at__isnull=True).exists()


@pytest.mark.parametrize("missing", ["consent_reference", "consent_given_on"])
def test_without_the_familys_documented_consent_no_case_is_opened(world, offers, youth_offer, missing):
    referral = accepted(offers, youth_offer, world.lead_colleague)
    with pytest.raises(ValidationError) as error:
        rcs.referral_open_case(world.lead_colleague, referral=referral, reference="KT-2026-052", **{**CONSENT, missing: None})
    assert missing in error.value.message_dict
    assert not Case.objects.filter(reference="KT-2026-052").exists()
    referral.refresh_from_db()
    assert referral.case_id is None and referral.team_consent_reference == ""


def test_a_consent_dated_in_the_future_is_refused(world, offers, youth_offer):
    referral = accepted(offers, youth_offer, world.lead_colleague)
    with pytest.raises(ValidationError):
        rcs.referral_open_case(world.lead_colleague, referral=referral, reference="KT-2026-053",
                               consent_reference="X", consent_given_on=timezone.localdate() + dt.timedelta(days=1))


def test_a_referral_that_is_not_accepted_cannot_become_a_case(world, offers, youth_offer):
    referral = rs.referral_create(offers.case_manager, offer=youth_offer, support_request=offers.support_request)
    with pytest.raises(ValidationError):
        rcs.referral_open_case(world.lead_colleague, referral=referral, reference="KT-2026-054", **CONSENT)
    assert not Case.objects.filter(reference="KT-2026-054").exists()


def test_receiving_staff_who_are_not_caseworkers_do_not_open_cases(world, offers):
    referral = rs.referral_accept(world.counsellor, referral=offers.referral)
    with pytest.raises(PermissionDenied):
        rcs.referral_open_case(world.counsellor, referral=referral, reference="KT-2026-055", **CONSENT)
    assert not Case.objects.filter(reference="KT-2026-055").exists()


@pytest.mark.parametrize("who", ["convenor", "outsider", "midwife", "foreign_professional", "parent"])
def test_nobody_outside_the_receiving_organisation_makes_the_referral_a_case(world, offers, who):
    referral = rs.referral_accept(world.counsellor, referral=offers.referral)
    actor = getattr(world, who)
    with pytest.raises(PermissionDenied):
        rcs.referral_open_case(actor, referral=referral, reference="KT-2026-056", **CONSENT)
    with pytest.raises(PermissionDenied):
        rcs.referral_attach_case(actor, referral=referral, case=world.case, **CONSENT)
    referral.refresh_from_db()
    assert referral.case_id is None


def test_the_receiving_organisation_joins_the_case_the_case_manager_attached_the_referral_to(world, offers):
    # the case manager is on the case, attaches the request; the referral to early help inherits the case
    CaseTeamMember.objects.create(case=world.case, organisation=offers.perinatal, user=offers.case_manager)
    rs.support_request_attach_case(offers.case_manager, request=offers.support_request, case=world.case)
    referral = accepted(offers, offers.network_offer, world.outsider)
    assert referral.case_id == world.case.pk and not cases_policy.is_professional_on_case(world.outsider, world.case)
    member = rcs.referral_join_case_team(world.outsider, referral=referral, **CONSENT)
    assert (member.user, member.organisation, member.case_role) == (world.outsider, world.early_help, "early_help")
    assert cases_policy.is_professional_on_case(world.outsider, world.case)
    admit = AuditEvent.objects.get(action="case_team.admit")
    assert admit.case_id == world.case.pk and admit.legal_basis == "consent" and admit.detail["ground"] == f"referral:{referral.pk}"
    with pytest.raises(ValidationError):  # once is enough
        rcs.referral_join_case_team(world.outsider, referral=referral, **CONSENT)


def test_joining_needs_consent_and_an_open_case(world, offers):
    CaseTeamMember.objects.create(case=world.case, organisation=offers.perinatal, user=offers.case_manager)
    rs.support_request_attach_case(offers.case_manager, request=offers.support_request, case=world.case)
    referral = accepted(offers, offers.network_offer, world.outsider)
    with pytest.raises(ValidationError):
        rcs.referral_join_case_team(world.outsider, referral=referral, consent_reference="", consent_given_on=None)
    Case.objects.filter(pk=world.case.pk).update(status=Case.Status.CLOSED, closed_on=timezone.localdate())
    with pytest.raises(ValidationError):
        rcs.referral_join_case_team(world.outsider, referral=referral, **CONSENT)
    assert not cases_policy.is_professional_on_case(world.outsider, world.case)


def test_a_referral_without_a_case_cannot_be_joined(world, offers):
    referral = accepted(offers, offers.network_offer, world.outsider)
    with pytest.raises(ValidationError):
        rcs.referral_join_case_team(world.outsider, referral=referral, **CONSENT)


def test_staff_attach_an_accepted_referral_to_a_case_they_are_on(world, offers):
    referral = rs.referral_accept(world.counsellor, referral=offers.referral)
    added = rcs.referral_attach_case(world.counsellor, referral=referral, case=world.case, **CONSENT)
    referral.refresh_from_db()
    assert referral.case_id == world.case.pk and added is None  # counselling is on the team through her already
    assert AuditEvent.objects.filter(action="referral.attach_case", case=world.case).exists()


def test_a_case_the_staff_member_is_not_on_cannot_be_attached(world, offers):
    referral = rs.referral_accept(world.counsellor, referral=offers.referral)
    with pytest.raises(ValidationError):
        rcs.referral_attach_case(world.counsellor, referral=referral, case=world.other_case, **CONSENT)
    referral.refresh_from_db()
    assert referral.case_id is None


def test_attaching_puts_the_receiving_organisation_on_the_team_through_the_staff_member(world, offers):
    # the outsider works for early help and is on other_case for it; she also works at the
    # counselling, which is not on other_case's team yet
    from participants.models import Membership, ProfessionalRole

    Membership.objects.create(user=world.outsider, organisation=world.counselling, role=ProfessionalRole.COUNSELLOR)
    referral = rs.referral_accept(world.outsider, referral=offers.referral)
    member = rcs.referral_attach_case(world.outsider, referral=referral, case=world.other_case, **CONSENT)
    assert member is not None and (member.organisation, member.user) == (world.counselling, world.outsider)


def test_attaching_for_an_organisation_already_on_the_team_adds_nobody(world, offers, youth_offer):
    """A further colleague of an organisation already on the team is the convenor's decision."""
    from participants.models import Membership, ProfessionalRole

    Membership.objects.create(user=world.outsider, organisation=world.youth_welfare, role=ProfessionalRole.SOCIAL_WORKER)
    referral = accepted(offers, youth_offer, world.outsider)
    assert rcs.referral_attach_case(world.outsider, referral=referral, case=world.other_case, **CONSENT) is None
    assert not world.other_case.team.filter(user=world.outsider, organisation=world.youth_welfare).exists()
    referral.refresh_from_db()
    assert referral.case == world.other_case


# --- the pages ------------------------------------------------------------------------------------


def test_the_referral_page_offers_the_case_steps_to_receiving_staff_only(client, world, offers, youth_offer):
    referral = accepted(offers, youth_offer, world.lead_colleague)
    client.force_login(world.lead_colleague)
    page = client.get(reverse("offers:referral_detail", args=[referral.pk])).content.decode()
    assert reverse("offers:referral_open_case", args=[referral.pk]) in page
    assert reverse("offers:referral_attach_case", args=[referral.pk]) in page  # she is on other_case
    client.force_login(offers.case_manager)
    page = client.get(reverse("offers:referral_detail", args=[referral.pk])).content.decode()
    assert "open-case" not in page and "attach-case" not in page


def test_a_closed_case_is_not_offered_for_attaching_a_referral_and_a_forged_choice_is_refused_at_the_field(
        client, world, offers, youth_offer):
    referral = accepted(offers, youth_offer, world.lead_colleague)
    assert set(rcs.attachable_cases(world.lead_colleague, referral)) == {world.case, world.other_case}
    Case.objects.filter(pk=world.other_case.pk).update(status=Case.Status.CLOSED, closed_on=timezone.localdate())
    client.force_login(world.lead_colleague)
    page = client.get(reverse("offers:referral_detail", args=[referral.pk])).content.decode()
    attach = reverse("offers:referral_attach_case", args=[referral.pk])
    form = page[page.index(f'action="{attach}"'):]
    form = form[:form.index("</form>")]
    assert world.case.reference in form and world.other_case.reference not in form
    response = client.post(attach, {"attach-case": world.other_case.pk, "attach-consent_reference": "T-1",
                                    "attach-consent_given_on": "2026-01-05", "attach-consent_confirmed": "on"})
    assert response.status_code == 400
    assert "Choose an open case of your network on whose team you are." in response.content.decode()
    referral.refresh_from_db()
    assert referral.case_id is None and referral.team_consent_reference == ""


def test_opening_a_case_by_clicking_through_the_referral_page(client, world, offers, youth_offer):
    referral = accepted(offers, youth_offer, world.lead_colleague)
    client.force_login(world.lead_colleague)
    url = reverse("offers:referral_open_case", args=[referral.pk])
    refused = client.post(url, {"open-reference": "KT-2026-060", "open-consent_reference": "T-1",
                                "open-consent_given_on": "2026-01-05"})
    assert refused.status_code == 400 and not Case.objects.filter(reference="KT-2026-060").exists()
    assert "open-consent_confirmed" in refused.content.decode()
    response = client.post(url, {"open-reference": "KT-2026-060", "open-consent_reference": "T-1",
                                 "open-consent_given_on": "2026-01-05", "open-consent_confirmed": "on",
                                 "open-client_relation": "mother"})
    assert response.status_code == 302
    case = Case.objects.get(reference="KT-2026-060")
    page = client.get(reverse("offers:referral_detail", args=[referral.pk])).content.decode()
    assert reverse("cases:case_detail", args=[case.pk]) in page
    # the case manager who referred sees the referral, but not the case she is not on
    client.force_login(offers.case_manager)
    assert "KT-2026-060" not in client.get(reverse("offers:referral_detail", args=[referral.pk])).content.decode()


def test_a_taken_reference_comes_back_as_a_field_error(client, world, offers, youth_offer):
    referral = accepted(offers, youth_offer, world.lead_colleague)
    client.force_login(world.lead_colleague)
    response = client.post(reverse("offers:referral_open_case", args=[referral.pk]), {
        "open-reference": world.case.reference, "open-consent_reference": "T-1", "open-consent_given_on": "2026-01-05",
        "open-consent_confirmed": "on"})
    assert response.status_code == 400
    referral.refresh_from_db()
    assert referral.case_id is None


def test_joining_by_clicking_shows_the_case_only_afterwards(client, world, offers):
    CaseTeamMember.objects.create(case=world.case, organisation=offers.perinatal, user=offers.case_manager)
    rs.support_request_attach_case(offers.case_manager, request=offers.support_request, case=world.case)
    referral = accepted(offers, offers.network_offer, world.outsider)
    client.force_login(world.outsider)
    before = client.get(reverse("offers:referral_detail", args=[referral.pk])).content.decode()
    assert world.case.reference not in before and reverse("offers:referral_join_case_team", args=[referral.pk]) in before
    response = client.post(reverse("offers:referral_join_case_team", args=[referral.pk]), {
        "join-consent_reference": "T-2", "join-consent_given_on": "2026-01-05", "join-consent_confirmed": "on"})
    assert response.status_code == 302
    after = client.get(reverse("offers:referral_detail", args=[referral.pk])).content.decode()
    assert world.case.reference in after
    assert client.get(reverse("cases:case_detail", args=[world.case.pk])).status_code == 200


# --- the central case manager turns a referral request into a case --------------------------------


def test_the_case_manager_turns_a_referral_request_into_a_case(world, offers):
    case = rs.support_request_open_case(offers.case_manager, request=offers.support_request, reference="KT-2026-070")
    offers.support_request.refresh_from_db()
    offers.referral.refresh_from_db()
    assert offers.support_request.case == case and offers.referral.case == case
    assert (case.lead_organisation, case.lead_caseworker) == (offers.perinatal, offers.case_manager)
    assert cases_policy.can_convene(offers.case_manager, case)
    assert not cases_policy.is_professional_on_case(world.midwife, case)  # her client's consent does not put her on the team
    assert AuditEvent.objects.filter(action="support_request.open_case", case=case).exists()


def test_where_the_consent_allows_it_the_midwife_joins_the_case_manager_s_case(world, offers):
    offers.support_request.consent_sender_on_team = True
    offers.support_request.save(update_fields=["consent_sender_on_team"])
    case = rs.support_request_open_case(offers.case_manager, request=offers.support_request, reference="KT-2026-071")
    member = case.team.get(user=world.midwife)
    assert (member.organisation, member.case_role) == (world.midwifery, "midwifery")


def test_only_the_acting_case_manager_opens_a_case_from_a_referral_request(world, offers):
    with pytest.raises(PermissionDenied):
        rs.support_request_open_case(world.midwife, request=offers.support_request, reference="KT-2026-072")
    with pytest.raises(ValidationError):
        rs.support_request_open_case(offers.case_manager, request=offers.consultation, reference="KT-2026-072")
    offers.case_manager.central_case_manager_roles.update(is_active=False)
    with pytest.raises(PermissionDenied):
        rs.support_request_open_case(offers.case_manager, request=offers.support_request, reference="KT-2026-072")
    assert not Case.objects.filter(reference="KT-2026-072").exists()


def test_a_request_that_belongs_to_a_case_is_not_opened_twice(world, offers):
    rs.support_request_open_case(offers.case_manager, request=offers.support_request, reference="KT-2026-073")
    with pytest.raises(ValidationError):
        rs.support_request_open_case(offers.case_manager, request=offers.support_request, reference="KT-2026-074")


def test_the_case_manager_opens_the_case_by_clicking_on_the_request_page(client, world, offers):
    client.force_login(offers.case_manager)
    page = client.get(reverse("offers:request_detail", args=[offers.support_request.pk])).content.decode()
    assert reverse("offers:request_open_case", args=[offers.support_request.pk]) in page
    bad = client.post(reverse("offers:request_open_case", args=[offers.support_request.pk]), {"reference": "Anna Müller"})
    assert bad.status_code == 302 and not Case.objects.filter(lead_organisation=offers.perinatal).exists()
    response = client.post(reverse("offers:request_open_case", args=[offers.support_request.pk]), {"reference": "KT-2026-075", "client_relation": "mother"})
    case = Case.objects.get(reference="KT-2026-075")
    assert response.status_code == 302 and response["Location"] == reverse("cases:case_detail", args=[case.pk])
    assert client.get(response["Location"]).status_code == 200
    # the midwife's view of her request does not name the case
    client.force_login(world.midwife)
    assert "KT-2026-075" not in client.get(reverse("offers:request_detail", args=[offers.support_request.pk])).content.decode()


# --- a request stays with its case (review h3, H3-4) ------------------------------------------------


def _on_both_cases(world, offers) -> None:
    CaseTeamMember.objects.create(case=world.case, organisation=offers.perinatal, user=offers.case_manager)
    CaseTeamMember.objects.create(case=world.other_case, organisation=offers.perinatal, user=offers.case_manager)


def test_a_request_attached_to_a_case_is_not_attached_to_another_nor_opened_as_a_new_one(world, offers):
    _on_both_cases(world, offers)
    rs.support_request_attach_case(offers.case_manager, request=offers.support_request, case=world.case)
    with pytest.raises(ValidationError) as refused:
        rs.support_request_attach_case(offers.case_manager, request=offers.support_request, case=world.other_case)
    assert refused.value.message_dict == {"case": ["This request already belongs to a case."]}
    with pytest.raises(ValidationError):
        rs.support_request_attach_case(offers.case_manager, request=offers.support_request, case=world.case)
    with pytest.raises(ValidationError):
        rs.support_request_open_case(offers.case_manager, request=offers.support_request, reference="KT-2026-076")
    offers.support_request.refresh_from_db()
    offers.referral.refresh_from_db()
    assert offers.support_request.case_id == offers.referral.case_id == world.case.pk
    assert AuditEvent.objects.filter(action="support_request.attach_case").count() == 1


def test_a_request_whose_referral_the_receiving_organisation_put_on_a_case_does_not_carry_it_elsewhere(world, offers,
                                                                                                       youth_offer):
    _on_both_cases(world, offers)
    referral = accepted(offers, youth_offer, world.convenor)
    rcs.referral_attach_case(world.convenor, referral=referral, case=world.case, **CONSENT)
    with pytest.raises(ValidationError) as refused:
        rs.support_request_attach_case(offers.case_manager, request=offers.support_request, case=world.other_case)
    assert refused.value.message_dict == {"case": ["A referral of this request already belongs to a case."]}
    with pytest.raises(ValidationError):
        rs.support_request_open_case(offers.case_manager, request=offers.support_request, reference="KT-2026-077")
    referral.refresh_from_db()
    offers.support_request.refresh_from_db()
    assert referral.case_id == world.case.pk and offers.support_request.case_id is None


def test_the_request_page_offers_no_second_attaching_and_refuses_it_with_a_message(client, world, offers):
    _on_both_cases(world, offers)
    client.force_login(offers.case_manager)
    url = reverse("offers:request_detail", args=[offers.support_request.pk])
    attach = reverse("offers:request_attach_case", args=[offers.support_request.pk])
    assert attach in client.get(url).content.decode()
    client.post(attach, {"case": world.case.pk})
    page = client.get(url).content.decode()
    assert attach not in page and reverse("offers:request_open_case", args=[offers.support_request.pk]) not in page
    assert f"Attached to case {world.case.reference}." in page
    response = client.post(attach, {"case": world.other_case.pk}, follow=True)
    assert response.status_code == 200
    assert "This request already belongs to a case." in [str(m) for m in response.context["messages"]]
    offers.support_request.refresh_from_db()
    assert offers.support_request.case_id == world.case.pk


# --- the lead caseworker is told -------------------------------------------------------------------


def _joined_notes():
    from notifications.models import Kind, Notification

    return list(Notification.objects.filter(kind=Kind.TEAM_JOINED_BY_REFERRAL).values_list("recipient_id", "case_id", "url"))


def test_attaching_that_puts_an_organisation_on_the_team_tells_the_case_s_lead_caseworker(
        world, offers, youth_offer, django_capture_on_commit_callbacks):
    from participants.models import Membership, ProfessionalRole

    Membership.objects.create(user=world.outsider, organisation=world.counselling, role=ProfessionalRole.COUNSELLOR)
    referral = rs.referral_accept(world.outsider, referral=offers.referral)
    with django_capture_on_commit_callbacks(execute=True):
        rcs.referral_attach_case(world.outsider, referral=referral, case=world.other_case, **CONSENT)
    assert _joined_notes() == [(world.lead_colleague.pk, world.other_case.pk,
                                reverse("cases:case_detail", args=[world.other_case.pk]))]


def test_nobody_is_told_when_nobody_new_joins_or_the_lead_herself_acts(world, offers, youth_offer,
                                                                         django_capture_on_commit_callbacks):
    # counselling is already on the case through the counsellor: attaching adds nobody
    referral = rs.referral_accept(world.counsellor, referral=offers.referral)
    with django_capture_on_commit_callbacks(execute=True):
        rcs.referral_attach_case(world.counsellor, referral=referral, case=world.case, **CONSENT)
    # the caseworker who opens the case leads it; the midwife joins with consent through her own act
    offers.support_request.consent_sender_on_team = True
    offers.support_request.save(update_fields=["consent_sender_on_team"])
    second = accepted(offers, youth_offer, world.lead_colleague)
    with django_capture_on_commit_callbacks(execute=True):
        case = rcs.referral_open_case(world.lead_colleague, referral=second, reference="KT-2026-077", **CONSENT)
    assert case.team.filter(user=world.midwife, removed_at__isnull=True).exists()
    assert _joined_notes() == []



@pytest.mark.parametrize("from_request", [True, False])
def test_a_case_opened_from_a_referral_starts_with_its_client_and_nothing_else(client, world, offers, youth_offer, from_request):
    """Walk 3: as a case opened from the case manager's request does. The referral's client (its own
    label, or the request's it was made from) becomes the family member the case starts with, in
    the relation the caseworker chose on the referral page; nothing else of the referral is copied."""
    referral = accepted(offers, youth_offer, world.lead_colleague, from_request=from_request)
    label = offers.support_request.client_label if from_request else "R."
    client.force_login(world.lead_colleague)
    page = client.get(reverse("offers:referral_detail", args=[referral.pk])).content.decode()
    assert "open-client_relation" in page and html.escape(label) in page
    response = client.post(reverse("offers:referral_open_case", args=[referral.pk]), {
        "open-reference": "KT-2026-061", "open-consent_reference": "T-1", "open-consent_given_on": "2026-01-05",
        "open-consent_confirmed": "on", "open-client_relation": "father"})
    assert response.status_code == 302
    case = Case.objects.get(reference="KT-2026-061")
    family = list(case.family_members.values_list("display_name", "relation", "email", "access_needs"))
    assert family == [(label, "father", "", "")]
    assert AuditEvent.objects.filter(action="family_member.add", case=case).count() == 1


def test_a_client_relation_that_is_not_offered_is_refused_at_the_field_and_opens_no_case(client, world, offers, youth_offer):
    referral = accepted(offers, youth_offer, world.lead_colleague, from_request=False)
    client.force_login(world.lead_colleague)
    response = client.post(reverse("offers:referral_open_case", args=[referral.pk]), {
        "open-reference": "KT-2026-062", "open-consent_reference": "T-1", "open-consent_given_on": "2026-01-05",
        "open-consent_confirmed": "on", "open-client_relation": "child"})
    assert response.status_code == 400 and "open-client_relation" in response.content.decode()
    assert not Case.objects.filter(reference="KT-2026-062").exists()


def test_receiving_staff_who_are_not_caseworkers_are_told_the_way_on(world, offers, client):
    """Newcomer walk 11: "only a caseworker opens a case" was a dead end for an organisation without one."""
    referral = rs.referral_accept(world.counsellor, referral=offers.referral)
    client.force_login(world.counsellor)
    page = html.unescape(client.get(reverse("offers:referral_detail", args=[referral.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "Only a caseworker of your organisation opens a case." in page
    assert "the case manager who made the referral can tie the family's request to a case" in page
