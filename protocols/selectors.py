"""Every read of protocols, items and agreed actions, filtered by ``protocols.policy``.

Lists cost a fixed number of queries whatever their length (prefetching, no per-row checks).
``get_<entity>_for_user`` raises ``Http404`` for a missing and for an invisible object alike.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.postgres.aggregates import JSONBAgg
from django.db import connections
from django.db.models import (
    Aggregate, Case as When_, Exists, F, IntegerField, JSONField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When,
)
from django.db.models.functions import JSONObject
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _, ngettext

from cases import policy as cases_policy
from cases.models import Case, FamilyMember
from conferences import policy as conferences_policy
from conferences.models import Conference, Invitation
from participants.models import Organisation, User
from permissions import policy
from permissions.audit import Channel, record, record_read
from protocols import policy as protocols_policy
from protocols import rules
from protocols.models import (
    Acknowledgement, ActionNote, AgreedAction, Amendment, Audience, CorrectionProposal, Protocol, ProtocolItem,
)

OPEN_STATES = (AgreedAction.Status.OPEN, AgreedAction.Status.IN_PROGRESS)


def protocols_for_user(user) -> QuerySet[Protocol]:
    """Protocols of the conferences the user may see (team professionals; invited parents)."""
    return Protocol.objects.filter(conference_id__in=conferences_policy.conferences_for_user(user).values("pk"))


def get_protocol_for_user(user, pk, *, channel: str = Channel.PAGE, audit: bool = True) -> Protocol:
    try:
        protocol = protocols_for_user(user).select_related("conference__case__network", "minute_taker").get(pk=pk)
    except (Protocol.DoesNotExist, ValueError, TypeError):
        raise Http404("No such protocol")
    if audit:
        case_id = protocol.conference.case_id
        record(user, action="protocol.read", obj=protocol, case_id=case_id, channel=channel,
               legal_basis=cases_policy.case_bases(user, [case_id])[case_id])
    return protocol


def audit_items_read(user, items, *, channel: str, action: str = "protocol.item.list", many: bool = True) -> None:
    """One audit event for the items ``user`` just received (a page, a socket's hello or sync, a
    print), naming their ids and the legal basis each was released under. Constant queries."""
    items = list(items)
    if not items:
        return
    case_of = dict(ProtocolItem.objects.filter(pk__in=[i.pk for i in items]).values_list("pk", "protocol__conference__case_id"))
    record_read(user, action=action, object_type="protocols.protocolitem", rows=[(i.pk, case_of.get(i.pk)) for i in items],
                bases=protocols_policy.disclosure_bases_for_items(user, items), many=many, channel=channel)


def audit_actions_read(user, actions, *, channel: str, action: str = "protocol.action.list") -> None:
    """One audit event for a list of agreed actions shown to ``user`` (ids, cases, bases)."""
    actions = list(actions)
    record_read(user, action=action, object_type="protocols.agreedaction", rows=[(a.pk, a.case_id) for a in actions],
                bases=action_bases(user, actions), channel=channel)


def action_bases(user, actions) -> dict[int, str]:
    """Legal basis of each agreed action's disclosure: its item's basis, or "responsible" for an
    action that falls to her (or her organisation) in an item she may not read. Constant queries."""
    actions = list(actions)
    by_item, readable = protocols_policy.item_bases_and_readable(user, {a.item_id: a.item for a in actions if a.item_id}.values(),
                                                                 readable=True)
    return {a.pk: by_item[a.item_id] if a.item_id in readable else "responsible" for a in actions}


def items_for_user(user, *, protocol: Protocol | None = None) -> QuerySet[ProtocolItem]:
    """The items the user may read, with what a page shows beside them, in a fixed number of queries."""
    qs = protocols_policy.protocol_items_for_user(user)
    if protocol is not None:
        qs = qs.filter(protocol=protocol)
    return (
        qs.select_related("holding_organisation", "reviewed_action", "protocol")
        .prefetch_related(
            "restricted_to",
            Prefetch("amendments", queryset=Amendment.objects.select_related("author").order_by("created_at", "pk")),
            Prefetch("actions", queryset=AgreedAction.objects.select_related(
                "case", "responsible_user", "responsible_organisation", "responsible_family_member").order_by("due_on", "pk")),
        )
        .order_by("position", "pk")
    )


class _JSONArray(Aggregate):
    """The grouped rows as one JSON array: ``JSON_GROUP_ARRAY`` on SQLite, ``JSONB_AGG`` on PostgreSQL
    (where ``JSONBAgg`` with ``order_by`` is used when the order matters)."""

    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSONB_AGG", **extra_context)


def _fields(model, prefix: str = "", only=None) -> dict[str, str]:
    return {f"{prefix}{f.attname}": f"{prefix.replace('.', '__')}{f.attname}"
            for f in model._meta.concrete_fields if only is None or f.attname in only}


# What an item of the API list shows beside it (``ProtocolItemSerializer``), as JSON rows of the
# page query: the organisations it is restricted to, its amendments with their author, its agreed
# actions with their case and who is responsible. Related rows carry only what their ``__str__``
# and the serializers read; anything else is left deferred, so a serializer that starts reading
# more costs a statement per row and fails the constant-count tests instead of showing a default.
_AMENDMENT_ROW = {**_fields(Amendment), **_fields(User, "author.", {"id", "username", "first_name", "last_name"})}
_ACTION_ROW = {
    **_fields(AgreedAction), "case.id": "case__id", "case.reference": "case__reference",
    **_fields(User, "responsible_user.", {"id", "username", "first_name", "last_name"}),
    "responsible_organisation.id": "responsible_organisation__id", "responsible_organisation.name": "responsible_organisation__name",
    **_fields(FamilyMember, "responsible_family_member.", {"id", "case_id", "relation", "display_name", "erased_at"}),
}
_RELATED = {"author": User, "case": Case, "responsible_user": User, "responsible_organisation": Organisation,
            "responsible_family_member": FamilyMember}


def items_for_api_list(user) -> QuerySet[ProtocolItem]:
    """``items_for_user`` for the API list in ONE statement with its page: the three prefetches
    (organisations, amendments, actions) become JSON arrays of the page query (correlated
    subqueries, one per item of the page), which ``unpack_item_rows`` turns back into the prefetch
    caches the serializer reads. Issue 13: a list request in at most 5 statements."""
    qs = items_for_user(user).prefetch_related(None)
    postgres = connections[qs.db].vendor == "postgresql"
    Through = ProtocolItem.restricted_to.through
    org_row = JSONObject(id="organisation_id", network="organisation__network__name", name="organisation__name")
    # The organisations in their model's order (network name, name): in SQL on PostgreSQL (its
    # collation), in Python on SQLite (whose BINARY collation is Python's order of strings).
    orgs = JSONBAgg(org_row, order_by=("organisation__network__name", "organisation__name", "organisation_id")) if postgres else _JSONArray(org_row)

    def rows(model, link: str, row: dict[str, str], aggregate=None):
        related = model.objects.filter(**{link: OuterRef("pk")}).order_by().values(link)
        return Subquery(related.annotate(rows=aggregate or _JSONArray(JSONObject(**row))).values("rows"))

    return qs.annotate(
        _rows_restricted_to=rows(Through, "protocolitem_id", {}, orgs),
        _rows_amendments=rows(Amendment, "item_id", _AMENDMENT_ROW),
        _rows_actions=rows(AgreedAction, "item_id", _ACTION_ROW),
    )


def _instance(model, using: str, row: dict, prefix: str = ""):
    """A model instance from the JSON row's fields under ``prefix`` (the rest deferred), its values
    converted as the database would have given them."""
    names, values = [], []
    for field in model._meta.concrete_fields:
        key = prefix + field.attname
        if key not in row:
            continue
        value = row[key]
        if value is not None:
            value = field.to_python(value)
            if isinstance(value, dt.datetime) and timezone.is_naive(value):  # SQLite stores UTC without offset
                value = timezone.make_aware(value, dt.timezone.utc)
        names.append(field.attname)
        values.append(value)
    return model.from_db(using, names, values)


def _cached(item: ProtocolItem, name: str, objects: list) -> None:
    queryset = getattr(item, name).all()  # no statement: it is only filtered, never evaluated
    queryset._result_cache, queryset._prefetch_done = objects, True
    item._prefetched_objects_cache[name] = queryset


def unpack_item_rows(items: list[ProtocolItem]) -> list[ProtocolItem]:
    """Fill the prefetch caches of the items of ``items_for_api_list`` from their JSON rows."""
    for item in items:
        using = item._state.db
        item._prefetched_objects_cache = getattr(item, "_prefetched_objects_cache", {})
        orgs = item._rows_restricted_to or []
        if connections[using].vendor != "postgresql":
            orgs = sorted(orgs, key=lambda o: (o["network"], o["name"], o["id"]))
        _cached(item, "restricted_to", [Organisation.from_db(using, ["id", "name"], [o["id"], o["name"]]) for o in orgs])
        for name, model, order in (("amendments", Amendment, ("created_at", "id")), ("actions", AgreedAction, ("due_on", "id"))):
            objects = []
            for row in getattr(item, f"_rows_{name}") or []:
                obj = _instance(model, using, row)
                for relation, related_model in _RELATED.items():
                    if f"{relation}.id" in row:
                        setattr(obj, relation, None if row[f"{relation}.id"] is None else _instance(related_model, using, row, f"{relation}."))
                objects.append(obj)
            objects.sort(key=lambda obj: tuple(getattr(obj, key) for key in order))
            _cached(item, name, objects)
    return items


# What an agreed action of the API list reads beside its own row (``AgreedActionSerializer`` and
# the audit's ``action_bases``): its case's reference, who is responsible, and the item fields
# that decide the legal basis of the read. Anything else stays deferred (see above).
_ACTION_LIST_ROW = {
    "case.id": "case__id", "case.reference": "case__reference",
    **_fields(ProtocolItem, "item.", {"id", "protocol_id", "audience", "holding_organisation_id", "category", "entrusted_by_id"}),
    **{key: path for key, path in _ACTION_ROW.items() if key.startswith("responsible_") and "." in key},
}
_ACTION_LIST_RELATED = {"case": Case, "item": ProtocolItem, "responsible_user": User, "responsible_organisation": Organisation,
                        "responsible_family_member": FamilyMember}


def actions_for_api_list(actions: QuerySet[AgreedAction]) -> QuerySet[AgreedAction]:
    """The API list's page of ``actions`` (a policy queryset) without joining its related rows
    into the windowed statement: the case, item and responsible rows come as one JSON object per
    action from a correlated subquery, which PostgreSQL evaluates for the page's rows only (after
    the sort and the limit). With ``select_related`` every visible row was joined to five tables,
    then counted by the pagination's ``COUNT(*) OVER ()`` (~570 bytes a row, spilled to disk at
    10,000 rows) and sorted, to keep 10. ``unpack_action_rows`` turns the objects back into the
    related instances the serializer and the audit read. Issue 13."""
    related = AgreedAction.objects.filter(pk=OuterRef("pk")).order_by().values(_row=JSONObject(**_ACTION_LIST_ROW))
    return actions.select_related(None).prefetch_related(None).annotate(_rows_related=Subquery(related))


def unpack_action_rows(actions: list[AgreedAction]) -> list[AgreedAction]:
    """Set the related instances of the actions of ``actions_for_api_list`` from their JSON row."""
    for action in actions:
        using = action._state.db
        row = action._rows_related or {}
        for relation, model in _ACTION_LIST_RELATED.items():
            if f"{relation}.id" in row:
                setattr(action, relation, None if row[f"{relation}.id"] is None else _instance(model, using, row, f"{relation}."))
    return actions


def get_item_for_user(user, pk) -> ProtocolItem:
    try:
        return items_for_user(user).get(pk=pk)
    except (ProtocolItem.DoesNotExist, ValueError, TypeError):
        raise Http404("No such item")


def responsible_label(action: AgreedAction) -> str:
    if action.responsible_family_member_id:
        return str(action.responsible_family_member)
    if action.responsible_user_id:
        return f"{action.responsible_user} ({action.responsible_organisation})"
    return str(action.responsible_organisation)


def protocol_payload(protocol: Protocol) -> dict:
    return {
        "id": protocol.pk, "status": protocol.status, "status_label": str(protocol.get_status_display()),
        "version": protocol.version, "next_review_on": protocol.next_review_on.isoformat() if protocol.next_review_on else None,
        "is_final": protocol.is_final,
    }


def localise_live_message(message):
    """A live message with its display fields (due dates, status and audience labels) rendered
    again in the active language. Payloads are built once by the sender, in the sender's
    language; each socket calls this under its own reader's language before sending, so the
    live part of a page reads like its server-rendered part. Returns a new structure."""
    if isinstance(message, list):
        return [localise_live_message(value) for value in message]
    if not isinstance(message, dict):
        return message
    out = {key: localise_live_message(value) for key, value in message.items()}
    if out.get("due_on") and "due_on_display" in out:  # an agreed action
        try:
            out["due_on_display"] = formats.date_format(dt.date.fromisoformat(out["due_on"]), "SHORT_DATE_FORMAT")
        except (TypeError, ValueError):
            pass
        if out.get("status") in AgreedAction.Status.values:
            out["status_label"] = str(AgreedAction.Status(out["status"]).label)
        family = out.get("responsible_family")
        if isinstance(family, dict) and family.get("relation") in FamilyMember.Relation.values:
            out["responsible"] = f"{family.get('name', '')} ({FamilyMember.Relation(family['relation']).label})"
    elif "is_final" in out and out.get("status") in Protocol.Status.values:  # the protocol
        out["status_label"] = str(Protocol.Status(out["status"]).label)
    if "audience_label" in out and out.get("audience") in Audience.values:  # an item
        out["audience_label"] = str(Audience(out["audience"]).label)
    return out


# --- parents --------------------------------------------------------------------------------

def derived_parent_summary(protocol: Protocol, items) -> list[str]:
    """Plain lines built from the items visible to parents, when the convenor wrote no summary."""
    lines = []
    for item in items:
        if item.audience != Audience.EVERYONE:
            continue
        for action in item.actions.all():
            lines.append(f"{action.title} – {responsible_label(action)} – {formats.date_format(action.due_on, 'DATE_FORMAT')}")
    return lines


def reports_for_user(user, protocol: Protocol) -> QuerySet:
    """Submitted written reports of the conference that the user may read
    (``conferences.policy.reports_for_user``, the one rule of the conference page and the report
    page): the team's and those restricted to an organisation she may read them for, for team
    professionals; those shared with them, for the parents; none for a guest."""
    return (conferences_policy.reports_for_user(user).filter(conference_id=protocol.conference_id, submitted_at__isnull=False)
            .select_related("organisation").order_by("organisation__name"))


# --- minutes workflow -----------------------------------------------------------------------

@dataclass
class AcknowledgementStatus:
    acknowledged: list
    pending: list


def actions_named_for(actor, actions) -> list[str]:
    """The actions a refusal names to ``actor``: title and due date of those she may read, the
    others only counted (``protocols_policy.actions_for_user``, one query)."""
    readable = set(protocols_policy.actions_for_user(actor).filter(pk__in=[a.pk for a in actions]).values_list("pk", flat=True))
    names = [_("“%(title)s” (due on %(due)s)") % {"title": a.title, "due": formats.date_format(a.due_on, "DATE_FORMAT")}
             for a in actions if a.pk in readable]
    hidden = len(actions) - len(names)
    if hidden:
        names.append(ngettext("%(n)s further action you cannot read", "%(n)s further actions you cannot read", hidden)
                     % {"n": hidden})
    return names


def acknowledged_as_invited() -> Exists:
    """On an Acknowledgement: its user is invited to the protocol's conference now, as a
    professional or through the family record her account is linked to. Whom the convenor is shown
    as having confirmed reading (the page's ``acknowledgement_status`` lists the invited only, the
    API the same): an account unlinked from an erased record (Art. 17, review h12, H12-6) or a
    withdrawn invitee is not named."""
    invited = Invitation.objects.filter(conference_id=OuterRef("protocol__conference_id"), removed_at__isnull=True)
    return Exists(invited.filter(Q(user_id=OuterRef("user_id")) | Q(family_member__user_id=OuterRef("user_id"))))


def acknowledgement_status(protocol: Protocol) -> AcknowledgementStatus:
    """Who among the invited participants with an account has, and has not, acknowledged."""
    invited = User.objects.filter(
        pk__in=Invitation.objects.filter(conference_id=protocol.conference_id, removed_at__isnull=True, user__isnull=False).values("user_id")
    ) | User.objects.filter(
        pk__in=Invitation.objects.filter(conference_id=protocol.conference_id, removed_at__isnull=True,
                                         family_member__user__isnull=False).values("family_member__user_id")
    )
    acks = {a.user_id: a for a in Acknowledgement.objects.filter(protocol=protocol)}
    people = list(invited.distinct().order_by("last_name", "first_name", "username"))
    return AcknowledgementStatus(
        acknowledged=[(p, acks[p.pk].at) for p in people if p.pk in acks],
        pending=[p for p in people if p.pk not in acks],
    )


def pending_corrections(user, protocol: Protocol) -> QuerySet:
    """Proposals on the items of ``protocol`` that ``user`` may read (a restricted item she cannot
    read shows neither its title nor the proposed text)."""
    visible = protocols_policy.protocol_items_for_user(user).filter(protocol=protocol).values("pk")
    return (CorrectionProposal.objects.filter(item__protocol=protocol, item_id__in=visible).select_related("item", "author")
            .order_by("status", "created_at"))


def corrections_for_decider(user, protocol: Protocol) -> QuerySet:
    """Proposals the user decides or decided on ``protocol`` (``rules.proposals_decided_by``, the
    service's rule: pending ones she decides, and decided ones on items she can read and would
    decide), and for the convenor, who finalises, every decided one on an item she can read,
    oldest first."""
    mine = Q(pk__in=rules.proposals_decided_by(user, protocol).values("pk"))
    if cases_policy.can_convene(user, protocol.conference.case):
        visible = protocols_policy.protocol_items_for_user(user).filter(protocol=protocol).values("pk")
        mine |= Q(item_id__in=visible) & ~Q(status=CorrectionProposal.Status.PENDING)
    return (CorrectionProposal.objects.filter(item__protocol=protocol).filter(mine)
            .select_related("item", "author", "decided_by").order_by("status", "created_at", "pk"))


def my_correction_proposals(user, protocol: Protocol) -> QuerySet:
    """What the user proposed on ``protocol`` and what became of it (on items she can still read)."""
    visible = protocols_policy.protocol_items_for_user(user).filter(protocol=protocol).values("pk")
    return (CorrectionProposal.objects.filter(item__protocol=protocol, author=user, item_id__in=visible)
            .select_related("item", "decided_by").order_by("created_at", "pk"))


def invitations_for_attendance(protocol: Protocol) -> list:
    """The conference's invitations (not withdrawn), family first, for the attendance list."""
    return list(Invitation.objects.filter(conference_id=protocol.conference_id, removed_at__isnull=True)
                .select_related("user", "organisation", "family_member")
                .order_by(F("family_member_id").asc(nulls_last=True), "organisation__name", "user__last_name", "pk"))


