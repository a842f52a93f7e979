"""Writes about consent and legal bases for disclosure (moved from ``participants``, issue 14). Each service checks the policy, changes
state, writes the audit event. The policy reads consents at query time, so a change acts at once."""
from __future__ import annotations

import datetime as dt
from typing import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import policy as cases_policy
from cases.models import BASES_BY_COUNTRY, Case, Consent, ConsentScope, DisclosureBasis, FamilyMember, InformationCategory
from participants import language
from participants.models import Organisation
from notifications.models import Kind
from notifications.services import notify
from permissions import audit, dates, events


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


def _works_for(actor, organisation: Organisation, case: Case) -> bool:
    """On the case team FOR ``organisation``: a second membership there does not make her speak
    for it where she is on the team for another organisation (``cases_policy.team_organisation_ids``)."""
    return cases_policy.team_organisation_ids(actor, case).filter(organisation_id=organisation.pk).exists()


def _notify_parent_of_consent(consent: Consent) -> None:
    """Tell the parent that a consent was recorded in her name, after commit, by reference only
    (no organisation, no category): in the service when she has an account (her notification
    list and its e-mail), otherwise by a letter to her invitation address."""
    member = consent.given_by
    if member.user_id is not None:
        notify(recipients=[member.user], kind=Kind.CONSENT_RECORDED, case=consent.case,
               url=reverse("cases:my_consents"), event_key=f"consent:{consent.pk}:recorded")
        return
    if not member.email:
        return
    lang = language.for_family_member(member, network=consent.case.network)

    def _send() -> None:
        with translation.override(lang):
            send_mail(_("A release from confidentiality was recorded in your name"),
                      _("A release from confidentiality (consent to share information) has been recorded in your name "
                        "in Fallkonferenz.") + "\n\n"
                      + _("If you did not give it, please tell your caseworker or the service that recorded it."),
                      None, [member.email])

    transaction.on_commit(_send)


@transaction.atomic
def consent_record(
    actor, *, case, given_by: FamilyMember, from_organisation: Organisation, to_organisations: Iterable[Organisation],
    categories: Iterable[str], valid_from: dt.date, valid_until: dt.date, form_reference: str = "",
    channel: str = audit.Channel.PAGE,
) -> Consent:
    """Record a release from confidentiality (§ 65 SGB VIII).

    Two ways, and only these: a member of the disclosing organisation on the case team records
    the signed form (its reference is required), or the parent gives it herself in the service.
    Checks also: the person who gave it belongs to the family (she entrusted the data);
    organisations are of the case's network; at least one category; a sound window. A consent
    recorded by a professional is announced to the parent (e-mail after commit) so that she can
    object."""
    in_service = given_by.user_id is not None and given_by.user_id == getattr(actor, "pk", None)
    if in_service:
        if case.status == case.Status.CLOSED or not cases_policy.is_parent_of_case(actor, case):
            raise PermissionDenied
    elif not cases_policy.can_record_consent(actor, case):
        raise PermissionDenied
    errors = {}
    if given_by.case_id != case.pk or given_by.relation in (FamilyMember.Relation.CHILD, FamilyMember.Relation.EXPECTED_CHILD):
        errors["given_by"] = _("Choose a parent or relative of this family.")
    categories = sorted(set(categories))
    if not categories or any(c not in InformationCategory.values for c in categories):
        errors["categories"] = _("Choose at least one information category.")
    if valid_until < valid_from:
        errors["valid_until"] = _("A consent must end on or after the day it starts.")
    elif dates.too_far_ahead(valid_until):
        errors["valid_until"] = dates.MESSAGE % {"years": dates.YEARS_AHEAD}
    form_reference = form_reference.strip()
    if not in_service:
        if not _works_for(actor, from_organisation, case):
            errors["from_organisation"] = _("Only a member of the disclosing organisation can record its consent.")
        if not form_reference:
            errors["form_reference"] = _("Give the reference of the signed form.")
    if errors:
        raise ValidationError(errors)
    receivers = _check_organisations(case, from_organisation, to_organisations)
    consent = Consent.objects.create(
        case=case, given_by=given_by, from_organisation=from_organisation, valid_from=valid_from, valid_until=valid_until,
        form_reference=form_reference, recorded_by=actor,
        recorded_as=Consent.RecordedAs.IN_SERVICE if in_service else Consent.RecordedAs.SIGNED_FORM,
    )
    consent.to_organisations.set(receivers)
    ConsentScope.objects.bulk_create([ConsentScope(consent=consent, category=c) for c in categories])
    audit.record(actor, action="consent.record", obj=consent, case_id=case.pk, channel=channel,
                 legal_basis=f"consent:{consent.pk}",
                 detail={"from": from_organisation.pk, "to": [o.pk for o in receivers], "categories": categories,
                         "valid_from": valid_from.isoformat(), "valid_until": valid_until.isoformat(),
                         "recorded_as": consent.recorded_as, "given_by": given_by.pk})
    events.access_changed_on_commit([case.pk])
    if not in_service:
        _notify_parent_of_consent(consent)
    return consent


