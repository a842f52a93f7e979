"""Writes about consent and legal bases for disclosure. Each service checks the policy, changes
state, writes the audit event; the guardian grants follow through ``permissions.signals`` in the
same transaction."""
from __future__ import annotations

import datetime as dt
from typing import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from participants.models import (
    BASES_BY_COUNTRY, Consent, ConsentScope, DisclosureBasis, FamilyMember, InformationCategory, Organisation,
)
from permissions import audit, policy


def _check_organisations(case, from_organisation: Organisation, to_organisations: Iterable[Organisation]) -> list[Organisation]:
    receivers = list(to_organisations)
    errors = {}
    if from_organisation.network_id != case.network_id or not from_organisation.is_active:
        errors["from_organisation"] = _("Choose an active organisation of this case's network.")
    if not receivers:
        errors["to_organisations"] = _("Choose at least one receiving organisation.")
    elif any(o.network_id != case.network_id or not o.is_active for o in receivers):
        errors["to_organisations"] = _("Choose active organisations of this case's network.")
    elif any(o.pk == from_organisation.pk for o in receivers):
        errors["to_organisations"] = _("The disclosing organisation cannot also receive.")
    if errors:
        raise ValidationError(errors)
    return receivers


@transaction.atomic
def consent_record(
    actor, *, case, given_by: FamilyMember, from_organisation: Organisation, to_organisations: Iterable[Organisation],
    categories: Iterable[str], valid_from: dt.date, valid_until: dt.date, form_reference: str = "",
    channel: str = audit.Channel.PAGE,
) -> Consent:
    """Record a signed release from confidentiality. Checks: the actor is a professional on the
    case team; the person who gave it belongs to the family (the one who entrusted the data);
    organisations are of the case's network; at least one category; a sound window."""
    if not policy.can_record_consent(actor, case):
        raise PermissionDenied
    errors = {}
    if given_by.case_id != case.pk or given_by.relation in (FamilyMember.Relation.CHILD, FamilyMember.Relation.EXPECTED_CHILD):
        errors["given_by"] = _("Choose a parent or relative of this family.")
    categories = sorted(set(categories))
    if not categories or any(c not in InformationCategory.values for c in categories):
        errors["categories"] = _("Choose at least one information category.")
    if valid_until < valid_from:
        errors["valid_until"] = _("A consent must end on or after the day it starts.")
    if errors:
        raise ValidationError(errors)
    receivers = _check_organisations(case, from_organisation, to_organisations)
    consent = Consent.objects.create(
        case=case, given_by=given_by, from_organisation=from_organisation, valid_from=valid_from, valid_until=valid_until,
        form_reference=form_reference.strip(), recorded_by=actor,
    )
    consent.to_organisations.set(receivers)
    ConsentScope.objects.bulk_create([ConsentScope(consent=consent, category=c) for c in categories])
    from permissions import grants

    grants.recompute_case_id(case.pk)  # bulk_create sends no signal
    audit.record(actor, action="consent.record", obj=consent, case_id=case.pk, channel=channel,
                 legal_basis=f"consent:{consent.pk}",
                 detail={"from": from_organisation.pk, "to": [o.pk for o in receivers], "categories": categories,
                         "valid_from": valid_from.isoformat(), "valid_until": valid_until.isoformat()})
    return consent


@transaction.atomic
def consent_revoke(actor, *, consent: Consent, channel: str = audit.Channel.PAGE) -> Consent:
    """Revoke a consent, effective at once. Checks: the person who gave it, or a professional on the
    team recording a revocation she received. The consent stays on record."""
    consent = Consent.objects.select_for_update().select_related("case", "given_by").get(pk=consent.pk)
    if consent.revoked_at is not None:
        raise ValidationError(_("This consent has already been revoked."))
    if not policy.can_revoke_consent(actor, consent):
        raise PermissionDenied
    consent.revoked_at = timezone.now()
    consent.revoked_by = actor
    consent.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(actor, action="consent.revoke", obj=consent, case_id=consent.case_id, channel=channel,
                 legal_basis=f"consent:{consent.pk}")
    return consent


@transaction.atomic
def disclosure_basis_record(
    actor, *, case, basis: str, from_organisation: Organisation, to_organisations: Iterable[Organisation],
    justification: str, invoked_on: dt.date, valid_until: dt.date, parents_informed: bool, not_informed_reason: str = "",
    channel: str = audit.Channel.PAGE,
) -> DisclosureBasis:
    """Record a legal basis for disclosure without consent. Checks: the actor is on the team and
    works for the disclosing organisation; the basis is one of the fixed list for the network's
    country; a justification; a time limit; why the parents were not informed, if they were not."""
    if not policy.can_record_consent(actor, case):
        raise PermissionDenied
    errors = {}
    allowed = BASES_BY_COUNTRY.get(case.network.country, [])
    if basis not in allowed:
        errors["basis"] = _("Choose one of the legal bases of this network's country.")
    if not policy.organisation_ids(actor).filter(organisation_id=from_organisation.pk).exists():
        errors["from_organisation"] = _("Only a member of the disclosing organisation can invoke a legal basis for it.")
    if not justification.strip():
        errors["justification"] = _("Give the justification.")
    if valid_until < invoked_on:
        errors["valid_until"] = _("The time limit must be on or after the day the basis was invoked.")
    if not parents_informed and not not_informed_reason.strip():
        errors["not_informed_reason"] = _("Say why the parents were not informed.")
    if errors:
        raise ValidationError(errors)
    receivers = _check_organisations(case, from_organisation, to_organisations)
    record = DisclosureBasis.objects.create(
        case=case, basis=basis, from_organisation=from_organisation, invoked_by=actor, justification=justification.strip(),
        invoked_on=invoked_on, valid_until=valid_until, parents_informed=parents_informed,
        not_informed_reason="" if parents_informed else not_informed_reason.strip(),
    )
    record.to_organisations.set(receivers)
    audit.record(actor, action="disclosure_basis.record", obj=record, case_id=case.pk, channel=channel,
                 legal_basis=f"{basis}:{record.pk}",
                 detail={"from": from_organisation.pk, "to": [o.pk for o in receivers], "valid_until": valid_until.isoformat(),
                         "parents_informed": parents_informed})
    return record


@transaction.atomic
def disclosure_basis_end(actor, *, record: DisclosureBasis, channel: str = audit.Channel.PAGE) -> DisclosureBasis:
    """End a legal basis before its time limit. Checks: a member of the disclosing organisation on the team."""
    record = DisclosureBasis.objects.select_for_update().select_related("case").get(pk=record.pk)
    if record.ended_at is not None:
        raise ValidationError(_("This legal basis has already ended."))
    if not (policy.can_record_consent(actor, record.case)
            and policy.organisation_ids(actor).filter(organisation_id=record.from_organisation_id).exists()):
        raise PermissionDenied
    record.ended_at = timezone.now()
    record.save(update_fields=["ended_at"])
    audit.record(actor, action="disclosure_basis.end", obj=record, case_id=record.case_id, channel=channel,
                 legal_basis=f"{record.basis}:{record.pk}")
    return record
