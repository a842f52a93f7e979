"""Every write about data-subject requests and restrictions of processing; each checks permission
(``privacy.access``), changes state and writes the audit event. Reasons and descriptions are not
copied into the audit trail (it is read more widely than the request), except the reason of a
read under restriction, which is the point of that event."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from access import selectors as audit_selectors
from calendars.models import FeedToken
from cases import policy as cases_policy
from cases import services as case_services
from cases.models import Case, FamilyMember, LegalHold
from conferences import policy as conferences_policy
from conferences import services as conference_services
from participants.models import User
from permissions import audit, events
from permissions.events import access_changed_on_commit
from privacy import access, deadlines
from privacy.models import DataSubjectRequest, ProcessingRestriction
from protocols import policy as protocols_policy
from protocols import services as protocol_services

Kind, Outcome = DataSubjectRequest.Kind, DataSubjectRequest.Outcome
ERASED = FamilyMember.ERASED_NAME


def _refuse() -> None:
    raise PermissionDenied(_("Only the data-protection officer, or the caseworker on her instruction, may do this."))


def _record(actor: User, action: str, request: DataSubjectRequest, channel: str, **detail) -> None:
    audit.record(actor, action=action, obj=request, case_id=request.case_id, channel=channel, legal_basis="dpo",
                 detail={"kind": request.kind, "family_member": request.family_member_id, **detail})


@transaction.atomic
def request_record(
    actor: User, *, case: Case, family_member: FamilyMember, kind: str, received_on: dt.date, identity_check: str,
    identity_note: str = "", description: str = "", instructed_by: User | None = None, channel: str = audit.Channel.PAGE,
) -> DataSubjectRequest:
    """Record a request of ``family_member`` of ``case``. Checks: the officer of the case's network,
    or its lead caseworker naming the officer who instructed her; the person belongs to the case;
    a known kind and identity check; received not in the future. The deadline is one month,
    rolled to the network's next working day. Audits ``dsr.record``."""
    officer = access.is_officer(actor, case.network_id)
    if not officer and not access.can_record_request(actor, case, instructed_by=instructed_by):
        _refuse()
    errors = {}
    if family_member.case_id != case.pk:
        errors["family_member"] = _("This person does not belong to the case.")
    if kind not in Kind.values:
        errors["kind"] = _("Choose the kind of request.")
    if identity_check not in DataSubjectRequest.IdentityCheck.values:
        errors["identity_check"] = _("Say how her identity was checked.")
    if identity_check == DataSubjectRequest.IdentityCheck.ACCOUNT and family_member.user_id is None:
        errors["identity_check"] = _("This person has no account of her own.")
    if received_on is None or received_on > timezone.localdate():
        errors["received_on"] = _("The day of receipt cannot lie in the future.")
    if errors:
        raise ValidationError(errors)
    request = DataSubjectRequest.objects.create(
        case=case, family_member=family_member, kind=kind, received_on=received_on, identity_check=identity_check,
        identity_note=(identity_note or "").strip(), description=(description or "").strip(),
        due_on=deadlines.answer_due(received_on, network=case.network), recorded_by=actor,
        caseworker=None if officer else actor, instructed_by=None if officer else instructed_by,
    )
    _record(actor, "dsr.record", request, channel, due_on=request.due_on.isoformat(), identity_check=identity_check,
            instructed_by=request.instructed_by_id)
    return request


def _locked(request: DataSubjectRequest, actor: User) -> DataSubjectRequest:
    request = DataSubjectRequest.objects.select_for_update().select_related("case__network", "family_member").get(pk=request.pk)
    if not access.can_handle_request(actor, request):
        _refuse()
    if not request.is_open:
        raise ValidationError(_("This request is already closed."))
    return request


@transaction.atomic
def request_extend(actor: User, *, request: DataSubjectRequest, reason: str,
                   channel: str = audit.Channel.PAGE) -> DataSubjectRequest:
    """Extend the deadline by two further months (Art. 12(3)), once, with a reason, before the
    first deadline has passed (the person must be told within the first month). Audits ``dsr.extend``."""
    request = _locked(request, actor)
    reason = (reason or "").strip()
    if request.extended_due_on is not None:
        raise ValidationError(_("The deadline has already been extended once."))
    if not reason:
        raise ValidationError({"reason": _("Say why the request needs more time.")})
    if timezone.localdate() > request.due_on:
        raise ValidationError(_("The deadline has passed; it can no longer be extended."))
    request.extended_due_on = deadlines.extended_due(request.received_on, network=request.case.network)
    request.extension_reason = reason
    request.save(update_fields=["extended_due_on", "extension_reason"])
    _record(actor, "dsr.extend", request, channel, extended_due_on=request.extended_due_on.isoformat())
    return request