def convened_case_ids(user) -> QuerySet:
    """Ids of the open cases the user convenes (``cases_policy.can_convene`` as a subquery)."""
    return cases_policy.convened_case_ids(user)


def _overdue_minutes_steps(protocols, today: dt.date) -> list[dict]:
    steps = []
    for protocol in protocols:
        if protocol.status == Protocol.Status.DRAFT:
            due = rules.draft_release_due_on(protocol)
            if due < today:
                steps.append({"protocol": protocol, "step": "release", "due_on": due})
        elif protocol.status == Protocol.Status.RELEASED and protocol.corrections_until and protocol.corrections_until < today:
            steps.append({"protocol": protocol, "step": "finalise", "due_on": protocol.corrections_until})
    return sorted(steps, key=lambda step: (step["due_on"], step["protocol"].pk))


@dataclass
class ConvenorOverdue:
    actions: list          # open or in-progress actions past their due date, oldest first
    minutes_steps: list    # {"protocol", "step": "release" | "finalise", "due_on"}, oldest first

    def __bool__(self) -> bool:
        return bool(self.actions or self.minutes_steps)


def convenor_overdue_for_user(user, *, today: dt.date | None = None) -> ConvenorOverdue:
    """What is overdue in the cases the user convenes, for her dashboard: (a) agreed actions still
    open after their due date; (b) minutes steps — a draft not released within the network's
    ``draft_release_working_days`` after the conference, a correction window that has passed
    without finalisation. Two queries, whatever the number of cases, actions and protocols."""
    today = today or timezone.localdate()
    convened = convened_case_ids(user)
    actions = list(
        protocols_policy.actions_for_user(user)
        .filter(case_id__in=convened, status__in=OPEN_STATES, due_on__lt=today)
        .select_related("case", "item__protocol", "responsible_user", "responsible_organisation", "responsible_family_member")
        .order_by("due_on", "pk")
    )
    return ConvenorOverdue(actions=actions, minutes_steps=_convened_overdue_steps(user, convened, today))


