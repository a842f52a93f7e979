"""Who may see and handle data-subject requests and restrictions (issue 17).

Requests: the network's data-protection officer sees every request of her networks; a caseworker
sees those she handles on the officer's recorded instruction, while she is on the case's team. A
caseworker records a request only for a case she leads and only naming the officer who
instructed her (as for legal holds, ``cases.policy.can_manage_legal_hold``). Nobody else,
technical admins included, sees a request.

Restrictions (Art. 18): the officer sets and lifts them; the professionals on the case team see
which of their case's people are restricted and may read that data with a reason.
"""
from __future__ import annotations

from django.db.models import Q, QuerySet

from cases import policy as cases_policy
from participants import policy as participants_policy
from privacy.models import DataSubjectRequest, ProcessingRestriction


def _signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated)


def requests_visible_to(user) -> QuerySet:
    if not _signed_in(user):
        return DataSubjectRequest.objects.none()
    return DataSubjectRequest.objects.filter(
        Q(case__network_id__in=participants_policy.dpo_network_ids(user))
        | Q(caseworker_id=user.pk, case_id__in=cases_policy.professional_case_ids(user))
    )


def is_officer(user, network_id: int) -> bool:
    return participants_policy.is_dpo_of(user, network_id)


def can_record_request(user, case, *, instructed_by=None) -> bool:
    """The officer of the case's network, or the case's lead caseworker naming that officer."""
    return cases_policy.can_manage_legal_hold(user, case, instructed_by=instructed_by)


def can_handle_request(user, request: DataSubjectRequest) -> bool:
    """The officer; or the caseworker named on the request, while she leads the case and the
    officer who instructed her still holds that office."""
    if not _signed_in(user):
        return False
    if is_officer(user, request.case.network_id):
        return True
    return (request.caseworker_id == user.pk and request.instructed_by_id is not None
            and cases_policy.can_manage_legal_hold(user, request.case, instructed_by=request.instructed_by))


def records_requests_somewhere(user) -> bool:
    """Whether the request pages open at all: officers, and caseworkers who lead a case."""
    if not _signed_in(user):
        return False
    return participants_policy.dpo_network_ids(user).exists() or cases_policy.legal_hold_cases(user).exists()


def restrictions_visible_to(user) -> QuerySet:
    """Restrictions in force on people of the cases whose team the user is on."""
    if not _signed_in(user):
        return ProcessingRestriction.objects.none()
    return ProcessingRestriction.objects.filter(lifted_at__isnull=True,
                                                family_member__case_id__in=cases_policy.professional_case_ids(user))
