"""Reads of consents and legal bases, built on ``cases.policy`` (constant query count)."""
from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q, QuerySet
from django.utils import timezone
from django.http import Http404

from cases import policy as cases_policy
from cases.models import Consent, ConsentScope, DisclosureBasis, FamilyMember
from participants.models import Organisation


def consents_for_user(user, *, case=None) -> QuerySet:
    qs = cases_policy.consents_for_user(user)
    if case is not None:
        qs = qs.filter(case=case)
    return qs.select_related("case", "given_by", "from_organisation", "recorded_by", "revoked_by").prefetch_related(
        Prefetch("to_organisations", queryset=Organisation.objects.order_by("name")),
        Prefetch("scopes", queryset=ConsentScope.objects.order_by("category")),
    ).annotate(
        is_expired=ExpressionWrapper(Q(valid_until__lt=timezone.localdate()), output_field=BooleanField())
    ).order_by("-valid_from", "-pk")


def get_consent_for_user(user, pk: int) -> Consent:
    consent = consents_for_user(user).filter(pk=pk).first()
    if consent is None:
        raise Http404
    return consent


def disclosure_bases_for_user(user, *, case=None) -> QuerySet:
    qs = cases_policy.disclosure_bases_for_user(user)
    if case is not None:
        qs = qs.filter(case=case)
    return qs.select_related("case", "from_organisation", "invoked_by").prefetch_related(
        Prefetch("to_organisations", queryset=Organisation.objects.order_by("name"))
    ).order_by("-invoked_on", "-pk")


def get_disclosure_basis_for_user(user, pk: int):
    record = disclosure_bases_for_user(user).filter(pk=pk).first()
    if record is None:
        raise Http404
    return record


def get_case_for_user(user, pk: int):
    case = cases_policy.cases_for_user(user).select_related("network").filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


def own_family_member(user, case):
    """The parent's own family-member record in ``case`` (404 for anyone else)."""
    member = FamilyMember.objects.filter(case=case, user=user, relation__in=FamilyMember.PARENT_RELATIONS).first()
    if member is None:
        raise Http404
    return member


def own_cases(user) -> QuerySet:
    """Open cases in which the user is a parent (where she may give a consent herself). The case
    model is the policy's (cases sit above this app until they get one of their own)."""
    cases = cases_policy.cases_for_user(user).filter(pk__in=cases_policy.parent_case_ids(user))
    return cases.exclude(status=cases.model.Status.CLOSED).order_by("pk")
