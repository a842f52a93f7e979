"""Every write to protocols, items, agreed actions and their workflow.

Each service takes the acting user first, checks permission through the policy (``cases.policy``, ``protocols.policy``),
refuses any write to a final protocol (so page, API, websocket and admin all refuse alike),
writes its audit event with the channel it came through, and queues the live event for the
protocol's channel-layer group with ``transaction.on_commit`` (``protocols.live``). The event
carries the item and who may read it; each socket decides for its own user before it sends
anything (in memory where the audience decides, through the policy for consent-bound items).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from typing import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _, ngettext

from cases import policy as cases_policy
from cases.models import Case, CaseTeamMember, FamilyMember, InformationCategory
from conferences import policy as conferences_policy
from conferences.models import Conference, Invitation
from notifications.models import Notification
from outbox.models import Kind as MailKind
from outbox.services import mail_queue
from participants import language, policy as participants_policy
from participants.models import Membership, Organisation, User
from participants import working_days
from permissions import conflicts, dates, jobs, policy
from permissions.audit import Channel, joined_bases, record
from protocols import announce, live, rules, sanitize
from protocols import policy as protocols_policy
from protocols.rules import conference_day, draft_release_due_on
from protocols.selectors import OPEN_STATES, actions_named_for, protocol_payload, protocols_for_user, responsible_label
from protocols.models import (
    Acknowledgement, ActionNote, AgreedAction, Amendment, Audience, CorrectionProposal, Protocol, ProtocolItem,
)

logger = logging.getLogger(__name__)

REVIEW_OUTCOMES = ("done", "continued", "dropped")


def _version_conflict(current: ProtocolItem | AgreedAction) -> conflicts.EditConflict:
    """``EditConflict`` for a save of an item or an action based on an outdated version, carrying
    ``current`` as it now stands, in the words the live editor shows beside the current text."""
    return conflicts.EditConflict(
        current, _("Someone else changed this in the meantime. Your text was not saved; the current text is shown."))


# --- helpers --------------------------------------------------------------------------------

def group_name(protocol_id: int) -> str:
    return live.group_name(protocol_id)


def send_event_on_commit(protocol_id: int, event: dict) -> None:
    """Queue a live event for everyone connected to the protocol, after the transaction commits.
    ``item.changed`` and ``protocol.changed`` are completed with what the sockets need to decide
    for their users without asking the database again (see ``protocols.live``)."""
    if event["type"] == "item.changed":
        live.item_changed_on_commit(protocol_id, event["item_id"])
        return

    def _send() -> None:
        payload = dict(event)
        if event["type"] == "protocol.changed":
            protocol = Protocol.objects.filter(pk=protocol_id).first()
            if protocol is None:
                return
            payload["protocol"] = protocol_payload(protocol)
        live.send_to_protocols([protocol_id], payload)

    transaction.on_commit(_send)


def add_working_days(start: dt.date, days: int, network=None) -> dt.date:
    """``days`` working days after ``start``: without the network's public holidays when given."""
    return working_days.add_working_days(start, days, network=network)


def is_convenor(user, protocol: Protocol) -> bool:
    return cases_policy.can_convene(user, protocol.conference.case)


def can_write_items(user, protocol: Protocol) -> bool:
    """The convenor; the minute-taker named for the protocol while she is on the case team; a
    delegated minute-taker while she is on the team as she was when the minutes were delegated to
    her (``protocols_policy.delegated_protocol_ids``). The page, the API and the live channel all
    ask this before every write."""
    case = protocol.conference.case
    if is_convenor(user, protocol):
        return True
    if not policy._is_real_user(user) or case.status == case.Status.CLOSED:
        return False  # a closed case's minutes are written no more, as it is convened no more
    if protocol.minute_taker_id == user.pk and cases_policy.is_professional_on_case(user, case):
        return True
    return protocols_policy.delegated_protocol_ids(user).filter(content_object_id=protocol.pk).exists()


def _locked_protocol(protocol_id: int) -> Protocol:
    return Protocol.objects.select_for_update(of=("self",)).select_related("conference__case__network").get(pk=protocol_id)


def _refuse_final(protocol: Protocol) -> None:
    if protocol.is_final:
        raise ValidationError(_("This protocol is final and locked. Add an amendment instead."), code="final")


def _refuse_unless_draft(protocol: Protocol) -> None:
    _refuse_final(protocol)
    if protocol.status != Protocol.Status.DRAFT:
        raise ValidationError(_("The draft has been released. Propose a correction instead."), code="released")


def _require_item_writer(actor, protocol: Protocol) -> None:
    if not can_write_items(actor, protocol):
        raise PermissionDenied(_("Only the convenor or the minute-taker writes the protocol."))


def _require_convenor(actor, protocol: Protocol) -> None:
    if not is_convenor(actor, protocol):
        raise PermissionDenied(_("Only the convenor may do this."))


def _audit(actor, event: str, obj, protocol: Protocol, channel: str, **detail) -> None:
    record(actor, action=event, obj=obj, case_id=protocol.conference.case_id, channel=channel, detail=detail)


def _validate_audience(protocol: Protocol, audience: str, restricted_to: Iterable[Organisation],
                       holding_organisation: Organisation | None, category: str,
                       entrusted_by: FamilyMember | None) -> list[Organisation]:
    """Field-level errors for a restricted audience: organisations and holder on the case team, a
    category of the fixed list, the person who entrusted it a member of this family."""
    if audience not in Audience.values:
        raise ValidationError({"audience": _("Choose an audience.")})
    orgs = list(restricted_to or [])
    if audience != Audience.RESTRICTED:
        return []
    errors = {}
    case_id = protocol.conference.case_id
    team_orgs = set(CaseTeamMember.objects.filter(case_id=case_id, removed_at__isnull=True).values_list("organisation_id", flat=True))
    if holding_organisation is None:
        errors["holding_organisation"] = _("Name the organisation holding the information.")
    elif holding_organisation.pk not in team_orgs:
        errors["holding_organisation"] = _("The organisation holding the information must be on the case team.")
    if not category:
        errors["category"] = _("Choose the information category.")
    elif category not in InformationCategory.values:
        errors["category"] = _("Choose one of the information categories.")
    if not orgs:
        errors["restricted_to"] = _("Name at least one organisation that may read the item.")
    elif any(o.pk not in team_orgs for o in orgs):
        errors["restricted_to"] = _("Only organisations on the case team can be named.")
    if entrusted_by is not None and entrusted_by.case_id != case_id:
        errors["entrusted_by"] = _("The person who entrusted the information must belong to this case.")
    if errors:
        raise ValidationError(errors)
    return orgs


def audience_from_ids(protocol: Protocol, *, restricted_to: list[int] | None = None,
                      holding_organisation: int | None = None, entrusted_by: int | None = None) -> dict:
    """Turn the ids that the API or the socket sent into the objects ``item_create`` and
    ``item_update`` take; only the keys given come back. An id that does not exist gets the same
    field error as one outside the case (nothing is learnt about other cases)."""
    case_id = protocol.conference.case_id
    errors, values = {}, {}
    if restricted_to is not None:
        wanted = set(restricted_to)
        orgs = list(Organisation.objects.filter(pk__in=wanted).order_by("pk"))
        values["restricted_to"] = orgs
        if len(orgs) != len(wanted):
            errors["restricted_to"] = _("Only organisations on the case team can be named.")
    if holding_organisation is not None:
        values["holding_organisation"] = Organisation.objects.filter(pk=holding_organisation).first()
        if values["holding_organisation"] is None:
            errors["holding_organisation"] = _("The organisation holding the information must be on the case team.")
    if entrusted_by is not None:
        values["entrusted_by"] = FamilyMember.objects.filter(pk=entrusted_by, case_id=case_id).first()
        if values["entrusted_by"] is None:
            errors["entrusted_by"] = _("The person who entrusted the information must belong to this case.")
    if errors:
        raise ValidationError(errors)
    return values


def _next_position(protocol: Protocol) -> int:
    return (protocol.items.aggregate(m=Max("position"))["m"] or 0) + 1


# --- opening the protocol ------------------------------------------------------------------

def previous_open_actions(conference: Conference):
    """Open actions of the case agreed in earlier conferences (carried over for review)."""
    return (
        AgreedAction.objects.filter(case_id=conference.case_id, status__in=OPEN_STATES)
        .exclude(item__protocol__conference_id=conference.pk)
        .select_related("item")
        .prefetch_related("item__restricted_to")
        .order_by("due_on", "pk")
    )


def substitute_minute_taker_refusal() -> str:
    return _("You convene this case only as a substitute: you cannot name yourself as minute-taker. "
             "Name another professional on the case team.")


def refuse_substitute_naming_herself(actor, case, minute_taker) -> None:
    """Someone who convenes the case only as a colleague's substitute
    (``cases_policy.convenes_in_own_right``) names others as minute-taker, never herself: a
    minute-taker writes the minutes while she is on the team by any row (``can_write_items``), so
    with a seat of her own for another organisation, or a delegation grant
    (``access.grant_services.minute_taker_delegate``), her writing would outlast the substitute
    grant. (The minute-taker is always a person, never an organisation.)"""
    if (minute_taker is not None and minute_taker.pk == actor.pk
            and not cases_policy.convenes_in_own_right(actor, case)):
        raise ValidationError({"minute_taker": substitute_minute_taker_refusal()})


@transaction.atomic
def protocol_open(actor, *, conference: Conference, minute_taker=None, channel: str = Channel.PAGE) -> Protocol:
    """Open the one protocol of a conference. Checks: the actor convenes the case; the conference
    is scheduled or held and starts within the hour or has started (``rules.open_refusal``); no
    protocol exists yet; the minute-taker is a professional on the case team, and not the actor
    where she convenes only as a substitute (``refuse_substitute_naming_herself``). Without one
    named, the actor takes the minutes - except a substitute: then nobody is named yet (she
    writes as the convenor while her grant lasts; the attendance form names the minute-taker).
    The agenda is the open actions of earlier
    conferences (for review, each with its original item's audience) and the network's standard
    items. Sends nothing live (nobody can be connected before it exists)."""
    conference = Conference.objects.select_for_update(of=("self",)).select_related("case__network").get(pk=conference.pk)
    if not cases_policy.can_convene(actor, conference.case):
        raise PermissionDenied(_("Only the convenor opens the protocol."))
    refusal = rules.open_refusal(conference)
    if refusal:
        raise ValidationError(refusal, code="not_yet")
    if Protocol.objects.filter(conference=conference).exists():
        raise ValidationError(_("This conference already has its protocol."))
    if minute_taker is not None and not cases_policy.is_professional_on_case(minute_taker, conference.case):
        raise ValidationError({"minute_taker": _("The minute-taker must be a professional on the case team.")})
    refuse_substitute_naming_herself(actor, conference.case, minute_taker)
    if minute_taker is None and cases_policy.convenes_in_own_right(actor, conference.case):
        minute_taker = actor
    protocol = Protocol.objects.create(conference=conference, minute_taker=minute_taker)
    position = 0
    for action in previous_open_actions(conference):
        position += 1
        source = action.item
        item = ProtocolItem.objects.create(
            protocol=protocol, position=position, kind=ProtocolItem.Kind.CARRY_OVER,
            title=(_("Review: %(title)s") % {"title": action.title})[:200],
            text=sanitize.clean_input(action.description), audience=source.audience,
            holding_organisation=source.holding_organisation, entrusted_by=source.entrusted_by,
            category=source.category, reviewed_action=action, created_by=actor,
            # the labels it was first entrusted under travel with it (ProtocolItem.first_category)
            first_holding_organisation=source.first_holding_organisation, first_entrusted_by=source.first_entrusted_by,
            first_category=source.first_category,
        )
        if source.audience == Audience.RESTRICTED:
            item.restricted_to.set(source.restricted_to.all())
    for title in conference.case.network.guideline_items or []:
        position += 1
        ProtocolItem.objects.create(
            protocol=protocol, position=position, kind=ProtocolItem.Kind.GUIDELINE, title=str(title)[:200],
            audience=Audience.PROFESSIONALS, created_by=actor,
        )
    record(actor, action="protocol.open", obj=protocol, case_id=conference.case_id, channel=channel,
           detail={"conference": conference.pk, "carried_over": position - len(conference.case.network.guideline_items or [])})
    return protocol


