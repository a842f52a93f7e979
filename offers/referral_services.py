"""Writes on requests to the central case manager and on referrals to offers.

Each function takes the acting user first, checks permission through ``offers.access``, changes
state atomically, writes an audit event (no case data in its detail) and announces the change
through ``notifications.notify`` after commit. Notifications name no person and no content.

Capacity is real: every decision that takes or frees a place locks the offer's row first
(``select_for_update``), so two people accepting the last place at the same moment are
serialised and the second one finds the offer full and lands on the waiting list.
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import policy as cases_policy
from cases import services as case_services
from cases.models import Case, CaseTeamMember, FamilyMember
from notifications.models import Kind
from notifications.services import notify
from participants.models import Organisation, User
from permissions import audit

from . import access, capacity, deadlines
from .models import CentralCaseManager, NetworkOfferSettings, Offer, Referral, SupportMessage, SupportRequest

S = Referral.Status

# The steps staff of the receiving organisation take on a referral, and the statuses each starts
# from: the one rule the services below enforce and the decision form offers (in this order).
STEPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "receive": (gettext_lazy("Confirm receipt"), (S.REQUESTED,)),
    "accept": (gettext_lazy("Accept"), Referral.OPEN_STATUSES),
    "waitlist": (gettext_lazy("Put on the waiting list"), (S.REQUESTED, S.RECEIVED)),
    "decline": (gettext_lazy("Decline"), Referral.OPEN_STATUSES),
    "start": (gettext_lazy("Help has begun"), (S.ACCEPTED,)),
    "complete": (gettext_lazy("Completed"), Referral.HOLDS_PLACE),
    "cancel": (gettext_lazy("Cancel"), (*Referral.OPEN_STATUSES, *Referral.HOLDS_PLACE)),
}


def referral_steps_possible(referral: Referral) -> list[str]:
    """The steps the referral's current status allows, in the order of ``STEPS``."""
    return [step for step, (_label, statuses) in STEPS.items() if referral.status in statuses]


def referral_steps_possible_text(referral: Referral) -> str:
    """Names the possible steps for a person who chose one that is not (or no longer) possible."""
    labels = [str(STEPS[step][0]) for step in referral_steps_possible(referral)]
    if not labels:
        return _("In its current state (%(status)s) the referral allows no further step.") % {
            "status": referral.get_status_display()}
    return _("In its current state (%(status)s) the referral allows: %(steps)s.") % {
        "status": referral.get_status_display(), "steps": ", ".join(labels)}


def _require_step(referral: Referral, step: str, message: str) -> None:
    if referral.status not in STEPS[step][1]:
        raise ValidationError([message, referral_steps_possible_text(referral)])


def _offer_staff(offer: Offer):
    return User.objects.filter(memberships__organisation_id=offer.organisation_id, memberships__is_active=True, is_active=True)


def _referral_url(referral: Referral) -> str:
    return reverse("offers:referral_detail", args=[referral.pk])


def _request_url(request: SupportRequest) -> str:
    return reverse("offers:request_detail", args=[request.pk])


def _referrers(referral: Referral) -> list[User]:
    """Who made the referral and who asked for it, as far as they still may see it (someone who
    left is not sent a link she cannot open)."""
    people = [referral.referred_by]
    if referral.support_request_id:
        people.append(referral.support_request.sender)
    return [person for person in people if access.referrals_for(person).filter(pk=referral.pk).exists()]


REFER, ATTACH, OPEN_CASE = "refer", "attach", "open_case"

# Who the client of a referral request can be in the family of a case opened from it: an adult
# who consented to the referral herself (never a child).
CLIENT_RELATIONS = (FamilyMember.Relation.MOTHER, FamilyMember.Relation.FATHER, FamilyMember.Relation.GUARDIAN,
                    FamilyMember.Relation.OTHER_RELATIVE)


def require_case_manager_of(actor: User, request: SupportRequest, *, to: str = REFER) -> CentralCaseManager:
    """Her role as the request's case manager (``access.case_manager_role_of``: she is its case
    manager and still holds that role in its network), or PermissionDenied saying who may do what
    she tried (``to``: REFER, ATTACH or OPEN_CASE). The pages ask it before they show or take a
    form, the services before they write."""
    role = access.case_manager_role_of(actor, request)
    if role is None and to == ATTACH:
        raise PermissionDenied(_("Only the case manager of this request may attach it to a case."))
    if role is None and to == OPEN_CASE:
        raise PermissionDenied(_("Only the case manager of this request may open a case from it."))
    if role is None:
        raise PermissionDenied(_("Only the case manager of this request may refer from it."))
    return role