def _convened_overdue_steps(user, convened: QuerySet, today: dt.date) -> list[dict]:
    protocols = (
        protocols_for_user(user).filter(conference__case_id__in=convened)
        .filter(Q(status=Protocol.Status.DRAFT) | Q(status=Protocol.Status.RELEASED, corrections_until__lt=today))
        .select_related("conference__case__network")
    )
    return _overdue_minutes_steps(protocols, today)


def overdue_minutes_steps_for_user(user) -> list[dict]:
    """Protocols of cases the user convenes whose draft release or finalisation is overdue (one query)."""
    return _convened_overdue_steps(user, convened_case_ids(user), timezone.localdate())


# --- agreed actions -------------------------------------------------------------------------

def my_actions(user, *, status: str | None = None, due: str | None = None, case_id: int | None = None,
               scope: str = "mine") -> QuerySet[AgreedAction]:
    """Actions that fall to the user or her organisation (``scope="convened"``: all actions of the
    cases she leads, as their lead caseworker or as one who convenes them, ``cases_policy.can_convene``:
    those she hands over, e.g. after an erasure, ``services.erased_actions_announce``), filtered;
    overdue first, then by due date. Constant queries in rows."""
    today = timezone.localdate()
    if scope == "convened":
        led = Case.objects.filter(Q(lead_caseworker=user) | Q(pk__in=cases_policy.convened_case_ids(user))).values("pk")
        qs = protocols_policy.actions_for_user(user).filter(case_id__in=led)
    else:
        qs = protocols_policy.responsible_actions_for_user(user)
    if status in AgreedAction.Status.values:
        qs = qs.filter(status=status)
    elif status == "open_any":
        qs = qs.filter(status__in=OPEN_STATES)
    if due == "overdue":
        qs = qs.filter(status__in=OPEN_STATES, due_on__lt=today)
    elif due == "week":
        qs = qs.filter(due_on__gte=today, due_on__lte=today + dt.timedelta(days=7))
    elif due == "month":
        qs = qs.filter(due_on__gte=today, due_on__lte=today + dt.timedelta(days=31))
    if case_id:
        qs = qs.filter(case_id=case_id)
    return (
        qs.annotate(is_overdue=When_(When(status__in=OPEN_STATES, due_on__lt=today, then=Value(1)), default=Value(0),
                                     output_field=IntegerField()))
        .select_related("case", "item__protocol", "responsible_user", "responsible_organisation", "responsible_family_member")
        .order_by("-is_overdue", "due_on", "pk")
    )


