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

from django.db.models import CharField, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast

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


def _consent_covers(team_pairs, on: dt.date, *, first: bool = False) -> Q:
    """Q on a ProtocolItem: a valid consent covers its disclosure to one of the organisations the
    viewer is on the item's case team for (``team_pairs``: the (case, organisation) pairs of her
    team rows, ``_team_pairs``; a membership of an organisation that is not on that case's team
    for her covers nothing).

    § 65 SGB VIII: the consent must come from the person who entrusted the information; where
    no single person entrusted it, a consent by a parent of the case covers it. ``first``: under
    the labels it carried before its first relabel (``ProtocolItem.first_category``).
    """
    p = "first_" if first else ""
    valid = Consent.objects.filter(
        base.PairIn(base.Pair(F("case_id"), F("to_organisations")), team_pairs),
        case_id=OuterRef("protocol__conference__case_id"),
        from_organisation_id=OuterRef(f"{p}holding_organisation_id"),
        scopes__category=OuterRef(f"{p}category"),
        valid_from__lte=on,
        valid_until__gte=on,
        revoked_at__isnull=True,
    )
    by_entruster = Exists(valid.filter(given_by_id=OuterRef(f"{p}entrusted_by_id")))
    by_parent = Exists(valid.filter(given_by__relation__in=FamilyMember.PARENT_RELATIONS))
    return ((Q(**{f"{p}entrusted_by__isnull": False}) & Q(by_entruster))
            | (Q(**{f"{p}entrusted_by__isnull": True}) & Q(by_parent)))


def _basis_covers(team_pairs, on: dt.date, *, first: bool = False) -> Q:
    """Exists(...) on a ProtocolItem: a recorded non-consent legal basis covers the disclosure
    (from the organisation holding it, or with ``first`` the one that held it before a relabel) to
    one of the organisations the viewer is on the item's case team for (``team_pairs``)."""
    return Q(Exists(
        DisclosureBasis.objects.filter(
            base.PairIn(base.Pair(F("case_id"), F("to_organisations")), team_pairs),
            case_id=OuterRef("protocol__conference__case_id"),
            from_organisation_id=OuterRef("first_holding_organisation_id" if first else "holding_organisation_id"),
            invoked_on__lte=on,
            valid_until__gte=on,
            ended_at__isnull=True,
        )
    ))


def _disclosure_covers(team_pairs, on: dt.date) -> Q:
    """Q on a restricted ProtocolItem named for one of the viewer's organisations on its case team:
    a consent or legal basis covers the disclosure (to an organisation she is on that case's team
    for, ``team_pairs``) under its labels, and, once it was relabelled, under the labels it was
    first entrusted under as well. A relabel never widens whom a consent lets read it."""
    return (_consent_covers(team_pairs, on) | _basis_covers(team_pairs, on)) & (
        Q(first_category="") | _consent_covers(team_pairs, on, first=True) | _basis_covers(team_pairs, on, first=True))


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
    held = ProtocolItem.objects.filter(
        base.PairIn(base.Pair(F("protocol_id"), F("holding_organisation_id")), protocol_orgs),
        protocol_id__in=team_protocols, audience=Audience.RESTRICTED)
    # Named for an organisation she works for (the index it starts from), and, probed per item of
    # her team's protocols only, for one she is on that item's case team for.
    through = ProtocolItem.restricted_to.through.objects
    named = base.compiled(through.filter(organisation_id__in=orgs).values("protocolitem_id"))
    named_for_team = Exists(through.filter(base.PairIn(base.Pair(OuterRef("protocol_id"), F("organisation_id")), protocol_orgs),
                                           protocolitem_id=OuterRef("pk")))
    disclosed = ProtocolItem.objects.filter(pk__in=named, audience=Audience.RESTRICTED, protocol_id__in=team_protocols).filter(
        named_for_team, _disclosure_covers(case_orgs, on))
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
    """Name the legal basis under which ``item`` is disclosed to ``user`` (for the audit trail)."""
    on = on or base._today()
    if item.audience != Audience.RESTRICTED:
        return "team" if item.audience == Audience.PROFESSIONALS else "audience:everyone"
    case_id = item.protocol.conference.case_id
    # The organisations she is on this case's team for (the read rule's, ``_team_pairs``), not
    # every organisation she works for.
    orgs = cases_policy.team_rows_of(user).filter(case_id=case_id).values("organisation_id")
    if item.holding_organisation_id and orgs.filter(organisation_id=item.holding_organisation_id).exists():
        return "holding-organisation"
    consent = (
        Consent.objects.filter(
            case_id=case_id, from_organisation_id=item.holding_organisation_id, to_organisations__in=orgs,
            scopes__category=item.category, valid_from__lte=on, valid_until__gte=on, revoked_at__isnull=True,
        )
        .filter(Q(given_by_id=item.entrusted_by_id) if item.entrusted_by_id else Q(given_by__relation__in=["mother", "father", "guardian"]))
        .order_by("pk")
        .first()
    )
    if consent:
        return f"consent:{consent.pk}"
    basis = DisclosureBasis.objects.filter(
        case_id=case_id, from_organisation_id=item.holding_organisation_id, to_organisations__in=orgs,
        invoked_on__lte=on, valid_until__gte=on, ended_at__isnull=True,
    ).order_by("pk").first()
    return f"{basis.basis}:{basis.pk}" if basis else "none"