# --- items ----------------------------------------------------------------------------------

@transaction.atomic
def item_create(actor, *, protocol: Protocol, title: str, text: str = "", audience: str = Audience.PROFESSIONALS,
                restricted_to: Iterable[Organisation] = (), holding_organisation: Organisation | None = None,
                category: str = "", entrusted_by: FamilyMember | None = None,
                confirm_hidden: bool | None = None, channel: str = Channel.PAGE) -> ProtocolItem:
    """Add an item. Checks: convenor or minute-taker; protocol still a draft; audience valid;
    with ``confirm_hidden=False`` (the page), an item its writer could not read afterwards is
    refused with code ``would_hide`` until she confirms. Sends ``item.changed``."""
    protocol = _locked_protocol(protocol.pk)
    _require_item_writer(actor, protocol)
    _refuse_unless_draft(protocol)
    title = sanitize.clean_input(title)[:200]
    if not title:
        raise ValidationError({"title": _("Give the item a title.")})
    orgs = _validate_audience(protocol, audience, restricted_to, holding_organisation, category, entrusted_by)
    restricted = audience == Audience.RESTRICTED
    item = ProtocolItem.objects.create(
        protocol=protocol, position=_next_position(protocol), kind=ProtocolItem.Kind.FREE, title=title,
        text=sanitize.clean_input(text), audience=audience,
        holding_organisation=holding_organisation if restricted else None,
        category=category if restricted else "", entrusted_by=entrusted_by if restricted else None, created_by=actor,
    )
    item.restricted_to.set(orgs)
    _refuse_hiding_from_writer(actor, item, confirm_hidden)
    _audit(actor, "protocol.item.create", item, protocol, channel, audience=audience)
    send_event_on_commit(protocol.pk, {"type": "item.changed", "item_id": item.pk})
    return item


_UNSET = object()


class WouldHideFromWriter(ValidationError):
    """The item, as it would be saved, is one its writer may not read."""

    def __init__(self):
        super().__init__(_(
            "After saving you will no longer be able to read or change this item: a restricted item is open "
            "to the organisation that holds the information, and to the organisations it names only while a "
            "consent or another legal basis covers them; neither lets you read it. Check the audience and who "
            "holds the information, record the consent on the case page first, or confirm that you want to "
            "save it like this."), code="would_hide")


def _refuse_hiding_from_writer(actor, item: ProtocolItem, confirm_hidden: bool | None) -> None:
    """Raised inside the service's transaction, so nothing is saved until she confirms."""
    if confirm_hidden is False and not protocols_policy.protocol_items_for_user(actor).filter(pk=item.pk).exists():
        raise WouldHideFromWriter()


@transaction.atomic
def item_update(actor, *, item: ProtocolItem, version: int, title: str | None = None, text: str | None = None,
                audience: str | None = None, restricted_to: Iterable[Organisation] | None = None,
                holding_organisation=_UNSET, category: str | None = None, entrusted_by=_UNSET,
                confirm_hidden: bool | None = None, channel: str = Channel.PAGE) -> ProtocolItem:
    """Change an item's title, text and/or audience, based on ``version``.

    Checks: convenor or minute-taker; protocol still a draft; ``version`` is the current one —
    otherwise ``EditConflict`` carrying the item as it stands, and nothing changes.
    Sends ``item.changed``; sockets that lose access by a narrower audience get ``item_removed``.
    """
    # One statement: the protocol's row locked (every writer of an item locks its protocol first,
    # so item writes are serialised by that lock) and the item read with it. Where the lock had to
    # wait for another writer, the item's columns may be those from before that writer's commit
    # (PostgreSQL re-reads only the locked row): the UPDATE below, guarded by ``version``, then
    # changes nothing and she gets the conflict with the item as it now stands.
    current = (ProtocolItem.objects.select_for_update(of=("protocol",))
               .select_related("protocol__conference__case__network", "holding_organisation").get(pk=item.pk))
    protocol = current.protocol
    audience_only = title is None and text is None and audience is not None
    permitted = can_write_items(actor, protocol) or (audience_only and holder_on_team(actor, current, protocol))
    if (audience_only and not (permitted and protocol.status == Protocol.Status.DRAFT)
            and holder_may_narrow(actor, current)):
        # After the draft (or on an item open to everyone), the holder still narrows it: one path
        # for the page, the API and the live channel, which all come through here.
        return _narrow(actor, current, protocol, version=version, audience=audience, restricted_to=restricted_to,
                       holding_organisation=holding_organisation, category=category, entrusted_by=entrusted_by,
                       channel=channel)
    if not permitted:
        raise PermissionDenied(_("Only the convenor or the minute-taker writes the protocol."))
    _refuse_unless_draft(protocol)
    if int(version) != current.version:
        # Read again: ``current`` may be from before a writer whose commit the lock waited for.
        raise _version_conflict(ProtocolItem.objects.select_related("holding_organisation").get(pk=current.pk))
    changes: dict = {}
    if title is not None:
        cleaned = sanitize.clean_input(title)[:200]
        if not cleaned:
            raise ValidationError({"title": _("Give the item a title.")})
        changes["title"] = cleaned
    if text is not None:
        changes["text"] = sanitize.clean_input(text)
    orgs = None
    disclosure = None
    if audience is not None:
        holder = current.holding_organisation if holding_organisation is _UNSET else holding_organisation
        entruster = current.entrusted_by if entrusted_by is _UNSET else entrusted_by
        cat = current.category if category is None else category
        orgs_in = list(current.restricted_to.all()) if restricted_to is None else list(restricted_to)
        orgs = _validate_audience(protocol, audience, orgs_in, holder, cat, entruster)
        if audience == Audience.RESTRICTED:
            changes.update(audience=audience, holding_organisation=holder, category=cat, entrusted_by=entruster)
            changes.update(_first_labels(current, holder, entruster, cat))
        else:
            # Leaving "restricted" keeps who holds and who entrusted it: widening further (to the
            # parents) stays the holder's decision and still knows whose information it is. A
            # non-restricted item's holder is never changed by naming another one here.
            errors = {}
            if holding_organisation not in (_UNSET, None) and holding_organisation.pk != current.holding_organisation_id:
                errors["holding_organisation"] = _("Only a restricted item names the organisation holding it; "
                                                   "restrict the item to name another one.")
            if entrusted_by not in (_UNSET, None) and entrusted_by.pk != current.entrusted_by_id:
                errors["entrusted_by"] = _("Only a restricted item names who entrusted it; restrict the item to name someone.")
            if errors:
                raise ValidationError(errors)
            holder, entruster, cat = current.holding_organisation, current.entrusted_by, current.category
            changes.update(audience=audience)
        disclosure = _check_disclosure(actor, current, protocol, audience=audience, orgs=orgs, holder=holder,
                                       category=cat, entruster=entruster)
    copies = []
    if orgs is not None:
        after = _item_as(current, changes)
        copies = _copies_narrowed(current, after, {o.pk for o in orgs})
        _refuse_parents_losing_open_actions(actor, [(current, after)] + [(c, a) for c, a, _o in copies])
    now = timezone.now()
    updated = ProtocolItem.objects.filter(pk=current.pk, version=current.version).update(
        version=F("version") + 1, updated_at=now, **changes
    )
    if not updated:  # changed by a writer whose commit the protocol's lock waited for (see above)
        raise _version_conflict(ProtocolItem.objects.get(pk=current.pk))
    # The row is locked and was just written with these values: set them here instead of reading
    # the row back (one statement less on the path every live edit waits for).
    for name, value in changes.items():
        setattr(current, name, value)
    current.version, current.updated_at = current.version + 1, now
    if orgs is not None:
        current.restricted_to.set(orgs)
    _refuse_hiding_from_writer(actor, current, confirm_hidden)
    _audit(actor, "protocol.item.update", current, protocol, channel, fields=sorted(changes), version=current.version)
    _narrow_copies(actor, current, copies, channel)
    if disclosure is not None:
        record(actor, action="protocol.item.disclose", obj=current, case_id=protocol.conference.case_id, channel=channel,
               legal_basis=disclosure.get("legal_basis") or joined_bases(disclosure["bases"].values()),
               detail=disclosure["detail"])
    # Built now, from the row as this transaction writes it (locked until the commit): after the
    # commit the event need not read the item again, on the path every live edit waits for.
    current.protocol = protocol
    live.send_on_commit(protocol.pk, live.item_event_of(current))
    return current


def reading_organisation_ids(item: ProtocolItem) -> set[int]:
    """The organisations that read a restricted item by its labels: those named and its holder
    (consents and legal bases aside, which the policy adds per reader)."""
    return set(item.restricted_to.values_list("pk", flat=True)) | ({item.holding_organisation_id} - {None})


def holding_organisation_ids(item: ProtocolItem, protocol: Protocol) -> set[int]:
    """Who holds an item, that is, who decides whether more people may read it.

    A restricted item names its holder; an item that was restricted keeps it after it was
    widened. An item written for all professionals without one is held by the organisation(s)
    through which its author sits on the case team – the one that put it in front of the team –
    and, when the author has left the team, by the case's lead organisation. A carried-over item
    (``protocol_open``) is held as its source is, the item of the action it reviews: it repeats
    that item's action, and the convenor who opened the next protocol did not write it (review
    h12, H12-9)."""
    holder, author_id = _held_as([item])[item.pk]
    if holder:
        return {holder}
    case = protocol.conference.case
    team = CaseTeamMember.objects.filter(case_id=case.pk, removed_at__isnull=True)
    authors = set(team.filter(organisation_id__in=Membership.objects.filter(
        user_id=author_id, is_active=True, organisation__is_active=True).values("organisation_id"))
                  .values_list("organisation_id", flat=True))
    return authors or {case.lead_organisation_id}


def _held_as(items: Iterable[ProtocolItem]) -> dict[int, tuple[int | None, int]]:
    """For each of ``items``: the holding organisation and the author that decide who holds it
    (``holding_organisation_ids``). Its own, except for a carried-over item without a holder: its
    source's, the item of the action it reviews, followed to the item the chain started from (an
    action agreed inside a carried-over item is carried over in turn). Read when asked, so the
    copy follows its source's holder as it stands. One query per step of the chains, not per item."""
    held: dict[int, tuple[int | None, int]] = {}
    pending: dict[int, int] = {}  # item -> the action whose item decides
    for item in items:
        if item.holding_organisation_id or item.reviewed_action_id is None:
            held[item.pk] = (item.holding_organisation_id, item.created_by_id)
        else:
            pending[item.pk] = item.reviewed_action_id
    while pending:
        sources = {row[0]: row[1:] for row in AgreedAction.objects.filter(pk__in=set(pending.values())).values_list(
            "pk", "item__holding_organisation_id", "item__created_by_id", "item__reviewed_action_id")}
        following: dict[int, int] = {}
        for pk, action_id in pending.items():
            holder, author_id, reviewed = sources[action_id]
            if holder or reviewed is None:
                held[pk] = (holder, author_id)
            else:
                following[pk] = reviewed
        pending = following
    return held


def holder_on_team(actor, item: ProtocolItem, protocol: Protocol) -> bool:
    """A professional on the case team FOR the organisation holding the item (see
    ``holding_organisation_ids``): a second membership at the holder does not make her speak for
    it where she is on the team for another organisation (``cases_policy.team_organisation_ids``).
    An item open to everyone has nothing left to disclose."""
    if item.audience == Audience.EVERYONE:
        return False
    return cases_policy.team_organisation_ids(actor, protocol.conference.case).filter(
        organisation_id__in=holding_organisation_ids(item, protocol)).exists()