# --- requests to the central case manager --------------------------------------------------------


@transaction.atomic
def support_request_send(
    actor: User, *, case_manager: CentralCaseManager, sender_organisation: Organisation, kind: str, situation: str,
    asked_for: str = "", client_label: str = "", consent_reference: str = "", consent_given_on: dt.date | None = None,
    consent_sender_sees_content: bool = False, consent_sender_on_team: bool = False, channel: str = audit.Channel.PAGE,
) -> SupportRequest:
    """A professional asks a central case manager of her network.

    Checks: ``actor`` actively works for ``sender_organisation``; the case manager is active,
    belongs to the same network and is not ``actor`` herself. An anonymous consultation carries no client, consent or case;
    a referral names the client (first name or initials) and the documented consent.
    Sends: a notification to the case manager."""
    if not access.works_for(actor, sender_organisation.pk):
        raise PermissionDenied(_("Only professionals of the network may send requests."))
    if (case_manager.network_id != sender_organisation.network_id
            or not access.case_manager_roles_in_force().filter(pk=case_manager.pk).exists()):
        raise ValidationError({"case_manager": _("Choose a case manager of your network.")})
    if case_manager.user_id == actor.pk:
        raise ValidationError({"case_manager": _("You cannot send a request to yourself. Choose another case manager.")})
    if kind == SupportRequest.Kind.CONSULTATION:
        client_label, consent_reference, consent_given_on = "", "", None
        consent_sender_sees_content = consent_sender_on_team = False
    elif kind == SupportRequest.Kind.REFERRAL:
        errors = {}
        if not (client_label or "").strip():
            errors["client_label"] = _("Name the client by first name or initials.")
        if not (consent_reference or "").strip() or consent_given_on is None:
            errors["consent_reference"] = _("A referral needs the client's documented consent.")
        elif consent_given_on > timezone.localdate():
            errors["consent_given_on"] = _("The consent cannot be dated in the future.")
        if errors:
            raise ValidationError(errors)
    else:
        raise ValidationError({"kind": _("Choose a consultation or a referral.")})
    if not (situation or "").strip():
        raise ValidationError({"situation": _("Describe the situation.")})
    request = SupportRequest(
        network_id=sender_organisation.network_id, kind=kind, sender=actor, sender_organisation=sender_organisation,
        case_manager=case_manager.user, situation=situation.strip(), asked_for=(asked_for or "").strip(),
        client_label=(client_label or "").strip(), consent_reference=(consent_reference or "").strip(),
        consent_given_on=consent_given_on, consent_sender_sees_content=consent_sender_sees_content,
        consent_sender_on_team=consent_sender_on_team,
    )
    request.full_clean()
    request.save()
    SupportMessage.objects.create(request=request, author=actor, text=request.situation)
    audit.record(actor, action="support_request.send", obj=request, channel=channel, detail={"kind": kind})
    notify(recipients=[case_manager.user], kind=Kind.SUPPORT_REQUEST, url=_request_url(request), exclude=actor)
    return request


@transaction.atomic
def support_request_send_on(actor: User, *, request: SupportRequest, case_manager: CentralCaseManager,
                            channel: str = audit.Channel.PAGE) -> SupportRequest:
    """Her request's case manager left (``access.case_manager_left``): the sender sends it, as she
    wrote it, to another case manager of the network, and the old conversation is closed. Nothing
    of the old conversation travels beyond her own request (it was a conversation between two).

    Checks: ``actor`` is its sender and still takes part; the request is not closed; its case
    manager holds no role in force any more; the new one passes ``support_request_send``'s checks.
    Audited as ``support_request.send_on`` on the old request (naming the new one), and as the
    new request's ``support_request.send``."""
    locked = SupportRequest.objects.select_for_update().get(pk=request.pk)
    if locked.sender_id != actor.pk or not access.may_take_part(actor, locked):
        raise PermissionDenied(_("Only the professional who sent the request may send it to another case manager."))
    if locked.status == SupportRequest.Status.CLOSED:
        raise ValidationError(_("This request is closed."))
    if not access.case_manager_left(locked):
        raise ValidationError({"case_manager": _("The case manager of this request still works in the network: "
                                                 "write to her in the conversation.")})
    sent = support_request_send(
        actor, case_manager=case_manager, sender_organisation=locked.sender_organisation, kind=locked.kind,
        situation=locked.situation, asked_for=locked.asked_for, client_label=locked.client_label,
        consent_reference=locked.consent_reference, consent_given_on=locked.consent_given_on,
        consent_sender_sees_content=locked.consent_sender_sees_content,
        consent_sender_on_team=locked.consent_sender_on_team, channel=channel)
    locked.status = SupportRequest.Status.CLOSED
    locked.save(update_fields=["status", "updated_at"])
    audit.record(actor, action="support_request.send_on", obj=locked, channel=channel, detail={"sent_as": sent.pk})
    return sent


