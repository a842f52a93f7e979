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
import json

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, CharField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact

from cases import policy as cases_policy
from cases.models import FamilyMember
from conferences import policy as conferences_policy
from conferences.models import Conference
from participants import policy as participants_policy
from participants.models import Membership, Organisation, User
from permissions import policy as base
from permissions.models import MinuteTakerGrant
from protocols.models import AgreedAction, Audience, Protocol, ProtocolItem


def protocols_for_user(user: "User") -> QuerySet:
    """Protocols of the conferences the user may see."""
    return Protocol.objects.filter(conference_id__in=conferences_policy.conference_ids_for_user(user))


# --- When a consent or legal basis covers a disclosure of a protocol item ------------------------
#
# The one definition lives with the consents and legal bases (``cases.policy``: ``Disclosure``,
# ``covered``, ``covering_code``, built on ``consents_covering`` and ``bases_covering``); written
# reports restricted to named organisations are judged by it as well (``conferences.policy``). Here:
# where a protocol item's labels and the organisation it goes to come from. A disclosure of an item
# goes to ONE organisation it is named for, under its labels and, once relabelled, the labels it was
# first entrusted under. The read filter (``_disclosed_to_team``), the name a read is audited under
# (``item_bases_and_readable``, ``disclosure_basis_for``) and the check before an item is passed on
# or relabelled (``disclosures_covering``) all judge the same ``Disclosure``: what admits a read is
# what is named and what a relabel was checked against. Never pieced together from two
# organisations: a professional on the team for two reads nothing that neither of them may read
# (review 2026-12-06).


def _item_labels(*, first: bool = False) -> cases_policy.Labels:
    """The labels of the protocol item two queries out (the item, around a row of its named
    organisations, around the consents or legal bases), as references: the ones it carries, or
    (``first``) the ones it carried before its first relabel."""
    p = "first_" if first else ""
    return tuple(OuterRef(OuterRef(f"{p}{name}")) for name in ("holding_organisation_id", "entrusted_by_id", "category"))


def _item_disclosure(organisation: str) -> cases_policy.Disclosure:
    """The disclosure of a protocol item to one organisation, judged from a row of a subquery on
    the item whose column ``organisation`` names it: a row of its named organisations
    (``ProtocolItem.restricted_to.through``, "organisation_id") for a restricted item, a row of the
    organisations she is on its case's team for ("pk") for an item widened after it was restricted."""
    return cases_policy.Disclosure(case=OuterRef(OuterRef("protocol__conference__case_id")),
                                   to=Q(to_organisations=OuterRef(organisation)),
                                   now=_item_labels(), first=_item_labels(first=True),
                                   plain=Q(Exact(OuterRef("first_category"), "")))


def _named_disclosure() -> cases_policy.Disclosure:
    """The disclosure of a restricted item to one organisation it is named for."""
    return _item_disclosure("organisation_id")


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


def _named_for_team(protocol_orgs) -> QuerySet:
    """On a ProtocolItem, as a subquery: the organisations it is restricted to (named for) that she
    is on its case's team for, one row each (``ProtocolItem.restricted_to.through``)."""
    return ProtocolItem.restricted_to.through.objects.filter(
        base.PairIn(base.Pair(OuterRef("protocol_id"), F("organisation_id")), protocol_orgs), protocolitem_id=OuterRef("pk"))


def _disclosed_to_team(protocol_orgs, on: dt.date) -> Exists:
    """On a restricted ProtocolItem: named for an organisation she is on its case's team for, to
    which a consent or legal basis covers its disclosure (``cases_policy.covered``): the same organisation
    named and covered, under every label set."""
    return Exists(_named_for_team(protocol_orgs).filter(cases_policy.covered(_named_disclosure(), on)))


# An item that was restricted once keeps its labels (holder, entrusting person, category) when it is
# widened (``services.item_update``): the information is still the one entrusted to its holder, so
# it stays governed by § 65 SGB VIII (rules 4 and 5). The holder's widening was checked against the
# organisations on the team THEN (``services._check_disclosure``); at read time, as for a restricted
# item, another organisation reads it only while a consent or legal basis covers the disclosure to
# it: not one that joins the team later, nor one whose consent was revoked or ran out.
_GOVERNED = Q(holding_organisation_id__isnull=False)


def _team_orgs_of_item(orgs, protocol_orgs) -> QuerySet:
    """On a ProtocolItem, as a subquery: the organisations she is on its case's team for, one row
    each, started from the organisations she works for (``orgs``, by primary key)."""
    return Organisation.objects.filter(base.PairIn(base.Pair(OuterRef("protocol_id"), F("pk")), protocol_orgs), pk__in=orgs)