def items_held_by(actor, protocol: Protocol, items: Iterable[ProtocolItem]) -> set[int]:
    """Ids of ``items`` (not open to everyone) whose holding organisation ``actor`` works for on the
    case team – the same answer as ``holder_on_team`` per item, in four queries for the page."""
    return _items_of_holder(actor, protocol, [i for i in items if i.audience != Audience.EVERYONE])


def _items_of_holder(actor, protocol: Protocol, items: list[ProtocolItem]) -> set[int]:
    """Ids of ``items`` whose holding organisation (``holding_organisation_ids``) ``actor`` is on the
    case team for, in four queries whatever their number."""
    case = protocol.conference.case
    if not items or not cases_policy.is_professional_on_case(actor, case):
        return set()
    mine = set(cases_policy.team_organisation_ids(actor, case).values_list("organisation_id", flat=True))
    team = set(CaseTeamMember.objects.filter(case_id=case.pk, removed_at__isnull=True).values_list("organisation_id", flat=True))
    author_orgs: dict[int, set[int]] = {}
    held_as = _held_as(items)
    authors = {author for holder, author in held_as.values() if not holder}
    for user_id, org_id in Membership.objects.filter(user_id__in=authors, is_active=True, organisation__is_active=True,
                                                     organisation_id__in=team).values_list("user_id", "organisation_id"):
        author_orgs.setdefault(user_id, set()).add(org_id)
    held = set()
    for item in items:
        holder, author = held_as[item.pk]
        holders = {holder} if holder else (author_orgs.get(author) or {case.lead_organisation_id})
        if holders & mine:
            held.add(item.pk)
    return held


def may_change_audience(actor, item: ProtocolItem) -> bool:
    """Whether ``actor`` may change who reads ``item`` on a draft: its writers (narrowing always,
    widening only as the holder) and the holding organisation's professionals on the case team,
    who may do nothing else with it. The same rule on the page, the API and the live channel."""
    protocol = item.protocol
    return can_write_items(actor, protocol) or holder_on_team(actor, item, protocol)


def _reader_orgs(protocol: Protocol, audience: str, holder_id: int | None, orgs: Iterable[int]) -> set[int]:
    if audience == Audience.RESTRICTED:
        return {holder_id, *orgs} - {None}
    return set(CaseTeamMember.objects.filter(case_id=protocol.conference.case_id, removed_at__isnull=True)
               .values_list("organisation_id", flat=True))


def _check_disclosure(actor, current: ProtocolItem, protocol: Protocol, *, audience: str, orgs: list[Organisation],
                      holder: Organisation | None, category: str, entruster: FamilyMember | None) -> dict | None:
    """§ 65 SGB VIII for a restricted item: naming another holder, another person who entrusted
    it, another category, or letting more organisations (or the parents) read it is a disclosure.
    Only the holding organisation may make it, and only where a valid consent of the person who
    actually entrusted it (or a recorded legal basis) from the holder covers every organisation
    that would newly read it. Narrowing is always allowed. Returns what the audit event records,
    or None when nothing is disclosed."""
    relabel = audience == Audience.RESTRICTED and (
        (holder.pk if holder else None) != current.holding_organisation_id
        or (entruster.pk if entruster else None) != current.entrusted_by_id or category != current.category)
    # Widened after it was restricted (it carries its holder): restricting it again under another
    # holder, person or category is a relabel of the holder's information, as for a restricted item.
    governed_relabel = relabel and current.audience != Audience.RESTRICTED and current.holding_organisation_id is not None
    if current.audience == Audience.EVERYONE and not governed_relabel:
        return None  # everyone reads it already: any change narrows it
    if current.audience == Audience.PROFESSIONALS and not governed_relabel:
        if audience == Audience.EVERYONE:
            return _check_parents_widening(actor, current, protocol)
        # Restricting is narrowing: the named organisations each need a consent or basis. But the
        # holder stays who it is unless the holder itself hands it on: otherwise a writer could
        # make her own organisation the holder and then widen the item as such.
        if (audience == Audience.RESTRICTED and holder is not None
                and holder.pk not in holding_organisation_ids(current, protocol)
                and not holder_on_team(actor, current, protocol)):
            names = ", ".join(Organisation.objects.filter(pk__in=holding_organisation_ids(current, protocol))
                              .order_by("name").values_list("name", flat=True))
            raise ValidationError({"holding_organisation": _(
                "The information is held by %(names)s; only they may name another organisation as its holder.")
                % {"names": names}})
        return None
    if audience == Audience.RESTRICTED and not relabel:
        return None  # naming organisations is not disclosing: each still needs a consent or basis to read
    on_team_for_holder = (cases_policy.team_organisation_ids(actor, protocol.conference.case)
                          .filter(organisation_id=current.holding_organisation_id).exists() if governed_relabel
                          else holder_on_team(actor, current, protocol))
    if not on_team_for_holder:
        raise PermissionDenied(_("Only the organisation holding the information may pass it on or relabel it."))
    if audience == Audience.EVERYONE:
        _refuse_other_parents(current, protocol)
    readers = _reader_orgs(protocol, audience, holder.pk if holder else None, [o.pk for o in orgs])
    readers.discard(current.holding_organisation_id)
    covered = protocols_policy.disclosures_covering(current, organisation_ids=readers)
    uncovered = readers - set(covered)
    if relabel:
        # Whoever reads it afterwards reads it under the new labels (and the first ones, which the
        # item keeps): a consent that covers the old labels only would leave them reading nothing.
        new_labels = (holder.pk if holder else None, entruster.pk if entruster else None, category)
        named = readers - {new_labels[0]}
        uncovered |= named - set(protocols_policy.disclosures_covering(current, organisation_ids=named, labels=new_labels))
    if uncovered:
        names = ", ".join(Organisation.objects.filter(pk__in=uncovered).order_by("name").values_list("name", flat=True))
        raise ValidationError({"audience": _("No valid consent of the person who entrusted it, nor a legal basis, covers "
                                             "passing it on to: %(names)s.") % {"names": names}})
    old_orgs = sorted(current.restricted_to.values_list("pk", flat=True))
    return {"bases": covered,
            "detail": {"from": {"audience": current.audience, "holder": current.holding_organisation_id,
                                "entrusted_by": current.entrusted_by_id, "category": current.category, "orgs": old_orgs},
                       "to": {"audience": audience, "holder": holder.pk if holder else None,
                              "entrusted_by": entruster.pk if entruster else None, "category": category,
                              "orgs": sorted(o.pk for o in orgs)},
                       "bases": {str(org): basis for org, basis in sorted(covered.items())}}}


def _first_labels(current: ProtocolItem, holder: Organisation | None, entruster: FamilyMember | None, category: str) -> dict:
    """The fields that remember an item's labels before its first relabel (``ProtocolItem.first_category``):
    set once, when a labelled item gets another holder, entrusting person or category."""
    if current.first_category or not current.category:
        return {}
    if ((holder.pk if holder else None, entruster.pk if entruster else None, category)
            == (current.holding_organisation_id, current.entrusted_by_id, current.category)):
        return {}
    return {"first_holding_organisation_id": current.holding_organisation_id,
            "first_entrusted_by_id": current.entrusted_by_id, "first_category": current.category}


def _refuse_other_parents(item: ProtocolItem, protocol: Protocol) -> None:
    """Information one parent entrusted never goes to everyone while another parent is on the case;
    a restricted item with nobody named as entrusting it was entrusted by someone, so it never does.
    Nor does one relabelled from the person who first entrusted it to another."""
    if cases_policy.other_parents_would_read(case_id=protocol.conference.case_id, entrusted_by_id=item.entrusted_by_id,
                                             first_category=item.first_category,
                                             first_entrusted_by_id=item.first_entrusted_by_id):
        raise ValidationError({"audience": _("Other family members would read what one person entrusted; no consent can cover that.")})


def _check_parents_widening(actor, current: ProtocolItem, protocol: Protocol) -> dict:
    """From professionals only to everyone: the parents (and guests of the conference) would read
    what the team kept among professionals. Only the holding organisation decides that; no consent
    is needed to tell the family what the professionals recorded about it, except that what one
    parent entrusted (an item that was restricted) never goes to another parent."""
    if not holder_on_team(actor, current, protocol):
        raise PermissionDenied(_("Only the organisation holding the information may open it to the parents."))
    if current.entrusted_by_id:
        _refuse_other_parents(current, protocol)
    holders = sorted(holding_organisation_ids(current, protocol) & set(
        cases_policy.team_organisation_ids(actor, protocol.conference.case).values_list("organisation_id", flat=True)))
    return {"bases": {}, "legal_basis": "holding-organisation",
            "detail": {"from": {"audience": current.audience}, "to": {"audience": Audience.EVERYONE},
                       "decided_by_holder": holders, "entrusted_by": current.entrusted_by_id}}


# --- the holder narrows an item after the draft ---------------------------------------------

NARROWER = {Audience.EVERYONE: {Audience.PROFESSIONALS, Audience.RESTRICTED}, Audience.PROFESSIONALS: {Audience.RESTRICTED},
             Audience.RESTRICTED: {Audience.RESTRICTED}}


def holder_may_narrow(actor, item: ProtocolItem) -> bool:
    """Whether ``actor`` may narrow who reads ``item`` whatever the protocol's status: she is on the
    case team FOR the organisation holding it (``cases_policy.team_organisation_ids``): the one it
    carries (restricted, or widened after it was), or for an item never restricted the one
    ``holding_organisation_ids`` names (its author's team organisation, else the lead organisation).
    The holder widened it, or it was widened under a consent she gave on, or her organisation put
    it in front of the team; when the consent is revoked or the widening was a mistake, she takes it
    back - also in a released or final protocol, whose text stays as it is (narrowing discloses
    nothing)."""
    protocol = item.protocol
    return cases_policy.team_organisation_ids(actor, protocol.conference.case).filter(
        organisation_id__in=holding_organisation_ids(item, protocol)).exists()


def items_narrowable_by(actor, protocol: Protocol, items: Iterable[ProtocolItem]) -> set[int]:
    """Ids of ``items`` that ``holder_may_narrow`` lets ``actor`` narrow (a few queries, for the page,
    whatever the number of items; the items' ``restricted_to`` as the page's selector caches it).
    A restricted item that names no organisation but its holder is read by its holder alone:
    there is nobody left to leave out, so the page offers no narrowing form that could only be
    refused (``_narrow``: "Leave out at least one organisation")."""
    items = list(items)
    held = _items_of_holder(actor, protocol, items)
    return {item.pk for item in items if item.pk in held and not _read_by_holder_alone(item)}


def _read_by_holder_alone(item: ProtocolItem) -> bool:
    if item.audience != Audience.RESTRICTED or item.holding_organisation_id is None:
        return False
    return {o.pk for o in item.restricted_to.all()} <= {item.holding_organisation_id}


@transaction.atomic
def item_narrow(actor, *, item: ProtocolItem, version: int, audience: str, restricted_to: Iterable[Organisation] = (),
                holding_organisation=_UNSET, category: str | None = None, entrusted_by=_UNSET,
                channel: str = Channel.PAGE) -> ProtocolItem:
    """The holding organisation narrows who reads an item, in a draft, a released or a final protocol:
    from everyone to the team or to named organisations, from the team to named organisations, or
    to fewer of the organisations named. Checks: ``holder_may_narrow``; ``version`` is the current one
    (else ``EditConflict``); the new audience is narrower; its holder, category and the person who
    entrusted it stay. Writes ``protocol.item.narrow`` to the audit trail; after the commit sends
    ``item.changed`` (sockets that lose the item get ``item_removed``) and ``access.changed`` for the
    case (every socket re-reads what it shows, the actions in the item included). Pages, the API and
    the iCal feeds read through the policy and follow at once. Refused at ``audience`` (nothing
    changes) while a parent who would lose the item holds an open action of it
    (``_refuse_parents_losing_open_actions``). Its copies carried into later protocols that are not
    final are narrowed with it (``_copies_narrowed``). An item never restricted is narrowed by the
    organisation ``holding_organisation_ids`` names; restricting it names its holder (one of
    those), ``category`` and ``entrusted_by``."""
    current = (ProtocolItem.objects.select_for_update(of=("protocol",))
               .select_related("protocol__conference__case__network", "holding_organisation").get(pk=item.pk))
    return _narrow(actor, current, current.protocol, version=version, audience=audience, restricted_to=restricted_to,
                   holding_organisation=holding_organisation, category=category, entrusted_by=entrusted_by,
                   channel=channel)