def hold_in_force(case_id: int) -> bool:
    return LegalHold.objects.filter(case_id=case_id, lifted_at__isnull=True).exists()


def _erase_person(actor: User, member: FamilyMember, *, channel: str) -> None:
    """Art. 17 granted: the person's own record (name, years, contact, needs) is erased, as the
    retention run erases it for the whole case, and the erasure is recorded (``erased_at``): from
    now on her record is not corrected, and nothing is offered to her (``FamilyMember.is_erased``).
    Protocol items she entrusted stay with the case's record until its retention period ends (the
    office keeps its file, Art. 17(3)(b)), and so does the audit trail.

    Her address goes to none: what was mailed there ends with it, as after any change of her
    address (``cases.services.family_member_update``, review h10, H10-2): her open offers of access
    (``end_access_offers``) and, through ``address_changed``, her personal poll links.

    Her invitations to coming conferences are withdrawn, their convenors told (reason ``erased``:
    ``conferences.services.invitations_withdraw_on_erasure``): a conference's date poll no longer
    waits for a person who is no longer there. Those to conferences held stay as the record.

    Her open agreed actions stay hers, as the record of what was agreed; the convenors who can
    hand them over to someone else are told how many there are, once
    (``protocols.services.erased_actions_announce``). The daily retention run does both for an
    erasure made before they were done here (``privacy.retention.follow_up_erasures``).

    Her account is no longer linked to the record: what the link gave ends with it (the case on
    her dashboard, her invitations, the protocol and actions she read as a parent, her calendar
    feed's entries; every read asks at read time, and open live sockets re-read their access on
    ``access_changed``). Her feed tokens end too where they served nothing else (no other family
    record of hers: a parent's account is never a professional's). The account itself stays (it
    may be hers in another case, and audit events name it)."""
    member = FamilyMember.objects.select_for_update().get(pk=member.pk)
    had_address = bool(member.email)
    if had_address:
        case_services.end_access_offers(member, now=timezone.now())
    old_interpreter = member.interpreter_language
    now = timezone.now()
    fields = {"display_name": ERASED, "birth_year": None, "email": "", "user": None,
              "interpreter_language": ERASED if member.interpreter_language else "",
              "access_needs": ERASED if member.access_needs else "", "erased_at": member.erased_at or now}
    # A correction opened before the erasure must not write the erased data back (``version``).
    FamilyMember.objects.filter(pk=member.pk).update(**fields, version=F("version") + 1)
    # Her personal poll links end whether they were mailed or handed over in person (review h12,
    # H12-7): her address is gone either way, and nothing is sent to the empty one.
    events.address_changed(actor=actor, family_member_id=member.pk, case_id=member.case_id, channel=channel)
    if old_interpreter:
        # The coming conferences that took her language over lose it; the convenor is told to
        # check the interpreter booking (review h12, H12-3).
        events.interpreter_language_changed(actor=actor, family_member_id=member.pk, case_id=member.case_id,
                                            old=old_interpreter, new="", channel=channel, reason="erased")
    # After the interpreter language followed (it looks for the conferences she is invited to):
    # the coming conferences stop waiting for her, and their convenors are told.
    member.refresh_from_db(fields=["erased_at"])
    conference_services.invitations_withdraw_on_erasure(actor, family_member=member, channel=channel)
    # Her open actions stay hers (the record of what was agreed), but nobody carries them out now:
    # whoever can hand them over is told, once, how many (``protocols.services.erased_actions_announce``).
    protocol_services.erased_actions_announce(family_member=member)
    if member.user_id:
        _end_account_link(actor, member, channel=channel, now=now)
    access_changed_on_commit([member.case_id])


def _end_account_link(actor: User, member: FamilyMember, *, channel: str, now: dt.datetime) -> None:
    """Her account lost its link to the erased record (``_erase_person``): one ``family_member.unlink``
    event naming the account, and her feed tokens revoked where no other record of hers is left
    for them to serve (one ``feed_token.revoke`` event each, with the reason)."""
    audit.record(actor, action="family_member.unlink", obj=member, case_id=member.case_id, channel=channel,
                 legal_basis="dpo", detail={"reason": "erased", "user": member.user_id})
    if FamilyMember.objects.filter(user_id=member.user_id).exists():
        return
    tokens = list(FeedToken.objects.select_for_update().filter(user_id=member.user_id, revoked_at__isnull=True).order_by("pk"))
    FeedToken.objects.filter(pk__in=[t.pk for t in tokens]).update(revoked_at=now)
    for token in tokens:
        audit.record(actor, action="feed_token.revoke", obj=token, case_id=token.case_id, channel=channel,
                     legal_basis="dpo", detail={"reason": "erased", "family_member": member.pk})