def get_action_for_user(user, pk, *, channel: str = Channel.PAGE) -> AgreedAction:
    try:
        action = (
            protocols_policy.actions_for_user(user)
            .select_related("case", "item__protocol", "responsible_user", "responsible_organisation", "responsible_family_member")
            .prefetch_related(Prefetch("notes", queryset=ActionNote.objects.select_related("author").order_by("created_at", "pk")))
            .get(pk=pk)
        )
    except (AgreedAction.DoesNotExist, ValueError, TypeError):
        raise Http404("No such action")
    record(user, action="protocol.action.read", obj=action, case_id=action.case_id, channel=channel,
           legal_basis=action_bases(user, [action])[action.pk])
    return action


def item_visible_to(user, item_id: int) -> bool:
    return protocols_policy.protocol_items_for_user(user).filter(pk=item_id).exists()


def user_can_read_item_subquery(user):
    return Exists(protocols_policy.protocol_items_for_user(user).filter(pk=OuterRef("item_id")))


# --- a parent's own pages ----------------------------------------------------------------------

PLAIN_STATUS = {
    AgreedAction.Status.OPEN: _("still to do"),
    AgreedAction.Status.IN_PROGRESS: _("started"),
    AgreedAction.Status.DONE: _("done"),
    AgreedAction.Status.DROPPED: _("no longer needed"),
}