@transaction.atomic
def support_message_add(actor: User, *, request: SupportRequest, text: str, channel: str = audit.Channel.PAGE) -> SupportMessage:
    """A reply in the conversation. Checks: ``actor`` is its sender or its case manager and still
    works there (``access.may_take_part``); the request is not closed. Sends: a notification to
    the other one, if she still takes part."""
    if not access.may_take_part(actor, request):
        raise PermissionDenied(_("Only the two people of this conversation may write in it."))
    if request.status == SupportRequest.Status.CLOSED:
        raise ValidationError(_("This request is closed."))
    if not (text or "").strip():
        raise ValidationError({"text": _("Write a message.")})
    message = SupportMessage.objects.create(request=request, author=actor, text=text.strip())
    if actor.pk == request.case_manager_id and request.status == SupportRequest.Status.OPEN:
        request.status = SupportRequest.Status.ANSWERED
        request.save(update_fields=["status", "updated_at"])
    audit.record(actor, action="support_request.message", obj=request, channel=channel)
    other = request.sender if actor.pk == request.case_manager_id else request.case_manager
    if access.may_take_part(other, request):
        notify(recipients=[other], kind=Kind.SUPPORT_REPLY, url=_request_url(request), exclude=actor)
    return message


@transaction.atomic
def support_request_close(actor: User, *, request: SupportRequest, channel: str = audit.Channel.PAGE) -> SupportRequest:
    """Either of the two closes the conversation while she still works there (its referrals go on)."""
    if not access.may_take_part(actor, request):
        raise PermissionDenied(_("Only the two people of this conversation may close it."))
    request.status = SupportRequest.Status.CLOSED
    request.save(update_fields=["status", "updated_at"])
    audit.record(actor, action="support_request.close", obj=request, channel=channel)
    return request


# --- referrals -------------------------------------------------------------------------------------


def refer_into_case_refusal(actor: User, request: SupportRequest) -> str:
    """Why ``actor`` may not refer from ``request`` because of the case it belongs to, or "" when
    she may. A referral from a request that belongs to a case belongs to that case, and the
    receiving organisation may then join the case's team on it (``referral_case_services``): only
    someone on that team refers into it. A case manager taken off the team, who reads nothing of
    the case any more, lets nobody onto it (review h7-1). The one rule for the service and the
    request page that offers the step."""
    if request.case_id is None or cases_policy.is_professional_on_case(actor, request.case):
        return ""
    return _("This request belongs to a case whose team you are not on: only the case team refers its client from it.")


