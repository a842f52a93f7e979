"""What the offers app keeps about a case, erased with the case's content after the retention
period (registered with ``permissions.retention`` from ``OffersConfig.ready``): the referrals that
belong to the case, the requests to the central case manager attached to it and their messages,
and the enrolments and sessions that came from those referrals. Rows, dates and statuses stay
(the yearly figures count them); names, notes, answers and addresses go."""
from __future__ import annotations

from permissions.retention import erase_fields

from .models import Enrolment, Referral, Session, SupportMessage, SupportRequest


def erase_case_content(case) -> dict[str, int]:
    referrals = Referral.objects.filter(case=case)
    requests = SupportRequest.objects.filter(case=case)
    enrolments = Enrolment.objects.filter(referral__case=case)
    return {
        "referrals": erase_fields(referrals, text=("client_label", "note", "answer", "decline_reason",
                                                   "team_consent_reference")),
        "support requests": erase_fields(requests, text=("situation", "asked_for", "client_label", "consent_reference")),
        "support messages": erase_fields(SupportMessage.objects.filter(request__case=case), text=("text",)),
        "enrolments": erase_fields(enrolments, text=("family_label", "end_reason"), empty=("family_email",)),
        "sessions": erase_fields(Session.objects.filter(enrolment__referral__case=case), text=("topic", "location")),
    }