def _narrow(actor, current: ProtocolItem, protocol: Protocol, *, version: int, audience: str,
            restricted_to: Iterable[Organisation] | None, holding_organisation=_UNSET, category: str | None = None,
            entrusted_by=_UNSET, channel: str) -> ProtocolItem:
    """``item_narrow`` on the item read under its protocol's lock. An item never restricted (it carries
    no holder) is narrowed by the organisation ``holding_organisation_ids`` names; restricting it
    labels it for the first time: its holder (one of those she is on the team for), the category and
    who entrusted it, as when a writer restricts it in the draft."""
    if not holder_may_narrow(actor, current):
        raise PermissionDenied(_("Only the organisation holding the information may narrow who reads this item."))
    if int(version) != current.version:
        raise _version_conflict(ProtocolItem.objects.select_related("holding_organisation").get(pk=current.pk))
    unlabelled = current.holding_organisation_id is None
    holder, cat, entruster = current.holding_organisation, current.category, current.entrusted_by
    errors = {}
    if unlabelled and audience == Audience.RESTRICTED:
        holder, cat, entruster = _first_labels_of_narrowed(actor, current, protocol, holding_organisation, category,
                                                          entrusted_by, errors)
    else:
        if holding_organisation not in (_UNSET, None) and holding_organisation.pk != current.holding_organisation_id:
            errors["holding_organisation"] = _("Narrowing keeps who holds the information; it cannot name another holder.")
        if entrusted_by not in (_UNSET, None) and entrusted_by.pk != current.entrusted_by_id:
            errors["entrusted_by"] = _("Narrowing keeps who entrusted the information; it cannot name someone else.")
        if category and category != current.category:
            errors["category"] = _("Narrowing keeps the information category; it cannot change it.")
    if errors:
        raise ValidationError(errors)
    now_named = set(current.restricted_to.values_list("pk", flat=True))
    orgs_in = list(current.restricted_to.all()) if restricted_to is None else list(restricted_to)
    orgs = _validate_audience(protocol, audience, orgs_in, holder, cat, entruster)
    if audience not in NARROWER[current.audience]:
        raise ValidationError({"audience": _(
            "Choose an audience narrower than the current one. Outside the draft, the organisation holding the "
            "information can only narrow who reads the item.")})
    if current.audience == Audience.RESTRICTED:
        # The holder reads a restricted item whether it is named or not: naming it alone narrows the
        # item to the holder (the fifth newcomer walk: an item restricted to one other organisation
        # could not be narrowed at all).
        reading = reading_organisation_ids(current)
        if any(o.pk not in reading for o in orgs):
            raise ValidationError({"restricted_to": _("Name only organisations that may read the item now.")})
        if {o.pk for o in orgs} | {current.holding_organisation_id} == reading:
            raise ValidationError({"restricted_to": _("Leave out at least one organisation: this is who reads it now.")})
    changes: dict = {"audience": audience}
    if unlabelled and audience == Audience.RESTRICTED:
        changes.update(holding_organisation=holder, category=cat, entrusted_by=entruster)
    after = _item_as(current, changes)
    copies = _copies_narrowed(current, after, {o.pk for o in orgs})
    _refuse_parents_losing_open_actions(actor, [(current, after)] + [(c, a) for c, a, _o in copies])
    now = timezone.now()
    ProtocolItem.objects.filter(pk=current.pk).update(version=F("version") + 1, updated_at=now, **changes)
    before = {"audience": current.audience, "orgs": sorted(now_named)}
    for name, value in changes.items():
        setattr(current, name, value)
    current.version, current.updated_at = current.version + 1, now
    current.restricted_to.set(orgs)
    _audit(actor, "protocol.item.narrow", current, protocol, channel, version=current.version, **{
        "from": before, "to": {"audience": audience, "orgs": sorted(o.pk for o in orgs)},
        "holder": current.holding_organisation_id})
    _narrow_copies(actor, current, copies, channel)
    current.protocol = protocol
    live.send_on_commit(protocol.pk, live.item_event_of(current))
    live.access_changed_on_commit(protocol.conference.case_id)
    return current


def _first_labels_of_narrowed(actor, current: ProtocolItem, protocol: Protocol, holding_organisation, category,
                              entrusted_by, errors: dict) -> tuple:
    """The labels an item never restricted gets when its holder restricts it after the draft: the
    holder one of the organisations holding it (``holding_organisation_ids``) that she is on the case
    team for (that one, where it is the only one), a category, and who entrusted it, if one person did."""
    mine = set(cases_policy.team_organisation_ids(actor, protocol.conference.case)
               .filter(organisation_id__in=holding_organisation_ids(current, protocol))
               .values_list("organisation_id", flat=True))
    holder = None if holding_organisation is _UNSET else holding_organisation
    if holder is None and len(mine) == 1:
        holder = Organisation.objects.get(pk=next(iter(mine)))
    if holder is not None and holder.pk not in mine:
        errors["holding_organisation"] = _(
            "Name your organisation as the one holding the information: only the organisation holding it narrows "
            "it outside the draft.")
    return holder, category or "", None if entrusted_by is _UNSET else entrusted_by


def _item_as(current: ProtocolItem, changes: dict) -> ProtocolItem:
    """An unsaved item with ``current``'s labels and audience and ``changes`` applied: who reads it
    after a change about to be saved (``_refuse_parents_losing_open_actions``, ``_copies_narrowed``)."""
    after = ProtocolItem(pk=current.pk, protocol_id=current.protocol_id, audience=current.audience,
                         holding_organisation_id=current.holding_organisation_id, entrusted_by_id=current.entrusted_by_id,
                         category=current.category, first_holding_organisation_id=current.first_holding_organisation_id,
                         first_entrusted_by_id=current.first_entrusted_by_id, first_category=current.first_category)
    for name, value in changes.items():
        if name in ("holding_organisation", "entrusted_by"):
            setattr(after, f"{name}_id", value.pk if value is not None else None)
        elif name in ("audience", "category") or name.startswith("first_"):
            setattr(after, name, value)
    return after


# --- who loses an item: a parent's open actions, the copies carried into later protocols ----

def _refuse_parents_losing_open_actions(actor, changes: list[tuple[ProtocolItem, ProtocolItem]]) -> None:
    """Refuse a change of who reads items (each as (before, after)) that would leave a parent
    responsible for an open (or in progress) action of one of them without the item: she would no
    longer see the action anywhere (``protocols_policy._falls_to_parent``: an action reaches a parent
    only in an item she may hold actions in, ``family_member_reads_labelled_item``), as
    ``action_create`` refuses a new one there and the invitations refuse withdrawing her invitation
    (``protocols.invitations``). At the field ``audience``, naming the actions ``actor`` may read;
    nothing changes. One query for the actions, one for the names, whatever their number."""
    by_item = {before.pk: (before, after) for before, after in changes}
    actions = list(AgreedAction.objects.filter(item_id__in=list(by_item), status__in=OPEN_STATES,
                                               responsible_family_member__isnull=False)
                   .select_related("responsible_family_member").order_by("due_on", "pk"))
    lost = [a for a in actions
            if protocols_policy.family_member_reads_labelled_item(by_item[a.item_id][0], a.responsible_family_member_id)
            and not protocols_policy.family_member_reads_labelled_item(by_item[a.item_id][1], a.responsible_family_member_id)]
    if not lost:
        return
    messages = []
    for member_id in dict.fromkeys(a.responsible_family_member_id for a in lost):
        hers = [a for a in lost if a.responsible_family_member_id == member_id]
        names = actions_named_for(actor, hers)
        messages.append(ngettext(
            "%(name)s is responsible for an open action of this item: %(actions)s. After this change she could no "
            "longer read the item, and so no longer see the action. Nothing was changed. First set the action to "
            "“Done” or “Dropped” (with the reason), or agree it anew in an item she may read (while the protocol is "
            "a draft, remove it and agree it anew); then narrow the item.",
            "%(name)s is responsible for open actions of this item: %(actions)s. After this change she could no "
            "longer read the item, and so no longer see the actions. Nothing was changed. First set the actions to "
            "“Done” or “Dropped” (with the reason), or agree them anew in an item she may read (while the protocol "
            "is a draft, remove them and agree them anew); then narrow the item.",
            len(hers)) % {"name": hers[0].responsible_family_member, "actions": "; ".join(names)})
    raise ValidationError({"audience": messages})


_WIDTH = {Audience.EVERYONE: 0, Audience.PROFESSIONALS: 1, Audience.RESTRICTED: 2}


def _copies_narrowed(item: ProtocolItem, after: ProtocolItem,
                     orgs: set[int]) -> list[tuple[ProtocolItem, ProtocolItem, set[int]]]:
    """The copies of ``item`` carried into later protocols that are not final yet, as (copy, the copy
    narrowed, the organisations it names then) for those that ``after`` (named for ``orgs``) is
    narrower than. A copy is a carry-over item (``protocol_open``) that reviews one of the item's
    actions, with the item's audience and labels as they were when the later protocol was opened
    and the action's title and description: what narrowing takes from readers of the item it takes
    from them there too. A copy that carries no holder takes the item's labels with its audience;
    a restricted copy keeps only the organisations both name. Copies of copies (an action agreed
    in a review item, carried again) follow; one query per generation."""
    found: list[tuple[ProtocolItem, ProtocolItem, set[int]]] = []
    frontier, seen = [item.pk], {item.pk}
    while frontier:
        level = [c for c in ProtocolItem.objects.filter(reviewed_action__item_id__in=frontier)
                 .exclude(protocol__status=Protocol.Status.FINAL).select_related("protocol__conference__case")
                 .prefetch_related("restricted_to").order_by("pk") if c.pk not in seen]
        seen.update(c.pk for c in level)
        frontier = [c.pk for c in level]
        for copy in level:
            named = {o.pk for o in copy.restricted_to.all()}
            if _WIDTH[after.audience] < _WIDTH[copy.audience]:
                continue
            if after.audience == Audience.RESTRICTED:
                # the item's holder reads it named or not: narrowed to its holder alone, a copy names
                # its holder alone where it named none of those left
                reads = orgs | ({after.holding_organisation_id} - {None})
                new_orgs = named & reads if copy.audience == Audience.RESTRICTED else set(orgs)
                if not new_orgs and copy.holding_organisation_id in reads:
                    new_orgs = {copy.holding_organisation_id}
                if copy.audience == Audience.RESTRICTED and new_orgs == named:
                    continue
            elif after.audience == copy.audience:
                continue
            else:
                new_orgs = set()
            changes: dict = {"audience": after.audience}
            if copy.holding_organisation_id is None and after.holding_organisation_id is not None:
                changes.update(holding_organisation_id=after.holding_organisation_id, entrusted_by_id=after.entrusted_by_id,
                               category=after.category, first_holding_organisation_id=after.first_holding_organisation_id,
                               first_entrusted_by_id=after.first_entrusted_by_id, first_category=after.first_category)
            narrowed = _item_as(copy, {})
            for name, value in changes.items():
                setattr(narrowed, name, value)
            found.append((copy, narrowed, new_orgs))
    return found


