"""Writes on explicit per-object grants: substitutes, conference guests, delegated minute-takers.

Each function takes the acting user first, checks who may grant, validates the period the law
allows, writes or deletes the guardian row, records an audit event and, after commit, tells the
open screens of the affected cases that access changed. Rows are never written anywhere else.
"""
from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import policy as cases_policy
from participants import policy as participants_policy
from permissions import audit, policy
from permissions.events import access_changed_on_commit
from permissions.models import ConferenceGuestGrant, ExplicitGrant, MinuteTakerGrant, SubstituteGrant

# Longest periods, in days. A substitute covers an absence (renewed if it lasts longer); a guest
# and a delegated minute-taker need the conference and its correction window, not more.
SUBSTITUTE_MAX_DAYS = 183
AFTER_CONFERENCE_MAX_DAYS = 28

CODENAMES = {
    SubstituteGrant: ("substitute_for_user", "Can stand in for this colleague"),
    ConferenceGuestGrant: ("attend_conference_as_guest", "Can attend this conference as a guest"),
    MinuteTakerGrant: ("take_minutes", "Can take the minutes of this protocol"),
}
KINDS = {SubstituteGrant: "substitute", ConferenceGuestGrant: "guest", MinuteTakerGrant: "minute_taker"}


def _permission(model: type[ExplicitGrant]) -> Permission:
    codename, name = CODENAMES[model]
    target = model._meta.get_field("content_object").related_model
    permission, _created = Permission.objects.get_or_create(
        codename=codename, content_type=ContentType.objects.get_for_model(target), defaults={"name": name})
    return permission


def _check_period(valid_from: dt.date, valid_until: dt.date, latest: dt.date) -> None:
    today = policy._today()
    if valid_until < valid_from:
        raise ValidationError({"valid_until": _("The end must not lie before the start.")})
    if valid_until < today:
        raise ValidationError({"valid_until": _("The end must not lie in the past.")})
    if valid_until > latest:
        raise ValidationError({"valid_until": _("The end may be %(date)s at the latest.") % {"date": latest.isoformat()}})


def _conference_day(conference) -> dt.date:
    starts = conference.starts_at
    return timezone.localdate(starts) if starts else policy._today()


def _case_ids(grant: ExplicitGrant) -> list[int]:
    if isinstance(grant, SubstituteGrant):
        return list(grant.content_object.case_teams.filter(removed_at__isnull=True).values_list("case_id", flat=True))
    if isinstance(grant, ConferenceGuestGrant):
        return [grant.content_object.case_id]
    return [grant.content_object.conference.case_id]


def _save(actor, model: type[ExplicitGrant], *, user, obj, valid_from: dt.date, valid_until: dt.date, note: str,
          case_id: int | None, channel: str) -> ExplicitGrant:
    grant, _created = model.objects.update_or_create(
        user=user, permission=_permission(model), content_object=obj,
        defaults={"valid_from": valid_from, "valid_until": valid_until, "granted_by": actor,
                  "granted_at": timezone.now(), "note": note.strip()[:200]},
    )
    audit.record(actor, action="grant.give", obj=grant, case_id=case_id, channel=channel, detail={
        "kind": KINDS[model], "user": user.pk, "object": obj.pk,
        "valid_from": valid_from.isoformat(), "valid_until": valid_until.isoformat()})
    access_changed_on_commit(_case_ids(grant))
    return grant


def _shared_organisations(a, b) -> models.QuerySet:
    return participants_policy.organisation_ids(a).filter(organisation_id__in=participants_policy.organisation_ids(b))


@transaction.atomic
def substitute_appoint(actor, *, colleague, substitute, valid_from: dt.date, valid_until: dt.date, note: str = "",
                       channel: str = audit.Channel.PAGE) -> SubstituteGrant:
    """Appoint ``substitute`` for ``colleague``'s cases from–until (at most half a year). Checks: the
    colleague herself, or a coordinator of her network; the substitute works for one of the
    colleague's organisations. Sends ``access.changed`` to the colleague's cases."""
    if not policy._is_real_user(actor):
        raise PermissionDenied
    coordinates = participants_policy.coordinator_network_ids(actor).filter(
        network_id__in=participants_policy.organisation_ids(colleague).values("organisation__network_id")).exists()
    if actor.pk != colleague.pk and not coordinates:
        raise PermissionDenied(_("Only the colleague herself or a coordinator of her network appoints a substitute."))
    if substitute.pk == colleague.pk or not substitute.is_active or not _shared_organisations(substitute, colleague).exists():
        raise ValidationError({"substitute": _("The substitute must be an active colleague of the same organisation.")})
    _check_period(valid_from, valid_until, valid_from + dt.timedelta(days=SUBSTITUTE_MAX_DAYS))
    return _save(actor, SubstituteGrant, user=substitute, obj=colleague, valid_from=valid_from, valid_until=valid_until,
                 note=note, case_id=None, channel=channel)


