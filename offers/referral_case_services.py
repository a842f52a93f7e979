"""An accepted referral becomes part of a case: the receiving organisation opens a case from it,
attaches it to a case it is already on, or joins the case the central case manager attached it
to — each time with the family's documented consent that this organisation joins the case team.

Each function takes the acting user first, checks that she is staff of the receiving
organisation and that the referral holds a place (accepted or in progress), records the consent
on the referral, writes through the case services of ``conferences`` (which audit the case and
team changes on the case's chain) and writes its own audit event. Nobody outside the case team
learns the case's reference: the referral page names it only to those who may see the case, and
a step into the case is offered only where ``join_refusal`` finds none.
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import policy as cases_policy
from cases import services as case_services
from cases.models import Case, CaseTeamMember, FamilyMember
from participants.models import User
from permissions import audit

from . import access
from . import referral_services as rs
from .models import Referral


def _ground(referral: Referral) -> str:
    return f"referral:{referral.pk}"


def _require_receiving_staff(actor: User, referral: Referral) -> Referral:
    if not access.may_manage_offer(actor, referral.offer):
        raise PermissionDenied(_("Only staff of the receiving organisation answer a referral."))
    referral = (Referral.objects.select_for_update(of=("self",)).select_related("offer__organisation", "support_request")
                .get(pk=referral.pk))
    if referral.status not in Referral.HOLDS_PLACE:
        raise ValidationError(_("Only an accepted referral can become part of a case."))
    return referral


def _record_consent(referral: Referral, *, consent_reference: str, consent_given_on: dt.date | None) -> None:
    """The family's documented consent that the receiving organisation joins the case team."""
    errors = {}
    if not (consent_reference or "").strip():
        errors["consent_reference"] = _("Record the reference of the family's signed consent form.")
    if consent_given_on is None:
        errors["consent_given_on"] = _("Say on which day the family gave its consent.")
    elif consent_given_on > timezone.localdate():
        errors["consent_given_on"] = _("The consent cannot be dated in the future.")
    if errors:
        raise ValidationError(errors)
    referral.team_consent_reference, referral.team_consent_given_on = consent_reference.strip(), consent_given_on


def _save(actor: User, referral: Referral, *, action: str, channel: str) -> None:
    referral.save(update_fields=["case", "team_consent_reference", "team_consent_given_on", "updated_at"])
    audit.record(actor, action=action, obj=referral, case_id=referral.case_id, channel=channel, legal_basis="consent",
                 detail={"offer": referral.offer_id})


def _sender_joins_if_consented(actor: User, referral: Referral, case: Case, *, channel: str) -> bool:
    """The professional who asked the case manager joins only where her client's consent says so."""
    request = referral.support_request
    if request is None or not request.consent_sender_on_team or not cases_policy.can_convene(actor, case):
        return False
    if not access.may_take_part(request.sender, request):
        return False  # she no longer works for the organisation she asked for
    if case.team.filter(removed_at__isnull=True, user=request.sender, organisation=request.sender_organisation).exists():
        return False
    member = case_services.case_team_member_add(actor, case=case, organisation=request.sender_organisation, user=request.sender,
                                                channel=channel)  # in the role her own profession gives her
    rs.tell_the_lead(actor, case, member)
    return True


def client_label(referral: Referral) -> str:
    """What a referral holds of its client (her first name or initials): its own label, or that of
    the case manager's request it was made from ("" where neither names her)."""
    if referral.client_label:
        return referral.client_label
    return referral.support_request.client_label if referral.support_request_id else ""


@transaction.atomic
def referral_open_case(
    actor: User, *, referral: Referral, reference: str, consent_reference: str, consent_given_on: dt.date | None,
    expected_child: bool = False, client_relation: str = FamilyMember.Relation.MOTHER, channel: str = audit.Channel.PAGE,
) -> Case:
    """Open a new case from an accepted referral, led by ``actor`` for the receiving organisation.

    The referral's client becomes the family member the case starts with, as a case opened from
    the case manager's request does (``rs.support_request_open_case``): what the referral holds of
    her (``client_label``: her first name or initials; none where it names nobody), as ``client_relation`` (one of ``rs.CLIENT_RELATIONS``),
    through ``family_member_add`` (audited). Nothing else of the referral is copied.

    Checks: staff of the receiving organisation; the referral holds a place and belongs to no
    case yet; the family's consent is documented; ``case_open`` checks that ``actor`` is a
    caseworker of that organisation and that the reference is pseudonymous and unused. The
    professional who asked the case manager joins the team where the consent allows it."""
    referral = _require_receiving_staff(actor, referral)
    if referral.case_id is not None:
        raise ValidationError(_("This referral already belongs to a case."))
    if client_relation not in rs.CLIENT_RELATIONS:
        raise ValidationError({"client_relation": _("Choose who the client is in the family.")})
    _record_consent(referral, consent_reference=consent_reference, consent_given_on=consent_given_on)
    case = case_services.case_open(actor, lead_organisation=referral.offer.organisation, reference=reference,
                                   expected_child=expected_child, channel=channel)
    referral.case = case
    _save(actor, referral, action="referral.open_case", channel=channel)
    label = client_label(referral)
    if label:
        case_services.family_member_add(actor, case=case, relation=client_relation, display_name=label, channel=channel)
    _sender_joins_if_consented(actor, referral, case, channel=channel)
    return case