def _narrow_copies(actor, item: ProtocolItem, copies: list[tuple[ProtocolItem, ProtocolItem, set[int]]],
                   channel: str) -> None:
    """Narrow the copies ``_copies_narrowed`` found, each audited as ``protocol.item.narrow`` (naming
    the item it was carried over from) and sent live; ``access.changed`` for the case tells every
    socket to re-read."""
    if not copies:
        return
    now = timezone.now()
    for copy, narrowed, orgs in copies:
        fields = {name: getattr(narrowed, name) for name in (
            "audience", "holding_organisation_id", "entrusted_by_id", "category", "first_holding_organisation_id",
            "first_entrusted_by_id", "first_category")}
        ProtocolItem.objects.filter(pk=copy.pk).update(version=F("version") + 1, updated_at=now, **fields)
        before = {"audience": copy.audience, "orgs": sorted(o.pk for o in copy.restricted_to.all())}
        for name, value in fields.items():
            setattr(copy, name, value)
        copy.version, copy.updated_at = copy.version + 1, now
        copy.restricted_to.set(orgs)
        _audit(actor, "protocol.item.narrow", copy, copy.protocol, channel, version=copy.version, carried_over_from=item.pk,
               **{"from": before, "to": {"audience": copy.audience, "orgs": sorted(orgs)},
                  "holder": copy.holding_organisation_id})
        live.send_on_commit(copy.protocol_id, live.item_event_of(copy))
    live.access_changed_on_commit(item.protocol.conference.case_id)


def item_change_audience(actor, *, item: ProtocolItem, version: int, audience: str, restricted_to=(),
                         holding_organisation=None, category: str = "", entrusted_by=None,
                         channel: str = Channel.PAGE) -> ProtocolItem:
    """Narrow or widen who may read an item (see ``item_update``)."""
    return item_update(actor, item=item, version=version, audience=audience, restricted_to=restricted_to,
                       holding_organisation=holding_organisation, category=category, entrusted_by=entrusted_by,
                       channel=channel)


# --- agreed actions inside an item ---------------------------------------------------------

def _refuse_withheld_item(item: ProtocolItem, organisation: Organisation) -> None:
    """An action in an item that carries a holder (restricted to organisations, or widened after it
    was) falls only to an organisation that may read the item: its holder, or one (named for it, if
    restricted) whose disclosure a consent or legal basis covers now (the read filter's rule). An
    action is part of its item: whoever it falls to reads its title and description."""
    # as it stands, under the protocol's lock
    item = ProtocolItem.objects.select_related("protocol__conference", "holding_organisation").get(pk=item.pk)
    if item.holding_organisation_id is None or organisation.pk == item.holding_organisation_id:
        return
    # widened after it was restricted: governed by consent to any organisation of the team
    named = item.audience != Audience.RESTRICTED or item.restricted_to.filter(pk=organisation.pk).exists()
    if named and organisation.pk in protocols_policy.disclosures_covering(item, organisation_ids={organisation.pk}):
        return
    if item.audience == Audience.RESTRICTED:
        raise ValidationError({"responsible": _(
            "This item is restricted, and the chosen organisation may not read it (it is not named for it, or no "
            "consent or other legal basis covers its disclosure to it). Choose an organisation that may read the "
            "item, or agree the action in an item it may read.")})
    # Open to the team or to everyone, so "restricted" would be false: she sees it open on the page.
    raise ValidationError({"responsible": _(
        "This item was widened after it had been restricted: its information is still held by %(holder)s, and no "
        "consent or other legal basis covers its disclosure to the chosen organisation, so that organisation may "
        "not read it. Choose %(holder)s or an organisation that a consent covers, or agree the action with this "
        "organisation once a consent covers it.") % {"holder": item.holding_organisation}})


def parent_withheld_refusal() -> str:
    return _("This item holds information entrusted to an organisation that the parent may not read (it is "
             "restricted, or was before it was widened): the action would tell her what the item says. Agree her "
             "action in an item she may read, or let someone on the team take it on.")


def _refuse_item_withheld_from_parent(item: ProtocolItem, family_member: FamilyMember) -> None:
    """An action in an item that carries a holder falls to a parent only where she reads the item
    (``protocols_policy.family_member_reads_labelled_item``): an action is part of its item, and
    she reads the actions that fall to her whatever their item's audience (rule 3)."""
    # as it stands, under the protocol's lock
    item = ProtocolItem.objects.get(pk=item.pk)
    if not protocols_policy.family_member_reads_labelled_item(item, family_member.pk):
        raise ValidationError({"responsible": parent_withheld_refusal()})


def _validate_responsible(case: Case, user, organisation, family_member, *, conference_id: int) -> None:
    if family_member is not None:
        if user is not None or organisation is not None:
            raise ValidationError({"responsible": _("An action falls to a parent, or to an organisation – not both.")})
        if family_member.case_id != case.pk or not family_member.is_parent:
            raise ValidationError({"responsible": _("Choose a parent of this case.")})
        # Art. 17: nothing is given to her in her name any more; her account is unlinked, so an
        # action given to her would reach nobody (``FamilyMember.is_erased``).
        if family_member.is_erased:
            raise ValidationError({"responsible": _("This person's data were erased (Art. 17 GDPR): no action can be given to her.")})
        # A parent reads the actions of the conferences she is invited to (review h9, H9-1): one
        # agreed for her where she is not would reach her in no channel.
        if not Invitation.objects.filter(conference_id=conference_id, family_member=family_member,
                                         removed_at__isnull=True).exists():
            raise ValidationError({"responsible": _(
                "This parent is not invited to this conference, so she would not see the action. Invite her first, "
                "or let someone on the team take it on.")})
        return
    if organisation is None:
        raise ValidationError({"responsible": _("Choose who is responsible.")})
    team = CaseTeamMember.objects.filter(case=case, removed_at__isnull=True, organisation=organisation)
    if not team.exists():
        raise ValidationError({"responsible": _("The organisation must be on the case team.")})
    if user is not None:
        on_team = team.filter(user=user).exists() or (
            team.filter(user__isnull=True).exists()
            and Membership.objects.filter(user=user, organisation=organisation, is_active=True).exists()
        )
        if not on_team:
            raise ValidationError({"responsible": _("The professional must be on the case team for this organisation.")})


def _validate_action_responsible(protocol: Protocol, item: ProtocolItem, *, user, organisation,
                                 family_member) -> None:
    """Who an action of ``item`` may fall to, at its creation and when it changes hands
    (``action_reassign``): a team professional with her organisation, a team organisation, or a
    parent of the case invited to the conference; in an item that carries a holder, one who may read it."""
    _validate_responsible(protocol.conference.case, user, organisation, family_member, conference_id=protocol.conference_id)
    if organisation is not None:
        _refuse_withheld_item(item, organisation)
    if family_member is not None:
        _refuse_item_withheld_from_parent(item, family_member)


@transaction.atomic
def action_create(actor, *, item: ProtocolItem, title: str, due_on: dt.date, description: str = "",
                  responsible_user=None, responsible_organisation: Organisation | None = None,
                  responsible_family_member: FamilyMember | None = None, channel: str = Channel.PAGE) -> AgreedAction:
    """Agree an action inside an item. Checks: convenor or minute-taker; draft; responsible is a
    team professional with her organisation, a team organisation, or a parent of the case invited
    to the conference; in an item that carries a holder, one who may read it.
    Sends ``item.changed`` for the item that holds it."""
    protocol = _locked_protocol(item.protocol_id)
    _require_item_writer(actor, protocol)
    _refuse_unless_draft(protocol)
    title = sanitize.clean_input(title)[:200]
    if not title:
        raise ValidationError({"title": _("Say what is to be done.")})
    if due_on is None:
        raise ValidationError({"due_on": _("Enter a due date.")})
    if due_on < timezone.localdate():
        raise ValidationError({"due_on": _("The due date lies in the past. Choose today or a later day.")})
    dates.refuse_too_far_ahead(due_on=due_on)
    case = protocol.conference.case
    _validate_action_responsible(protocol, item, user=responsible_user, organisation=responsible_organisation,
                                 family_member=responsible_family_member)
    action = AgreedAction.objects.create(
        case=case, item=item, title=title, description=sanitize.clean_input(description), due_on=due_on,
        responsible_user=responsible_user, responsible_organisation=responsible_organisation,
        responsible_family_member=responsible_family_member,
    )
    ActionNote.objects.create(action=action, author=actor, status=action.status, note=_("Agreed in the conference."))
    action.refresh_from_db(fields=["history_status", "history_at", "history_reopened"])  # set by the notes' trigger
    ProtocolItem.objects.filter(pk=item.pk).update(version=F("version") + 1)
    _audit(actor, "protocol.action.create", action, protocol, channel, item=item.pk)
    # Whom it falls to is worked out after the commit, as background work (the task worker in
    # production): for an organisation on the team as a whole that is one policy question per
    # member (``announce.responsible_users``), which made this request's statements grow with the
    # organisation's size (2.2 s for 100 members on PostgreSQL).
    jobs.enqueue_on_commit(ANNOUNCE_ACTION_ASSIGNED, action_id=action.pk, actor_id=actor.pk)
    send_event_on_commit(protocol.pk, {"type": "item.changed", "item_id": item.pk})
    live.action_changed_on_commit(action.pk)
    return action


@transaction.atomic
def action_remove(actor, *, action: AgreedAction, channel: str = Channel.PAGE) -> None:
    """Remove an action entered by mistake. Checks: convenor or minute-taker; the draft is not
    released yet (afterwards an action is dropped with a reason, so the history stays).
    Its progress notes go with it; the audit trail keeps what was removed (ids only)."""
    action = AgreedAction.objects.select_for_update(of=("self",)).select_related("item").get(pk=action.pk)
    protocol = _locked_protocol(action.item.protocol_id)
    _require_item_writer(actor, protocol)
    _refuse_final(protocol)
    if protocol.status != Protocol.Status.DRAFT:
        raise ValidationError(_("The draft has been released: the action can no longer be removed. "
                                "Set its status to “Dropped” with a reason instead."), code="released")
    if action.review_items.exists():
        raise ValidationError(_("A later conference reviewed this action; it can only be dropped."))
    item_id, action_id = action.item_id, action.pk
    ActionNote.objects.filter(action=action).delete()
    action.delete()
    ProtocolItem.objects.filter(pk=item_id).update(version=F("version") + 1)
    record(actor, action="protocol.action.remove", obj=None, case_id=protocol.conference.case_id, channel=channel,
           detail={"action": action_id, "item": item_id, "protocol": protocol.pk})
    send_event_on_commit(protocol.pk, {"type": "item.changed", "item_id": item_id})


@transaction.atomic
def review_record(actor, *, item: ProtocolItem, outcome: str, note: str = "", based_on_status: str | None = None,
                  channel: str = Channel.PAGE) -> ProtocolItem:
    """Record the review of a carried-over action (done / continued / dropped) and apply it to the
    action. Checks: convenor or minute-taker; draft; the item is a carry-over item.
    ``based_on_status``: the action's status as the review form showed it. Where the responsible
    person changed it meanwhile (she marked it done from her own list while the conference
    talked) and the outcome would set another status, nothing is recorded (``EditConflict``
    naming the status as it stands): the review does not silently undo her update. None (a
    script) skips the check."""
    protocol = _locked_protocol(item.protocol_id)
    _require_item_writer(actor, protocol)
    _refuse_unless_draft(protocol)
    item = ProtocolItem.objects.select_for_update().get(pk=item.pk)
    if item.kind != ProtocolItem.Kind.CARRY_OVER or item.reviewed_action_id is None:
        raise ValidationError(_("Only a carried-over action can be reviewed."))
    if outcome not in REVIEW_OUTCOMES:
        raise ValidationError({"outcome": _("Choose done, continued or dropped.")})
    action = AgreedAction.objects.select_for_update().get(pk=item.reviewed_action_id)
    status = {"done": AgreedAction.Status.DONE, "dropped": AgreedAction.Status.DROPPED}.get(
        outcome, AgreedAction.Status.IN_PROGRESS if action.status == AgreedAction.Status.IN_PROGRESS else AgreedAction.Status.OPEN
    )
    if based_on_status is not None and based_on_status != action.status and status != action.status:
        raise conflicts.EditConflict(action, {"outcome": _(
            "The action's status was changed meanwhile; it is now “%(status)s”. Nothing was recorded: "
            "check the status and record the review again.") % {"status": action.get_status_display()}})
    _apply_action_status(actor, action, status, sanitize.clean_input(note) or _("Reviewed in the conference: %(outcome)s") % {"outcome": outcome})
    ProtocolItem.objects.filter(pk=item.pk).update(review_outcome=outcome, version=F("version") + 1, updated_at=timezone.now())
    item.refresh_from_db()
    _audit(actor, "protocol.action.review", item, protocol, channel, reviewed_action=action.pk, outcome=outcome)
    send_event_on_commit(protocol.pk, {"type": "item.changed", "item_id": item.pk})
    live.action_changed_on_commit(action.pk)
    return item