def disclosures_covering(item, *, organisation_ids: set[int], on: dt.date | None = None,
                         labels: tuple[int | None, int | None, str] | None = None) -> dict[int, str]:
    """For each of ``organisation_ids`` that a valid consent of the person who entrusted ``item``
    (or a recorded legal basis) from its holding organisation covers: that basis, as the audit
    trail names it. ``labels``: (holder, entrusting family member, category) ids to check instead
    of the item's own, for a relabel about to be saved. An item that was relabelled needs the
    same under the labels it was first entrusted under, as the read filter does
    (``_disclosure_covers``). Two queries, four for a relabelled item, whatever the number of
    organisations."""
    on = on or base._today()
    holder, entruster, category = labels or (item.holding_organisation_id, item.entrusted_by_id, item.category)
    if not organisation_ids or not holder:
        return {}
    case_id = item.protocol.conference.case_id
    found = _covering(case_id, holder, entruster, category, organisation_ids, on)
    if found and item.first_category:
        first = _covering(case_id, item.first_holding_organisation_id, item.first_entrusted_by_id, item.first_category,
                          set(found), on)
        found = {org: basis for org, basis in found.items() if org in first}
    return found


def _covering(case_id: int, holder: int | None, entruster: int | None, category: str, organisation_ids: set[int],
              on: dt.date) -> dict[int, str]:
    found: dict[int, str] = {}
    if not holder:
        return found
    bases = DisclosureBasis.objects.filter(
        case_id=case_id, from_organisation_id=holder, to_organisations__in=organisation_ids,
        invoked_on__lte=on, valid_until__gte=on, ended_at__isnull=True,
    ).values_list("to_organisations", "basis", "pk").order_by("pk")
    for org, basis, pk in bases:
        if org in organisation_ids:
            found.setdefault(org, f"{basis}:{pk}")
    consents = Consent.objects.filter(
        case_id=case_id, from_organisation_id=holder, to_organisations__in=organisation_ids,
        scopes__category=category, valid_from__lte=on, valid_until__gte=on, revoked_at__isnull=True,
    ).filter(Q(given_by_id=entruster) if entruster else Q(given_by__relation__in=FamilyMember.PARENT_RELATIONS))
    for org, pk in consents.values_list("to_organisations", "pk").order_by("pk"):
        if org in organisation_ids:
            found[org] = f"consent:{pk}"
    return found