def _widened_disclosed_to_team(orgs, protocol_orgs, on: dt.date) -> Exists:
    """On a ProtocolItem widened after it was restricted (``_GOVERNED``, not restricted now): an
    organisation she is on its case's team for, to which a consent or legal basis covers its
    disclosure (``cases_policy.covered``, the one definition the restricted items are read under)."""
    return Exists(_team_orgs_of_item(orgs, protocol_orgs).filter(cases_policy.covered(_item_disclosure("pk"), on)))


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
    # As an array (``base.AnyOf``), computed once before the list is read: as ``pk IN (union)`` the
    # planner guessed a handful of visible ids and matched every item against all of them
    # (10,003 x 5,003 comparisons, 1.5-4 s for /api/protocol-items/ at 10,000 items;
    # ``bench/api_lists.py``, 2026-12-07).
    return ProtocolItem.objects.filter(base.AnyOf(F("pk"), pieces["ids"]))


def protocol_item_ids_for_user(user: "User", *, on: dt.date | None = None, include_restricted: bool = False,
                               among: list[int] | RawSQL | None = None) -> QuerySet:
    """Ids of the items of ``protocol_items_for_user``: a UNION of the professional, parent and
    guest routes, each starting from the user's own team rows, family rows or grants.
    ``among``: only which of these item ids she may read (each route probes just those rows); ids,
    or a subquery of them (``_ids_subquery``)."""
    if not base._is_real_user(user):
        return ProtocolItem.objects.none().values("pk")
    team_routes, other_routes = _item_routes(user, on=on or base._today(), include_restricted=include_restricted)
    routes = team_routes + other_routes
    if among is not None:
        routes = [route.filter(pk__in=among) for route in routes]
    return base.union_ids(*(route.values("pk") for route in routes))


def _item_routes(user: "User", *, on: dt.date, include_restricted: bool = False) -> tuple[list[QuerySet], list[QuerySet]]:
    """The routes by which the user reads items: those on her own cases' protocols as a member of
    their team, and the others (of the conferences she is invited to as a parent, and of those she
    is a guest of)."""
    # Her own rows, compiled once and nested as SQL text (``base.compiled``: the same statement,
    # without re-resolving the subquery trees in Python at every level).
    orgs = base.compiled(participants_policy.organisation_ids(user))
    protocol_orgs = _team_pairs(user)[1]
    # Four routes for a professional, each a separate member of the UNION so that each starts
    # from an index: items for the team on her cases' protocols, items there held by an
    # organisation she is on that case's team for, restricted items naming such an organisation,
    # then checked against a consent or legal basis to that organisation, and items widened after
    # they were restricted, checked against one to such an organisation. Her other
    # memberships count for nothing on a case whose team she is not on for them (``_team_pairs``).
    team_protocols = base.compiled(Protocol.objects.filter(
        conference__case_id__in=base.compiled(cases_policy.professional_case_ids(user))).values("pk"))
    # The first two were one member with an OR; the OR's arm with the organisations' subquery (a
    # hashed subplan, costed per index probe) made PostgreSQL scan every item of the network
    # instead of probing her protocols' (issue 13: 105,002 items at 1M grant rows).
    # Items open to the team that were never restricted; one widened after it was restricted carries
    # its holder (``_GOVERNED``) and is read as the holder's (``held``) or under a consent or legal
    # basis to an organisation she is on the team for (``widened``), never merely for being open.
    open_to_team = ProtocolItem.objects.filter(protocol_id__in=team_protocols, audience__in=[Audience.EVERYONE, Audience.PROFESSIONALS],
                                               holding_organisation_id__isnull=True)
    held = ProtocolItem.objects.filter(_held_by_team(protocol_orgs), protocol_id__in=team_protocols)
    widened = ProtocolItem.objects.filter(_GOVERNED, protocol_id__in=team_protocols,
                                          audience__in=[Audience.EVERYONE, Audience.PROFESSIONALS]).filter(
        _widened_disclosed_to_team(orgs, protocol_orgs, on))
    # Named for an organisation she works for (the index it starts from: ``AnyOf``, so that PostgreSQL
    # probes those items by primary key; with ``IN`` it guessed a sixth of the named rows of the
    # network and hashed all of them), and, probed per item of her team's protocols only, for one
    # she is on that item's case team for.
    through = ProtocolItem.restricted_to.through.objects
    named = base.compiled(through.filter(organisation_id__in=orgs).values("protocolitem_id"))
    disclosed = ProtocolItem.objects.filter(base.AnyOf(F("pk"), named), audience=Audience.RESTRICTED,
                                            protocol_id__in=team_protocols).filter(_disclosed_to_team(protocol_orgs, on))
    # The parent's and the guest's routes start from the protocols of the conferences she is invited
    # to as a parent and of her guest conferences as an index condition (``AnyOf``): for a
    # professional without either, an empty array and no item read (joined to the protocols,
    # PostgreSQL scanned the items). A parent reads a protocol's items only while she is invited to
    # its conference (``conferences_policy.invited_conference_ids``, the rule of the conference and
    # protocol pages): not every protocol of her family's case (review h9, H9-1).
    parent_protocols = _parent_protocols(user)
    parent = ProtocolItem.objects.filter(base.AnyOf(F("protocol_id"), parent_protocols), audience=Audience.EVERYONE).filter(
        _family_may_read(user))
    # A guest reads an item for everyone of her conference that was never restricted, or one widened
    # to everyone after it was that a consent or legal basis to an organisation she works for covers:
    # one member, the OR checked on the items of her conferences' protocols only (two members, it
    # was planned twice over, with her guest conferences joined in each: issue 13).
    guest_conferences = base.compiled(base.guest_conference_ids(user))
    guest_protocols = base.compiled(Protocol.objects.filter(conference_id__in=guest_conferences).values("pk"))
    guest = ProtocolItem.objects.filter(base.AnyOf(F("protocol_id"), guest_protocols), audience=Audience.EVERYONE).filter(
        ~_GOVERNED | Q(_guest_covered(orgs, on)))
    # A carried-over item repeats the action it reviews (``services.protocol_open``): a parent or a
    # guest reads it only where she reads, by these two routes, the item that action was agreed in,
    # and so on up the chain (review h12, H12-8: an action of a conference she was withdrawn from
    # reached her through its copy in the next one). Judged when the statement runs, as the source
    # item stands: her withdrawal from its conference, or its narrowing, acts on the copy at once.
    own = base.compiled(FamilyMember.objects.filter(user=user).values("pk"))
    parent = parent.exclude(pk__in=_carried_over_unread(parent_protocols, own))
    guest = guest.exclude(pk__in=_carried_over_unread(guest_protocols))
    # The open items first: ``_build_action_pieces`` keeps them apart from the other three, which
    # read only items that carry a holder or are restricted (pinned by
    # ``tests/security/test_action_filter_open_set_apart.py``).
    team_routes, other_routes = [open_to_team, held, disclosed, widened], [parent, guest]
    if not include_restricted:  # Art. 18: items entrusted by a person whose processing is restricted
        # (entrusted by her now, or first, before a relabel: ``cases_policy.entrusted_by_any``)
        restricted = cases_policy.entrusted_by_any(base.compiled(cases_policy.restricted_member_ids(user)))
        team_routes = [route.exclude(restricted) for route in team_routes]
        other_routes = [route.exclude(restricted) for route in other_routes]
    return team_routes, other_routes


