"""What the privacy app keeps about a case, erased with the case's content (registered with
``operations.retention`` from ``PrivacyConfig.ready``).

A data-subject request and a restriction of processing speak about the family in free text: what
she asked for, how her identity was checked, why the answer took longer, what came of it, for what
her data could still be read. Those texts go with the case (``[erased]``, as the case's own texts).
The rows stay, with their dates, kind, identity check, outcome, deadlines and who recorded, closed,
set and lifted them: the record that a request was answered, and when, is the network's
accountability (Art. 5(2) GDPR) and names nobody once the case's family members are erased."""
from __future__ import annotations

import datetime as dt

from django.db.models import Q

from operations.retention import ACTOR, ERASED, erase_fields, register_case_eraser, register_rule
from permissions import audit

from .models import DataSubjectRequest, ProcessingRestriction

REQUEST_TEXT = ("description", "identity_note", "extension_reason", "outcome_note")


def erase_case_content(case) -> dict[str, int]:
    requests = DataSubjectRequest.objects.filter(Q(case=case) | Q(family_member__case=case))
    restrictions = ProcessingRestriction.objects.filter(Q(family_member__case=case) | Q(request__in=requests))
    return {
        "data-subject requests": erase_fields(requests, text=REQUEST_TEXT),
        "restrictions of processing": erase_fields(restrictions, text=("grounds",)),
    }


def erase_after_the_case(*, now: dt.datetime, channel: str = audit.Channel.COMMAND) -> dict[str, int]:
    """A request recorded after its case was erased (someone asks years later what is held about
    her) or a restriction set then: the case eraser ran before them, once. Their texts go as soon as
    the request is closed or the restriction lifted, at the next daily run; an open one keeps them
    while the officer still works on it. Idempotent; one ``retention.erase_after_case`` audit event
    when anything was erased (ids, no content)."""
    of_erased_case = Q(case__erasure__isnull=False) | Q(family_member__case__erasure__isnull=False)
    already = Q()
    for name in REQUEST_TEXT:
        already &= Q(**{f"{name}__in": ("", ERASED)})
    request_ids = list(DataSubjectRequest.objects.filter(of_erased_case, closed_at__isnull=False).exclude(already)
                       .values_list("pk", flat=True))
    restriction_ids = list(ProcessingRestriction.objects.filter(family_member__case__erasure__isnull=False,
                                                                lifted_at__isnull=False)
                           .exclude(grounds__in=("", ERASED)).values_list("pk", flat=True))
    rows = {
        "data-subject requests after the case's erasure": erase_fields(
            DataSubjectRequest.objects.filter(pk__in=request_ids), text=REQUEST_TEXT),
        "restrictions of processing after the case's erasure": erase_fields(
            ProcessingRestriction.objects.filter(pk__in=restriction_ids), text=("grounds",)),
    }
    if not (request_ids or restriction_ids):
        return {}
    audit.record(ACTOR, action="retention.erase_after_case", object_type="privacy.datasubjectrequest",
                 channel=channel, detail={"requests": request_ids, "restrictions": restriction_ids, "rows": rows})
    return rows


def register() -> None:
    register_case_eraser(erase_case_content)
    register_rule(erase_after_the_case)
