"""What the privacy app keeps about a case, erased with the case's content (registered with
``operations.retention`` from ``PrivacyConfig.ready``); and the daily follow-up of Art. 17
erasures (``follow_up_erasures``).

A data-subject request and a restriction of processing speak about the family in free text: what
she asked for, how her identity was checked, why the answer took longer, what came of it, for what
her data could still be read. Those texts go with the case (``[erased]``, as the case's own texts).
The rows stay, with their dates, kind, identity check, outcome, deadlines and who recorded, closed,
set and lifted them: the record that a request was answered, and when, is the network's
accountability (Art. 5(2) GDPR) and names nobody once the case's family members are erased."""
from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q

from cases.models import Case, FamilyMember
from conferences import services as conference_services
from conferences.models import Invitation
from operations.retention import ACTOR, ERASED, erase_fields, register_case_eraser, register_rule
from permissions import audit
from protocols import services as protocol_services
from protocols.models import AgreedAction
from protocols.selectors import OPEN_STATES as OPEN_ACTION_STATES

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


def follow_up_erasures(*, now: dt.datetime, channel: str = audit.Channel.COMMAND) -> dict[str, int]:
    """What a granted erasure does beyond the record (``services._erase_person``), for the erasures
    made before it did so, and as a safety net: the erased person's invitations to coming
    conferences are withdrawn through the same service, with the same audit event (reason
    ``erased``, the retention run as actor) and the same notice to each convenor
    (``conferences.services.invitations_withdraw_on_erasure``), so that no date poll waits for her;
    and whoever can hand over her open agreed actions is told, once
    (``protocols.services.erased_actions_announce``). Only in cases not closed: a closed case has
    no coming conference (``cases.services.case_close``) and is convened by nobody. Idempotent:
    a second run finds nothing left to withdraw and nobody left to tell (``now`` is not used: the
    services decide what is coming by the clock)."""
    coming = Invitation.objects.filter(family_member_id=OuterRef("pk"), removed_at__isnull=True,
                                       conference__status__in=conference_services.OPEN_STATES)
    open_actions = AgreedAction.objects.filter(responsible_family_member_id=OuterRef("pk"), status__in=OPEN_ACTION_STATES)
    members = list(FamilyMember.objects.filter(erased_at__isnull=False).exclude(case__status=Case.Status.CLOSED)
                   .filter(Exists(coming) | Exists(open_actions)).order_by("pk"))
    withdrawn = told = 0
    for member in members:
        withdrawn += len(conference_services.invitations_withdraw_on_erasure(ACTOR, family_member=member, channel=channel))
        told += len(protocol_services.erased_actions_announce(family_member=member))
    rows = {"invitations of erased family members withdrawn": withdrawn,
            "convenors told of open actions of erased family members": told}
    return {kind: n for kind, n in rows.items() if n}


def register() -> None:
    register_case_eraser(erase_case_content)
    register_rule(erase_after_the_case)
    register_rule(follow_up_erasures)