@transaction.atomic
def referral_create(
    actor: User, *, offer: Offer, support_request: SupportRequest | None = None, client_label: str = "", note: str = "",
    municipality: str = "", channel: str = audit.Channel.PAGE,
) -> Referral:
    """Refer a client to an offer.

    Checks: ``actor`` is an active central case manager of the network (the request's, or the
    offer's without a request); the offer is active, visible to her and of that network, so a
    client never crosses to another network. From a request: she is its case manager, it is a
    referral with consent (an anonymous consultation cannot become a referral), and where it
    belongs to a case she is on that case's team (``refer_into_case_refusal``). Sends: a
    notification to the offer's staff."""
    if support_request is not None:
        role, network_id = require_case_manager_of(actor, support_request, to=REFER), support_request.network_id
        # its case as it stands now, not as the caller last read it (serialised with attaching it)
        support_request = SupportRequest.objects.select_for_update().get(pk=support_request.pk)
        if refer_into_case_refusal(actor, support_request):  # the page shows the same fixed text
            raise PermissionDenied(_("This request belongs to a case whose team you are not on: only the case team refers its client from it."))
    else:
        network_id = offer.organisation.network_id
        role = access.case_manager_roles(actor).filter(network_id=network_id).select_related("organisation").first()
        if role is None:
            raise PermissionDenied(_("Only a central case manager of the network refers clients to offers."))
    if offer.organisation.network_id != network_id:
        raise ValidationError({"offer": _("Choose an offer of the request's network.")})
    if not access.offers_visible_to(actor).filter(pk=offer.pk).exists():
        raise ValidationError({"offer": _("Choose an active offer of your network.")})
    if support_request is not None:
        if support_request.kind != SupportRequest.Kind.REFERRAL:
            raise ValidationError(_("An anonymous consultation cannot be referred: ask for a referral with consent."))
        client_label = client_label or support_request.client_label
        note = note or support_request.asked_for
    if not (client_label or "").strip():
        raise ValidationError({"client_label": _("Name the client by first name or initials.")})
    referral = Referral(
        offer=offer, support_request=support_request, referred_by=actor, referred_by_organisation=role.organisation,
        client_label=client_label.strip(), note=(note or "").strip(), municipality=(municipality or "").strip(),
        case=support_request.case if support_request else None,
    )
    referral.full_clean()
    referral.save()
    audit.record(actor, action="referral.create", obj=referral, case_id=referral.case_id, channel=channel,
                 detail={"offer": offer.pk})
    notify(recipients=_offer_staff(offer), kind=Kind.REFERRAL_RECEIVED, url=_referral_url(referral), exclude=actor)
    return referral


def _require_offer_staff(actor: User, referral: Referral) -> None:
    if not access.may_manage_offer(actor, referral.offer):
        raise PermissionDenied(_("Only staff of the receiving organisation answer a referral."))


def _locked(referral: Referral) -> tuple[Referral, Offer]:
    """Lock the offer row (serialises every place decision of this offer), then reload the referral."""
    offer = Offer.objects.select_for_update().get(pk=referral.offer_id)
    referral = Referral.objects.select_related("offer", "support_request").get(pk=referral.pk)
    return referral, offer


def _changed(actor: User, referral: Referral, *, action: str, channel: str, fields: list[str], detail: dict | None = None) -> None:
    referral.save(update_fields=[*fields, "updated_at"])
    audit.record(actor, action=action, obj=referral, case_id=referral.case_id, channel=channel,
                 detail={"status": referral.status, **(detail or {})})
    notify(recipients=_referrers(referral), kind=Kind.REFERRAL_STATUS, url=_referral_url(referral), exclude=actor)


@transaction.atomic
def referral_receive(actor: User, *, referral: Referral, channel: str = audit.Channel.PAGE) -> Referral:
    """The receiving organisation confirms it has the referral (requested → received)."""
    _require_offer_staff(actor, referral)
    referral, _offer = _locked(referral)
    _require_step(referral, "receive", _("This referral has already been received."))
    referral.status, referral.received_at = S.RECEIVED, timezone.now()
    _changed(actor, referral, action="referral.receive", channel=channel, fields=["status", "received_at"])
    return referral


@transaction.atomic
def referral_accept(actor: User, *, referral: Referral, answer: str = "", channel: str = audit.Channel.PAGE) -> Referral:
    """Accept: the client takes a place. When the offer is full she goes onto its waiting list
    instead (in order of arrival) and the referrer sees the expected wait. A place offered to her
    from the waiting list is hers to take. Checks: receiving staff; the referral is still open."""
    _require_offer_staff(actor, referral)
    referral, offer = _locked(referral)
    _require_step(referral, "accept", _("Only an open referral can be accepted."))
    now = timezone.now()
    referral.answer = (answer or referral.answer).strip()
    if referral.place_offered_at is not None or capacity.has_free_place(offer):
        referral.status, referral.accepted_at, referral.place_offered_at = S.ACCEPTED, now, None
        referral.answered_at = referral.answered_at or now
        referral.received_at = referral.received_at or now
        _changed(actor, referral, action="referral.accept", channel=channel,
                 fields=["status", "accepted_at", "place_offered_at", "answered_at", "received_at", "answer"])
        return referral
    if referral.status == S.WAITLISTED:
        raise ValidationError(_("No place is free yet: she stays on the waiting list."))
    return _waitlist(actor, referral, now=now, channel=channel, detail={"reason": "full"})