def next_review_based_on(next_review_on: dt.date | None) -> str:
    """What the next-review form carries of the date it was opened on (``protocol_set_next_review``):
    the ISO date, "" for none."""
    return next_review_on.isoformat() if next_review_on else ""


@transaction.atomic
def protocol_set_next_review(actor, *, protocol: Protocol, next_review_on: dt.date | None, based_on: str | None = None,
                             channel: str = Channel.PAGE) -> Protocol:
    """Set the next review date the protocol proposes. Once the protocol is released it is the
    case's next review (``case_next_review_sync``). Checks: item writer; not final; not before
    the conference nor in the past. ``based_on``: ``next_review_based_on`` of the date her form
    was opened on; a different date set meanwhile by the convenor or the minute-taker is not
    overwritten (``EditConflict`` with the protocol as it stands, nothing changed). Other changes
    to the protocol (items, attendance, the summary) do not count. None (a script) skips the check."""
    protocol = _locked_protocol(protocol.pk)
    _require_item_writer(actor, protocol)
    _refuse_final(protocol)
    conflicts.check_based_on(protocol, based_on, stored=next_review_based_on(protocol.next_review_on),
                             mine=next_review_based_on(next_review_on))
    if next_review_on is not None and next_review_on < max(conference_day(protocol), timezone.localdate()):
        raise ValidationError({"next_review_on": _("The next review must come after the conference and cannot lie in the past.")})
    Protocol.objects.filter(pk=protocol.pk).update(next_review_on=next_review_on, version=F("version") + 1)
    case_next_review_sync(protocol.conference.case_id)
    protocol.refresh_from_db()
    _audit(actor, "protocol.next_review", protocol, protocol, channel, next_review_on=str(next_review_on or ""))
    send_event_on_commit(protocol.pk, {"type": "protocol.changed", "protocol_id": protocol.pk})
    return protocol


def case_next_review_sync(case_id: int) -> None:
    """One next-review date per case: the one set by its latest released (or final) protocol,
    by conference time. A draft's date is only a proposal. The case service owns the rest of Case."""
    latest = (Protocol.objects.filter(conference__case_id=case_id, status__in=[Protocol.Status.RELEASED, Protocol.Status.FINAL])
              .order_by("-conference__starts_at", "-pk").values("next_review_on").first())
    if latest is not None:
        Case.objects.filter(pk=case_id).exclude(next_review_on=latest["next_review_on"]).update(
            next_review_on=latest["next_review_on"], updated_at=timezone.now())


# --- minutes workflow ----------------------------------------------------------------------

@transaction.atomic
def protocol_release(actor, *, protocol: Protocol, channel: str = Channel.PAGE) -> Protocol:
    """Release the draft to the participants; opens the correction window of the network's
    working days and makes its next-review date the case's. Checks: convenor; draft; the
    conference is over (``rules.release_refusal``). Sends ``protocol.changed``."""
    protocol = _locked_protocol(protocol.pk)
    _require_convenor(actor, protocol)
    _refuse_final(protocol)
    refusal = rules.release_refusal(protocol)
    if refusal:
        raise ValidationError(refusal, code="not_yet")
    today = timezone.localdate()
    window = protocol.conference.case.network.correction_window_working_days
    Protocol.objects.filter(pk=protocol.pk).update(
        status=Protocol.Status.RELEASED, released_at=timezone.now(), corrections_until=add_working_days(today, window, protocol.conference.case.network),
        version=F("version") + 1,
    )
    protocol.refresh_from_db()
    case_next_review_sync(protocol.conference.case_id)
    _audit(actor, "protocol.release", protocol, protocol, channel, late=today > draft_release_due_on(protocol))
    announce.draft_released(actor, protocol)
    send_event_on_commit(protocol.pk, {"type": "protocol.changed", "protocol_id": protocol.pk})
    return protocol


def _proposal_conflict(current: ProtocolItem) -> conflicts.EditConflict:
    """A proposal written on an item text that has been corrected since she opened it."""
    return conflicts.EditConflict(current, _(
        "This item has been corrected since you opened the page. Your proposal was not sent: your text is still in "
        "the form, and the item's current text is shown above it. Check your text against it and send it again."))


def _outdated_proposal(current: ProtocolItem) -> conflicts.EditConflict:
    """Accepting a proposal written on an earlier text would undo the correction made since."""
    return conflicts.EditConflict(current, _(
        "This proposal was written on an earlier text of the item, which has been corrected since. Accepting it "
        "would undo that correction, so it was not accepted and nothing was changed. The item's current text is "
        "shown in the protocol. Reject the proposal with a reason; its author can propose a correction of the "
        "current text."))


@transaction.atomic
def correction_propose(actor, *, item: ProtocolItem, proposed_text: str, version: int | None = None,
                       channel: str = Channel.PAGE) -> CorrectionProposal:
    """A participant proposes a correction to an item she can read, within the correction window.
    ``version``: the item's version her form was opened on (``None``: a script or a task, the
    current one); another correction accepted since refuses it with ``EditConflict`` carrying the
    item as it is now. The proposal records the version it was written on (``base_version``)."""
    protocol = _locked_protocol(item.protocol_id)
    if not protocols_policy.protocol_items_for_user(actor).filter(pk=item.pk).exists() or not cases_policy.is_professional_on_case(actor, protocol.conference.case):
        raise PermissionDenied(_("You cannot propose a correction to this item."))
    _refuse_final(protocol)
    if protocol.status != Protocol.Status.RELEASED:
        raise ValidationError(_("Corrections can be proposed once the draft is released."))
    if protocol.corrections_until and timezone.localdate() > protocol.corrections_until:
        raise ValidationError(_("The correction window has closed."))
    text = sanitize.clean_input(proposed_text)
    if not text:
        raise ValidationError({"proposed_text": _("Enter the corrected text.")})
    # Read after the protocol's lock, which every writer of an item takes first: the version is
    # the one a decision on this proposal will compare with.
    current = ProtocolItem.objects.get(pk=item.pk)
    if version is not None and int(version) != current.version:
        raise _proposal_conflict(current)
    proposal = CorrectionProposal.objects.create(item=current, author=actor, proposed_text=text,
                                                 base_version=current.version)
    _audit(actor, "protocol.correction.propose", proposal, protocol, channel, item=item.pk)
    announce.correction_proposed(actor, proposal, deciders=rules.correction_deciders(proposal))
    return proposal


@transaction.atomic
def correction_decide(actor, *, proposal: CorrectionProposal, accept: bool, reason: str, channel: str = Channel.PAGE) -> CorrectionProposal:
    """Accept (the item takes the proposed text) or reject a proposal, with a reason. Checks: the
    actor decides it (``rules.can_decide_correction``: the organisation holding a restricted
    item, the convenor for every other item); not final; an accepted proposal was written on the
    item's current text (``base_version``) -- otherwise ``EditConflict`` carrying the item as it is
    now, and nothing changes: the proposal stays pending, to be rejected (a rejection changes no
    text, so an outdated proposal may always be rejected)."""
    proposal = CorrectionProposal.objects.select_for_update(of=("self",)).select_related(
        "item__protocol__conference__case").get(pk=proposal.pk)
    protocol = _locked_protocol(proposal.item.protocol_id)
    if not rules.can_decide_correction(actor, proposal):
        raise PermissionDenied(_("This correction is decided by the organisation holding the information, or by the convenor."))
    _refuse_final(protocol)
    if proposal.status != CorrectionProposal.Status.PENDING:
        raise ValidationError(_("This proposal has already been decided."))
    reason = sanitize.clean_input(reason)[:300]
    if not reason:
        raise ValidationError({"reason": _("Give a reason for the decision.")})
    if accept:
        # Read after the protocol's lock (the item in ``proposal`` was read before it).
        current = ProtocolItem.objects.get(pk=proposal.item_id)
        if proposal.base_version is None or proposal.base_version != current.version:
            raise _outdated_proposal(current)
    proposal.status = CorrectionProposal.Status.ACCEPTED if accept else CorrectionProposal.Status.REJECTED
    proposal.decision_reason = reason
    proposal.decided_at = timezone.now()
    proposal.decided_by = actor
    proposal.save(update_fields=["status", "decision_reason", "decided_at", "decided_by"])
    if accept:
        updated = ProtocolItem.objects.filter(pk=proposal.item_id, version=proposal.base_version).update(
            text=proposal.proposed_text, version=F("version") + 1, updated_at=timezone.now()
        )
        if not updated:  # not under the protocol's lock after all: refuse rather than lose a text
            raise _outdated_proposal(ProtocolItem.objects.get(pk=proposal.item_id))
        send_event_on_commit(protocol.pk, {"type": "item.changed", "item_id": proposal.item_id})
    _audit(actor, "protocol.correction.decide", proposal, protocol, channel, accepted=accept)
    announce.correction_decided(actor, proposal)
    return proposal


@transaction.atomic
def protocol_finalise(actor, *, protocol: Protocol, confirm_early: bool = False, channel: str = Channel.PAGE) -> Protocol:
    """Lock the protocol for good. Checks (``rules.finalise_refusal``): convenor; released; no
    proposal pending that she decides; proposals others decide are decided, or the correction
    window has ended; before the window ends, or with others' proposals undecided after it,
    only with ``confirm_early`` – recorded in the audit event, and those proposals close as
    "lapsed". Marks the conference "protocol final". Sends ``protocol.changed``."""
    protocol = _locked_protocol(protocol.pk)
    _require_convenor(actor, protocol)
    _refuse_final(protocol)
    early = rules.finalising_early(protocol)
    refusal = rules.finalise_refusal(actor, protocol, confirm_early=confirm_early)
    if refusal:
        code, message = refusal
        raise ValidationError(message, code=code)
    now = timezone.now()
    lapsed = CorrectionProposal.objects.filter(item__protocol=protocol, status=CorrectionProposal.Status.PENDING).update(
        status=CorrectionProposal.Status.LAPSED, decided_at=now)
    Protocol.objects.filter(pk=protocol.pk).update(status=Protocol.Status.FINAL, finalised_at=now, finalised_by=actor,
                                                   version=F("version") + 1)
    # The conference's lifecycle ends with its protocol; the scheduling service owns the rest.
    Conference.objects.filter(pk=protocol.conference_id).update(status=Conference.Status.PROTOCOL_FINAL, updated_at=now)
    protocol.refresh_from_db()
    case_next_review_sync(protocol.conference.case_id)
    _audit(actor, "protocol.finalise", protocol, protocol, channel, confirmed_early=bool(confirm_early and early),
           lapsed_corrections=lapsed)
    announce.finalised(actor, protocol)
    send_event_on_commit(protocol.pk, {"type": "protocol.changed", "protocol_id": protocol.pk})
    return protocol


