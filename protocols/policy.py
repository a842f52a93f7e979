"""Who reads which protocol, item and agreed action, and under which legal basis (README, rules 3–5).

The rules of ``Protocol``, ``ProtocolItem`` and ``AgreedAction`` ``.objects.visible_to(user)``
(registered in ``ProtocolsConfig.ready``): a protocol is visible where its conference is; an item
where its case is, narrowed by its audience; a restricted item to another organisation only while
a valid, unrevoked consent of the person who entrusted it, or a recorded legal basis, covers the
disclosure. Also the legal basis of each read, for the audit trail. The query shape (UNION of
per-route ids inside one ``pk IN``) is explained in ``permissions/policy.py``.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, CharField, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, Concat
from django.db.models.lookups import IsNull

from cases import policy as cases_policy
from cases.models import Consent, DisclosureBasis, FamilyMember
from conferences import policy as conferences_policy
from conferences.models import Conference
from participants import policy as participants_policy
from participants.models import User
from permissions import policy as base
from protocols.models import AgreedAction, Audience, Protocol, ProtocolItem


def protocols_for_user(user: "User") -> QuerySet:
    """Protocols of the conferences the user may see."""
    return Protocol.objects.filter(conference_id__in=conferences_policy.conference_ids_for_user(user))


# --- When a consent or legal basis covers a disclosure: ONE definition ---------------------------
#
# The read filter (``_disclosure_covers``), the name of the basis a read is audited under
# (``item_bases_and_readable``, ``disclosure_basis_for``) and the check before an item is passed on
# or relabelled (``disclosures_covering``) all build on ``_consents_covering`` and
# ``_bases_covering``, and name a basis only by ``_basis_name``: what admits a read is what is named.

# Labels: (holding organisation, entrusting family member, category), as SQL expressions.
Labels = tuple


def _item_labels(*, first: bool = False) -> Labels:
    """The labels of the protocol item an outer query reads, as references from a subquery: the
    ones it carries, or (``first``) the ones it carried before its first relabel."""
    p = "first_" if first else ""
    return (OuterRef(f"{p}holding_organisation_id"), OuterRef(f"{p}entrusted_by_id"), OuterRef(f"{p}category"))


def _given_labels(holder: int | None, entruster: int | None, category: str) -> Labels:
    """Labels given as values (an item's, or those of a relabel about to be saved)."""
    return (Value(holder, output_field=IntegerField()), Value(entruster, output_field=IntegerField()),
            Value(category, output_field=CharField()))


_ITEM_CASE = OuterRef("protocol__conference__case_id")


def _consents_covering(case, to: Q, on: dt.date, label_sets: list[Labels]) -> QuerySet:
    """The consents of ``case`` valid on ``on``, to an organisation ``to`` admits, that cover the
    disclosure of information under every one of ``label_sets``: from its holding organisation, for
    its category, and (§ 65 SGB VIII) given by the person who entrusted it or, where no single person
    entrusted it, by a parent of the case. One consent must cover every set (for a relabelled item:
    the labels it carries and those it was first entrusted under)."""
    rows = Consent.objects.filter(to, case_id=case, valid_from__lte=on, valid_until__gte=on, revoked_at__isnull=True)
    for holder, entruster, category in label_sets:
        # one filter() per set: each its own join of the scopes, so that one consent has every category
        rows = rows.filter(Q(given_by_id=entruster) | Q(IsNull(entruster, True), given_by__relation__in=FamilyMember.PARENT_RELATIONS),
                           from_organisation_id=holder, scopes__category=category)
    return rows


def _bases_covering(case, to: Q, on: dt.date, label_sets: list[Labels]) -> QuerySet:
    """The recorded non-consent legal bases of ``case`` in force on ``on``, to an organisation ``to``
    admits, that cover the disclosure under every one of ``label_sets``: from its holding
    organisation (a legal basis covers every category and whoever entrusted it)."""
    rows = DisclosureBasis.objects.filter(to, case_id=case, invoked_on__lte=on, valid_until__gte=on, ended_at__isnull=True)
    for holder, _entruster, _category in label_sets:
        rows = rows.filter(from_organisation_id=holder)
    return rows


def _to_her_team(team_pairs) -> Q:
    """On a consent or legal basis: to an organisation the viewer is on its case's team for
    (``team_pairs``, ``_team_pairs``; a membership of an organisation that is not on that case's team
    for her receives nothing)."""
    return Q(base.PairIn(base.Pair(F("case_id"), F("to_organisations")), team_pairs))


def _covered(team_pairs, on: dt.date, label_sets: list[Labels]) -> Q:
    """Q on a ProtocolItem: one consent or one legal basis covers its disclosure, under every one of
    ``label_sets``, to an organisation she is on its case's team for."""
    to = _to_her_team(team_pairs)
    return (Q(Exists(_consents_covering(_ITEM_CASE, to, on, label_sets)))
            | Q(Exists(_bases_covering(_ITEM_CASE, to, on, label_sets))))


def _disclosure_covers(team_pairs, on: dt.date) -> Q:
    """Q on a restricted ProtocolItem named for one of the viewer's organisations on its case team:
    a consent or legal basis covers the disclosure (to an organisation she is on that case's team
    for, ``team_pairs``) under its labels, and, once it was relabelled, under the labels it was
    first entrusted under as well. A relabel never widens whom a consent lets read it."""
    return _covered(team_pairs, on, [_item_labels()]) & (
        Q(first_category="") | _covered(team_pairs, on, [_item_labels(first=True)]))


def _basis_name(for_every_set: str | None, for_each_set: list[str | None]) -> str | None:
    """The basis a disclosure admitted by ``_disclosure_covers`` is audited under: the oldest
    consent, else the oldest legal basis, that covers every label set in force alone
    (``for_every_set``); for a relabelled item that no single one covers, the one for its labels
    and the one for its first labels (``for_each_set``), both: never one that covers only one set.
    None: nothing admits it."""
    if for_every_set:
        return for_every_set
    if len(for_each_set) > 1 and all(for_each_set):
        return " ".join(dict.fromkeys(for_each_set))
    return None


def _consent_code() -> Concat:
    return Concat(Value("consent:"), Cast("pk", CharField()), output_field=CharField())


def _basis_code() -> Concat:
    return Concat(F("basis"), Value(":"), Cast("pk", CharField()), output_field=CharField())


def _team_pairs(user: "User") -> tuple:
    """Her team rows (``cases_policy.team_rows_of``) as (case, organisation) and (protocol,
    organisation) pairs, compiled: the organisations she is on each case's team for, and so speaks
    for there. The organisation-level rules (an item her organisation holds, a disclosure to her
    organisation, an action that falls to it) apply per case to these, never to every organisation
    she works for: a second membership gives no access to that organisation's cases unless she is
    on their team for it."""
    team = cases_policy.team_rows_of(user)
    return (base.compiled(team.values("case_id", "organisation_id")),
            base.compiled(team.values("case__conferences__protocol", "organisation_id")))


def _held_by_team(protocol_orgs) -> base.PairIn:
    """On a ProtocolItem: held by an organisation she is on its case's team for (``protocol_orgs``
    of ``_team_pairs``)."""
    return base.PairIn(base.Pair(F("protocol_id"), F("holding_organisation_id")), protocol_orgs)


def _named_for_team(protocol_orgs) -> Exists:
    """On a ProtocolItem: restricted to (named for) an organisation she is on its case's team for."""
    return Exists(ProtocolItem.restricted_to.through.objects.filter(
        base.PairIn(base.Pair(OuterRef("protocol_id"), F("organisation_id")), protocol_orgs), protocolitem_id=OuterRef("pk")))


def protocol_items_for_user(user: "User", *, on: dt.date | None = None, include_restricted: bool = False) -> QuerySet:
    """Protocol items the user may read, across all cases, in one query. A conference guest
    reads the items for everyone of her conference, as a parent does. Items entrusted by a person
    whose processing is restricted (Art. 18) are left out unless ``include_restricted`` (only
    for the audited read with a reason)."""
    if not base._is_real_user(user):
        return ProtocolItem.objects.none()
    today = base._today()
    on = on or today
    # Consents and legal bases are dated by ``on``, the grants (guest, substitute) by today: both
    # days are in the key, or a statement kept for ``on`` would carry yesterday's grants into today.
    pieces = base.statements_for(("protocols.items", user.pk, on, today, include_restricted), lambda: {
        "ids": base.compiled(protocol_item_ids_for_user(user, on=on, include_restricted=include_restricted))})
    return ProtocolItem.objects.filter(pk__in=pieces["ids"])


def protocol_item_ids_for_user(user: "User", *, on: dt.date | None = None, include_restricted: bool = False,
                               among: list[int] | None = None) -> QuerySet:
    """Ids of the items of ``protocol_items_for_user``: a UNION of the professional, parent and
    guest routes, each starting from the user's own team rows, family rows or grants.
    ``among``: only which of these item ids she may read (each route probes just those rows)."""
    if not base._is_real_user(user):
        return ProtocolItem.objects.none().values("pk")
    team_routes, other_routes = _item_routes(user, on=on or base._today(), include_restricted=include_restricted)
    routes = team_routes + other_routes
    if among is not None:
        routes = [route.filter(pk__in=among) for route in routes]
    return base.union_ids(*(route.values("pk") for route in routes))


def _item_routes(user: "User", *, on: dt.date, include_restricted: bool = False) -> tuple[list[QuerySet], list[QuerySet]]:
    """The routes by which the user reads items: those on her own cases' protocols as a member of
    their team, and the others (her family's cases as a parent, her conferences as a guest)."""
    # Her own rows, compiled once and nested as SQL text (``base.compiled``: the same statement,
    # without re-resolving the subquery trees in Python at every level).
    orgs = base.compiled(participants_policy.organisation_ids(user))
    case_orgs, protocol_orgs = _team_pairs(user)
    # Three routes for a professional, each a separate member of the UNION so that each starts
    # from an index: items for the team on her cases' protocols, restricted items there held by
    # an organisation she is on that case's team for, and restricted items naming such an
    # organisation, then checked against consent / legal basis to such an organisation. Her other
    # memberships count for nothing on a case whose team she is not on for them (``_team_pairs``).
    team_protocols = base.compiled(Protocol.objects.filter(
        conference__case_id__in=base.compiled(cases_policy.professional_case_ids(user))).values("pk"))
    # The first two were one member with an OR; the OR's arm with the organisations' subquery (a
    # hashed subplan, costed per index probe) made PostgreSQL scan every item of the network
    # instead of probing her protocols' (issue 13: 105,002 items at 1M grant rows).
    open_to_team = ProtocolItem.objects.filter(protocol_id__in=team_protocols, audience__in=[Audience.EVERYONE, Audience.PROFESSIONALS])
    held = ProtocolItem.objects.filter(_held_by_team(protocol_orgs), protocol_id__in=team_protocols, audience=Audience.RESTRICTED)
    # Named for an organisation she works for (the index it starts from), and, probed per item of
    # her team's protocols only, for one she is on that item's case team for.
    through = ProtocolItem.restricted_to.through.objects
    named = base.compiled(through.filter(organisation_id__in=orgs).values("protocolitem_id"))
    disclosed = ProtocolItem.objects.filter(pk__in=named, audience=Audience.RESTRICTED, protocol_id__in=team_protocols).filter(
        _named_for_team(protocol_orgs), _disclosure_covers(case_orgs, on))
    parent = ProtocolItem.objects.filter(protocol__conference__case_id__in=base.compiled(cases_policy.parent_case_ids(user)),
                                         audience=Audience.EVERYONE)
    guest = ProtocolItem.objects.filter(protocol__conference_id__in=base.compiled(base.guest_conference_ids(user)),
                                        audience=Audience.EVERYONE)
    team_routes, other_routes = [open_to_team, held, disclosed], [parent, guest]
    if not include_restricted:  # Art. 18: items entrusted by a person whose processing is restricted
        restricted = base.compiled(cases_policy.restricted_member_ids(user))
        team_routes = [route.exclude(entrusted_by_id__in=restricted) for route in team_routes]
        other_routes = [route.exclude(entrusted_by_id__in=restricted) for route in other_routes]
    return team_routes, other_routes


def disclosure_basis_for(user: "User", item, *, on: dt.date | None = None) -> str:
    """Name the legal basis under which ``item`` is disclosed to ``user`` (for the audit trail):
    ``item_bases_and_readable`` for one item."""
    return item_bases_and_readable(user, [item], on=on)[0][item.pk]


def disclosures_covering(item, *, organisation_ids: set[int], on: dt.date | None = None,
                         labels: tuple[int | None, int | None, str] | None = None) -> dict[int, str]:
    """For each of ``organisation_ids`` that a valid consent of the person who entrusted ``item``
    (or a recorded legal basis) from its holding organisation covers: that basis, as the audit
    trail names it (``_basis_name``). ``labels``: (holder, entrusting family member, category) ids to
    check instead of the item's own, for a relabel about to be saved. An item that was relabelled
    needs the same under the labels it was first entrusted under, to the same organisation, as the
    read filter does (``_disclosure_covers``). Two queries, six for a relabelled item that no single
    consent or basis covers under both, whatever the number of organisations."""
    on = on or base._today()
    holder, entruster, category = labels or (item.holding_organisation_id, item.entrusted_by_id, item.category)
    if not organisation_ids or not holder:
        return {}
    case_id = item.protocol.conference.case_id
    now = _given_labels(holder, entruster, category)
    if not item.first_category:
        return _covering(case_id, [now], organisation_ids, on)
    first = _given_labels(item.first_holding_organisation_id, item.first_entrusted_by_id, item.first_category)
    found = _covering(case_id, [now, first], organisation_ids, on)
    rest = set(organisation_ids) - set(found)
    by_now = _covering(case_id, [now], rest, on) if rest else {}
    by_first = _covering(case_id, [first], set(by_now), on) if by_now else {}
    for org in by_first:
        found[org] = _basis_name(None, [by_now[org], by_first[org]])
    return found


def _covering(case_id: int, label_sets: list[Labels], organisation_ids: set[int], on: dt.date) -> dict[int, str]:
    """For each of ``organisation_ids``: the oldest consent, else the oldest legal basis, that
    covers a disclosure of ``case_id``'s information under every one of ``label_sets`` to it."""
    to = Q(to_organisations__in=organisation_ids)
    found: dict[int, str] = {}
    bases = _bases_covering(case_id, to, on, label_sets).values_list("to_organisations", "basis", "pk").order_by("pk")
    for org, basis, pk in bases:
        if org in organisation_ids:
            found.setdefault(org, f"{basis}:{pk}")
    consents: dict[int, str] = {}
    for org, pk in _consents_covering(case_id, to, on, label_sets).values_list("to_organisations", "pk").order_by("pk"):
        if org in organisation_ids:
            consents.setdefault(org, f"consent:{pk}")
    return found | consents


def _oldest(rows: QuerySet, code) -> Subquery:
    return Subquery(rows.order_by("pk").annotate(b_code=code).values("b_code")[:1], output_field=CharField())


def _basis_columns(user: "User", on: dt.date) -> dict:
    """Columns on a ProtocolItem that name the basis she reads it under, from the same definitions
    as the read routes (``_item_routes``): for a restricted item, whether she is on its case's team
    for its holder (``_held_by_team``) or for an organisation it is named for (``_named_for_team``),
    and the codes ``_basis_name`` chooses from: the oldest consent, else legal basis, covering every
    label set in force (``b_every``), and for a relabelled item the one for each set."""
    case_orgs, protocol_orgs = _team_pairs(user)
    to = _to_her_team(case_orgs)
    now, first = _item_labels(), _item_labels(first=True)

    def one(label_sets):
        return Coalesce(_oldest(_consents_covering(_ITEM_CASE, to, on, label_sets), _consent_code()),
                        _oldest(_bases_covering(_ITEM_CASE, to, on, label_sets), _basis_code()), output_field=CharField())

    restricted = Q(audience=Audience.RESTRICTED)
    relabelled = restricted & ~Q(first_category="")
    yes, no = Value(True), Value(False)
    return {
        "b_held": Case(When(restricted & Q(_held_by_team(protocol_orgs)), then=yes), default=no),
        "b_named": Case(When(restricted & Q(_named_for_team(protocol_orgs)), then=yes), default=no),
        "b_relabelled": Case(When(relabelled, then=yes), default=no),
        "b_every": Case(When(relabelled, then=one([now, first])), When(restricted, then=one([now])), default=None,
                        output_field=CharField()),
        "b_now": Case(When(relabelled, then=one([now])), default=None, output_field=CharField()),
        "b_first": Case(When(relabelled, then=one([first])), default=None, output_field=CharField()),
    }


def disclosure_bases_for_items(user: "User", items, *, on: dt.date | None = None) -> dict[int, str]:
    """``item_bases_and_readable`` without the readable ids."""
    return item_bases_and_readable(user, items, on=on)[0]


def item_bases_and_readable(user: "User", items, *, on: dt.date | None = None,
                            readable: bool = False) -> tuple[dict[int, str], set[int]]:
    """The legal basis under which each of ``items`` (already filtered by
    ``protocol_items_for_user``) is disclosed to ``user``, for the audit trail of a read.

    For a whole list in one statement (none when it holds no restricted item and ``readable`` is
    not asked), whatever its length: "audience:everyone", "team", "holding-organisation",
    "consent:<pk>" or "<legal basis>:<pk>" (e.g. "de_kkg_4:3"), or for an item relabelled that no
    single consent or basis covers under both its labels and its first labels, the two that do
    ("consent:4 consent:9"); "none" where nothing admits the read (the item was not visible).
    A restricted item is named from the definitions the read filter is built of
    (``_disclosure_covers``), so a consent that covers only some of its labels is never named.
    ``readable``: also which of ``items`` she may read now (``protocol_item_ids_for_user``), in the
    same statement; otherwise the returned set is empty. An action's reader needs both (the
    action's basis is its item's only where she may read the item).
    """
    on = on or base._today()
    items = list(items)
    bases: dict[int, str] = {}
    restricted = {i.pk for i in items if i.audience == Audience.RESTRICTED}
    for item in items:
        if item.audience != Audience.RESTRICTED:
            bases[item.pk] = "team" if item.audience == Audience.PROFESSIONALS else "audience:everyone"
    if not restricted and not (readable and items):
        return bases, set()
    if not base._is_real_user(user):
        return {**bases, **{pk: "none" for pk in restricted}}, set()
    columns = _basis_columns(user, on) if restricted else {}
    if readable:
        readable_ids = base.compiled(protocol_item_ids_for_user(user, on=on, among=[i.pk for i in items]))
        columns["b_readable"] = Case(When(pk__in=readable_ids, then=Value(True)), default=Value(False))
    rows = ProtocolItem.objects.filter(pk__in=[i.pk for i in items] if readable else restricted).annotate(**columns)
    readable_found: set[int] = set()
    for row in rows.order_by().values("pk", *columns):
        if row.get("b_readable"):
            readable_found.add(row["pk"])
        if row["pk"] not in restricted:
            continue
        if row["b_held"]:  # on this case's team for the holder
            bases[row["pk"]] = "holding-organisation"
        elif row["b_named"]:
            bases[row["pk"]] = _basis_name(row["b_every"], [row["b_now"], row["b_first"]] if row["b_relabelled"] else []) or "none"
        else:
            bases[row["pk"]] = "none"
    for pk in restricted:
        bases.setdefault(pk, "none")
    return bases, readable_found


def actions_for_user(user: "User", *, include_restricted: bool = False) -> QuerySet:
    """Agreed actions the user may see: those in items she may read, and those that fall to her.
    An action in an item entrusted by a person whose processing is restricted (Art. 18) is left
    out wherever its item is, even where it falls to her, unless ``include_restricted`` (only for
    the audited read with a reason, ``privacy.services.restricted_read``)."""
    if not base._is_real_user(user):
        return AgreedAction.objects.none()
    return AgreedAction.objects.filter(_action_visible(user, include_restricted=include_restricted))


def _action_visible(user: "User", *, include_restricted: bool = False) -> Q:
    """The condition on ``AgreedAction`` of ``actions_for_user``, for one scan of the actions of her
    own cases (her teams', her family's, her conferences' as a guest), started from those cases
    by index; the ways an action reaches her are arms of one OR, checked per row:

    - on a case of her team: it falls to her, to a colleague she stands in for or to her
      organisation, or it belongs to an item she may read there;
    - it belongs to an item she reads as a parent or as a conference guest;
    - it falls to her as a parent.

    Beside the OR, for every arm: its item was not entrusted by a person whose processing is
    restricted (``_not_restricted``), as the items' own routes leave those items out.

    An action belongs to its item's case (``services.action_create``), and one that falls to a
    parent to that parent's case, so no action is lost by starting from her cases. The arms with
    the readable items are hashed subplans that PostgreSQL builds only when an earlier arm has
    not already answered a row. Issue 13: as a UNION of ids, every action of her cases came twice
    (as hers and through its item), both item routes were always evaluated, and the union was
    made distinct and joined back to the actions before the list was counted and sorted: 2.2x
    the same request without access filter at 10,000 actions."""
    pieces = _action_pieces(user, include_restricted=include_restricted)
    return Q(base.AnyOf(F("case_id"), pieces["her_cases"])) & (
        (Q(case_id__in=pieces["team_cases"]) & (_falls_to(user, pieces) | Q(item_id__in=pieces["readable_on_team"])))
        | Q(item_id__in=pieces["readable_elsewhere"])
        | _falls_to_parent(pieces)
    ) & _not_restricted(pieces)


def _not_restricted(pieces: dict) -> Q:
    """On an action: its item was not entrusted by a person whose processing is restricted (Art.
    18, ``cases_policy.restricted_member_ids``: read when the statement runs, so setting or lifting
    a restriction acts at once). Without the restricted pieces (``include_restricted``): every row."""
    if pieces.get("restricted_items") is None:
        return Q()
    # item_id is NOT NULL and the subquery yields primary keys: NOT IN has no NULL to trip over.
    return ~Q(item_id__in=pieces["restricted_items"])


def _falls_to(user: "User", pieces: dict) -> Q:
    """On an action of her team's cases: it falls to an organisation she is on that case's team for
    (not to any organisation she works for: ``_team_pairs``), to her, or to a colleague she stands
    in for (the commonest arm first: the OR stops at the first that holds)."""
    return (Q(base.PairIn(base.Pair(F("case_id"), F("responsible_organisation_id")), pieces["team_orgs"]))
            | Q(responsible_user_id=user.pk) | Q(responsible_user_id__in=pieces["substituted"]))


def _falls_to_parent(pieces: dict) -> Q:
    # "IS NOT NULL" changes no row (IN never matches NULL) but tells the planner what its
    # statistics say: nearly every action falls to an organisation.
    return Q(responsible_family_member_id__isnull=False, responsible_family_member_id__in=pieces["own_family"])


def _action_pieces(user: "User", *, include_restricted: bool = False) -> dict:
    """The subqueries of ``_action_visible``, compiled, kept per user, day and whether restricted
    persons' data is left out (``base.statements_for``: the two build different statements; the
    restricted persons themselves are a subquery, read when the statement runs, not a key)."""
    on = base._today()
    return base.statements_for(("protocols.actions", user.pk, on, include_restricted),
                               lambda: _build_action_pieces(user, on, include_restricted=include_restricted))


def _build_action_pieces(user: "User", on: dt.date, *, include_restricted: bool = False) -> dict:
    team_routes, other_routes = _item_routes(user, on=on, include_restricted=include_restricted)
    family_cases = FamilyMember.objects.filter(user=user).values("case_id")
    guest_cases = Conference.objects.filter(pk__in=base.compiled(base.guest_conference_ids(user))).values("case_id")
    return {
        "her_cases": base.compiled(base.union_ids(cases_policy.professional_case_ids(user), family_cases, guest_cases)),
        "team_cases": base.compiled(cases_policy.professional_case_ids(user)),
        "team_orgs": _team_pairs(user)[0],
        "substituted": base.compiled(base.substituted_user_ids(user)),
        "readable_on_team": base.compiled(base.union_ids(*(route.values("pk") for route in team_routes))),
        "readable_elsewhere": base.compiled(base.union_ids(*(route.values("pk") for route in other_routes))),
        "own_family": base.compiled(FamilyMember.objects.filter(user=user).values("pk")),
        # Art. 18: the items entrusted by a person whose processing is restricted (not herself).
        "restricted_items": None if include_restricted else base.compiled(ProtocolItem.objects.filter(
            entrusted_by_id__in=base.compiled(cases_policy.restricted_member_ids(user))).values("pk")),
    }


def action_ids_for_user(user: "User") -> QuerySet:
    """Ids of ``actions_for_user`` (one scan, see ``_action_visible``)."""
    if not base._is_real_user(user):
        return AgreedAction.objects.none().values("pk")
    return AgreedAction.objects.filter(_action_visible(user)).values("pk")


def responsible_actions_for_user(user: "User") -> QuerySet:
    """Actions that fall to the user or to an organisation she is on the case's team for (the "my
    actions" list): on her team's cases, and those that fall to her as a parent (the arms of
    ``_action_visible`` that do not go through an item), but not those in an item entrusted by a
    person whose processing is restricted (Art. 18), as in ``actions_for_user``."""
    if not base._is_real_user(user):
        return AgreedAction.objects.none()
    pieces = _action_pieces(user)
    return AgreedAction.objects.filter(
        Q(base.AnyOf(F("case_id"), pieces["her_cases"]))
        & ((Q(case_id__in=pieces["team_cases"]) & _falls_to(user, pieces)) | _falls_to_parent(pieces))
        & _not_restricted(pieces))


def can_update_action(user: "User", action) -> bool:
    """The responsible person, a colleague of the responsible organisation, or the convenor."""
    return responsible_actions_for_user(user).filter(pk=action.pk).exists() or cases_policy.can_convene(user, action.case)