@dataclass
class FamilyAgreements:
    own_actions: list
    other_actions: list
    protocols: list


def family_agreements(user) -> FamilyAgreements:
    """For a parent: what she agreed to do (open first), what others do for her family (in items
    shared with her), and the protocols of her conferences with their state. Constant queries."""
    visible = (protocols_policy.actions_for_user(user).filter(case_id__in=cases_policy.parent_case_ids(user))
               .select_related("responsible_organisation", "responsible_family_member", "item__protocol__conference"))
    order = When_(When(status__in=OPEN_STATES, then=Value(0)), default=Value(1), output_field=IntegerField())
    own, other = [], []
    for action in visible.annotate(closed=order).order_by("closed", "due_on", "pk"):
        action.plain_status = PLAIN_STATUS.get(action.status, action.get_status_display())
        action.overdue = action.status in OPEN_STATES and action.due_on < timezone.localdate()
        (own if action.responsible_family_member_id and action.responsible_family_member.user_id == user.pk else other).append(action)
    protocols = list(
        protocols_for_user(user).filter(conference__case_id__in=cases_policy.parent_case_ids(user))
        .select_related("conference__case").order_by("-conference__starts_at", "-pk")
    )
    acknowledged = set(Acknowledgement.objects.filter(user=user, protocol__in=protocols).values_list("protocol_id", flat=True))
    for protocol in protocols:
        protocol.acknowledged_by_me = protocol.pk in acknowledged
    return FamilyAgreements(own_actions=own, other_actions=other, protocols=protocols)