@transaction.atomic
def request_close(actor: User, *, request: DataSubjectRequest, outcome: str, note: str = "",
                  channel: str = audit.Channel.PAGE) -> DataSubjectRequest:
    """Close a request with its outcome. An erasure is not granted while a legal hold is in force
    on the case (Art. 17(3)(e)): refuse it with the hold as the reason, or wait until it is
    lifted. A granted erasure erases the person's record (``_erase_person``). A granted
    restriction needs the restriction set first. Audits ``dsr.close``."""
    request = _locked(request, actor)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    note = (note or "").strip()
    if outcome in (Outcome.REFUSED, Outcome.PARTLY) and not note:
        raise ValidationError({"note": _("Say why the request was not (fully) granted.")})
    granted = outcome in (Outcome.GRANTED, Outcome.PARTLY)
    if request.kind == Kind.ERASURE and granted and hold_in_force(request.case_id):
        raise ValidationError({"outcome": _("The case is under a legal hold: nothing of it may be erased until the hold is lifted.")})
    if (request.kind == Kind.RESTRICTION and granted
            and not request.family_member.processing_restrictions.filter(lifted_at__isnull=True).exists()):
        raise ValidationError({"outcome": _("Restrict the processing of her data first.")})
    if request.kind == Kind.ERASURE and granted:
        _erase_person(actor, request.family_member, channel=channel)
    request.outcome, request.outcome_note = outcome, note
    request.closed_at, request.closed_by = timezone.now(), actor
    request.save(update_fields=["outcome", "outcome_note", "closed_at", "closed_by"])
    _record(actor, "dsr.close", request, channel, outcome=outcome,
            overdue=request.closed_at.date() > request.deadline)
    return request


def access_export_rows(actor: User, *, request: DataSubjectRequest, fmt: str,
                       channel: str = audit.Channel.PAGE) -> list[dict]:
    """The access log of the requesting person, as she would download it herself ("Who read my
    data"), for the officer to hand over, also to a person without an account. Only the officer,
    only for an access request. Audits ``dsr.access_export`` (an audited read)."""
    if not access.is_officer(actor, request.case.network_id):
        _refuse()
    if request.kind != Kind.ACCESS:
        raise ValidationError(_("Only an access request is answered with the access log."))
    member = request.family_member
    events = audit_selectors.family_access_log_for_member(member)
    viewer = member.user or _NoAccount()
    rows = audit_selectors.family_access_rows(viewer, events)
    _record(actor, "dsr.access_export", request, channel, format=fmt, events=len(rows))
    return rows


class _NoAccount:
    """The reader of an export made for a person without an account: nobody's actions are "You"."""

    pk = None


# --- Art. 18: restriction of processing ---------------------------------------------------------

@transaction.atomic
def restriction_set(actor: User, *, request: DataSubjectRequest, grounds: str,
                    channel: str = audit.Channel.PAGE) -> ProcessingRestriction:
    """Restrict the processing of the request's person (from a request for restriction, or while
    a rectification or objection is examined, Art. 18(1)(a)/(d)). Checks: ``can_handle_request``;
    the request is open; no restriction of her already in force; the grounds say for what her
    data may still be read. Audits ``restriction.set``; her items and consents leave every
    normal read at once (page, API, live channel, feeds)."""
    request = _locked(request, actor)
    grounds = (grounds or "").strip()
    if not grounds:
        raise ValidationError({"grounds": _("Say for what her data may still be used.")})
    if request.kind not in (Kind.RESTRICTION, Kind.RECTIFICATION, Kind.OBJECTION):
        raise ValidationError(_("Processing is restricted on a request for restriction, rectification or objection."))
    FamilyMember.objects.select_for_update().filter(pk=request.family_member_id).first()
    if ProcessingRestriction.objects.filter(family_member_id=request.family_member_id, lifted_at__isnull=True).exists():
        raise ValidationError(_("The processing of her data is already restricted."))
    restriction = ProcessingRestriction.objects.create(family_member=request.family_member, request=request,
                                                       grounds=grounds, set_by=actor)
    audit.record(actor, action="restriction.set", obj=restriction, case_id=request.case_id, channel=channel,
                 legal_basis="dpo", detail={"family_member": request.family_member_id, "request": request.pk})
    _announce(request.case_id)
    return restriction