def attachable_cases(actor: User, referral: Referral):
    """Open cases of the offer's network on whose team ``actor`` already is in her own right: not a
    case she reads only as a colleague's substitute, where attaching would admit her for the
    receiving organisation to a seat that outlasts her grant (``cases_policy.own_case_ids``,
    review h7-3)."""
    return (Case.objects.filter(pk__in=cases_policy.own_case_ids(actor), network_id=referral.offer.organisation.network_id)
            .exclude(status=Case.Status.CLOSED).order_by("reference"))


@transaction.atomic
def referral_attach_case(
    actor: User, *, referral: Referral, case: Case, consent_reference: str, consent_given_on: dt.date | None,
    channel: str = audit.Channel.PAGE,
) -> CaseTeamMember | None:
    """Attach an accepted referral to a case ``actor`` is already on; the receiving organisation
    joins its team through her where it is not on it yet (returns the new member, else None).

    Checks: staff of the receiving organisation; the referral holds a place and belongs to no
    case yet; ``actor`` is on the case's team in her own right (not only as a substitute), the case
    is open and in the offer's network; the family's consent is documented."""
    referral = _require_receiving_staff(actor, referral)
    if referral.case_id is not None:
        raise ValidationError(_("This referral already belongs to a case."))
    if not attachable_cases(actor, referral).filter(pk=case.pk).exists():
        raise ValidationError({"case": _("Choose an open case of your network on whose team you are.")})
    _record_consent(referral, consent_reference=consent_reference, consent_given_on=consent_given_on)
    referral.case = case
    _save(actor, referral, action="referral.attach_case", channel=channel)
    organisation = referral.offer.organisation
    if case.team.filter(removed_at__isnull=True, organisation=organisation).exists():
        return None  # the organisation is on the team already (she or a colleague)
    member = case_services.case_team_member_admit(actor, case=case, organisation=organisation, basis=_ground(referral),
                                                  channel=channel)
    rs.tell_the_lead(actor, case, member)
    return member


def join_refusal(referral: Referral) -> str:
    """Why staff of the receiving organisation may not join, on ``referral``, the team of the case
    it belongs to, or "" when they may. The one rule for the service and the referral page, which
    says it instead of offering the step.

    The organisation's own standing on the team first (``cases_policy.self_admission_refusal``).
    Then the referral itself: it leads into its case only while the one who made it (the central
    case manager who referred from a request of that case, or attached the request to it) is on
    the case's team. Once she is taken off it, or has left, an old referral that still names the
    case lets nobody in (the rule of ``referral_services.refer_into_case_refusal``, review h7-1,
    for the referrals made before). A closed case, or one of another network, takes nobody in
    either. These three get one fixed text: someone not on the team learns nothing of the case
    (not whether it is closed, nor who is on it) beyond what the referral carries."""
    case = referral.case
    if case is None:
        return ""
    refusal = cases_policy.self_admission_refusal(case.pk, referral.offer.organisation_id)
    if refusal:
        return refusal
    if (case.status == Case.Status.CLOSED or case.network_id != referral.offer.organisation.network_id
            or not cases_policy.is_professional_on_case(referral.referred_by, case)):
        return _("This referral does not let your organisation join a case team on its own: where the family wishes it, "
                 "the case's convenor adds your organisation.")
    return ""


@transaction.atomic
def referral_join_case_team(
    actor: User, *, referral: Referral, consent_reference: str, consent_given_on: dt.date | None,
    channel: str = audit.Channel.PAGE,
) -> CaseTeamMember:
    """``actor`` joins, for the receiving organisation, the team of the case the referral was
    attached to (by the central case manager, who is on that case, or by a colleague).

    Checks: staff of the receiving organisation; the referral holds a place and belongs to a
    case; ``join_refusal``: the organisation may still join on its own (not on the team yet,
    nobody of it taken off it by the convenor), the case is open and of the offer's network, and
    the referral's maker is still on its team; the family's consent is documented."""
    referral = _require_receiving_staff(actor, referral)
    case = referral.case
    if case is None:
        raise ValidationError(_("This referral belongs to no case yet: open one or attach it to a case."))
    refusal = join_refusal(referral)
    if refusal:
        raise ValidationError(refusal)
    _record_consent(referral, consent_reference=consent_reference, consent_given_on=consent_given_on)
    _save(actor, referral, action="referral.join_case_team", channel=channel)
    member = case_services.case_team_member_admit(actor, case=case, organisation=referral.offer.organisation,
                                                  basis=_ground(referral), channel=channel)
    rs.tell_the_lead(actor, case, member)
    return member
