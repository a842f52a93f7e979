"""Writes on cases: open a case, assemble its team, record its family members.

Each function takes the acting user first, checks permission through ``cases.policy``,
validates with the model's own invariants, changes state atomically and writes an audit event
on the channel it was called from. Access follows from the team at read time (``cases/policy.py``).
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import policy as cases_policy
from cases import selectors as cases_selectors
from cases.models import AccessOffer, Case, CaseTeamMember, Consent, DisclosureBasis, FamilyMember
from notifications.models import Kind
from notifications.services import notify
from participants.models import Membership, Organisation, ProfessionalRole, User
from permissions import audit, conflicts, events


def _require_convenor(actor: User, case: Case) -> None:
    if not cases_policy.can_convene(actor, case):
        raise PermissionDenied(_("Only the case's caseworkers may change its team and family."))


@transaction.atomic
def case_open(
    actor: User, *, lead_organisation: Organisation, reference: str, expected_child: bool = False,
    any_role: bool = False, channel: str = audit.Channel.PAGE,
) -> Case:
    """Open a new case led by ``actor`` for ``lead_organisation``.

    Checks: ``actor`` is an active caseworker of that (active) organisation — or, with
    ``any_role``, an active member in any role, for a caller above this layer that has checked
    an authority of its own (a central case manager named by her network); the reference is
    pseudonymous (pattern), carries the network's prefix and is unused in the network. The actor
    joins the case team as lead caseworker.
    """
    memberships = Membership.objects.filter(user=actor, organisation=lead_organisation, is_active=True,
                                            organisation__is_active=True)
    is_caseworker = (memberships if any_role else memberships.filter(role=ProfessionalRole.CASEWORKER)).exists()
    if not getattr(actor, "is_active", False) or not is_caseworker:
        raise PermissionDenied(_("Only a caseworker of the organisation may open a case for it."))
    reference = (reference or "").strip().upper()
    network = lead_organisation.network
    prefix = f"{network.case_reference_prefix}-"
    if reference and not reference.startswith(prefix):
        raise ValidationError({"reference": _("References in this network start with %(prefix)s.") % {"prefix": prefix}})
    if Case.objects.filter(network=network, reference=reference).exists():
        raise ValidationError({"reference": _("This reference is already used in this network.")})
    case = Case(
        network=network, reference=reference, lead_organisation=lead_organisation, lead_caseworker=actor,
        status=Case.Status.NEW, opened_on=timezone.localdate(), expected_child_at_opening=expected_child,
    )
    case.full_clean()
    case.save()
    CaseTeamMember.objects.create(case=case, organisation=lead_organisation, user=actor, case_role=CaseTeamMember.CaseRole.LEAD)
    audit.record(actor, action="case.open", obj=case, case_id=case.pk, channel=channel, detail={"reference": reference})
    return case


def default_case_role(*, organisation: Organisation, user: User | None = None) -> str:
    """The case role someone joins a team with when nobody chose one: the professional's own role
    where it names a case role (a midwife: midwifery, wherever she works), else her organisation's
    kind (``CaseTeamMember.role_for``). The same default the team form offers, so the person gets
    the same role whether a caseworker adds her by hand or a request or referral puts her on."""
    professional_role = "" if user is None else (Membership.objects.filter(
        user=user, organisation=organisation, is_active=True).values_list("role", flat=True).first() or "")
    return CaseTeamMember.role_for(kind=organisation.kind, professional_role=professional_role)


@transaction.atomic
def case_team_member_add(
    actor: User, *, case: Case, organisation: Organisation, user: User | None = None,
    case_role: str | None = None, channel: str = audit.Channel.PAGE,
) -> CaseTeamMember:
    """Put a professional (with her organisation) or a whole organisation on the case team, in
    ``case_role`` (without one: ``default_case_role``).

    Checks: ``actor`` may convene the case; the organisation is active and in the case's network;
    a named professional actively works for that organisation; she is not already on the team.
    Someone who convenes only as a colleague's substitute (``cases_policy.convenes_in_own_right``)
    puts others on the team, never herself nor an organisation she works for: that seat would
    keep her reading the case after the grant ends or is withdrawn.
    """
    _require_convenor(actor, case)
    if organisation.network_id != case.network_id or not organisation.is_active:
        raise ValidationError({"organisation": _("Choose an active organisation of this network.")})
    puts_herself_on = user == actor if user is not None else Membership.objects.filter(
        user=actor, organisation=organisation, is_active=True).exists()
    if puts_herself_on and not cases_policy.convenes_in_own_right(actor, case):
        raise ValidationError({"user": _("You convene this case only as a substitute: you cannot put yourself or your "
                                         "own organisation on its team. A caseworker on the team in her own right can "
                                         "add you.")})
    if user is not None and not Membership.objects.filter(user=user, organisation=organisation, is_active=True).exists():
        raise ValidationError({"user": _("This professional does not work for the chosen organisation.")})
    case_role = case_role or default_case_role(organisation=organisation, user=user)
    member = CaseTeamMember(case=case, organisation=organisation, user=user, case_role=case_role)
    member.full_clean()
    active = case.team.filter(removed_at__isnull=True, organisation=organisation)
    if (user is None and active.filter(user__isnull=True).exists()) or (user is not None and active.filter(user=user).exists()):
        raise ValidationError({"user": _("This member is already on the case team.")})
    member.save()
    audit.record(
        actor, action="case_team.add", obj=member, case_id=case.pk, channel=channel,
        detail={"organisation": organisation.pk, "user": user.pk if user else None, "case_role": case_role},
    )
    events.access_changed_on_commit([case.pk])
    return member


@transaction.atomic
def case_team_member_admit(
    actor: User, *, case: Case, organisation: Organisation, basis: str, case_role: str | None = None,
    channel: str = audit.Channel.PAGE,
) -> CaseTeamMember:
    """``actor`` joins the case team herself, for her organisation, on a ground an upper layer has
    decided and recorded (``basis``, e.g. an accepted referral with the family's documented
    consent, ``"referral:17"``). The caller checks that ground; this checks what the case itself
    requires: the case is open, ``actor`` actively works for the organisation, the organisation is
    active and in the case's network, she is not on the team for it already, and the organisation
    is neither on the team already nor was any member of it taken off it by the convenor
    (``cases_policy.self_admission_refusal``: then the convenor adds people). Audited as
    ``case_team.admit`` under the family's consent, with the ground; the lead caseworker sees the
    new member on the case page.
    """
    if case.status == Case.Status.CLOSED:
        raise ValidationError(_("This case is closed."))
    if organisation.network_id != case.network_id or not organisation.is_active:
        raise ValidationError({"organisation": _("Choose an active organisation of this network.")})
    professional_role = Membership.objects.filter(user=actor, organisation=organisation, is_active=True).values_list(
        "role", flat=True).first()
    if professional_role is None:
        raise PermissionDenied(_("This professional does not work for the chosen organisation."))
    if not (basis or "").strip():
        raise ValidationError(_("Say on which ground the professional joins the case team."))
    if case.team.filter(removed_at__isnull=True, organisation=organisation, user=actor).exists():
        raise ValidationError({"user": _("This member is already on the case team.")})
    refusal = cases_policy.self_admission_refusal(case.pk, organisation.pk)
    if refusal:
        raise ValidationError(refusal)
    member = CaseTeamMember(case=case, organisation=organisation, user=actor,
                            case_role=case_role or CaseTeamMember.role_for(kind=organisation.kind,
                                                                           professional_role=professional_role))
    member.full_clean()
    member.save()
    audit.record(
        actor, action="case_team.admit", obj=member, case_id=case.pk, channel=channel, legal_basis="consent",
        detail={"organisation": organisation.pk, "user": actor.pk, "case_role": member.case_role, "ground": basis},
    )
    events.access_changed_on_commit([case.pk])
    return member


@transaction.atomic
def case_team_member_remove(actor: User, *, member: CaseTeamMember, channel: str = audit.Channel.PAGE) -> CaseTeamMember:
    """Take a member off the team. The row stays (``removed_at``) so that who was on it when is
    traceable. Checks: ``actor`` may convene; the lead caseworker cannot be removed."""
    case = member.case
    _require_convenor(actor, case)
    if member.removed_at is not None:
        raise ValidationError(_("This member has already left the case team."))
    if member.user_id is not None and member.user_id == case.lead_caseworker_id and member.organisation_id == case.lead_organisation_id:
        raise ValidationError(_("The lead caseworker cannot be removed from the team."))
    member.removed_at = timezone.now()
    member.save(update_fields=["removed_at"])
    audit.record(actor, action="case_team.remove", obj=member, case_id=case.pk, channel=channel)
    events.access_changed_on_commit([case.pk])
    return member


def team_rows_end_on_departure(ended: events.MembershipEnded) -> int:
    """Her membership of an organisation ended (``participants.admin_services.membership_end``,
    inside its transaction): her personal rows on case teams for that organisation end too, kept
    (``removed_at``, ``removal_reason``) as history, one ``case_team.end`` event per case. She reads
    nothing through them any more, nor does a substitute of hers, and rejoining the organisation
    gives her no case back: the convenor adds her again if she is to be on it. Returns how many ended."""
    rows = list(CaseTeamMember.objects.select_for_update().filter(
        user_id=ended.user_id, organisation_id=ended.organisation_id, removed_at__isnull=True).order_by("pk"))
    now = timezone.now()
    for row in rows:
        row.removed_at, row.removal_reason = now, CaseTeamMember.LEFT_ORGANISATION
        row.save(update_fields=["removed_at", "removal_reason"])
        audit.record(ended.actor, action="case_team.end", obj=row, case_id=row.case_id, channel=ended.channel,
                     detail={"organisation": row.organisation_id, "user": row.user_id, "reason": "membership_ended"})
    events.access_changed_on_commit(row.case_id for row in rows)
    return len(rows)


@transaction.atomic
def family_member_add(
    actor: User, *, case: Case, relation: str, display_name: str, due_date: dt.date | None = None,
    birth_year: int | None = None, email: str = "", interpreter_language: str = "", access_needs: str = "",
    language: str = "", channel: str = audit.Channel.PAGE,
) -> FamilyMember:
    """Record a parent, guardian, child or expected child: a first name or initials only.

    Checks: ``actor`` may convene; the model's invariants (an expected child has a due date,
    nobody else has one); the e-mail address reaches no other person of the family (``_refuse_anothers_address``)."""
    _require_convenor(actor, case)
    _refuse_anothers_address(email, case=case)
    member = FamilyMember(
        case=case, relation=relation, display_name=(display_name or "").strip(), due_date=due_date,
        birth_year=birth_year, email=email, interpreter_language=(interpreter_language or "").strip(),
        access_needs=(access_needs or "").strip(), language=language or "",
    )
    member.full_clean()
    member.save()
    audit.record(actor, action="family_member.add", obj=member, case_id=case.pk, channel=channel,
                 detail={"relation": relation})
    return member


def _refuse_anothers_address(email: str, *, case: Case, member: FamilyMember | None = None) -> None:
    """A parent without an account gets her poll links at this address (and, with an account made
    from the record, her set-up link): an address that reaches another person of the family (the
    other parent above all) would hand them to her. Two parents never share one: each reads only
    as far as she is entitled, and one parent's restriction (Art. 18) must not show to the other.
    Only this family's addresses are compared (``cases.selectors.email_address_of_another_family_member``
    says why); an offer of access to an address an account has mails no link (``cases.access_services``)."""
    if cases_selectors.email_address_of_another_family_member(email, case=case, member=member):
        raise ValidationError({"email": _("This e-mail address is already recorded for another person. Record this "
                                          "person's own address: links sent there are personal.")})


def end_access_offers(member: FamilyMember, *, now: dt.datetime) -> int:
    """End the open offers of access of ``member`` (``cases.access_services``): their codes no
    longer link, and the set-up link mailed for an account made for one of them no longer sets it
    up — a fresh unusable password ends every password-reset token made before (review h8-3: the
    address may have been someone else's). An account that was set up since (a usable password) or
    is linked to a record keeps its password. Call inside the transaction that changes the record;
    returns how many offers ended."""
    offers = AccessOffer.objects.filter(member=member, used_at__isnull=True, revoked_at__isnull=True)
    unused = User.objects.filter(pk__in=offers.filter(account__isnull=False).values("account_id"),
                                 last_login__isnull=True, family_member=None)
    for account in unused.select_for_update(of=("self",)):
        if not account.has_usable_password():
            account.set_unusable_password()
            account.save(update_fields=["password"])
    return offers.update(revoked_at=now)


@transaction.atomic
def case_close(actor: User, *, case: Case, closed_on: dt.date | None = None, channel: str = audit.Channel.PAGE) -> Case:
    """Close a case (its caseworkers only).

    Checks: ``actor`` may convene the case; the closing day is not before the case was opened
    nor in the future; no conference is still being scheduled or scheduled (cancel or hold it
    first, so nobody keeps a meeting in the calendar for a closed case). Nothing is deleted:
    protocols, actions and consents stay on record until the retention period ends.
    """
    _require_convenor(actor, case)
    today = timezone.localdate()
    closed_on = closed_on or today
    if closed_on > today:
        raise ValidationError({"closed_on": _("A case cannot be closed in the future.")})
    if closed_on < case.opened_on:
        raise ValidationError({"closed_on": _("A case cannot be closed before it was opened.")})
    # conferences.Conference.Status.POLLING / SCHEDULED, read through the relation (the app is above this one)
    if case.conferences.filter(status__in=["polling", "scheduled"]).exists():
        raise ValidationError(_("A conference of this case is still being scheduled or scheduled: cancel or hold it first."))
    case.status, case.closed_on = Case.Status.CLOSED, closed_on
    case.full_clean()
    case.save(update_fields=["status", "closed_on", "updated_at"])
    audit.record(actor, action="case.close", obj=case, case_id=case.pk, channel=channel,
                 detail={"closed_on": closed_on.isoformat()})
    return case


CONSENT_NOTICE_DAYS = 14


@transaction.atomic
def consent_endings_notify(*, today: dt.date | None = None, days: int = CONSENT_NOTICE_DAYS) -> int:
    """Tell each open case's lead caseworker, once per end date, that a consent or a recorded
    legal basis ends within ``days`` days (run daily from ``send_reminders``). Returns how many
    were announced."""
    today = today or timezone.localdate()
    until = today + dt.timedelta(days=days)
    open_cases = ~Q(case__status=Case.Status.CLOSED)
    consents = (Consent.objects.filter(open_cases, revoked_at__isnull=True, valid_until__gte=today, valid_until__lte=until)
                .select_related("case__lead_caseworker"))
    bases = (DisclosureBasis.objects.filter(open_cases, ended_at__isnull=True, valid_until__gte=today, valid_until__lte=until)
             .select_related("case__lead_caseworker"))
    count = 0
    for kind, records, label in ((Kind.CONSENT_ENDING, consents, "consent"), (Kind.BASIS_ENDING, bases, "basis")):
        for record in records:
            notify(recipients=[record.case.lead_caseworker], kind=kind, case=record.case,
                   url=reverse("cases:case_consents", args=[record.case_id]), due_on=record.valid_until,
                   event_key=f"{label}:{record.pk}:ends:{record.valid_until.isoformat()}")
            count += 1
    return count


@transaction.atomic
def case_reopen(actor: User, *, case: Case, reason: str, channel: str = audit.Channel.PAGE) -> Case:
    """Reopen a closed case (closed by mistake, or the family needs help again).

    Checks: ``actor`` is its lead caseworker or a caseworker of its lead organisation on the
    team (``cases_policy.can_reopen_case``), and retention has not erased it yet; a reason is given.
    The reason and the former closing day go into the audit trail."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not cases_policy.can_reopen_case(actor, case):
        raise PermissionDenied(_("Only a caseworker of the lead organisation may reopen this case."))
    reason = (reason or "").strip()[:300]
    if not reason:
        raise ValidationError({"reason": _("Give the reason for reopening the case.")})
    closed_on = case.closed_on
    case.status, case.closed_on = Case.Status.ACTIVE, None
    case.full_clean()
    case.save(update_fields=["status", "closed_on", "updated_at"])
    audit.record(actor, action="case.reopen", obj=case, case_id=case.pk, channel=channel,
                 detail={"closed_on": closed_on.isoformat() if closed_on else "", "reason": reason})
    return case


@transaction.atomic
def case_activate(actor: User, *, case: Case, reason: str, channel: str = audit.Channel.PAGE) -> bool:
    """Mark a new case active: the work with its team has begun. A case is "new" from its opening
    until its first conference is planned; ``conferences.services.conference_create`` calls this
    in its own transaction (the rule sits with the case, the moment with the conference).

    Checks: ``actor`` may convene the case. Only a new case changes (an active or closed one is
    left as it is, so a second conference writes nothing); the audit event names the reason.
    Returns whether the case changed."""
    _require_convenor(actor, case)
    changed = Case.objects.filter(pk=case.pk, status=Case.Status.NEW).update(
        status=Case.Status.ACTIVE, updated_at=timezone.now())
    if not changed:
        return False
    case.status = Case.Status.ACTIVE
    audit.record(actor, action="case.activate", obj=case, case_id=case.pk, channel=channel, detail={"reason": reason})
    return True


def is_restricted_for(actor: User, member: FamilyMember) -> bool:
    """Her processing is restricted (Art. 18) for ``actor`` (``cases_policy.restricted_member_ids``):
    the correction page shows nothing of her record and the correction is refused."""
    return cases_policy.restricted_member_ids(actor).filter(pk=member.pk).exists()


FAMILY_FIELDS = ("relation", "display_name", "due_date", "birth_year", "email", "language", "interpreter_language", "access_needs")


@transaction.atomic
def family_member_update(actor: User, *, member: FamilyMember, version: int | None = None,
                         channel: str = audit.Channel.PAGE, **values) -> FamilyMember:
    """Correct a family member's record. Checks: ``actor`` may convene the case; ``version`` (the
    record's version the correction started from; the page always sends it) is still the current
    one, otherwise ``EditConflict`` with the record as it stands and nothing changes; the model's
    invariants; a parent with an account keeps being a parent (her access hangs on it); a changed
    e-mail address reaches nobody else (``_refuse_anothers_address``; her own account's address,
    or the one she has, stays hers); her record was not erased (``FamilyMember.is_erased``: a name
    typed over the marker would undo an erasure, and nothing of an erased record is recorded
    again), otherwise ``ValidationError`` and nothing changes. The audit event names the fields
    changed (not their values: they are personal data)."""
    case = member.case
    _require_convenor(actor, case)
    member = FamilyMember.objects.select_for_update().get(pk=member.pk)
    if member.is_erased:
        # the same words as the correction page (``cases/case_family_form.html``)
        raise ValidationError(_("This person's data were erased (Art. 17 GDPR): her record can no longer be corrected."))
    if is_restricted_for(actor, member):
        # Art. 18: her record is neither read nor changed in a normal edit (review h12, H12-1)
        raise ValidationError(_("This person's processing is restricted (Art. 18 GDPR): her record is not corrected "
                                "while the restriction is in force. The data protection officer lifts it once the data "
                                "are checked."))
    conflicts.check_version(member, version)
    unknown = set(values) - set(FAMILY_FIELDS)
    if unknown:
        raise ValueError(f"Unknown fields: {sorted(unknown)}")
    if "display_name" in values:
        values["display_name"] = (values["display_name"] or "").strip()
    changed = sorted(name for name, value in values.items() if getattr(member, name) != value)
    if member.user_id and values.get("relation", member.relation) not in FamilyMember.PARENT_RELATIONS:
        raise ValidationError({"relation": _("This person has an account as a parent; she stays a parent or guardian.")})
    if "email" in changed:
        _refuse_anothers_address(values["email"], case=member.case, member=member)
        # An offer's code was handed over and its set-up link mailed for the address as it was: a
        # corrected address (perhaps someone else's) must not keep them working. Offer again.
        end_access_offers(member, now=timezone.now())
    old_interpreter = member.interpreter_language
    for name in changed:
        setattr(member, name, values[name])
    member.full_clean()
    if changed:
        member.version += 1
        member.save(update_fields=[*changed, "version"])
        audit.record(actor, action="family_member.update", obj=member, case_id=case.pk, channel=channel,
                     detail={"fields": changed})
        if "email" in changed:
            # The same for what apps above mailed there (``conferences``: her personal poll links,
            # a fresh one to the new address where a poll is open), inside this transaction.
            events.address_changed(actor=actor, family_member_id=member.pk, case_id=case.pk, channel=channel)
        if "interpreter_language" in changed:
            # The coming conferences that took the old language over (``conferences``), at once.
            events.interpreter_language_changed(actor=actor, family_member_id=member.pk, case_id=case.pk,
                                                old=old_interpreter, new=member.interpreter_language, channel=channel)
        events.access_changed_on_commit([case.pk])
    return member