@transaction.atomic
def guest_invite(actor, *, conference, guest, valid_until: dt.date | None = None, note: str = "",
                 channel: str = audit.Channel.PAGE) -> ConferenceGuestGrant:
    """Invite ``guest`` (an interpreter, a school social worker) to this one conference, until at
    most four weeks after it. Checks: the convenor of the case; the guest has an active account
    and is not already on the case. Sends ``access.changed`` to the case."""
    case = conference.case
    if not cases_policy.can_convene(actor, case):
        raise PermissionDenied
    if (not guest.is_active or guest.is_staff or cases_policy.is_professional_on_case(guest, case)
            or cases_policy.is_parent_of_case(guest, case)):
        raise ValidationError({"guest": _("Invite as a guest only an active account that is not already on the case.")})
    latest = _conference_day(conference) + dt.timedelta(days=AFTER_CONFERENCE_MAX_DAYS)
    today = policy._today()
    _check_period(today, valid_until or latest, latest)
    return _save(actor, ConferenceGuestGrant, user=guest, obj=conference, valid_from=today,
                 valid_until=valid_until or latest, note=note, case_id=case.pk, channel=channel)


@transaction.atomic
def minute_taker_delegate(actor, *, protocol, delegate, valid_until: dt.date | None = None, note: str = "",
                          channel: str = audit.Channel.PAGE) -> MinuteTakerGrant:
    """Delegate the minutes of ``protocol`` to ``delegate``, until at most four weeks after the
    conference. Checks: the convenor; the protocol is not final; the delegate is a professional
    on the case team. Sends ``access.changed`` to the case."""
    case = protocol.conference.case
    if not cases_policy.can_convene(actor, case):
        raise PermissionDenied
    if protocol.status == "final":
        raise ValidationError(_("The protocol is final."))
    if not cases_policy.is_professional_on_case(delegate, case):
        raise ValidationError({"delegate": _("The minute-taker must be a professional on the case team.")})
    latest = _conference_day(protocol.conference) + dt.timedelta(days=AFTER_CONFERENCE_MAX_DAYS)
    today = policy._today()
    _check_period(today, valid_until or latest, latest)
    return _save(actor, MinuteTakerGrant, user=delegate, obj=protocol, valid_from=today, valid_until=valid_until or latest,
                 note=note, case_id=case.pk, channel=channel)


def can_withdraw(actor, grant: ExplicitGrant) -> bool:
    """Who gave it, who holds it, and (for a substitute) the colleague or (for a guest or a
    minute-taker) the convenor of the case."""
    if not policy._is_real_user(actor):
        return False
    if actor.pk in (grant.granted_by_id, grant.user_id):
        return True
    if isinstance(grant, SubstituteGrant):
        return actor.pk == grant.content_object_id
    conference = grant.content_object if isinstance(grant, ConferenceGuestGrant) else grant.content_object.conference
    return cases_policy.can_convene(actor, conference.case)


@transaction.atomic
def grant_withdraw(actor, *, grant: ExplicitGrant, channel: str = audit.Channel.PAGE) -> None:
    """Withdraw a grant at once (the row goes; the audit trail keeps who gave and withdrew it).
    Sends ``access.changed`` to the affected cases."""
    if not can_withdraw(actor, grant):
        raise PermissionDenied
    model = type(grant)
    case_ids = _case_ids(grant)
    audit.record(actor, action="grant.withdraw", obj=grant, case_id=case_ids[0] if model is not SubstituteGrant and case_ids else None,
                 channel=channel, detail={"kind": KINDS[model], "user": grant.user_id, "object": grant.content_object_id})
    model.objects.filter(pk=grant.pk).delete()
    access_changed_on_commit(case_ids)