def _carried_over_unread(protocols, own=None) -> RawSQL:
    """Ids of the carried-over items of ``protocols`` (those she reads as a parent, or those she
    reads as a guest: one route's) that review an action agreed in an item she does not read by
    that route, or in a carried-over item that does, up the chain (an action agreed inside a
    carried-over item is carried over in turn). A source she reads: for everyone, on one of
    ``protocols``, and never restricted, or (for a parent, ``own`` her family rows) widened to
    everyone after it was and entrusted by herself under its labels and any first ones, as
    ``_family_may_read`` says. A guest does not follow a chain through such a widened item (the
    consent that would open it to her organisation is not asked here): its copy stays hidden
    from her. One recursive subquery, uncorrelated, started from the items of ``protocols``."""
    items, actions = ProtocolItem._meta.db_table, AgreedAction._meta.db_table
    reviewed, agreed_in = ProtocolItem._meta.get_field("reviewed_action").column, AgreedAction._meta.get_field("item").column
    protocols_sql, params = _ids_sql(protocols)
    widened, widened_params = "", ()
    if own is not None:
        own_sql, own_params = _ids_sql(own)
        widened = (" OR (s.entrusted_by_id IN (SELECT id FROM fk_own) AND (s.first_category = %s"
                   " OR s.first_entrusted_by_id IN (SELECT id FROM fk_own)))")
        protocols_sql, params = f"{protocols_sql}), fk_own (id) AS ({own_sql}", (*params, *own_params)
        widened_params = ("",)
    return RawSQL(
        f"WITH RECURSIVE fk_mine (id) AS ({protocols_sql}), "
        f"fk_review_chain (item_id, source_id) AS ("
        f"SELECT i.id, a.{agreed_in} FROM {items} i INNER JOIN {actions} a ON a.id = i.{reviewed} "
        f"WHERE i.protocol_id IN (SELECT id FROM fk_mine) "
        f"UNION SELECT c.item_id, a.{agreed_in} FROM fk_review_chain c INNER JOIN {items} s ON s.id = c.source_id "
        f"INNER JOIN {actions} a ON a.id = s.{reviewed}) "
        f"SELECT c.item_id FROM fk_review_chain c INNER JOIN {items} s ON s.id = c.source_id "
        f"WHERE NOT (s.audience = %s AND s.protocol_id IN (SELECT id FROM fk_mine) "
        f"AND (s.holding_organisation_id IS NULL{widened}))",
        (*params, Audience.EVERYONE.value, *widened_params))