def _waitlist(actor: User, referral: Referral, *, now, channel: str, detail: dict | None = None) -> Referral:
    referral.status, referral.waitlisted_at = S.WAITLISTED, now
    referral.answered_at = referral.answered_at or now
    referral.received_at = referral.received_at or now
    _changed(actor, referral, action="referral.waitlist", channel=channel,
             fields=["status", "waitlisted_at", "answered_at", "received_at", "answer"], detail=detail)
    return referral


@transaction.atomic
def referral_waitlist(actor: User, *, referral: Referral, answer: str = "", channel: str = audit.Channel.PAGE) -> Referral:
    """Put the client onto the waiting list (at its end)."""
    _require_offer_staff(actor, referral)
    referral, _offer = _locked(referral)
    _require_step(referral, "waitlist", _("Only a new referral can be put on the waiting list."))
    referral.answer = (answer or referral.answer).strip()
    return _waitlist(actor, referral, now=timezone.now(), channel=channel)


@transaction.atomic
def referral_decline(actor: User, *, referral: Referral, reason: str, channel: str = audit.Channel.PAGE) -> Referral:
    """Decline with a reason (the referrer sees that it was declined). Frees an offered place."""
    _require_offer_staff(actor, referral)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give a reason for declining.")})
    referral, offer = _locked(referral)
    _require_step(referral, "decline", _("Only an open referral can be declined."))
    had_place = referral.place_offered_at is not None
    now = timezone.now()
    referral.status, referral.decline_reason, referral.closed_at, referral.place_offered_at = S.DECLINED, reason.strip(), now, None
    referral.answered_at = referral.answered_at or now
    _changed(actor, referral, action="referral.decline", channel=channel,
             fields=["status", "decline_reason", "closed_at", "place_offered_at", "answered_at"])
    if had_place:
        _offer_next_place(actor, offer, channel=channel)
    return referral


@transaction.atomic
def referral_start(actor: User, *, referral: Referral, channel: str = audit.Channel.PAGE) -> Referral:
    """The help has begun (accepted → in progress)."""
    _require_offer_staff(actor, referral)
    referral, _offer = _locked(referral)
    _require_step(referral, "start", _("Only an accepted referral can start."))
    referral.status = S.IN_PROGRESS
    _changed(actor, referral, action="referral.start", channel=channel, fields=["status"])
    return referral


@transaction.atomic
def referral_close(actor: User, *, referral: Referral, outcome: str, reason: str = "", channel: str = audit.Channel.PAGE) -> Referral:
    """Complete or cancel. Staff of the offer complete or cancel; the referring case manager may
    cancel. A place that is freed is offered to the next person on the waiting list at once."""
    if outcome not in (S.COMPLETED, S.CANCELLED):
        raise ValidationError({"outcome": _("Choose completed or cancelled.")})
    is_staff = access.may_manage_offer(actor, referral.offer)
    if not is_staff and not (outcome == S.CANCELLED and access.is_active_referrer(actor, referral)):
        raise PermissionDenied(_("Only staff of the receiving organisation answer a referral."))
    referral, offer = _locked(referral)
    _require_step(referral, "complete" if outcome == S.COMPLETED else "cancel",
                  _("This referral cannot be closed that way in its current state."))
    frees = referral.status in Referral.HOLDS_PLACE or referral.place_offered_at is not None
    referral.status, referral.closed_at, referral.place_offered_at = outcome, timezone.now(), None
    if reason:
        referral.decline_reason = reason.strip()
    _changed(actor, referral, action=f"referral.{outcome}", channel=channel,
             fields=["status", "closed_at", "place_offered_at", "decline_reason"])
    if frees and offer.capacity_unit == Offer.CapacityUnit.CONCURRENT:
        _offer_next_place(actor, offer, channel=channel)
    return referral


