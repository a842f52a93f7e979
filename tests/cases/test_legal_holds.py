"""Legal holds through their services and pages: who may set and lift them, what is recorded."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from cases import hold_services
from cases import policy as cases_policy
from cases.models import CaseTeamMember, LegalHold
from participants.models import Membership, ProfessionalRole
from permissions.models import AuditEvent

pytestmark = pytest.mark.django_db
IN_30 = timezone.localdate() + dt.timedelta(days=30)


def test_the_lead_caseworker_cannot_set_a_hold_without_the_officers_instruction(world):
    with pytest.raises(PermissionDenied):
        hold_services.legal_hold_set(world.convenor, case=world.case, ground="court", reason="AG 1", review_on=IN_30)


def test_the_lead_caseworker_cannot_name_someone_other_than_an_officer(world):
    with pytest.raises(PermissionDenied):
        hold_services.legal_hold_set(world.convenor, case=world.case, ground="court", reason="AG 1", review_on=IN_30,
                                     instructed_by=world.coordinator)


def test_a_team_colleague_cannot_set_a_hold_even_naming_the_officer(world):
    with pytest.raises(PermissionDenied):
        hold_services.legal_hold_set(world.lead_colleague, case=world.case, ground="court", reason="AG 1",
                                     review_on=IN_30, instructed_by=world.dpo)


def test_the_lead_caseworker_on_instruction_is_recorded_with_the_officer(world):
    hold = hold_services.legal_hold_set(world.convenor, case=world.case, ground="court", reason="AG 1", review_on=IN_30,
                                        instructed_by=world.dpo)
    assert (hold.set_by, hold.set_on_instruction_of) == (world.convenor, world.dpo)
    hold_services.legal_hold_lift(world.convenor, hold=hold, instructed_by=world.dpo)
    hold.refresh_from_db()
    assert (hold.lifted_by, hold.lifted_on_instruction_of) == (world.convenor, world.dpo)


def test_a_hold_needs_a_reason_and_a_review_date_not_in_the_past(world):
    with pytest.raises(ValidationError) as error:
        hold_services.legal_hold_set(world.dpo, case=world.case, ground="court", reason="  ",
                                     review_on=timezone.localdate() - dt.timedelta(days=1))
    assert set(error.value.message_dict) == {"reason", "review_on"}


def test_a_lifted_hold_cannot_be_lifted_again(world):
    hold = hold_services.legal_hold_set(world.dpo, case=world.case, ground="court", reason="AG 1", review_on=IN_30)
    hold_services.legal_hold_lift(world.dpo, hold=hold)
    with pytest.raises(ValidationError):
        hold_services.legal_hold_lift(world.dpo, hold=hold)


def test_an_unknown_reference_on_the_list_page_is_a_field_error(world, client):
    client.force_login(world.dpo)
    response = client.post(reverse("cases:legal_hold_create"), {
        "reference": "KT-2026-999", "ground": "court", "reason": "AG 1", "review_on": IN_30.isoformat()})
    assert response.status_code == 400
    assert "No case of your network has this reference." in response.content.decode()


def test_the_officers_list_marks_holds_due_for_review_and_shows_lifted_ones(world, client):
    due = LegalHold.objects.create(case=world.case, ground="court", reason="AG 1", review_on=timezone.localdate(),
                                   set_by=world.dpo)
    LegalHold.objects.create(case=world.other_case, ground="complaint", reason="B 2", review_on=IN_30, set_by=world.dpo,
                             lifted_at=timezone.now(), lifted_by=world.dpo)
    client.force_login(world.dpo)
    page = client.get(reverse("cases:legal_holds")).content.decode()
    assert "(review due)" in page and "lifted on" in page
    assert f"Lift the hold on {due.case.reference}" in page


def test_the_list_costs_the_same_queries_for_one_hold_or_many(world, client, django_assert_max_num_queries):
    client.force_login(world.dpo)
    LegalHold.objects.create(case=world.case, ground="court", reason="AG 1", review_on=IN_30, set_by=world.dpo)
    with django_assert_max_num_queries(40) as one:
        client.get(reverse("cases:legal_holds"))
    for n in range(10):
        LegalHold.objects.create(case=world.other_case, ground="court", reason=f"AG {n}", review_on=IN_30, set_by=world.convenor,
                                 set_on_instruction_of=world.dpo)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(reverse("cases:legal_holds"))


def test_a_hold_stays_out_of_the_parents_who_read_my_data_log(world, client):
    hold_services.legal_hold_set(world.dpo, case=world.case, ground="section_8a", reason="8a-17", review_on=IN_30)
    client.force_login(world.convenor)
    client.get(reverse("cases:case_legal_hold", args=[world.case.pk]))
    assert AuditEvent.objects.filter(case=world.case, action__startswith="legal_hold.").count() == 2
    client.force_login(world.parent)
    events = client.get(reverse("access:my_data") + "?format=json").json()["events"]
    assert all(e["what"] != "Other record – changed" and e["what"] != "Other record – read" for e in events)
    assert not cases_policy.family_audit_events_for_user(world.parent).filter(action__startswith="legal_hold.").exists()


def test_the_case_page_offers_the_hold_link_to_the_lead_caseworker_whom_the_hold_page_lets_in(world, client):
    client.force_login(world.convenor)
    page = client.get(reverse("cases:case_detail", args=[world.case.pk])).content.decode()
    assert f'href="{reverse("cases:case_legal_hold", args=[world.case.pk])}"' in page
    assert client.get(reverse("cases:case_legal_hold", args=[world.case.pk])).status_code == 200


def test_the_case_page_offers_no_hold_link_to_a_lead_caseworker_not_on_the_team_for_the_lead_organisation(world, client):
    # named lead caseworker, but she now works for the midwifery and is on the team for it only:
    # the hold page answers "page not found", so the case page must not lead her there
    Membership.objects.filter(user=world.convenor, organisation=world.youth_welfare).update(is_active=False)
    Membership.objects.create(user=world.convenor, organisation=world.midwifery, role=ProfessionalRole.MIDWIFE)
    CaseTeamMember.objects.create(case=world.case, organisation=world.midwifery, user=world.convenor)
    client.force_login(world.convenor)
    page = client.get(reverse("cases:case_detail", args=[world.case.pk]))
    assert page.status_code == 200
    assert reverse("cases:case_legal_hold", args=[world.case.pk]) not in page.content.decode()
    assert client.get(reverse("cases:case_legal_hold", args=[world.case.pk])).status_code == 404
