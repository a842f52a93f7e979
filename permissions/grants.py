"""The writes on the explicit grant tables (``permissions.models``): give, withdraw, re-date.

Each write records its audit event and, after commit, tells the open screens of the affected cases
that access changed. Who may grant what to whom is decided above, before these are called:
``access/grant_services.py`` (substitutes, conference guests, delegated minute-takers) and, for
the grants that hang on one conference, ``conferences/services.py`` when the convenor cancels or
moves it (``conference_grants_end``, ``conference_grants_redate``). Rows are written nowhere else.

Knows no domain model by import: the conference and the protocol are reached through the grant
tables' relations (``content_object``, ``content_object__conference``).
"""
from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from permissions import audit, policy
from permissions.events import access_changed_on_commit
from permissions.models import ConferenceGuestGrant, ExplicitGrant, MinuteTakerGrant, SubstituteGrant

# A guest and a delegated minute-taker need the conference and its correction window, not more.
AFTER_CONFERENCE_MAX_DAYS = 28

CODENAMES = {
    SubstituteGrant: ("substitute_for_user", "Can stand in for this colleague"),
    ConferenceGuestGrant: ("attend_conference_as_guest", "Can attend this conference as a guest"),
    MinuteTakerGrant: ("take_minutes", "Can take the minutes of this protocol"),
}
KINDS = {SubstituteGrant: "substitute", ConferenceGuestGrant: "guest", MinuteTakerGrant: "minute_taker"}


def permission(model: type[ExplicitGrant]) -> Permission:
    codename, name = CODENAMES[model]
    target = model._meta.get_field("content_object").related_model
    perm, _created = Permission.objects.get_or_create(
        codename=codename, content_type=ContentType.objects.get_for_model(target), defaults={"name": name})
    return perm


def conference_day(starts_at: dt.datetime | None) -> dt.date:
    """The day a conference grant is measured from: the conference's day, or today while it has no date."""
    return timezone.localdate(starts_at) if starts_at else policy._today()


def latest_until(starts_at: dt.datetime | None) -> dt.date:
    """The last day a guest or a delegated minute-taker of a conference starting ``starts_at`` may
    hold her grant (the one rule for giving it and for re-dating it when the conference moves)."""
    return conference_day(starts_at) + dt.timedelta(days=AFTER_CONFERENCE_MAX_DAYS)


def case_ids_of(grant: ExplicitGrant) -> list[int]:
    if isinstance(grant, SubstituteGrant):
        return list(grant.content_object.case_teams.filter(removed_at__isnull=True).values_list("case_id", flat=True))
    if isinstance(grant, ConferenceGuestGrant):
        return [grant.content_object.case_id]
    return [grant.content_object.conference.case_id]


def give(actor, model: type[ExplicitGrant], *, user, obj, valid_from: dt.date, valid_until: dt.date, note: str,
         case_id: int | None, channel: str) -> ExplicitGrant:
    grant, _created = model.objects.update_or_create(
        user=user, permission=permission(model), content_object=obj,
        defaults={"valid_from": valid_from, "valid_until": valid_until, "granted_by": actor,
                  "granted_at": timezone.now(), "note": note.strip()[:200]},
    )
    audit.record(actor, action="grant.give", obj=grant, case_id=case_id, channel=channel, detail={
        "kind": KINDS[model], "user": user.pk, "object": obj.pk,
        "valid_from": valid_from.isoformat(), "valid_until": valid_until.isoformat()})
    access_changed_on_commit(case_ids_of(grant))
    return grant


def withdraw(actor, grant: ExplicitGrant, *, channel: str, reason: str = "") -> None:
    """The row goes at once; the audit trail keeps who gave and who withdrew it (and why, where
    it went with its conference)."""
    model = type(grant)
    case_ids = case_ids_of(grant)
    detail = {"kind": KINDS[model], "user": grant.user_id, "object": grant.content_object_id}
    if reason:
        detail["reason"] = reason
    audit.record(actor, action="grant.withdraw", obj=grant, case_id=case_ids[0] if model is not SubstituteGrant and case_ids else None,
                 channel=channel, detail=detail)
    model.objects.filter(pk=grant.pk).delete()
    access_changed_on_commit(case_ids)


def _conference_grants(conference) -> list[ExplicitGrant]:
    """The guests of ``conference`` and the delegated minute-takers of its protocol, locked."""
    guests = ConferenceGuestGrant.objects.select_for_update().filter(content_object_id=conference.pk).order_by("pk")
    minutes = MinuteTakerGrant.objects.select_for_update(of=("self",)).filter(content_object__conference_id=conference.pk).order_by("pk")
    return [*guests, *minutes]


def conference_grants_end(actor, *, conference, channel: str) -> int:
    """Withdraw every grant that hangs on ``conference`` (it was cancelled): its guests, and the
    delegated minute-takers of its protocol. The caller has checked that ``actor`` convenes it.
    Returns how many ended."""
    grants = _conference_grants(conference)
    for grant in grants:
        withdraw(actor, grant, channel=channel, reason="conference_cancelled")
    return len(grants)


def conference_grants_redate(actor, *, conference, old_starts_at: dt.datetime | None, channel: str) -> int:
    """Re-date the grants that hang on ``conference`` after it moved from ``old_starts_at`` to
    ``conference.starts_at``: each end keeps its distance to the conference day, but never lies
    after ``latest_until`` of the new date (the rule they were given under). A grant whose end
    would then lie before its start or before today ends. The caller has checked that ``actor``
    convenes it. Returns how many changed."""
    shift = conference_day(conference.starts_at) - conference_day(old_starts_at)
    latest = latest_until(conference.starts_at)
    today = policy._today()
    changed = 0
    for grant in _conference_grants(conference):
        if grant.valid_until < today:
            continue  # over already: a move does not bring it back
        valid_until = min(grant.valid_until + shift, latest)
        if valid_until == grant.valid_until:
            continue
        changed += 1
        if valid_until < max(grant.valid_from, today):
            withdraw(actor, grant, channel=channel, reason="conference_moved")
            continue
        type(grant).objects.filter(pk=grant.pk).update(valid_until=valid_until)
        audit.record(actor, action="grant.redate", obj=grant, case_id=conference.case_id, channel=channel, detail={
            "kind": KINDS[type(grant)], "user": grant.user_id, "object": grant.content_object_id,
            "valid_until_before": grant.valid_until.isoformat(), "valid_until": valid_until.isoformat(),
            "reason": "conference_moved"})
    if changed:
        access_changed_on_commit([conference.case_id])
    return changed