def _ids_sql(ids) -> tuple[str, tuple]:
    """The SQL of a compiled single-column id subquery (``base.compiled``), or of one that selects
    nothing where Django folded it away as empty."""
    if isinstance(ids, RawSQL):
        return ids.sql, tuple(ids.params)
    try:
        sql, params = ids.order_by().query.get_compiler(using=ids.db).as_sql()
    except EmptyResultSet:
        return "SELECT NULL WHERE 1 = 0", ()
    return sql, tuple(params)


def _parent_protocols(user: "User"):
    """Ids of the protocols of the conferences she is invited to as a parent, compiled."""
    return base.compiled(Protocol.objects.filter(
        conference_id__in=base.compiled(conferences_policy.invited_conference_ids(user))).values("pk"))


def _family_may_read(user: "User") -> Q:
    """On an item for everyone of her family's case: never restricted, or (widened to everyone after
    it was restricted, ``_GOVERNED``) entrusted by herself, under its labels and any first ones.
    Its holder could open it to the parents only while no other parent was on the case
    (``services._refuse_other_parents``); a parent who joins the case later reads nothing another
    one entrusted, nor anything entrusted by nobody named."""
    own = base.compiled(FamilyMember.objects.filter(user=user).values("pk"))
    return ~_GOVERNED | cases_policy.entrusted_by_reader(own)


def _parent_may_hold_actions_in(user: "User") -> Q:
    """On an item: one an action of hers as a parent may be in (``family_member_reads_labelled_item``
    in SQL, for her family rows): it carries no holder (whatever its audience, rule 3), or it is
    open to everyone and she reads it (``_family_may_read``). The one rule for the actions that
    fall to a parent: ``services.action_create`` refuses a new one elsewhere, a narrowing that would
    leave an open one elsewhere is refused (``services.parents_losing_open_actions``), and the read
    filter (``_falls_to_parent``) shows her none elsewhere."""
    own = base.compiled(FamilyMember.objects.filter(user=user).values("pk"))
    return ~_GOVERNED | (Q(audience=Audience.EVERYONE) & cases_policy.entrusted_by_reader(own))


def family_member_reads_labelled_item(item: ProtocolItem, member_id: int) -> bool:
    """For an item that carries a holder (``_GOVERNED``): whether the family member ``member_id``
    reads it as a parent (``_family_may_read`` for one item at hand, without her account): widened
    to everyone and entrusted by herself, under its labels and any first ones. Never a restricted
    item, nor one widened to the team only. An item without a holder: True (its audience alone
    decides, and an action that falls to her reaches her whatever that is: rule 3)."""
    if item.holding_organisation_id is None:
        return True
    return (item.audience == Audience.EVERYONE and item.entrusted_by_id == member_id
            and (not item.first_category or item.first_entrusted_by_id == member_id))


def _guest_covered(orgs, on: dt.date) -> Exists:
    """On an item for everyone of a conference she is a guest of, widened to everyone after it was
    restricted (``_GOVERNED``): covered by a consent or legal basis to an organisation she works for
    (``cases_policy.covered``, as for the team). A guest is a professional of the network, not on the team: the
    holder's widening was checked against the team only. Items never restricted she reads as before."""
    return Exists(Organisation.objects.filter(pk__in=orgs).filter(cases_policy.covered(_item_disclosure("pk"), on)))


def disclosure_basis_for(user: "User", item, *, on: dt.date | None = None) -> str:
    """Name the legal basis under which ``item`` is disclosed to ``user`` (for the audit trail):
    ``item_bases_and_readable`` for one item."""
    return item_bases_and_readable(user, [item], on=on)[0][item.pk]


def disclosures_covering(item, *, organisation_ids: set[int], on: dt.date | None = None,
                         labels: tuple[int | None, int | None, str] | None = None) -> dict[int, str]:
    """For each of ``organisation_ids`` that a valid consent of the person who entrusted ``item``
    (or a recorded legal basis) from its holding organisation covers: that basis, as the audit
    trail names it (``cases_policy.covering_code``). ``labels``: (holder, entrusting family member, category) ids
    to check instead of the item's own, for a relabel about to be saved. An item that was relabelled
    needs the same under the labels it was first entrusted under, to the same organisation: the
    disclosure the read filter judges (``cases_policy.covered``). One query, whatever the number of organisations."""
    on = on or base._today()
    holder, entruster, category = labels or (item.holding_organisation_id, item.entrusted_by_id, item.category)
    if not organisation_ids or not holder:
        return {}
    disclosure = cases_policy.Disclosure(
        case=item.protocol.conference.case_id, to=Q(to_organisations=OuterRef("pk")),
        now=cases_policy.given_labels(holder, entruster, category),
        first=cases_policy.given_labels(item.first_holding_organisation_id, item.first_entrusted_by_id, item.first_category),
        plain=not item.first_category)
    rows = (Organisation.objects.filter(pk__in=organisation_ids).annotate(b_code=cases_policy.covering_code(disclosure, on))
            .values_list("pk", "b_code"))
    return {org: code for org, code in rows if code}


