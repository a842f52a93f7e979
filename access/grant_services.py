"""Writes on explicit per-object grants: substitutes, conference guests, delegated minute-takers.

Each function takes the acting user first, checks who may grant, validates the period the law
allows, and writes or deletes the guardian row through ``permissions.grants``, which records the
audit event and, after commit, tells the open screens of the affected cases that access changed.
(``conferences.services`` ends and re-dates the grants of a conference it cancels or moves through
the same ``permissions.grants``.)
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from cases import policy as cases_policy
from conferences.models import Conference
from participants import policy as participants_policy
from permissions import audit, grants, policy
from permissions.models import ConferenceGuestGrant, ExplicitGrant, MinuteTakerGrant, SubstituteGrant
from protocols import services as protocol_services

# Longest periods, in days. A substitute covers an absence (renewed if it lasts longer); a guest
# and a delegated minute-taker need the conference and its correction window, not more.
SUBSTITUTE_MAX_DAYS = 183
AFTER_CONFERENCE_MAX_DAYS = grants.AFTER_CONFERENCE_MAX_DAYS
KINDS = grants.KINDS


def guest_refusal() -> str:
    """The one answer for a guest who cannot be invited: no such account, or not a professional of
    the case's network. The page and the service give the same words, so that the convenor does not
    learn whether an account exists in another network or in another role."""
    return _("Invite as a guest only a professional who works for an organisation of this case's network "
             "(enter her exact user name).")


def _check_period(valid_from: dt.date, valid_until: dt.date, latest: dt.date) -> None:
    today = policy._today()
    if valid_until < valid_from:
        raise ValidationError({"valid_until": _("The end must not lie before the start.")})
    if valid_until < today:
        raise ValidationError({"valid_until": _("The end must not lie in the past.")})
    if valid_until > latest:
        raise ValidationError({"valid_until": _("The end may be %(date)s at the latest.") % {"date": latest.isoformat()}})


def _locked_conference(conference) -> Conference:
    """The conference, locked as ``conference_cancel`` and ``conference_move`` lock it: a grant is
    given either before it is cancelled or moved (and then ended or re-dated with it) or after (and
    then sees its new state)."""
    return Conference.objects.select_for_update(of=("self",)).select_related("case").get(pk=conference.pk)


def _shared_organisations(a, b) -> models.QuerySet:
    return participants_policy.organisation_ids(a).filter(organisation_id__in=participants_policy.organisation_ids(b))


@transaction.atomic
def substitute_appoint(actor, *, colleague, substitute, valid_from: dt.date, valid_until: dt.date, note: str = "",
                       channel: str = audit.Channel.PAGE) -> SubstituteGrant:
    """Appoint ``substitute`` for ``colleague``'s cases from–until (at most half a year). Checks: the
    colleague herself, or a coordinator of her network; nobody appoints herself; the substitute
    works for one of the colleague's organisations. A coordinator hands out only her network's
    cases: the organisations the substitute shares with the colleague (through which the
    substitute reads, ``cases.policy.team_rows_of``) are all of networks she coordinates. Sends
    ``access.changed`` to the colleague's cases."""
    if not policy._is_real_user(actor):
        raise PermissionDenied
    coordinated = participants_policy.coordinator_network_ids(actor)
    coordinates = coordinated.filter(
        network_id__in=participants_policy.organisation_ids(colleague).values("organisation__network_id")).exists()
    if actor.pk != colleague.pk and not coordinates:
        raise PermissionDenied(_("Only the colleague herself or a coordinator of her network appoints a substitute."))
    if substitute.pk == actor.pk and actor.pk != colleague.pk:
        raise ValidationError({"substitute": _("You cannot appoint yourself as a substitute.")})
    shared = _shared_organisations(substitute, colleague)
    if substitute.pk == colleague.pk or not substitute.is_active or not shared.exists():
        raise ValidationError({"substitute": _("The substitute must be an active colleague of the same organisation.")})
    if actor.pk != colleague.pk and shared.exclude(organisation__network_id__in=coordinated).exists():
        # She would read the colleague's cases of another network too: only the colleague herself
        # (or that network's coordination, for a substitute who shares none of hers) decides that.
        raise ValidationError({"substitute": _("As coordinator, appoint only a substitute who shares no organisation "
                                               "of another network with the colleague.")})
    _check_period(valid_from, valid_until, valid_from + dt.timedelta(days=SUBSTITUTE_MAX_DAYS))
    return grants.give(actor, SubstituteGrant, user=substitute, obj=colleague, valid_from=valid_from, valid_until=valid_until,
                       note=note, case_id=None, channel=channel)


