"""What the offers app keeps, erased after its retention period (both registered with
``operations.retention`` from ``OffersConfig.ready``). Rows, dates, statuses and municipalities
stay (the yearly figures count them); names, notes, answers, messages and addresses go.

- ``erase_case_content``: with a closed case's content, the referrals that belong to the case,
  the requests to the central case manager that belong to it and their messages, and the
  enrolments and sessions that came from those referrals. A request belongs to the case when
  the case manager attached it (``SupportRequest.case``) or when the receiving organisation
  made one of its referrals part of the case (``referral_open_case`` / ``referral_attach_case``
  set only the referral's case). A request whose other referral still lives (in a case not yet
  erased, or of no case and not closed) waits for it: it goes with that case, or with
  ``erase_unattached`` once that referral is finished.
- ``erase_unattached``: referrals and requests that never became part of a case (or whose case's
  content has been erased already), ``REFERRAL_RETENTION_DAYS`` after their last change, once
  finished: a referral when it is closed (declined, completed, cancelled) and its enrolment has
  ended; a request when every referral made from it is such a referral, or belongs to an erased
  case (or it has none). With them go the request's messages and the enrolment and sessions of
  the referral.
- ``erase_direct_enrolments``: enrolments made without a referral (``enrolment_create`` with
  ``referral=None``) belong to no referral and no case; ``REFERRAL_RETENTION_DAYS`` after their
  last change, once ended (completed or ended early) and with no session changed within the
  period, their family label, e-mail and reason for ending go, and so do their sessions' topics
  and places. Rows, dates, statuses, municipalities, birth sites and attendance stay.
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Exists, Max, OuterRef, Q

from operations.retention import ACTOR, ERASED, erase_fields, register_case_eraser, register_rule
from permissions import audit

from .models import Enrolment, Referral, Session, SupportMessage, SupportRequest


def _alive_elsewhere(case) -> Exists:
    """A referral of the request (OuterRef) that still lives outside ``case``: in another case
    whose content has not been erased, or in no case and not closed yet."""
    return Exists(Referral.objects.filter(support_request=OuterRef("pk")).exclude(case=case).filter(
        Q(case__isnull=False, case__erasure__isnull=True)
        | (Q(case__isnull=True) & ~Q(status__in=Referral.CLOSED_STATUSES))))


def erase_case_content(case) -> dict[str, int]:
    referrals = Referral.objects.filter(case=case)
    via_referrals = (SupportRequest.objects.filter(pk__in=referrals.values("support_request_id"))
                     .exclude(case=case).exclude(_alive_elsewhere(case)))
    request_ids = list(SupportRequest.objects.filter(Q(case=case) | Q(pk__in=via_referrals.values("pk")))
                       .values_list("pk", flat=True))
    requests = SupportRequest.objects.filter(pk__in=request_ids)
    enrolments = Enrolment.objects.filter(referral__case=case)
    return {
        "referrals": erase_fields(referrals, text=("client_label", "note", "answer", "decline_reason",
                                                   "team_consent_reference")),
        "support requests": erase_fields(requests, text=("situation", "asked_for", "client_label", "consent_reference")),
        "support messages": erase_fields(SupportMessage.objects.filter(request__in=requests), text=("text",)),
        "enrolments": erase_fields(enrolments, text=("family_label", "end_reason"), empty=("family_email",)),
        "sessions": erase_fields(Session.objects.filter(enrolment__referral__case=case), text=("topic", "location")),
    }


REFERRAL_TEXT = ("client_label", "note", "answer", "decline_reason", "team_consent_reference")
REQUEST_TEXT = ("situation", "asked_for", "client_label", "consent_reference")


def erase_unattached(*, now: dt.datetime, channel: str = audit.Channel.COMMAND) -> dict[str, int]:
    """Erase finished referrals and requests of no case whose last change is older than
    ``REFERRAL_RETENTION_DAYS`` (see the module docstring). Idempotent: erased rows carry the
    marker and are not counted again. One ``retention.erase_unattached`` audit event when
    anything was erased (counts and ids, no content)."""
    days = settings.REFERRAL_RETENTION_DAYS
    if not days:
        return {}
    cutoff = now - dt.timedelta(days=days)
    recent_enrolment = Enrolment.objects.filter(referral=OuterRef("pk")).filter(
        Q(status=Enrolment.Status.ACTIVE) | Q(updated_at__gte=cutoff))
    referrals = (Referral.objects.filter(case__isnull=True, status__in=Referral.CLOSED_STATUSES, updated_at__lt=cutoff)
                 .filter(Q(support_request__isnull=True) | Q(support_request__case__isnull=True))
                 .exclude(client_label=ERASED).exclude(Exists(recent_enrolment)))
    referral_ids = list(referrals.values_list("pk", flat=True))
    # A request goes when nothing of it is alive: no referral of it belongs to a case, is still
    # open or was changed within the period.
    # A referral in a case whose content has been erased is not alive any more (its request then
    # waited only for a referral of it that lived elsewhere, see ``erase_case_content``).
    alive = Referral.objects.filter(support_request=OuterRef("pk")).filter(
        Q(case__isnull=False, case__erasure__isnull=True)
        | (Q(case__isnull=True) & (~Q(status__in=Referral.CLOSED_STATUSES) | Q(updated_at__gte=cutoff))))
    requests = (SupportRequest.objects.filter(Q(case__isnull=True) | Q(case__erasure__isnull=False), updated_at__lt=cutoff)
                .exclude(situation=ERASED)
                .annotate(last_message=Max("messages__created_at"))
                .filter(Q(last_message__isnull=True) | Q(last_message__lt=cutoff)).exclude(Exists(alive)))
    request_ids = list(requests.values_list("pk", flat=True))
    enrolments = Enrolment.objects.filter(referral_id__in=referral_ids)
    rows = {
        "unattached referrals": erase_fields(Referral.objects.filter(pk__in=referral_ids), text=REFERRAL_TEXT),
        "unattached support requests": erase_fields(SupportRequest.objects.filter(pk__in=request_ids), text=REQUEST_TEXT),
        "unattached support messages": erase_fields(
            SupportMessage.objects.filter(request_id__in=request_ids).exclude(text=ERASED), text=("text",)),
        "unattached enrolments": erase_fields(enrolments.exclude(family_label=ERASED), text=("family_label", "end_reason"),
                                              empty=("family_email",)),
        "unattached sessions": erase_fields(Session.objects.filter(enrolment__in=enrolments), text=("topic", "location")),
    }
    if referral_ids or request_ids:
        audit.record(ACTOR, action="retention.erase_unattached", object_type="offers.referral", channel=channel,
                     detail={"before": cutoff.isoformat(), "referrals": referral_ids, "support_requests": request_ids,
                             "rows": rows})
    return rows


ENROLMENT_TEXT = ("family_label", "end_reason")


def erase_direct_enrolments(*, now: dt.datetime, channel: str = audit.Channel.COMMAND) -> dict[str, int]:
    """Erase enrolments made without a referral, and their sessions, once ended and untouched for
    ``REFERRAL_RETENTION_DAYS`` (see the module docstring). Idempotent; one
    ``retention.erase_direct_enrolments`` audit event when anything was erased (ids, no content)."""
    days = settings.REFERRAL_RETENTION_DAYS
    if not days:
        return {}
    cutoff = now - dt.timedelta(days=days)
    recent_session = Session.objects.filter(enrolment=OuterRef("pk"), updated_at__gte=cutoff)
    enrolment_ids = list(
        Enrolment.objects.filter(referral__isnull=True, updated_at__lt=cutoff).exclude(status=Enrolment.Status.ACTIVE)
        .exclude(family_label=ERASED).exclude(Exists(recent_session)).values_list("pk", flat=True))
    rows = {
        "direct enrolments": erase_fields(Enrolment.objects.filter(pk__in=enrolment_ids), text=ENROLMENT_TEXT,
                                          empty=("family_email",)),
        "direct enrolment sessions": erase_fields(Session.objects.filter(enrolment_id__in=enrolment_ids),
                                                  text=("topic", "location")),
    }
    if enrolment_ids:
        audit.record(ACTOR, action="retention.erase_direct_enrolments", object_type="offers.enrolment", channel=channel,
                     detail={"before": cutoff.isoformat(), "enrolments": enrolment_ids, "rows": rows})
    return rows


def register() -> None:
    """Called from ``OffersConfig.ready``: erasing a closed case also erases what offers keep of
    it; unattached referrals and requests, and enrolments made without a referral, have their
    own rules (run by the daily retention job, ``operations.retention.retention_apply``)."""
    register_case_eraser(erase_case_content)
    register_rule(erase_unattached)
    register_rule(erase_direct_enrolments)