def released_drafts_for_parent(user, *, limit: int | None = 20) -> list[Protocol]:
    """Draft minutes released to the parent's own family's conferences (not those of a family she
    is a guest of), newest conference first: the protocol and its conference only, for a link.
    One query; ``limit`` None: all of them."""
    return list(
        protocols_for_user(user)
        .filter(status=Protocol.Status.RELEASED, conference__case_id__in=cases_policy.parent_case_ids(user))
        .select_related("conference").order_by("-conference__starts_at", "-pk")[:limit]
    )


def final_protocols_to_confirm_for_parent(user, *, limit: int | None = 20) -> list[Protocol]:
    """Final minutes of the parent's own family's conferences whose reading she has not confirmed
    yet, newest conference first: the protocol and its conference only, for a link. One query;
    ``limit`` None: all of them."""
    return list(
        protocols_for_user(user)
        .filter(status=Protocol.Status.FINAL, conference__case_id__in=cases_policy.parent_case_ids(user))
        .exclude(pk__in=Acknowledgement.objects.filter(user=user).values("protocol_id"))
        .select_related("conference").order_by("-conference__starts_at", "-pk")[:limit]
    )


def parent_actions_in(user, protocol: Protocol) -> list:
    """The actions of one protocol that fall to the parent herself, with plain status words."""
    actions = list(protocols_policy.actions_for_user(user).filter(item__protocol=protocol, responsible_family_member__user=user)
                   .order_by("due_on", "pk"))
    for action in actions:
        action.plain_status = PLAIN_STATUS.get(action.status, action.get_status_display())
    return actions