@transaction.atomic
def restriction_lift(actor: User, *, restriction: ProcessingRestriction,
                     channel: str = audit.Channel.PAGE) -> ProcessingRestriction:
    """Lift a restriction in force (the person is to be told before, Art. 18(3)). Only the officer
    of the case's network. Audits ``restriction.lift``."""
    restriction = (ProcessingRestriction.objects.select_for_update().select_related("family_member__case")
                   .get(pk=restriction.pk))
    case = restriction.family_member.case
    if not access.is_officer(actor, case.network_id):
        _refuse()
    if restriction.lifted_at is not None:
        raise ValidationError(_("This restriction has already been lifted."))
    restriction.lifted_at, restriction.lifted_by = timezone.now(), actor
    restriction.save(update_fields=["lifted_at", "lifted_by"])
    audit.record(actor, action="restriction.lift", obj=restriction, case_id=case.pk, channel=channel,
                 legal_basis="dpo", detail={"family_member": restriction.family_member_id})
    _announce(case.pk)
    return restriction


def _announce(case_id: int) -> None:
    access_changed_on_commit([case_id])


def restricted_read(actor: User, *, restriction: ProcessingRestriction, reason: str,
                    channel: str = audit.Channel.PAGE) -> dict:
    """Read a restricted person's data for the restricting reason: the protocol items and the
    submitted written reports she entrusted (as labelled now, or first before a relabel:
    ``cases_policy.entrusted_by_any``), the agreed actions in those items, her consents and her
    access needs (from her record, as the team reads them with the conferences she is invited to:
    ``conferences_policy.access_needs_for_user``), as far as ``actor`` could read them without the
    restriction. Checks: the restriction is in force and ``actor`` is on the case's team; a reason.
    Audits ONE ``restriction.read`` event naming the ids read (``access_needs``: her record's id
    where her needs were read), its legal basis ``restriction:<id>``, and the reason in its detail."""
    reason = (reason or "").strip()
    if not access.restrictions_visible_to(actor).filter(pk=restriction.pk).exists():
        raise PermissionDenied
    if not reason:
        raise ValidationError({"reason": _("Say why you need to read this data despite the restriction.")})
    member = restriction.family_member
    hers = cases_policy.entrusted_by_any([member.pk])
    items = list(protocols_policy.protocol_items_for_user(actor, include_restricted=True).filter(hers)
                 .select_related("protocol__conference").order_by("protocol__conference__starts_at", "position", "pk"))
    actions = list(protocols_policy.actions_for_user(actor, include_restricted=True)
                   .filter(cases_policy.entrusted_by_any([member.pk], prefix="item__"))
                   .select_related("item").order_by("due_on", "pk"))
    reports = list(conferences_policy.reports_for_user(actor, include_restricted=True)
                   .filter(hers, submitted_at__isnull=False)
                   .select_related("conference", "organisation").order_by("conference__starts_at", "organisation__name", "pk"))
    consents = list(cases_policy.consents_for_user(actor, include_restricted=True).filter(given_by=member)
                    .select_related("from_organisation").prefetch_related("to_organisations", "scopes").order_by("-valid_from", "pk"))
    access_needs = _access_needs_of(actor, member)
    audit.record(actor, action="restriction.read", obj=restriction, case_id=member.case_id, channel=channel,
                 legal_basis=f"restriction:{restriction.pk}",
                 detail={"reason": reason, "family_member": member.pk, "items": [i.pk for i in items],
                         "actions": [a.pk for a in actions], "reports": [r.pk for r in reports],
                         "consents": [c.pk for c in consents], "access_needs": [member.pk] if access_needs else []})
    return {"member": member, "items": items, "actions": actions, "reports": reports, "consents": consents,
            "access_needs": access_needs}


def _access_needs_of(actor: User, member: FamilyMember) -> str:
    """``member``'s access needs as ``actor`` would read them without the restriction: the one rule
    of the conference page (``conferences_policy.access_needs_for_user``) over the conferences of
    her case ``actor`` sees; empty where that rule gives her none."""
    conferences = conferences_policy.conferences_for_user(actor).filter(case_id=member.case_id).order_by("pk")
    needs = conferences_policy.access_needs_for_user(actor, conferences, include_restricted=True)
    return next((need.text for found in needs.values() for need in found
                 if need.member is not None and need.member.pk == member.pk), "")