def _basis_column_expressions(user: "User", on: dt.date) -> dict:
    """Columns on a ProtocolItem that name the basis she reads it under, from the same definitions
    as the read routes (``_item_routes``): for an item that carries a holder (restricted, or
    widened after it was), whether she is on its case's team for its holder (``_held_by_team``), and
    the basis (``cases_policy.covering_code``) of its disclosure to the first organisation it is named for
    (restricted: ``_disclosed_to_team``), or she is on its case's team for (widened:
    ``_widened_disclosed_to_team``), to which it is ``cases_policy.covered``; NULL where there is none."""
    protocol_orgs = _team_pairs(user)[1]
    orgs = base.compiled(participants_policy.organisation_ids(user))
    restricted = Q(audience=Audience.RESTRICTED)
    disclosure = _named_disclosure()
    named = (_named_for_team(protocol_orgs).filter(cases_policy.covered(disclosure, on)).order_by("organisation_id")
             .annotate(b_code=cases_policy.covering_code(disclosure, on)).values("b_code")[:1])
    # an item widened after it was restricted (``widened`` in ``_item_routes``): the same, to an
    # organisation she is on its case's team for
    to_team = _item_disclosure("pk")
    widened = (_team_orgs_of_item(orgs, protocol_orgs).filter(cases_policy.covered(to_team, on)).order_by("pk")
               .annotate(b_code=cases_policy.covering_code(to_team, on)).values("b_code")[:1])
    # one widened to everyone, read as a conference's guest (``_guest_covered``): to an
    # organisation she works for
    as_guest = (Organisation.objects.filter(pk__in=orgs).filter(cases_policy.covered(to_team, on)).order_by("pk")
                .annotate(b_code=cases_policy.covering_code(to_team, on)).values("b_code")[:1])
    return {
        "b_held": Case(When(_GOVERNED & Q(_held_by_team(protocol_orgs)), then=Value(True)), default=Value(False)),
        "b_named": Case(
            When(restricted, then=Subquery(named, output_field=CharField())),
            When(_GOVERNED & Q(audience=Audience.EVERYONE), then=Coalesce(
                Subquery(widened, output_field=CharField()), Subquery(as_guest, output_field=CharField()), output_field=CharField())),
            When(_GOVERNED, then=Subquery(widened, output_field=CharField())), default=None, output_field=CharField()),
    }


def disclosure_bases_for_items(user: "User", items, *, on: dt.date | None = None) -> dict[int, str]:
    """``item_bases_and_readable`` without the readable ids."""
    return item_bases_and_readable(user, items, on=on)[0]


def item_bases_and_readable(user: "User", items, *, on: dt.date | None = None,
                            readable: bool = False) -> tuple[dict[int, str], set[int]]:
    """The legal basis under which each of ``items`` (already filtered by
    ``protocol_items_for_user``) is disclosed to ``user``, for the audit trail of a read.

    For a whole list in one statement (none when it holds no item that carries a holder, i.e. none
    restricted or widened after it was, and ``readable`` is not asked), whatever its length: "audience:everyone", "team", "holding-organisation",
    "consent:<pk>" or "<legal basis>:<pk>" (e.g. "de_kkg_4:3"), or for an item relabelled that no
    single consent or basis covers under both its labels and its first labels, the two that do
    ("consent:4 consent:9"); "none" where nothing admits the read (the item was not visible).
    A restricted item, and one widened after it was restricted, is named from the definitions the
    read filter is built of (``cases_policy.covered``,
    ``cases_policy.covering_code``), so a consent that covers only some of its labels, or goes to another
    organisation than the one the item is named for, is never named.
    ``readable``: also which of ``items`` she may read now (``protocol_item_ids_for_user``), in the
    same statement; otherwise the returned set is empty. An action's reader needs both (the
    action's basis is its item's only where she may read the item).
    """
    on = on or base._today()
    items = list(items)
    bases: dict[int, str] = {}
    # Restricted items, and items widened after they were restricted (they carry a holder): named
    # in SQL, from the definitions of the read routes; the others by their audience alone.
    labelled = {i.pk: i.audience for i in items if i.audience == Audience.RESTRICTED or i.holding_organisation_id}
    for item in items:
        if item.pk not in labelled:
            bases[item.pk] = _open_basis(item.audience)
    if not labelled and not (readable and items):
        return bases, set()
    if not base._is_real_user(user):
        return {**bases, **{pk: _fallback_basis(audience) for pk, audience in labelled.items()}}, set()
    statement = _bases_statement(user, on, labelled=bool(labelled), readable=readable)
    ids = [i.pk for i in items] if readable else list(labelled)
    readable_found: set[int] = set()
    for row in statement.rows(ids):
        if row.get("b_readable"):
            readable_found.add(row["pk"])
        if row["pk"] not in labelled:
            continue
        if row["b_held"]:  # on this case's team for the holder
            bases[row["pk"]] = "holding-organisation"
        else:
            bases[row["pk"]] = row["b_named"] or _fallback_basis(labelled[row["pk"]])
    for pk, audience in labelled.items():
        bases.setdefault(pk, _fallback_basis(audience))
    return bases, readable_found