def _offer_next_place(actor: User, offer: Offer, *, channel: str) -> Referral | None:
    """Offer a freed place to the first person waiting (the caller holds the offer's lock)."""
    if not capacity.has_free_place(offer):
        return None
    nxt = capacity.waiting_list(offer).filter(place_offered_at__isnull=True).select_related("support_request").first()
    if nxt is None:
        return None
    nxt.place_offered_at = timezone.now()
    nxt.save(update_fields=["place_offered_at", "updated_at"])
    audit.record(actor, action="referral.place_offered", obj=nxt, case_id=nxt.case_id, channel=channel)
    notify(recipients=[*_offer_staff(offer), *_referrers(nxt)], kind=Kind.PLACE_FREED, url=_referral_url(nxt))
    return nxt


def referrals_flag_unanswered(*, now: dt.datetime | None = None) -> int:
    """Flag referrals still unanswered after the network's number of working days (its public
    holidays do not count) and notify their senders (each referral once). Run daily
    (``manage.py flag_unanswered_referrals``)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    settings_by_network = dict(NetworkOfferSettings.objects.values_list("network_id", "referral_answer_working_days"))
    flagged = 0
    candidates = Referral.objects.filter(status__in=[S.REQUESTED, S.RECEIVED], overdue_flagged_at__isnull=True,
                                         ).select_related("offer__organisation__network", "support_request")
    for referral in candidates.iterator(chunk_size=500):
        network = referral.offer.organisation.network
        limit = settings_by_network.get(network.pk, deadlines.DEFAULT_ANSWER_WORKING_DAYS)
        if today <= deadlines.answer_due_on(referral, network=network, working_days=limit):
            continue
        with transaction.atomic():
            referral.overdue_flagged_at = now
            referral.save(update_fields=["overdue_flagged_at", "updated_at"])
            audit.record(None, action="referral.flag_unanswered", obj=referral, case_id=referral.case_id,
                         channel=audit.Channel.TASK)
            notify(recipients=_referrers(referral), kind=Kind.REFERRAL_UNANSWERED, url=_referral_url(referral),
                   event_key=f"referral:{referral.pk}:unanswered")
        flagged += 1
    return flagged


def _unattached(request: SupportRequest, *, field: str | None = None) -> SupportRequest:
    """The request, locked, as long as neither it nor any of its referrals belongs to a case yet;
    else a ValidationError (on ``field`` where a form names one).

    A request belongs to the family of the case it was attached to or opened as, and so do its
    referrals (the receiving organisation may have attached one on its own): moving them to
    another case would carry the first family's referrals and consent to another family, and let
    the receiving organisation join that family's case team on them."""
    locked = SupportRequest.objects.select_for_update().get(pk=request.pk)
    message = request_case_refusal(locked)
    if not message:
        return locked
    raise ValidationError({field: message} if field else message)


def request_case_refusal(request: SupportRequest) -> str:
    """Why the request can no longer be attached to a case or open one ("" while it can): it, or
    one of its referrals, belongs to a case already (``_unattached``). The one rule for the
    services and the request page, which says this instead of offering a step that is refused."""
    if request.case_id is not None:
        return _("This request already belongs to a case.")
    if request.referrals.filter(case__isnull=False).exists():
        return _("A referral of this request already belongs to a case.")
    return ""


def request_attachable_cases(actor: User, request: SupportRequest):
    """The cases the request's case manager may attach it to: open cases of the request's network
    on whose team she is in her own right (``cases_policy.own_case_ids``): not one she reads only
    as a colleague's substitute, as for the referral attach list (review H7-3), since attaching ties
    the family's referrals to that case and lets their receiving organisations join its team. A
    closed case is not offered: nobody would join its team on the request's referrals or through
    its consent, so attaching to it would only tie the family's referrals to a case that takes
    nobody in. The one list for the page and the service."""
    return (Case.objects.filter(pk__in=cases_policy.own_case_ids(actor), network_id=request.network_id)
            .exclude(status=Case.Status.CLOSED).order_by("reference"))


