"""Review h6: what a closed case's data-subject requests, restrictions of processing and ended
legal holds say about the family goes with the case's content (privacy app's case eraser; the
legal holds' reasons in ``operations.retention.erase_case``); the rows stay with their dates,
kind, identity check and outcome, the record that a request was answered (Art. 5(2) GDPR)."""
from __future__ import annotations

import pytest
from django.utils import timezone

from cases.models import LegalHold
from operations.retention import ERASED, retention_apply
from permissions.models import CaseErasure
from privacy.models import DataSubjectRequest, ProcessingRestriction

pytestmark = pytest.mark.django_db

KEPT = ("kind", "received_on", "identity_check", "due_on", "extended_due_on", "recorded_by_id", "recorded_at",
        "outcome", "closed_at", "closed_by_id", "family_member_id")


def test_the_requests_and_restrictions_of_an_erased_case_keep_no_text_but_every_date_kind_and_outcome(old_case):
    requests = DataSubjectRequest.objects.filter(case=old_case.case)
    before = list(requests.values(*KEPT))
    restriction_before = list(ProcessingRestriction.objects.filter(request__in=requests)
                              .values("set_at", "lifted_at", "set_by_id", "lifted_by_id", "family_member_id"))

    report = retention_apply()

    assert report.erased_cases == [old_case.case.reference]
    assert list(requests.values(*KEPT)) == before
    assert list(requests.values_list("description", "identity_note", "extension_reason", "outcome_note")) == [(ERASED,) * 4]
    restrictions = ProcessingRestriction.objects.filter(request__in=requests)
    assert list(restrictions.values("set_at", "lifted_at", "set_by_id", "lifted_by_id", "family_member_id")) == restriction_before
    assert list(restrictions.values_list("grounds", flat=True)) == [ERASED]
    assert report.erased_rows["data-subject requests"] == 1 and report.erased_rows["restrictions of processing"] == 1
    assert CaseErasure.objects.get(case=old_case.case).rows["data-subject requests"] == 1


def test_an_empty_text_of_a_request_stays_empty(world, old_case):
    DataSubjectRequest.objects.filter(case=old_case.case).update(extension_reason="", identity_note="")
    retention_apply()
    request = DataSubjectRequest.objects.get(case=old_case.case)
    assert (request.extension_reason, request.identity_note, request.description) == ("", "", ERASED)


def test_the_reason_of_an_ended_legal_hold_goes_with_the_case_its_ground_and_dates_stay(old_case):
    hold = LegalHold.objects.get(case=old_case.case)
    report = retention_apply()
    after = LegalHold.objects.get(pk=hold.pk)
    assert after.reason == ERASED
    assert (after.ground, after.review_on, after.set_at, after.lifted_at, after.set_by_id, after.lifted_by_id) == (
        hold.ground, hold.review_on, hold.set_at, hold.lifted_at, hold.set_by_id, hold.lifted_by_id)
    assert report.erased_rows["legal holds"] == 1



def test_a_request_recorded_after_the_case_was_erased_loses_its_texts_once_closed(world, old_case):
    """Someone asks years later what is held about her: the officer records the request on the
    erased case and answers it; the case eraser ran once, before it. The daily run erases its texts
    once it is closed (and a restriction's once lifted); while open, the officer still reads them."""
    retention_apply()
    mother = DataSubjectRequest.objects.get(case=old_case.case).family_member
    later = DataSubjectRequest.objects.create(
        case=old_case.case, family_member=mother, kind=DataSubjectRequest.Kind.ACCESS, received_on=old_case.conference_day,
        identity_check=DataSubjectRequest.IdentityCheck.DOCUMENT, identity_note="Ausweis Spät", description="Was ist gespeichert?",
        due_on=old_case.conference_day, recorded_by=world.convenor)
    restriction = ProcessingRestriction.objects.create(family_member=mother, request=later, grounds="Spät eingeschränkt",
                                                       set_by=world.convenor)

    report = retention_apply()
    later.refresh_from_db()
    assert (later.description, later.identity_note) == ("Was ist gespeichert?", "Ausweis Spät")  # open: kept
    assert "data-subject requests after the case's erasure" not in report.other_rows

    DataSubjectRequest.objects.filter(pk=later.pk).update(closed_at=timezone.now(), closed_by=world.convenor,
                                                          outcome_note="Nichts mehr gespeichert")
    ProcessingRestriction.objects.filter(pk=restriction.pk).update(lifted_at=timezone.now(), lifted_by=world.convenor)
    report = retention_apply()
    later.refresh_from_db()
    restriction.refresh_from_db()
    assert (later.description, later.identity_note, later.outcome_note, later.extension_reason) == (ERASED, ERASED, ERASED, "")
    assert later.kind == DataSubjectRequest.Kind.ACCESS and later.closed_at is not None  # the record stays
    assert restriction.grounds == ERASED
    assert report.other_rows["data-subject requests after the case's erasure"] == 1
    assert report.other_rows["restrictions of processing after the case's erasure"] == 1
    again = retention_apply().other_rows  # idempotent
    assert again.get("data-subject requests after the case's erasure", 0) == 0
    assert again.get("restrictions of processing after the case's erasure", 0) == 0