class _IdsParameter:
    """Where the item ids go in a kept ``_bases_statement``: one parameter, replaced at each run."""

    def __repr__(self) -> str:  # as it shows in a statement's parameters when one fails
        return "<item ids>"


_IDS = _IdsParameter()


def _ids_subquery() -> RawSQL:
    """``SELECT`` of the ids passed as ONE parameter (``_IDS``): an array on PostgreSQL, a JSON list
    on SQLite, so the statement's text is the same for any number of ids."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [_IDS])
    return RawSQL("SELECT value FROM json_each(%s)", [_IDS])


class _BasesStatement:
    """The statement of ``item_bases_and_readable`` compiled to SQL once per process, user and day
    (``base.statements_for``: the text reads nothing when built, every row is read when it runs),
    with the items' ids as one parameter. Building the basis columns (~100 ms of Python at 1M grant
    rows, ``bench/grants_scale.py``) and then annotating them anew for each read (resolving and
    compiling their subqueries: ~40 ms of a live socket's 60 ms hello, and of every list page
    holding a restricted item; cProfile of ``ProtocolConsumer._hello``, 2026-12-07) is done once."""

    def __init__(self, sql: str, params: list, columns: list[str]) -> None:
        self.sql, self.params, self.columns = sql, params, columns

    def rows(self, ids: list[int]):
        value = list(ids) if connection.vendor == "postgresql" else json.dumps(list(ids))
        params = [value if param is _IDS else param for param in self.params]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            for values in cursor.fetchall():
                yield dict(zip(self.columns, values))


def _bases_statement(user: "User", on: dt.date, *, labelled: bool, readable: bool) -> _BasesStatement:
    def build() -> dict:
        ids = _ids_subquery()
        columns = dict(_basis_column_expressions(user, on)) if labelled else {}
        if readable:
            readable_ids = base.compiled(protocol_item_ids_for_user(user, on=on, among=ids))
            columns["b_readable"] = Case(When(pk__in=readable_ids, then=Value(True)), default=Value(False))
        query = ProtocolItem.objects.filter(pk__in=ids).annotate(**columns).order_by().values("pk", *columns)
        sql, params = query.query.get_compiler(using=query.db).as_sql()
        return {"statement": _BasesStatement(sql, list(params), ["pk", *columns])}

    key = ("protocols.item_bases_statement", connection.vendor, user.pk, on, base._today(), labelled, readable)
    return base.statements_for(key, build)["statement"]


def _open_basis(audience: str) -> str:
    return "team" if audience == Audience.PROFESSIONALS else "audience:everyone"


def _fallback_basis(audience: str) -> str:
    """The basis of a labelled item that neither its holder nor a consent or legal basis opens to
    her: one widened to everyone she reads as a parent of the case or a guest of its conference;
    any other she does not read."""
    return "audience:everyone" if audience == Audience.EVERYONE else "none"


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
      organisation (in an item that carries a holder, restricted or widened after it was, only
      where she may read the item: ``_item_not_withheld``), or it belongs to an item she may read there;
    - it belongs to an item she reads as a parent or as a conference guest;
    - it falls to her as a parent, agreed at a conference she is invited to (``_falls_to_parent``).

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
        # (falls to her AND (item not governed OR readable)) OR readable, where "readable" on her
        # team's cases is "open to the team" (never restricted: not governed) OR "governed and read
        # as held, disclosed or widened". Written as (not governed AND (falls to her OR open)) OR
        # governed-readable: the same rows (the open items are ungoverned), and PostgreSQL, which
        # builds a hashed subplan when it first needs it, builds the set of open items (every
        # ungoverned item of her team's cases, the largest) only for an ungoverned action that does not
        # fall to her, and never for a governed one (issue 13: 4.7 of the list's 14 ms built one
        # set of both at 10,000 actions, ``bench/api_lists.py``).
        (Q(case_id__in=pieces["team_cases"]) & (
            (_item_not_governed(pieces) & (_falls_to(user, pieces) | Q(item_id__in=pieces["open_on_team"])))
            | Q(item_id__in=pieces["governed_readable_on_team"])))
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


def _item_not_withheld(pieces: dict) -> Q:
    """On an action of her team's cases that falls to her (``_falls_to``): its item carries no holder
    (``_item_not_governed``), or she may read it (``governed_readable_on_team``: its holder's team, or an
    organisation of hers whose disclosure a consent or legal basis covers now). An action is part
    of its item: its title and description tell what the item says. One that falls to an
    organisation the item's disclosure does not cover (agreed before ``services.action_create``
    refused that, after the consent was revoked, or by an organisation that joined the team after
    the item was widened) is not shown to her, in any channel, until a consent covers it again
    (rules 4 and 5). Her convenor, who reads the item, still sees it. (The items open to the team
    are ungoverned, so "readable" here needs only the governed ones she reads.)"""
    return _item_not_governed(pieces) | Q(item_id__in=pieces["governed_readable_on_team"])


def _item_not_governed(pieces: dict) -> Q:
    """Its item carries no holder: neither restricted to organisations nor widened after it was
    (``_GOVERNED``). Beside "or she may read the item" the same as ``_item_not_withheld``."""
    return ~Q(item_id__in=pieces["governed_on_team"])


def _falls_to(user: "User", pieces: dict) -> Q:
    """On an action of her team's cases: it falls to an organisation she is on that case's team for
    (not to any organisation she works for: ``_team_pairs``), to her, or to a colleague she stands
    in for (the commonest arm first: the OR stops at the first that holds)."""
    return (Q(base.PairIn(base.Pair(F("case_id"), F("responsible_organisation_id")), pieces["team_orgs"]))
            | Q(responsible_user_id=user.pk) | Q(responsible_user_id__in=pieces["substituted"]))


def _falls_to_parent(pieces: dict) -> Q:
    """On an action: it falls to her as a parent (a family member of hers), in an item of a
    conference she is invited to (``_parent_protocols``) that she may be responsible in
    (``_parent_may_hold_actions_in``: one that carries no holder, whatever its audience: rule 3, the
    actions that concern her; one that carries a holder only where she reads it). An action is part
    of the conference it was agreed at: one agreed at a conference she is not (or no longer) invited
    to reaches her in no channel, as neither the conference nor its protocol does (review h9,
    H9-1); and part of its item: one in an item narrowed since so that she may no longer read it
    reaches her in no channel either, whatever its status (done and dropped ones included)."""
    # "IS NOT NULL" changes no row (IN never matches NULL) but tells the planner what its
    # statistics say: nearly every action falls to an organisation. First, and as separate Qs (one
    # Q's keyword arguments are sorted by name): PostgreSQL promises no order of evaluation, but
    # PostgreSQL 15 checks the arms of an AND nested in an OR in the order written (seen in the plans
    # of ``bench/api_lists.py``), so the column decides nearly every row before either set is probed.
    return (Q(responsible_family_member_id__isnull=False) & Q(responsible_family_member_id__in=pieces["own_family"])
            & Q(item_id__in=pieces["invited_items"]))


def _action_pieces(user: "User", *, include_restricted: bool = False) -> dict:
    """The subqueries of ``_action_visible``, compiled, kept per user, day and whether restricted
    persons' data is left out (``base.statements_for``: the two build different statements; the
    restricted persons themselves are a subquery, read when the statement runs, not a key)."""
    on = base._today()
    return base.statements_for(("protocols.actions", user.pk, on, include_restricted),
                               lambda: _build_action_pieces(user, on, include_restricted=include_restricted))


def _build_action_pieces(user: "User", on: dt.date, *, include_restricted: bool = False) -> dict:
    # The item routes without their own Art. 18 exclusion (``include_restricted=True``): the same
    # rows, because ``_not_restricted`` leaves out every action in such an item, whichever arm
    # admits it; repeated in each of the six routes it was twelve more tables to plan per request.
    team_routes, other_routes = _item_routes(user, on=on, include_restricted=True)
    open_to_team, *governed_routes = team_routes  # the open route first (``_item_routes``)
    family_cases = FamilyMember.objects.filter(user=user).values("case_id")
    guest_cases = Conference.objects.filter(pk__in=base.compiled(base.guest_conference_ids(user))).values("case_id")
    return {
        "her_cases": base.compiled(base.union_ids(cases_policy.professional_case_ids(user), family_cases, guest_cases)),
        "team_cases": base.compiled(cases_policy.professional_case_ids(user)),
        "team_orgs": _team_pairs(user)[0],
        "substituted": base.compiled(base.substituted_user_ids(user)),
        # The items she reads on her team's cases, in two sets: those open to the team (never
        # restricted: no holder, ``_GOVERNED``), and those that carry a holder that she reads as
        # held, disclosed or widened.
        "open_on_team": base.compiled(open_to_team.values("pk")),
        "governed_readable_on_team": base.compiled(base.union_ids(*(route.values("pk") for route in governed_routes))),
        # item_id is NOT NULL and these are primary keys: NOT IN has no NULL to trip over.
        # Items that carry a holder: restricted ones, and those widened after they were restricted
        # (``_GOVERNED``): an action in one reaches whom it falls to only where she may read the item.
        "governed_on_team": base.compiled(ProtocolItem.objects.filter(
            _GOVERNED, protocol__conference__case_id__in=base.compiled(cases_policy.professional_case_ids(user))).values("pk")),
        "readable_elsewhere": base.compiled(base.union_ids(*(route.values("pk") for route in other_routes))),
        "own_family": base.compiled(FamilyMember.objects.filter(user=user).values("pk")),
        # the items of the protocols of the conferences she is invited to as a parent that she may
        # be responsible in (``_falls_to_parent``)
        "invited_items": base.compiled(ProtocolItem.objects.filter(
            base.AnyOf(F("protocol_id"), _parent_protocols(user))).filter(_parent_may_hold_actions_in(user)).values("pk")),
        # Art. 18: the items entrusted by a person whose processing is restricted (not herself).
        # Entrusted by such a person now, or first (before a relabel): ``cases_policy.entrusted_by_any``.
        "restricted_items": None if include_restricted else base.compiled(ProtocolItem.objects.filter(
            cases_policy.entrusted_by_any(base.compiled(cases_policy.restricted_member_ids(user)), indexed=True)).values("pk")),
    }


def action_ids_for_user(user: "User") -> QuerySet:
    """Ids of ``actions_for_user`` (one scan, see ``_action_visible``)."""
    if not base._is_real_user(user):
        return AgreedAction.objects.none().values("pk")
    return AgreedAction.objects.filter(_action_visible(user)).values("pk")


def responsible_actions_for_user(user: "User") -> QuerySet:
    """Actions that fall to the user or to an organisation she is on the case's team for (the "my
    actions" list): on her team's cases, and those that fall to her as a parent at a conference she
    is invited to (the arms of ``_action_visible`` that do not go through a readable item), but not
    those in an item entrusted by a person whose processing is restricted (Art. 18), nor those in
    an item that carries a holder that she may not read (``_item_not_withheld``), as in
    ``actions_for_user``."""
    if not base._is_real_user(user):
        return AgreedAction.objects.none()
    pieces = _action_pieces(user)
    return AgreedAction.objects.filter(
        Q(base.AnyOf(F("case_id"), pieces["her_cases"]))
        & ((Q(case_id__in=pieces["team_cases"]) & _falls_to(user, pieces) & _item_not_withheld(pieces))
           | _falls_to_parent(pieces))
        & _not_restricted(pieces))


def delegated_protocol_ids(user: "User") -> QuerySet:
    """Ids of the protocols whose minutes were delegated to the user (a grant in force today) while
    she still stands on the case team as she stood when the convenor delegated them: through a team
    row that was active then (``access.grant_services.minute_taker_delegate`` gives the grant to a
    professional on the case team), for an organisation she worked for then and works for now
    (``cases_policy.team_rows_of``). A delegate who left the organisation she was on the team for,
    and is on it now for another one only (added after the grant), writes no more minutes: the
    convenor delegates them again if she is to (review 2026-12-06, as the lead caseworker in
    ``cases.policy._leads_the_case``). The one rule for the write check (``services.can_write_items``)
    and the list of next steps (``selectors.protocol_steps``)."""
    if not base._is_real_user(user):
        return MinuteTakerGrant.objects.none().values("content_object_id")
    today = base._today()
    worked_there_then = Membership.objects.filter(user=user, organisation_id=OuterRef("organisation_id"),
                                                  created_at__lte=OuterRef(OuterRef("granted_at")))
    on_team_as_then = cases_policy.team_rows_of(user).filter(
        Exists(worked_there_then), case_id=OuterRef("content_object__conference__case_id"), added_at__lte=OuterRef("granted_at"))
    return MinuteTakerGrant.objects.filter(Exists(on_team_as_then), user=user, valid_from__lte=today,
                                           valid_until__gte=today).values("content_object_id")


def can_update_action(user: "User", action) -> bool:
    """The responsible person, a colleague of the responsible organisation, or the convenor."""
    return responsible_actions_for_user(user).filter(pk=action.pk).exists() or cases_policy.can_convene(user, action.case)