@transaction.atomic
def consent_revoke(actor, *, consent: Consent, channel: str = audit.Channel.PAGE) -> Consent:
    """Revoke a consent, effective at once. Checks: the person who gave it, or a professional on the
    team recording a revocation she received. The consent stays on record."""
    consent = Consent.objects.select_for_update(of=("self",)).select_related("case", "given_by").get(pk=consent.pk)
    if consent.revoked_at is not None:
        raise ValidationError(_("This consent has already been revoked."))
    if not cases_policy.can_revoke_consent(actor, consent):
        raise PermissionDenied
    consent.revoked_at = timezone.now()
    consent.revoked_by = actor
    consent.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(actor, action="consent.revoke", obj=consent, case_id=consent.case_id, channel=channel,
                 legal_basis=f"consent:{consent.pk}")
    events.access_changed_on_commit([consent.case_id])
    return consent


@transaction.atomic
def consent_object(actor, *, consent: Consent, channel: str = audit.Channel.PAGE) -> Consent:
    """The parent says she did not give a consent recorded in her name. Checks: she is the person
    it names. It stops allowing any disclosure at once (revoked), stays on record marked as
    objected to, and the audit trail shows the objection for the data-protection officer."""
    consent = Consent.objects.select_for_update(of=("self",)).select_related("case", "given_by").get(pk=consent.pk)
    if consent.given_by.user_id is None or consent.given_by.user_id != getattr(actor, "pk", None):
        raise PermissionDenied
    if consent.objected_at is not None:
        raise ValidationError(_("You have already objected to this consent."))
    now = timezone.now()
    fields = ["objected_at"]
    consent.objected_at = now
    if consent.revoked_at is None:
        consent.revoked_at, consent.revoked_by = now, actor
        fields += ["revoked_at", "revoked_by"]
    consent.save(update_fields=fields)
    audit.record(actor, action="consent.object", obj=consent, case_id=consent.case_id, channel=channel,
                 legal_basis=f"consent:{consent.pk}", detail={"recorded_by": consent.recorded_by_id})
    events.access_changed_on_commit([consent.case_id])
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
    if not cases_policy.can_record_consent(actor, case):
        raise PermissionDenied
    errors = {}
    allowed = BASES_BY_COUNTRY.get(case.network.country, [])
    if basis not in allowed:
        errors["basis"] = _("Choose one of the legal bases of this network's country.")
    if not _works_for(actor, from_organisation, case):
        errors["from_organisation"] = _("Only a member of the disclosing organisation can invoke a legal basis for it.")
    if not justification.strip():
        errors["justification"] = _("Give the justification.")
    if valid_until < invoked_on:
        errors["valid_until"] = _("The time limit must be on or after the day the basis was invoked.")
    elif dates.too_far_ahead(valid_until):
        errors["valid_until"] = dates.MESSAGE % {"years": dates.YEARS_AHEAD}
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
    events.access_changed_on_commit([case.pk])
    return record


@transaction.atomic
def disclosure_basis_end(actor, *, record: DisclosureBasis, channel: str = audit.Channel.PAGE) -> DisclosureBasis:
    """End a legal basis before its time limit. Checks: a member of the disclosing organisation on the team."""
    record = DisclosureBasis.objects.select_for_update(of=("self",)).select_related("case").get(pk=record.pk)
    if record.ended_at is not None:
        raise ValidationError(_("This legal basis has already ended."))
    if not cases_policy.can_end_disclosure_basis(actor, record):
        raise PermissionDenied
    record.ended_at = timezone.now()
    record.save(update_fields=["ended_at"])
    audit.record(actor, action="disclosure_basis.end", obj=record, case_id=record.case_id, channel=channel,
                 legal_basis=f"{record.basis}:{record.pk}")
    events.access_changed_on_commit([record.case_id])
    return record
