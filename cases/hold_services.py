"""Legal holds: a case under hold is skipped by the retention run until the hold is lifted.

Set and lifted by the network's data-protection officer, or by the case's lead caseworker on
the officer's instruction (the officer is named on the hold and in the audit event).
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import policy as cases_policy
from cases.models import Case, LegalHold
from participants import policy as participants_policy
from participants.models import User
from permissions import audit


def _require(actor: User, case: Case, instructed_by: User | None) -> User | None:
    if not cases_policy.can_manage_legal_hold(actor, case, instructed_by=instructed_by):
        raise PermissionDenied(_("Only the data-protection officer, or the lead caseworker on her instruction, may do this."))
    # The officer acting herself needs no instruction; one named anyway is not recorded.
    return None if participants_policy.is_dpo_of(actor, case.network_id) else instructed_by


@transaction.atomic
def legal_hold_set(
    actor: User, *, case: Case, ground: str, reason: str, review_on: dt.date, instructed_by: User | None = None,
    channel: str = audit.Channel.PAGE,
) -> LegalHold:
    """Put ``case`` under a legal hold. Checks: ``can_manage_legal_hold``; the case is not yet
    erased; a known ground, a reason, a review date not in the past. Audits ``legal_hold.set``
    (without the reason: the audit log is read more widely than the hold)."""
    instructed_by = _require(actor, case, instructed_by)
    errors = {}
    if ground not in LegalHold.Ground.values:
        errors["ground"] = _("Choose a ground for the hold.")
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Say why the case must be kept.")
    if review_on is None or review_on < timezone.localdate():
        errors["review_on"] = _("The review date cannot lie in the past.")
    if hasattr(case, "erasure"):
        errors["case"] = _("This case has already been erased.")
    if errors:
        raise ValidationError(errors)
    hold = LegalHold.objects.create(case=case, ground=ground, reason=reason, review_on=review_on, set_by=actor,
                                    set_at=timezone.now(), set_on_instruction_of=instructed_by)
    audit.record(actor, action="legal_hold.set", obj=hold, case_id=case.pk, channel=channel, legal_basis="dpo",
                 detail={"ground": ground, "review_on": review_on.isoformat(),
                         "instructed_by": instructed_by.pk if instructed_by else None})
    return hold


@transaction.atomic
def legal_hold_lift(actor: User, *, hold: LegalHold, instructed_by: User | None = None,
                    channel: str = audit.Channel.PAGE) -> LegalHold:
    """Lift a hold in force. Checks: ``can_manage_legal_hold``; the hold is still in force
    (409-like ``ValidationError`` otherwise). Audits ``legal_hold.lift``."""
    hold = LegalHold.objects.select_for_update().select_related("case").get(pk=hold.pk)
    instructed_by = _require(actor, hold.case, instructed_by)
    if hold.lifted_at is not None:
        raise ValidationError(_("This hold has already been lifted."))
    hold.lifted_at, hold.lifted_by, hold.lifted_on_instruction_of = timezone.now(), actor, instructed_by
    hold.save(update_fields=["lifted_at", "lifted_by", "lifted_on_instruction_of"])
    audit.record(actor, action="legal_hold.lift", obj=hold, case_id=hold.case_id, channel=channel, legal_basis="dpo",
                 detail={"instructed_by": instructed_by.pk if instructed_by else None})
    return hold