def _bases_rows(user: "User", cases: set[int], on: dt.date, readable_among: list[int] | None = None,
                ) -> tuple[set[tuple[int, int]], list[tuple], list[tuple], set[int]]:
    """In ONE statement (a UNION ALL of its branches): the organisations the user is on the team of
    each of ``cases`` for (as the read rule counts them, ``_team_pairs``), the valid consents of
    ``cases`` to any of those, the valid recorded legal bases of ``cases`` to any of those, and
    (``readable_among``) which of those item ids she may read.
    Returns ((case, organisation) pairs, consents as (pk, case, from organisation, given by, given
    by's relation, scope category), bases as (pk, case, from organisation, basis), readable item
    ids), the lists sorted by pk as the audit names the oldest covering one."""

    case_orgs, _ = _team_pairs(user)
    on_team_for = base.PairIn(base.Pair(F("case_id"), F("to_organisations")), case_orgs)
    nothing = Cast(Value(None), IntegerField())
    columns = ("b_kind", "b_pk", "b_case", "b_from", "b_given_by", "b_relation", "b_what")

    def text(value: str):
        return Value(value, output_field=CharField())

    team = cases_policy.team_rows_of(user).filter(case_id__in=cases).annotate(
        b_kind=text("org"), b_pk=F("organisation_id"), b_case=F("case_id"), b_from=nothing, b_given_by=nothing,
        b_relation=text(""), b_what=text(""))
    consents = Consent.objects.filter(
        on_team_for, case_id__in=cases, valid_from__lte=on, valid_until__gte=on, revoked_at__isnull=True,
    ).annotate(b_kind=text("consent"), b_pk=F("pk"), b_case=F("case_id"), b_from=F("from_organisation_id"),
               b_given_by=F("given_by_id"), b_relation=F("given_by__relation"), b_what=F("scopes__category"))
    recorded = DisclosureBasis.objects.filter(
        on_team_for, case_id__in=cases, invoked_on__lte=on, valid_until__gte=on, ended_at__isnull=True,
    ).annotate(b_kind=text("basis"), b_pk=F("pk"), b_case=F("case_id"), b_from=F("from_organisation_id"),
               b_given_by=nothing, b_relation=text(""), b_what=F("basis"))
    branches = [team, consents, recorded] if cases else []
    if readable_among:
        readable_ids = base.compiled(protocol_item_ids_for_user(user, on=on, among=readable_among))
        branches.append(ProtocolItem.objects.filter(pk__in=readable_ids).annotate(
            b_kind=text("item"), b_pk=F("pk"), b_case=nothing, b_from=nothing, b_given_by=nothing, b_relation=text(""),
            b_what=text("")))
    if not branches:
        return set(), [], [], set()
    first, *rest = (branch.order_by().values_list(*columns) for branch in branches)
    rows = first.union(*rest, all=True) if rest else first
    org_ids: set[tuple[int, int]] = set()
    found_consents: set[tuple] = set()
    found_bases: set[tuple] = set()
    readable: set[int] = set()
    for kind, pk, case_id, from_org, given_by, relation, what in rows:
        if kind == "org":
            org_ids.add((case_id, pk))
        elif kind == "consent":
            found_consents.add((pk, case_id, from_org, given_by, relation, what))
        elif kind == "basis":
            found_bases.add((pk, case_id, from_org, what))
        else:
            readable.add(pk)
    return (org_ids, sorted(found_consents, key=lambda row: row[0]), sorted(found_bases, key=lambda row: row[0]),
            readable)


def disclosure_bases_for_items(user: "User", items, *, on: dt.date | None = None,
                               case_of: dict[int, int] | None = None) -> dict[int, str]:
    """``item_bases_and_readable`` without the readable ids."""
    return item_bases_and_readable(user, items, on=on, case_of=case_of)[0]


def item_bases_and_readable(user: "User", items, *, on: dt.date | None = None, case_of: dict[int, int] | None = None,
                            readable: bool = False) -> tuple[dict[int, str], set[int]]:
    """The legal basis under which each of ``items`` (already filtered by
    ``protocol_items_for_user``) is disclosed to ``user``, for the audit trail of a read.

    Same answers as ``disclosure_basis_for`` but for a whole list in one query (two when
    ``case_of`` does not name each restricted item's case), whatever its length:
    "audience:everyone", "team", "holding-organisation", "consent:<pk>" or "<legal basis>:<pk>"
    (e.g. "de_kkg_4:3"); "none" should never appear (the item was not visible).
    ``readable``: also which of ``items`` she may read now (``protocol_item_ids_for_user``), in the
    same statement; otherwise the returned set is empty. An action's reader needs both (the
    action's basis is its item's only where she may read the item).
    """
    on = on or base._today()
    items = list(items)
    bases: dict[int, str] = {}
    restricted = [i for i in items if i.audience == Audience.RESTRICTED]
    for item in items:
        if item.audience != Audience.RESTRICTED:
            bases[item.pk] = "team" if item.audience == Audience.PROFESSIONALS else "audience:everyone"
    if not restricted and not (readable and items):
        return bases, set()
    if restricted and (case_of is None or any(i.pk not in case_of for i in restricted)):  # the caller knows them when it loaded the cases
        case_of = dict(ProtocolItem.objects.filter(pk__in=[i.pk for i in restricted]).values_list("pk", "protocol__conference__case_id"))
    case_of = case_of or {}
    orgs, consents, recorded, readable_ids = _bases_rows(
        user, {case_of[i.pk] for i in restricted if i.pk in case_of}, on, [i.pk for i in items] if readable else None)
    for item in restricted:
        case_id = case_of.get(item.pk)
        if (case_id, item.holding_organisation_id) in orgs:  # on this case's team for the holder
            bases[item.pk] = "holding-organisation"
            continue
        consent = next((
            pk for pk, c_case, c_from, given_by, relation, category in consents
            if c_case == case_id and c_from == item.holding_organisation_id and category == item.category
            and (given_by == item.entrusted_by_id if item.entrusted_by_id else relation in FamilyMember.PARENT_RELATIONS)
        ), None)
        if consent is not None:
            bases[item.pk] = f"consent:{consent}"
            continue
        basis = next((f"{kind}:{pk}" for pk, b_case, b_from, kind in recorded
                      if b_case == case_id and b_from == item.holding_organisation_id), None)
        bases[item.pk] = basis or "none"
    return bases, readable_ids


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