ATTENDANCE_VALUES = {"present": (True, False), "excused": (False, True), "absent": (False, False), "": (None, False)}
MINUTE_TAKER_KEY = "minute_taker"


def attendance_based_on(protocol: Protocol, invitations: Iterable[Invitation] | None = None) -> str:
    """What the attendance form carries of the record it was opened on (``attendance_record``): who
    took the minutes and, per invitation, present / excused / absent / "" (not recorded), as
    ``minute_taker=7&12=present&13=``. ``invitations``: the conference's (not withdrawn), if loaded."""
    if invitations is None:
        invitations = Invitation.objects.filter(conference_id=protocol.conference_id, removed_at__isnull=True)
    pairs = [(MINUTE_TAKER_KEY, str(protocol.minute_taker_id or ""))]
    pairs += [(str(invitation.pk), invitation.attendance) for invitation in sorted(invitations, key=lambda i: i.pk)]
    return conflicts.record_based_on(pairs)


def attendance_parse_based_on(based_on: str) -> dict[str, str]:
    """``attendance_based_on``'s text as {invitation id or ``MINUTE_TAKER_KEY``: value}; a row it
    does not name counts as unknown (a change of it meanwhile conflicts)."""
    return conflicts.record_parse(based_on)


def attendance_based_on_well_formed(based_on: str) -> bool:
    """Whether ``based_on`` is one ``attendance_based_on`` can have made (the page's hidden field)."""
    return conflicts.record_well_formed(
        based_on, key=lambda key: key == MINUTE_TAKER_KEY or key.isdigit(),
        value=lambda key, value: (value == "" or value.isdigit()) if key == MINUTE_TAKER_KEY else value in ATTENDANCE_VALUES,
        required=[MINUTE_TAKER_KEY])


@transaction.atomic
def attendance_record(actor, *, protocol: Protocol, attendance: dict[int, str], minute_taker=_UNSET,
                      based_on: str | None = None, channel: str = Channel.PAGE) -> conflicts.RecordSaved:
    """Record per invitation present / excused / absent ("" = not recorded) and who took the
    minutes. Checks: convenor; not final; the conference has started; every invitation belongs
    to it; the minute-taker is a professional on the case team, and not the actor where she
    convenes only as a substitute (``refuse_substitute_naming_herself``). A scheduled conference becomes
    "held" (the scheduling service owns the rest of Conference). The board's figure "held with
    a parent present" reads ``Invitation.attended``. An invitation withdrawn meanwhile keeps its
    record: what she changed there is not saved, and the answer names it (``RecordSaved.not_saved``,
    the invitations) so that the page tells her; the other rows are saved.

    ``based_on``: ``attendance_based_on`` of the record her form was opened on, so that two people
    recording at once do not overwrite each other. A row she changed is saved; a row she left as
    it was does not overwrite what someone else recorded there meanwhile; a row (or the
    minute-taker) that both changed, to different values, refuses the whole save
    (``EditConflict`` with the protocol as it stands, nothing changed). None (a script) writes
    every row given."""

    protocol = _locked_protocol(protocol.pk)
    _require_convenor(actor, protocol)
    _refuse_final(protocol)
    conference = protocol.conference
    now = timezone.now()
    if conference.starts_at is None or conference.starts_at > now:
        raise ValidationError(_("Attendance can be recorded once the conference has begun."), code="not_yet")
    unknown = [v for v in attendance.values() if v not in ATTENDANCE_VALUES]
    if unknown:
        raise ValidationError({"attendance": _("Choose present, excused or absent.")})
    invitations = {i.pk: i for i in Invitation.objects.select_for_update().filter(conference=conference, pk__in=list(attendance))}
    if len(invitations) != len(attendance):
        raise ValidationError({"attendance": _("Only invitees of this conference can be recorded.")})
    record = {str(pk): (value, invitations[pk].attendance) for pk, value in attendance.items()}
    if minute_taker is not _UNSET and minute_taker is not None:
        record[MINUTE_TAKER_KEY] = (str(minute_taker.pk), str(protocol.minute_taker_id or ""))
    based = None if based_on is None else attendance_parse_based_on(based_on)
    withdrawn_meanwhile = [str(pk) for pk, invitation in invitations.items() if invitation.removed_at is not None]
    record, withdrawn = conflicts.record_gone(record, based, withdrawn_meanwhile)
    if based is not None:
        # A person invited after her form was opened, for whom she recorded nothing: her form did
        # not show the row, so it keeps what someone else recorded there (no conflict).
        record = {key: row for key, row in record.items() if key in based or row[0] != ""}
    write, clashes = conflicts.record_merge(record, based)
    if clashes:  # both changed a row, to different values (or her form did not show it)
        raise conflicts.EditConflict(protocol)
    new_minute_taker = minute_taker if MINUTE_TAKER_KEY in write else None
    rows = {pk: value for pk, value in attendance.items() if str(pk) in write}
    changes: dict[str, str] = {}
    if new_minute_taker is not None:
        if not cases_policy.is_professional_on_case(new_minute_taker, conference.case):
            raise ValidationError({"minute_taker": _("The minute-taker must be a professional on the case team.")})
        refuse_substitute_naming_herself(actor, conference.case, new_minute_taker)
        Protocol.objects.filter(pk=protocol.pk).update(minute_taker=new_minute_taker, version=F("version") + 1)
        changes["minute_taker"] = str(new_minute_taker.pk)
    for pk, value in rows.items():
        attended, excused = ATTENDANCE_VALUES[value]
        Invitation.objects.filter(pk=pk).update(attended=attended, excused=excused)
        changes[str(pk)] = value
    if conference.status == Conference.Status.SCHEDULED:
        Conference.objects.filter(pk=conference.pk).update(status=Conference.Status.HELD, updated_at=now)
    protocol.refresh_from_db()
    _audit(actor, "protocol.attendance", protocol, protocol, channel, changes=changes)
    send_event_on_commit(protocol.pk, {"type": "protocol.changed", "protocol_id": protocol.pk})
    return conflicts.RecordSaved(protocol, not_saved=[invitations[int(key)] for key in withdrawn], saved=len(changes))


@transaction.atomic
def amendment_create(actor, *, item: ProtocolItem, text: str, reason: str, channel: str = Channel.PAGE) -> Amendment:
    """Append an amendment to an item of a final protocol (author, date, reason). Checks: the
    convenor or minute-taker, or (on a restricted item) a professional of the organisation holding
    the information; who can read the item."""
    protocol = _locked_protocol(item.protocol_id)
    holder = (rules.holder_decides(item) and cases_policy.team_organisation_ids(actor, protocol.conference.case)
              .filter(organisation_id=item.holding_organisation_id).exists())
    if not holder:
        _require_item_writer(actor, protocol)
    if not protocol.is_final:
        raise ValidationError(_("Amendments are added to a final protocol; edit the draft instead."))
    if not protocols_policy.protocol_items_for_user(actor).filter(pk=item.pk).exists():
        raise PermissionDenied(_("You cannot amend this item."))
    text, reason = sanitize.clean_input(text), sanitize.clean_input(reason)[:300]
    errors = {}
    if not text:
        errors["text"] = _("Enter the amendment.")
    if not reason:
        errors["reason"] = _("Give the reason for the amendment.")
    if errors:
        raise ValidationError(errors)
    amendment = Amendment.objects.create(item=item, author=actor, text=text, reason=reason)
    _audit(actor, "protocol.amendment.create", amendment, protocol, channel, item=item.pk)
    send_event_on_commit(protocol.pk, {"type": "item.changed", "item_id": item.pk})
    return amendment


@transaction.atomic
def protocol_acknowledge(actor, *, protocol: Protocol, channel: str = Channel.PAGE) -> Acknowledgement:
    """Record that the actor has read the final protocol (idempotent). A released draft may still
    change through corrections, so reading is confirmed only once it is final (for everyone alike)."""
    protocol = protocols_for_user(actor).filter(pk=protocol.pk).first()
    if protocol is None:
        raise PermissionDenied(_("You cannot acknowledge this protocol."))
    if not protocol.is_final:
        raise ValidationError(_("You can confirm that you have read the protocol once it is final."))
    ack, created = Acknowledgement.objects.get_or_create(protocol=protocol, user=actor)
    if created:
        _audit(actor, "protocol.acknowledge", ack, protocol, channel)
    return ack


def summary_digest(text: str) -> str:
    """What a summary form carries of the summary it was opened on (``parent_summary_set``)."""
    return hashlib.sha256((text or "").encode()).hexdigest()


SUMMARY_DIGEST = re.compile(r"[0-9a-f]{64}")


def summary_digest_well_formed(based_on: str) -> bool:
    """Whether ``based_on`` is one ``summary_digest`` can have made (the page's hidden field)."""
    return bool(SUMMARY_DIGEST.fullmatch(based_on))


@transaction.atomic
def parent_summary_set(actor, *, protocol: Protocol, text: str, based_on: str | None = None,
                       channel: str = Channel.PAGE) -> Protocol:
    """The convenor writes the plain-language summary the parents see first. Not on a final protocol.
    ``based_on``: ``summary_digest`` of the summary her text was written on; another convenor's
    summary saved since then is not overwritten (``EditConflict`` with the protocol as it stands,
    nothing changed). Other changes to the protocol (the next review, attendance) do not count.
    None (a script) skips the check."""
    protocol = _locked_protocol(protocol.pk)
    _require_convenor(actor, protocol)
    _refuse_final(protocol)
    if based_on is not None and based_on != summary_digest(protocol.parent_summary):
        raise conflicts.EditConflict(protocol)
    Protocol.objects.filter(pk=protocol.pk).update(parent_summary=sanitize.clean_input(text), version=F("version") + 1)
    protocol.refresh_from_db()
    _audit(actor, "protocol.parent_summary", protocol, protocol, channel)
    send_event_on_commit(protocol.pk, {"type": "protocol.changed", "protocol_id": protocol.pk})
    return protocol


# --- action status after the conference ----------------------------------------------------

def _apply_action_status(actor, action: AgreedAction, status: str, note: str) -> None:
    """Set the status with a progress note. A changed status raises ``sequence`` (the SEQUENCE
    of the action's calendar event), so that calendars replace the event they hold."""
    if status != action.status:
        action.sequence += 1
    action.status = status
    action.completed_on = timezone.localdate() if status == AgreedAction.Status.DONE else None
    action.version += 1
    action.save(update_fields=["status", "completed_on", "version", "sequence", "updated_at"])
    ActionNote.objects.create(action=action, author=actor, status=status, note=note[:500])
    action.refresh_from_db(fields=["history_status", "history_at", "history_reopened"])  # set by the notes' trigger


@transaction.atomic
def action_update_status(actor, *, action: AgreedAction, status: str, note: str = "", version: int | None = None,
                         channel: str = Channel.PAGE) -> AgreedAction:
    """The responsible person, a colleague of the responsible organisation, or the convenor sets
    the status with a progress note (history kept). ``version`` guards against lost updates.
    Sends ``item.changed`` for the item that holds the action."""
    action = AgreedAction.objects.select_for_update(of=("self",)).select_related("case", "item").get(pk=action.pk)
    if not protocols_policy.actions_for_user(actor).filter(pk=action.pk).exists():
        raise PermissionDenied(_("You cannot see this action."))
    if not protocols_policy.can_update_action(actor, action):
        raise PermissionDenied(_("Only the responsible person, her organisation or the convenor may update this action."))
    if status not in AgreedAction.Status.values:
        raise ValidationError({"status": _("Choose a status.")})
    if version is not None and int(version) != action.version:
        raise _version_conflict(action)
    note = sanitize.clean_input(note)
    if status == AgreedAction.Status.DROPPED and status != action.status and not note:
        raise ValidationError({"note": _("Give the reason why the action is dropped.")})
    _apply_action_status(actor, action, status, note)
    record(actor, action="protocol.action.status", obj=action, case_id=action.case_id, channel=channel,
           detail={"status": status})
    send_event_on_commit(action.item.protocol_id, {"type": "item.changed", "item_id": action.item_id})
    live.action_changed_on_commit(action.pk)
    return action