# --- next steps on case and conference pages ------------------------------------------------

@dataclass
class ProtocolStep:
    """One conference's protocol as a case or conference page lists it, with the user's next step.

    ``step``: "open" (a form opens it), "not_yet" (``note`` says from when), "continue",
    "release", "decide", "finalise", "read" or "" (nothing for her); ``note`` explains a step that
    cannot be taken yet, in the same words as the service's refusal."""

    conference: object
    protocol: Protocol | None
    step: str
    note: str = ""
    pending: int = 0


def protocol_steps(user, conferences) -> list[ProtocolStep]:
    """The protocol and next step per conference the user sees. A fixed number of queries,
    whatever the number of conferences: who convenes, who is on the team, who takes the minutes
    and the pending corrections are each read once for all of them."""
    conferences = list(conferences)
    if not conferences:
        return []
    case_ids = {c.case_id for c in conferences}
    protocols = {p.conference_id: p for p in protocols_for_user(user).filter(
        conference_id__in=[c.pk for c in conferences]).select_related("conference__case__network")}
    convened = set(Case.objects.filter(pk__in=cases_policy.convened_case_ids(user), id__in=case_ids).values_list("pk", flat=True))
    on_team = set(cases_policy.professional_case_ids(user).filter(case_id__in=case_ids).values_list("case_id", flat=True))
    delegated = set()
    if any(p.minute_taker_id != user.pk and p.status == Protocol.Status.DRAFT for p in protocols.values()):
        delegated = set(protocols_policy.delegated_protocol_ids(user).filter(
            content_object_id__in=[p.pk for p in protocols.values()]).values_list("content_object_id", flat=True))
    released = [p for p in protocols.values() if p.status == Protocol.Status.RELEASED]
    own_pending, others_pending = rules.pending_counts(user, released, team_case_ids=on_team, convened_case_ids=convened)
    rows = []
    for conference in conferences:
        protocol = protocols.get(conference.pk)
        if protocol is None:
            if conference.status not in (Conference.Status.SCHEDULED, Conference.Status.HELD) or conference.case_id not in convened:
                continue
            refusal = rules.open_refusal(conference)
            rows.append(ProtocolStep(conference, None, "not_yet" if refusal else "open", refusal or ""))
            continue
        convenor = conference.case_id in convened
        # ``services.can_write_items``, from the sets read above (no minute-taker writes once the case is closed)
        writes = convenor or (protocol.conference.case.status != Case.Status.CLOSED and (
            (conference.case_id in on_team and protocol.minute_taker_id == user.pk) or protocol.pk in delegated))
        pending = own_pending.get(protocol.pk, 0)
        step, note = "read", ""
        if protocol.status == Protocol.Status.DRAFT and writes:
            refusal = rules.release_refusal(protocol) if convenor else "x"
            step = "continue" if refusal else "release"
        elif pending:
            step = "decide"
        elif protocol.status == Protocol.Status.RELEASED and convenor:
            refusal = rules.finalise_refusal_from(protocol, own=0, others=others_pending.get(protocol.pk, []), confirm_early=False)
            step = "finalise" if refusal is None or refusal[0] == "confirm" else "read"
            note = refusal[1] if refusal else ""
        rows.append(ProtocolStep(conference, protocol, step, note, pending))
    return rows