@transaction.atomic
def support_request_attach_case(actor: User, *, request: SupportRequest, case, channel: str = audit.Channel.PAGE) -> bool:
    """Attach a referral request (and its referrals) to an existing case of the network.

    Checks: ``actor`` is the request's case manager, still holds that role in its network, and is
    on the case's team; the request is a referral with consent and neither it nor any of its
    referrals belongs to a case yet (a request stays with the case it was attached to or opened
    as); the case is open and belongs to the request's network (``request_attachable_cases``). Where the consent allows the referring
    professional on the case team and the actor may convene the case, she is added to the team
    (returns True); otherwise the team is left as it is (returns False)."""
    require_case_manager_of(actor, request, to=ATTACH)
    if request.kind != SupportRequest.Kind.REFERRAL:
        raise ValidationError(_("An anonymous consultation cannot be referred: ask for a referral with consent."))
    request = _unattached(request, field="case")
    if not request_attachable_cases(actor, request).filter(pk=case.pk).exists():
        raise ValidationError({"case": _("Choose an open case of your network on whose team you are.")})
    request.case = case
    request.save(update_fields=["case", "updated_at"])
    request.referrals.filter(case__isnull=True).update(case=case)  # never moves one off another case
    audit.record(actor, action="support_request.attach_case", obj=request, case_id=case.pk, channel=channel)
    if not (request.consent_sender_on_team and cases_policy.can_convene(actor, case)):
        return False
    if not access.may_take_part(request.sender, request):
        return False  # she no longer works for the organisation she asked for
    if case.team.filter(removed_at__isnull=True, user=request.sender, organisation=request.sender_organisation).exists():
        return False
    member = case_services.case_team_member_add(actor, case=case, organisation=request.sender_organisation,
                                                user=request.sender, channel=channel)
    tell_the_lead(actor, case, member)
    return True


def tell_the_lead(actor: User, case, member: CaseTeamMember | None) -> None:
    """The case's lead caseworker learns that someone joined her case's team through a referral or
    a request to the central case manager (not when she acted herself). The notification names
    the case's pseudonymous reference and opens the case page; nothing of the client or referral."""
    if member is None or case.lead_caseworker_id is None:
        return
    notify(recipients=[case.lead_caseworker], kind=Kind.TEAM_JOINED_BY_REFERRAL, case=case,
           url=reverse("cases:case_detail", args=[case.pk]), event_key=f"team-member:{member.pk}:joined", exclude=actor)


@transaction.atomic
def support_request_open_case(actor: User, *, request: SupportRequest, reference: str, expected_child: bool = False,
                              client_relation: str = FamilyMember.Relation.MOTHER, channel: str = audit.Channel.PAGE):
    """The central case manager turns a referral request into a new case, led by her for the
    organisation her network named her at; the request and its referrals belong to it.

    The request's client becomes the family member the case starts with: what the request holds
    of her (her first name or initials), as ``client_relation`` (one of ``CLIENT_RELATIONS``; the
    client of a referral is, in this network's work, mostly the pregnant woman or young mother),
    recorded and audited through ``family_member_add``. Nothing else of the request is copied.

    Checks: ``actor`` is the request's case manager and still holds that role in its network;
    the request is a referral with the client's documented consent, and neither it nor any of its
    referrals belongs to a case yet; ``case_open`` checks the reference. The referring
    professional joins the team only where the consent allows it, in the case role her own
    professional role gives her (``case_services.default_case_role``, as when added by hand)."""
    role = require_case_manager_of(actor, request, to=OPEN_CASE)
    if request.kind != SupportRequest.Kind.REFERRAL:
        raise ValidationError(_("An anonymous consultation cannot be referred: ask for a referral with consent."))
    if client_relation not in CLIENT_RELATIONS:
        raise ValidationError({"client_relation": _("Choose who the client is in the family.")})
    request = _unattached(request)
    case = case_services.case_open(actor, lead_organisation=role.organisation, reference=reference,
                                   expected_child=expected_child, any_role=True, channel=channel)
    request.case = case
    request.save(update_fields=["case", "updated_at"])
    request.referrals.filter(case__isnull=True).update(case=case)  # never moves one off another case
    audit.record(actor, action="support_request.open_case", obj=request, case_id=case.pk, channel=channel)
    case_services.family_member_add(actor, case=case, relation=client_relation, display_name=request.client_label,
                                    channel=channel)
    if request.consent_sender_on_team and access.may_take_part(request.sender, request):  # not if she has left
        # in the role a caseworker adding her by hand gives her by default (``default_case_role``)
        case_services.case_team_member_add(actor, case=case, organisation=request.sender_organisation, user=request.sender,
                                           channel=channel)
    return case