@transaction.atomic
def guest_invite(actor, *, conference, guest, valid_until: dt.date | None = None, note: str = "",
                 channel: str = audit.Channel.PAGE) -> ConferenceGuestGrant:
    """Invite ``guest`` (an interpreter, a school social worker) to this one conference, until at
    most four weeks after it. Checks: the convenor of the case; the conference is not cancelled;
    the guest is a professional with an active membership at an active organisation of the case's
    network (not a board member, a parent or a professional of another network only: they read
    the conference's items for everyone) and not already on the case. Sends ``access.changed`` to
    the case."""
    conference = _locked_conference(conference)
    case = conference.case
    if not cases_policy.can_convene(actor, case):
        raise PermissionDenied
    if conference.status == Conference.Status.CANCELLED:
        raise ValidationError({"conference": _("The conference was cancelled: nobody can be invited to it as a guest.")})
    if not policy._is_real_user(guest) or not participants_policy.works_in_network(guest, case.network_id):
        raise ValidationError({"guest": guest_refusal()})
    if cases_policy.is_professional_on_case(guest, case) or cases_policy.is_parent_of_case(guest, case):
        raise ValidationError({"guest": _("Invite as a guest only an active account that is not already on the case.")})
    latest = grants.latest_until(conference.starts_at)
    today = policy._today()
    _check_period(today, valid_until or latest, latest)
    return grants.give(actor, ConferenceGuestGrant, user=guest, obj=conference, valid_from=today,
                       valid_until=valid_until or latest, note=note, case_id=case.pk, channel=channel)


@transaction.atomic
def minute_taker_delegate(actor, *, protocol, delegate, valid_until: dt.date | None = None, note: str = "",
                          channel: str = audit.Channel.PAGE) -> MinuteTakerGrant:
    """Delegate the minutes of ``protocol`` to ``delegate``, until at most four weeks after the
    conference. Checks: the convenor; the protocol is not final; the delegate is a professional
    on the case team, and not the actor where she convenes only as a substitute (her grant would
    outlast the substitute grant, ``protocols.services.refuse_substitute_naming_herself``).
    Sends ``access.changed`` to the case."""
    conference = _locked_conference(protocol.conference)
    case = conference.case
    if not cases_policy.can_convene(actor, case):
        raise PermissionDenied
    if protocol.status == "final":
        raise ValidationError(_("The protocol is final."))
    if conference.status == Conference.Status.CANCELLED:
        raise ValidationError(_("The conference was cancelled."))
    if not cases_policy.is_professional_on_case(delegate, case):
        raise ValidationError({"delegate": _("The minute-taker must be a professional on the case team.")})
    if delegate.pk == actor.pk and not cases_policy.convenes_in_own_right(actor, case):
        raise ValidationError({"delegate": protocol_services.substitute_minute_taker_refusal()})
    latest = grants.latest_until(conference.starts_at)
    today = policy._today()
    _check_period(today, valid_until or latest, latest)
    return grants.give(actor, MinuteTakerGrant, user=delegate, obj=protocol, valid_from=today, valid_until=valid_until or latest,
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
    grants.withdraw(actor, grant, channel=channel)