def protocol_tasks_for_user(user, *, limit: int = 20) -> list[ProtocolStep]:
    """The protocols waiting for the user, for her dashboard: for the cases she convenes, every
    scheduled or held conference whose protocol is to be opened, continued, released or
    finalised; in any case, protocols with corrections she decides; and, for every professional on
    the team, released drafts whose correction window is open ("correct"). Steps that cannot be taken
    yet ("not_yet", a protocol whose conference lies weeks ahead) are left out."""
    convened = convened_case_ids(user)
    conferences = list(
        conferences_policy.conferences_for_user(user).filter(case_id__in=convened)
        .filter(Q(status__in=[Conference.Status.SCHEDULED, Conference.Status.HELD])
                | Q(protocol__status=Protocol.Status.RELEASED))
        .filter(starts_at__lte=timezone.now() + rules.OPEN_BEFORE_START)
        .select_related("case__network").order_by("starts_at", "pk")[:limit]
    )
    deciding = list(
        conferences_policy.conferences_for_user(user)
        .filter(protocol__status=Protocol.Status.RELEASED,
                protocol__items__corrections__status=CorrectionProposal.Status.PENDING)
        .exclude(pk__in=[c.pk for c in conferences]).distinct()
        .select_related("case__network").order_by("starts_at", "pk")[:limit]
    )
    today = timezone.localdate()
    # Released drafts in their correction window, for every professional on the case's team
    # (those who may propose corrections, services.correction_propose), not only the convenor.
    correcting = list(
        conferences_policy.conferences_for_user(user)
        .filter(protocol__status=Protocol.Status.RELEASED,
                case_id__in=cases_policy.professional_case_ids(user))
        .filter(Q(protocol__corrections_until__gte=today) | Q(protocol__corrections_until__isnull=True))
        .exclude(pk__in=[c.pk for c in conferences]).distinct()
        .select_related("case__network").order_by("starts_at", "pk")[:limit]
    )
    correcting_ids = {c.pk for c in correcting}
    deciding_ids = {c.pk for c in deciding}
    steps = protocol_steps(user, conferences + deciding + [c for c in correcting if c.pk not in deciding_ids])
    for step in steps:
        if step.step == "read" and step.conference.pk in correcting_ids:
            step.step = "correct"
    return [s for s in steps if s.step in ("open", "continue", "release", "decide", "finalise", "correct")][:limit]
