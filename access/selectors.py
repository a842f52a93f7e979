"""Reads of the audit trail and of explicit grants, built on the policy (``participants/policy.py``
for the officer's networks, ``cases/policy.py`` for a family); constant query count in rows."""
from __future__ import annotations

import datetime as dt

from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Concat

from cases import policy as cases_policy
from participants import policy as participants_policy
from permissions import audit_labels
from permissions.models import ConferenceGuestGrant, MinuteTakerGrant, SubstituteGrant


def audit_log_for_user(user, *, case_reference: str = "", person: str = "", date_from: dt.date | None = None,
                       date_until: dt.date | None = None, basis: str = "") -> QuerySet:
    """The DPO's audit log, filtered; only events of her networks. ``basis`` keeps the events
    made under that basis: "team", "family", "holding-organisation", "consent" (any consent) or
    a legal basis' code (any recorded basis of that kind); a list read under several bases
    matches each of them."""
    events = participants_policy.audit_events_for_user(user).select_related("case")
    if basis:
        events = events.annotate(basis_tokens=Concat(Value(" "), "legal_basis", Value(" "), output_field=CharField()))
        kinds_with_id = {"consent"} | set(cases_policy.legal_basis_codes())
        events = events.filter(basis_tokens__contains=f" {basis}:" if basis in kinds_with_id else f" {basis} ")
    if case_reference:
        events = events.filter(case__reference__iexact=case_reference.strip())
    if person:
        events = events.filter(actor_label__iexact=person.strip())
    if date_from:
        events = events.filter(at__date__gte=date_from)
    if date_until:
        events = events.filter(at__date__lte=date_until)
    return events.order_by("-at", "-pk")


def family_access_log_for_user(user) -> QuerySet:
    """GDPR Art. 15: who read or changed the data of the parent's family case, newest first."""
    return (cases_policy.family_audit_events_for_user(user).select_related("case", "actor")
            .prefetch_related("actor__memberships__organisation", "actor__family_members").order_by("-at", "-pk"))


def family_access_log_for_member(member) -> QuerySet:
    """The same log for one family member, with or without an account (``privacy``: the officer's
    answer to her access request)."""
    return (cases_policy.family_audit_events_for_member(member).select_related("case", "actor")
            .prefetch_related("actor__memberships__organisation", "actor__family_members").order_by("-at", "-pk"))


def family_access_rows(user, events) -> list[dict]:
    """The parent's log in plain words: who (name and organisation, never a user name), what,
    how and on which basis (never a raw code)."""
    return [
        {
            "at": e.at, "who": audit_labels.actor_label(e, viewer=user), "what": audit_labels.action_label(e.action),
            "channel": e.get_channel_display(), "basis": audit_labels.basis_label(e.legal_basis),
        }
        for e in events
    ]


EXPORT_FIELDS = ["at", "actor", "action", "object_type", "object_id", "case", "channel", "legal_basis"]


def export_rows(events: QuerySet) -> list[dict]:
    return [
        {
            "at": e.at.isoformat(), "actor": e.actor_label, "action": e.action, "object_type": e.object_type,
            "object_id": e.object_id, "case": e.case.reference if e.case_id else "", "channel": e.channel,
            "legal_basis": e.legal_basis,
        }
        for e in events
    ]


# --- explicit grants ---------------------------------------------------------------------------

def _grant_models():
    return SubstituteGrant, ConferenceGuestGrant, MinuteTakerGrant


def grant_model(kind: str):
    """The grant table for a URL's ``kind``, or None."""
    substitute, guest, minute_taker = _grant_models()
    return {"substitute": substitute, "guest": guest, "minute_taker": minute_taker}.get(kind)


def grants_for_dpo(user) -> dict[str, QuerySet]:
    """Every explicit grant in the DPO's networks, newest first: substitutes of the networks'
    people, guests of and minute-takers on the networks' conferences. Three queries in all."""
    substitute, guest, minute_taker = _grant_models()
    networks = participants_policy.dpo_network_ids(user)
    order = ("-valid_until", "-pk")
    return {
        "substitute": substitute.objects.filter(
            content_object__memberships__organisation__network_id__in=networks).distinct()
        .select_related("user", "content_object", "granted_by").order_by(*order),
        "guest": guest.objects.filter(content_object__case__network_id__in=networks)
        .select_related("user", "content_object__case", "granted_by").order_by(*order),
        "minute_taker": minute_taker.objects.filter(content_object__conference__case__network_id__in=networks)
        .select_related("user", "content_object__conference__case", "granted_by").order_by(*order),
    }


def grants_concerning(user) -> dict[str, QuerySet]:
    """The grants a user gave, holds, or (for a substitute) that stand in for her."""
    substitute, guest, minute_taker = _grant_models()
    mine = Q(user=user) | Q(granted_by=user)
    return {
        "substitute": substitute.objects.filter(mine | Q(content_object=user))
        .select_related("user", "content_object", "granted_by").order_by("-valid_until", "-pk"),
        "guest": guest.objects.filter(mine).select_related("user", "content_object__case", "granted_by").order_by("-valid_until", "-pk"),
        "minute_taker": minute_taker.objects.filter(mine)
        .select_related("user", "content_object__conference__case", "granted_by").order_by("-valid_until", "-pk"),
    }
