"""What the privacy app keeps about a case, erased with the case's content (registered with
``operations.retention`` from ``PrivacyConfig.ready``).

A data-subject request and a restriction of processing speak about the family in free text: what
she asked for, how her identity was checked, why the answer took longer, what came of it, for what
her data could still be read. Those texts go with the case (``[erased]``, as the case's own texts).
The rows stay, with their dates, kind, identity check, outcome, deadlines and who recorded, closed,
set and lifted them: the record that a request was answered, and when, is the network's
accountability (Art. 5(2) GDPR) and names nobody once the case's family members are erased."""
from __future__ import annotations

from django.db.models import Q

from operations.retention import erase_fields, register_case_eraser

from .models import DataSubjectRequest, ProcessingRestriction

REQUEST_TEXT = ("description", "identity_note", "extension_reason", "outcome_note")


def erase_case_content(case) -> dict[str, int]:
    requests = DataSubjectRequest.objects.filter(Q(case=case) | Q(family_member__case=case))
    restrictions = ProcessingRestriction.objects.filter(Q(family_member__case=case) | Q(request__in=requests))
    return {
        "data-subject requests": erase_fields(requests, text=REQUEST_TEXT),
        "restrictions of processing": erase_fields(restrictions, text=("grounds",)),
    }


def register() -> None:
    register_case_eraser(erase_case_content)