def _responsible_ids(action: AgreedAction) -> dict:
    return {"user": action.responsible_user_id, "organisation": action.responsible_organisation_id,
            "family_member": action.responsible_family_member_id}


@transaction.atomic
def action_reassign(actor, *, action: AgreedAction, version: int, responsible_user=None,
                    responsible_organisation: Organisation | None = None,
                    responsible_family_member: FamilyMember | None = None, reason: str,
                    channel: str = Channel.PAGE) -> AgreedAction:
    """Give an open (or in progress) action to another person: someone changed jobs, fell ill, or
    one parent takes it over from the other. Checks: the convenor of the case (``cases.policy.can_convene``;
    after the draft is released nobody agrees actions anew, so she is who keeps them with the right
    people); ``version`` as read (else ``EditConflict``, nothing changed); the new responsible is
    eligible exactly as at creation (``_validate_action_responsible``); a reason. Keeps the history
    (a progress note), audits old and new responsible, and after commit sends ``item.changed`` and
    ``action.changed`` and tells the new responsible that the action was handed over to her (or her
    organisation), with the privacy of a new action's notice (``announce.action_assigned``);
    those it fell to before (as the policy showed it to them as theirs) and no longer falls to are
    told that it was handed over (``action_handed_over_announce``: never the reason, in no channel
    outside the action's page).
    The feeds follow through the content version (the database's trigger on the action's row)."""
    action = AgreedAction.objects.select_for_update(of=("self",)).select_related(
        "case", "item", "responsible_user", "responsible_organisation", "responsible_family_member").get(pk=action.pk)
    if not protocols_policy.actions_for_user(actor).filter(pk=action.pk).exists():
        raise PermissionDenied(_("You cannot see this action."))
    protocol = _locked_protocol(action.item.protocol_id)
    if not is_convenor(actor, protocol):
        raise PermissionDenied(_("Only the convenor of the case may give an action to someone else."))
    if version is None or int(version) != action.version:
        raise conflicts.EditConflict(action, _(
            "Someone else changed this action in the meantime. Nothing was changed: check who is responsible now "
            "and try again."))
    if action.status not in OPEN_STATES:
        raise ValidationError(_("Only an open or in-progress action can be given to someone else."), code="closed")
    reason = sanitize.clean_input(reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the action changes hands.")})
    _validate_action_responsible(protocol, action.item, user=responsible_user, organisation=responsible_organisation,
                                 family_member=responsible_family_member)
    before = _responsible_ids(action)
    old_label = responsible_label(action)
    # Asked before the change: who it falls to now, as the policy shows it to her (one query each).
    previous = announce.responsible_users(action)
    previous_to_organisation = not (action.responsible_user_id or action.responsible_family_member_id)
    action.responsible_user = responsible_user
    action.responsible_organisation = responsible_organisation
    action.responsible_family_member = responsible_family_member
    after = _responsible_ids(action)
    if after == before:
        raise ValidationError({"responsible": _("This is already who is responsible. Choose someone else.")})
    action.version += 1
    action.save(update_fields=["responsible_user", "responsible_organisation", "responsible_family_member", "version",
                               "updated_at"])
    note = _("Handed over from %(old)s to %(new)s: %(reason)s") % {
        "old": old_label, "new": responsible_label(action), "reason": reason}
    ActionNote.objects.create(action=action, author=actor, status=action.status, note=note[:500])
    action.refresh_from_db(fields=["history_status", "history_at", "history_reopened"])  # set by the notes' trigger
    # The item's version stays (as for a status change): it guards the item's text, and raising it
    # would make the correction proposals pending on a released draft's item outdated.
    record(actor, action="protocol.action.reassign", obj=action, case_id=action.case_id, channel=channel,
           detail={"old": before, "new": after})
    jobs.enqueue_on_commit(ANNOUNCE_ACTION_ASSIGNED, action_id=action.pk, actor_id=actor.pk, version=action.version)
    # Who keeps it (the same person with another organisation of hers, a member of the organisation
    # it goes to) has not lost it; the convenor knows what she did.
    keeps = {u.pk for u in announce.responsible_candidates(action)} | {actor.pk}
    lost = sorted(u.pk for u in previous if u.pk not in keeps)
    if lost:
        jobs.enqueue_on_commit(ANNOUNCE_ACTION_HANDED_OVER, action_id=action.pk, actor_id=actor.pk,
                               version=action.version, user_ids=lost, to_organisation=previous_to_organisation)
    send_event_on_commit(protocol.pk, {"type": "item.changed", "item_id": action.item_id})
    live.action_changed_on_commit(action.pk)
    return action


# --- reminders for overdue actions ---------------------------------------------------------

REMIND_EVERY_DAYS = 7
# protocols/tasks.py imports this module; it names the task instead of importing it.
SEND_ACTION_REMINDER = "protocols.tasks.send_action_reminder"
ANNOUNCE_ACTION_ASSIGNED = "protocols.tasks.announce_action_assigned"
ANNOUNCE_ACTION_HANDED_OVER = "protocols.tasks.announce_action_handed_over"


@transaction.atomic
def action_assigned_announce(*, action_id: int, actor_id: int | None = None, version: int | None = None) -> bool:
    """Tell the people a new agreed action falls to (``announce.action_assigned``: only those who
    may see it now, by the policy), queued by ``action_create`` after its commit, and by
    ``action_reassign`` with the action's new ``version`` (so that one who gets it back is told
    again; told as handed over to her, not as newly agreed). The acting person is not told of her
    own action. False when the action is gone."""
    action = AgreedAction.objects.select_related("case").filter(pk=action_id).first()
    if action is None:
        return False
    announce.action_assigned(User.objects.filter(pk=actor_id).first() if actor_id else None, action, version=version)
    return True


@transaction.atomic
def action_handed_over_announce(*, action_id: int, actor_id: int | None, version: int, user_ids: list[int],
                                to_organisation: bool) -> bool:
    """Tell the people an action fell to before a hand-over that it is no longer theirs
    (``announce.action_handed_over``), queued by ``action_reassign`` after its commit with those
    the policy showed it to as theirs before the change, less those it still falls to. False when
    the action is gone."""
    action = AgreedAction.objects.select_related("case").filter(pk=action_id).first()
    if action is None:
        return False
    announce.action_handed_over(User.objects.filter(pk=actor_id).first() if actor_id else None, action,
                                user_ids=user_ids, to_organisation=to_organisation, version=version)
    return True


@transaction.atomic
def erased_actions_announce(*, family_member: FamilyMember) -> dict[int, int]:
    """A family member's record was erased (Art. 17: ``privacy.services._erase_person``, in its
    transaction; or an erasure made before this notice existed, found by the privacy app's daily
    run, ``privacy.retention``). The open (or in-progress) actions that fall to her stay hers, the
    record of what was agreed, but nobody can carry them out or report on them any more: her
    account is unlinked and nothing is sent to her. Whoever can hand them over (``action_reassign``)
    is told, once for the erasure: the convenors of the conferences at which they were agreed while
    they still convene the case; where none does any more, the case's lead caseworker while she
    does (a closed case is convened by nobody: nothing is told). Each is told of the actions she
    sees (``protocols_policy.actions_for_user``), by their number, never who nor what
    (``announce.actions_erased``); one told before for this erasure is not told again.
    Returns {user id: number of actions} of those told now."""
    if not family_member.is_erased:
        raise ValueError("erased_actions_announce: the family member's record is not erased")
    actions = list(AgreedAction.objects.filter(responsible_family_member_id=family_member.pk, status__in=OPEN_STATES)
                   .select_related("case__lead_caseworker", "item__protocol__conference__convenor")
                   .order_by("due_on", "pk"))
    if not actions:
        return {}
    case = actions[0].case
    convenors = {action.item.protocol.conference.convenor for action in actions}
    users = [user for user in sorted(convenors, key=lambda u: u.pk) if cases_policy.can_convene(user, case)]
    if not users and case.lead_caseworker is not None and cases_policy.can_convene(case.lead_caseworker, case):
        users = [case.lead_caseworker]
    key = announce.erased_actions_event_key(family_member.pk)
    told_before = set(Notification.objects.filter(recipient__in=users, event_key=key).values_list("recipient_id", flat=True))
    action_ids = [action.pk for action in actions]
    told: dict[int, int] = {}
    for user in users:
        if user.pk in told_before or not user.is_active:
            continue
        seen = list(protocols_policy.actions_for_user(user).filter(pk__in=action_ids).order_by("due_on", "pk")
                    .values_list("pk", flat=True))
        if seen:
            announce.actions_erased(user, family_member_id=family_member.pk, case=case, action_ids=seen)
            told[user.pk] = len(seen)
    return told


def actions_due_for_reminder(today: dt.date):
    """Open actions past their due date that were not reminded in the last week."""
    return AgreedAction.objects.filter(status__in=OPEN_STATES, due_on__lt=today).filter(
        Q(last_reminded_on__isnull=True) | Q(last_reminded_on__lte=today - dt.timedelta(days=REMIND_EVERY_DAYS))
    )


@transaction.atomic
def action_reminders_queue(*, today: dt.date | None = None) -> int:
    """Queue one reminder task per overdue action, after the transaction commits."""
    today = today or timezone.localdate()
    ids = list(actions_due_for_reminder(today).order_by("pk").values_list("pk", flat=True))
    for action_id in ids:
        jobs.enqueue_on_commit(SEND_ACTION_REMINDER, action_id)
    return len(ids)


def reminder_recipients(action: AgreedAction) -> list[str]:
    """The addresses reminded by plain e-mail: a responsible parent without an account, while she
    is invited to the conference the action was agreed at and the action is in an item she may hold
    actions in (``protocols_policy.family_member_reads_labelled_item``; everyone with an account is
    told through a notification, by e-mail as she chose, on the same condition: ``announce.responsible_users``)."""
    member = action.responsible_family_member if action.responsible_family_member_id else None
    if (member is not None and not member.user_id and member.email
            and conferences_policy.parent_is_invited(member, action.item.protocol.conference_id)
            and protocols_policy.family_member_reads_labelled_item(action.item, member.pk)):
        return [member.email]
    return []


@transaction.atomic
def action_send_reminder(*, action_id: int, today: dt.date | None = None) -> bool:
    """Remind the people an overdue action falls to: a notification (case reference and due
    date, never the title) for those with an account, a plain e-mail in her language for a
    parent without one. Idempotent per week: a second run the same day sends nothing."""
    today = today or timezone.localdate()
    action = actions_due_for_reminder(today).select_for_update().filter(pk=action_id).first()
    if action is None:
        return False
    users = announce.action_overdue(action, today=today)
    addresses = reminder_recipients(action)
    if addresses:
        member = action.responsible_family_member
        with translation.override(language.for_family_member(member, network=action.case.network)):
            message = EmailMessage(
                subject=_("Reminder: an agreed action is overdue"),
                # No title and no link: she has no account; her caseworker tells her the details.
                body=_("An agreed action was due on %(due)s and is not marked done yet.\n\nIf you have questions, please ask your caseworker.")
                % {"due": formats.date_format(action.due_on, "DATE_FORMAT")},
                from_email=settings.DEFAULT_FROM_EMAIL, to=addresses,
            )
        # Sent from the outbox after commit, with retries; queued once per action and day.
        mail_queue(message, key=f"action-reminder:{action.pk}:{today.isoformat()}", kind=MailKind.REMINDER,
                   case_id=action.case_id)
    AgreedAction.objects.filter(pk=action.pk).update(last_reminded_on=today)
    record(None, action="protocol.action.reminder", obj=action, case_id=action.case_id, channel=Channel.TASK,
           detail={"recipients": len(addresses) + len(users)})
    return bool(addresses or users)
