"""Reads of the audit trail, built on ``permissions.policy``; constant query count in rows."""
from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from permissions import policy


def audit_log_for_user(user, *, case_reference: str = "", person: str = "", date_from: dt.date | None = None,
                       date_until: dt.date | None = None) -> QuerySet:
    """The DPO's audit log, filtered; only events of her networks."""
    events = policy.audit_events_for_user(user).select_related("case")
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
    return policy.family_audit_events_for_user(user).select_related("case").order_by("-at", "-pk")


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
