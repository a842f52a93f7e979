"""The access policy of ARCHITECTURE.md ("Who may see what"), as queryset filters.

Every selector, view, viewset, consumer and feed asks this module; none decides on its own.
Each function returns a lazy queryset (or a boolean built from one) so that lists are filtered
in a single SQL statement whose cost does not grow with the number of rows in Python.

Query shape: where a user reaches rows by several routes (team, family, guest grant), the routes
are ids combined with UNION inside one ``pk IN (...)``, never ``pk IN (a) OR pk IN (b)``. PostgreSQL
cannot start an OR of subqueries from the user's own rows: it scans the whole table (grows with
the network) and probes each branch per row. A UNION of per-route ids is computed from the
user's memberships, team rows and grants through their indexes, and then joined by primary key,
so the cost follows the user's own caseload, not the network (issue 13, bench/grants_scale.py).

Rules, in order:
1. Board members see summaries of their network, no case data.
2. A professional sees a case while she (or her organisation) is on its active case team.
3. A parent sees her own case: her invitations, items for everyone, actions that concern her.
4. A restricted item is visible to a member of another organisation only while a valid,
   unrevoked consent by the person who entrusted it, or a recorded legal basis, covers it.
6. Staff and superusers get nothing from being staff (§ 203 StGB: no need to know).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from permissions.requests import request_memo

if TYPE_CHECKING:
    from cases.models import Case
    from participants.models import User


def union_ids(first: QuerySet, *rest: QuerySet) -> QuerySet:
    """``first UNION rest...`` of single-column id querysets, for use inside ``pk__in``. Ordering is
    dropped (meaningless in a set, and not allowed inside a compound statement)."""
    return first.order_by().union(*(qs.order_by() for qs in rest))


def _today() -> dt.date:
    return timezone.localdate()


def _is_real_user(user) -> bool:
    """Signed in, active, and not a technical admin: a staff account holds no role at all
    (separation of duties, rule 6), so even a membership slipped past the admin opens nothing."""
    return bool(user is not None and user.is_authenticated and user.is_active
                and not user.is_staff and not user.is_superuser)


def organisation_ids(user: "User") -> QuerySet:
    """Ids of the organisations the user actively works for (a subquery, not a list)."""
    from participants.models import Membership

    return Membership.objects.filter(user=user, is_active=True, organisation__is_active=True).values("organisation_id")


# --- Explicit grants (django-guardian tables, see permissions.models) -------------------------

def _granted(model, user: "User", on: dt.date | None = None) -> QuerySet:
    """Ids of the objects on which ``user`` holds a grant of ``model`` today (a subquery)."""
    on = on or _today()
    return model.objects.filter(user=user, valid_from__lte=on, valid_until__gte=on).values("content_object_id")


def substituted_user_ids(user: "User") -> QuerySet:
    """Colleagues for whom the user stands in today (Vertretung)."""
    from permissions.models import SubstituteGrant

    return _granted(SubstituteGrant, user)


def guest_conference_ids(user: "User") -> QuerySet:
    """Conferences to which the user is invited as a guest today."""
    from permissions.models import ConferenceGuestGrant

    return _granted(ConferenceGuestGrant, user)


def minute_taker_protocol_ids(user: "User") -> QuerySet:
    """Protocols whose minutes were delegated to the user, valid today."""
    from permissions.models import MinuteTakerGrant

    return _granted(MinuteTakerGrant, user)


def professional_case_ids(user: "User") -> QuerySet:
    """Case ids on whose active team the user is: personally, through her organisation, or as
    the substitute of a colleague who is on it personally for an organisation both work for."""
    from cases.models import CaseTeamMember

    if not _is_real_user(user):
        return CaseTeamMember.objects.none().values("case_id")
    return (
        CaseTeamMember.objects.filter(removed_at__isnull=True, organisation_id__in=organisation_ids(user))
        .filter(Q(user=user) | Q(user__isnull=True) | Q(user_id__in=substituted_user_ids(user)))
        .values("case_id")
    )


def parent_case_ids(user: "User") -> QuerySet:
    from cases.models import FamilyMember

    if not _is_real_user(user):
        return FamilyMember.objects.none().values("case_id")
    return FamilyMember.objects.filter(user=user, relation__in=FamilyMember.PARENT_RELATIONS).values("case_id")


def cases_for_user(user: "User") -> QuerySet["Case"]:
    """Cases the user may open: professional on the team, or parent of the family."""
    from cases.models import Case

    if not _is_real_user(user):
        return Case.objects.none()
    return Case.objects.filter(pk__in=union_ids(professional_case_ids(user), parent_case_ids(user)))


def is_professional_on_case(user: "User", case: "Case") -> bool:
    return _is_real_user(user) and request_memo(
        ("professional_on_case", user.pk, case.pk), lambda: professional_case_ids(user).filter(case_id=case.pk).exists())


def is_parent_of_case(user: "User", case: "Case") -> bool:
    return _is_real_user(user) and request_memo(
        ("parent_of_case", user.pk, case.pk), lambda: parent_case_ids(user).filter(case_id=case.pk).exists())


def takes_minutes(user: "User", protocol) -> bool:
    """The minute-taker named when the protocol was opened, or one delegated through a grant."""
    if not _is_real_user(user):
        return False
    return protocol.minute_taker_id == user.pk or minute_taker_protocol_ids(user).filter(content_object_id=protocol.pk).exists()


def can_convene(user: "User", case: "Case") -> bool:
    """The lead caseworker, or a caseworker of the lead organisation on the team, convenes."""
    from participants.models import Membership, ProfessionalRole

    if not _is_real_user(user) or case.status == case.Status.CLOSED:
        return False
    if not is_professional_on_case(user, case):
        return False
    if case.lead_caseworker_id == user.pk:
        return True
    return Membership.objects.filter(
        user=user, organisation_id=case.lead_organisation_id, role=ProfessionalRole.CASEWORKER, is_active=True
    ).exists()


def convened_case_ids(user: "User") -> QuerySet:
    """Ids of the open cases the user convenes (``can_convene`` as a subquery)."""
    from cases.models import Case
    from participants.models import Membership, ProfessionalRole

    if not _is_real_user(user):
        return Case.objects.none().values("pk")
    caseworker_orgs = Membership.objects.filter(user=user, role=ProfessionalRole.CASEWORKER, is_active=True).values("organisation_id")
    return (
        Case.objects.filter(pk__in=professional_case_ids(user)).exclude(status=Case.Status.CLOSED)
        .filter(Q(lead_caseworker=user) | Q(lead_organisation_id__in=caseworker_orgs))
        .values("pk")
    )


def can_reopen_case(user: "User", case: "Case") -> bool:
    """A closed case may be reopened by its lead caseworker or a caseworker of its lead
    organisation on the team, until the retention period erased its content."""
    from participants.models import Membership, ProfessionalRole

    if not _is_real_user(user) or case.status != case.Status.CLOSED or not is_professional_on_case(user, case):
        return False
    if hasattr(case, "erasure"):
        return False
    if case.lead_caseworker_id == user.pk:
        return True
    return Membership.objects.filter(
        user=user, organisation_id=case.lead_organisation_id, role=ProfessionalRole.CASEWORKER, is_active=True
    ).exists()


def conferences_for_user(user: "User") -> QuerySet:
    """Conferences of cases the professional is on; for a parent, those she is invited to; for a
    guest, the one conference she is invited to."""
    from conferences.models import Conference

    if not _is_real_user(user):
        return Conference.objects.none()
    return Conference.objects.filter(pk__in=conference_ids_for_user(user))


def conference_ids_for_user(user: "User") -> QuerySet:
    """Ids of the conferences of ``conferences_for_user``: one UNION of the routes (team, own
    invitation as a parent, guest grant), each starting from the user's own rows."""
    from conferences.models import Conference, Invitation

    if not _is_real_user(user):
        return Conference.objects.none().values("pk")
    team = Conference.objects.filter(case_id__in=professional_case_ids(user)).values("pk")
    invited = Invitation.objects.filter(family_member__user=user, removed_at__isnull=True).values("conference_id")
    return union_ids(team, invited, guest_conference_ids(user))


def protocols_for_user(user: "User") -> QuerySet:
    """Protocols of the conferences the user may see."""
    from protocols.models import Protocol

    return Protocol.objects.filter(conference_id__in=conference_ids_for_user(user))


def _consent_covers(viewer_org_ids: QuerySet, on: dt.date) -> Q:
    """Q on a ProtocolItem: a valid consent covers its disclosure to one of the viewer's orgs.

    § 65 SGB VIII: the consent must come from the person who entrusted the information; where
    no single person entrusted it, a consent by a parent of the case covers it.
    """
    from cases.models import Consent, FamilyMember

    valid = Consent.objects.filter(
        case_id=OuterRef("protocol__conference__case_id"),
        from_organisation_id=OuterRef("holding_organisation_id"),
        to_organisations__in=viewer_org_ids,
        scopes__category=OuterRef("category"),
        valid_from__lte=on,
        valid_until__gte=on,
        revoked_at__isnull=True,
    )
    by_entruster = Exists(valid.filter(given_by_id=OuterRef("entrusted_by_id")))
    by_parent = Exists(valid.filter(given_by__relation__in=FamilyMember.PARENT_RELATIONS))
    return (Q(entrusted_by__isnull=False) & Q(by_entruster)) | (Q(entrusted_by__isnull=True) & Q(by_parent))


def _basis_covers(viewer_org_ids: QuerySet, on: dt.date) -> Q:
    """Exists(...) on a ProtocolItem: a recorded non-consent legal basis covers the disclosure."""
    from cases.models import DisclosureBasis

    return Q(Exists(
        DisclosureBasis.objects.filter(
            case_id=OuterRef("protocol__conference__case_id"),
            from_organisation_id=OuterRef("holding_organisation_id"),
            to_organisations__in=viewer_org_ids,
            invoked_on__lte=on,
            valid_until__gte=on,
            ended_at__isnull=True,
        )
    ))


def restricted_member_ids(user: "User") -> QuerySet:
    """Family members whose processing is restricted (GDPR Art. 18, ``privacy.ProcessingRestriction``
    in force), other than the user herself: normal reads of their data are refused; a read for the
    restricting reason goes through ``privacy.services.restricted_read`` with a recorded reason."""
    from cases.models import FamilyMember

    # Both conditions in one filter() so they hold for the same restriction row: lifted_at IS NULL
    # alone would also match the LEFT JOIN's empty row of every person without any restriction.
    return (FamilyMember.objects.filter(processing_restrictions__pk__isnull=False, processing_restrictions__lifted_at__isnull=True)
            .exclude(user=user).values("pk"))


def protocol_items_for_user(user: "User", *, on: dt.date | None = None, include_restricted: bool = False) -> QuerySet:
    """Protocol items the user may read, across all cases, in one query. A conference guest
    reads the items for everyone of her conference, as a parent does. Items entrusted by a person
    whose processing is restricted (Art. 18) are left out unless ``include_restricted`` (only
    for the audited read with a reason)."""
    from protocols.models import Audience, ProtocolItem

    if not _is_real_user(user):
        return ProtocolItem.objects.none()
    return ProtocolItem.objects.filter(pk__in=protocol_item_ids_for_user(user, on=on, include_restricted=include_restricted))


def protocol_item_ids_for_user(user: "User", *, on: dt.date | None = None, include_restricted: bool = False,
                               among: list[int] | None = None) -> QuerySet:
    """Ids of the items of ``protocol_items_for_user``: a UNION of the professional, parent and
    guest routes, each starting from the user's own team rows, family rows or grants.
    ``among``: only which of these item ids she may read (each route probes just those rows)."""
    from protocols.models import Audience, Protocol, ProtocolItem

    if not _is_real_user(user):
        return ProtocolItem.objects.none().values("pk")
    on = on or _today()
    orgs = organisation_ids(user)
    # Three routes for a professional, each a separate member of the UNION so that each starts
    # from an index: items for the team (or held by her organisation) on her cases' protocols,
    # and restricted items naming her organisation, then checked against consent / legal basis.
    team_protocols = Protocol.objects.filter(conference__case_id__in=professional_case_ids(user)).values("pk")
    open_to_team = ProtocolItem.objects.filter(protocol_id__in=team_protocols).filter(
        Q(audience__in=[Audience.EVERYONE, Audience.PROFESSIONALS]) | Q(audience=Audience.RESTRICTED, holding_organisation_id__in=orgs)
    )
    named = ProtocolItem.restricted_to.through.objects.filter(organisation_id__in=orgs).values("protocolitem_id")
    disclosed = ProtocolItem.objects.filter(pk__in=named, audience=Audience.RESTRICTED, protocol_id__in=team_protocols).filter(
        _consent_covers(orgs, on) | _basis_covers(orgs, on)
    )
    parent = ProtocolItem.objects.filter(protocol__conference__case_id__in=parent_case_ids(user), audience=Audience.EVERYONE)
    guest = ProtocolItem.objects.filter(protocol__conference_id__in=guest_conference_ids(user), audience=Audience.EVERYONE)
    routes = [open_to_team, disclosed, parent, guest]
    if not include_restricted:  # Art. 18: items entrusted by a person whose processing is restricted
        routes = [route.exclude(entrusted_by_id__in=restricted_member_ids(user)) for route in routes]
    if among is not None:
        routes = [route.filter(pk__in=among) for route in routes]
    return union_ids(*(route.values("pk") for route in routes))


def disclosure_basis_for(user: "User", item, *, on: dt.date | None = None) -> str:
    """Name the legal basis under which ``item`` is disclosed to ``user`` (for the audit trail)."""
    from cases.models import Consent, DisclosureBasis
    from protocols.models import Audience

    on = on or _today()
    if item.audience != Audience.RESTRICTED:
        return "team" if item.audience == Audience.PROFESSIONALS else "audience:everyone"
    orgs = organisation_ids(user)
    if item.holding_organisation_id and orgs.filter(organisation_id=item.holding_organisation_id).exists():
        return "holding-organisation"
    case_id = item.protocol.conference.case_id
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


def disclosures_covering(item, *, organisation_ids: set[int], on: dt.date | None = None) -> dict[int, str]:
    """For each of ``organisation_ids`` that a valid consent of the person who entrusted ``item``
    (or a recorded legal basis) from its holding organisation covers: that basis, as the audit
    trail names it. Two queries, whatever the number of organisations."""
    from cases.models import Consent, DisclosureBasis

    on = on or _today()
    if not organisation_ids or not item.holding_organisation_id:
        return {}
    case_id = item.protocol.conference.case_id
    found: dict[int, str] = {}
    bases = DisclosureBasis.objects.filter(
        case_id=case_id, from_organisation_id=item.holding_organisation_id, to_organisations__in=organisation_ids,
        invoked_on__lte=on, valid_until__gte=on, ended_at__isnull=True,
    ).values_list("to_organisations", "basis", "pk").order_by("pk")
    for org, basis, pk in bases:
        if org in organisation_ids:
            found.setdefault(org, f"{basis}:{pk}")
    consents = Consent.objects.filter(
        case_id=case_id, from_organisation_id=item.holding_organisation_id, to_organisations__in=organisation_ids,
        scopes__category=item.category, valid_from__lte=on, valid_until__gte=on, revoked_at__isnull=True,
    ).filter(Q(given_by_id=item.entrusted_by_id) if item.entrusted_by_id else Q(given_by__relation__in=["mother", "father", "guardian"]))
    for org, pk in consents.values_list("to_organisations", "pk").order_by("pk"):
        if org in organisation_ids:
            found[org] = f"consent:{pk}"
    return found


def _bases_rows(user: "User", cases: set[int], on: dt.date, readable_among: list[int] | None = None,
                ) -> tuple[set[int], list[tuple], list[tuple], set[int]]:
    """In ONE statement (a UNION ALL of its branches): the organisations the user actively works
    for, the valid consents of ``cases`` to any of them, the valid recorded legal bases of
    ``cases`` to any of them, and (``readable_among``) which of those item ids she may read.
    Returns (organisation ids, consents as (pk, case, from organisation, given by, given by's
    relation, scope category), bases as (pk, case, from organisation, basis), readable item ids),
    the lists sorted by pk as the audit names the oldest covering one."""
    from django.db.models import CharField, F, IntegerField, Value
    from django.db.models.functions import Cast

    from cases.models import Consent, DisclosureBasis
    from participants.models import Membership

    orgs = organisation_ids(user)
    nothing = Cast(Value(None), IntegerField())
    columns = ("b_kind", "b_pk", "b_case", "b_from", "b_given_by", "b_relation", "b_what")

    def text(value: str):
        return Value(value, output_field=CharField())

    memberships = Membership.objects.filter(user=user, is_active=True, organisation__is_active=True).annotate(
        b_kind=text("org"), b_pk=F("organisation_id"), b_case=nothing, b_from=nothing, b_given_by=nothing,
        b_relation=text(""), b_what=text(""))
    consents = Consent.objects.filter(
        case_id__in=cases, to_organisations__in=orgs, valid_from__lte=on, valid_until__gte=on, revoked_at__isnull=True,
    ).annotate(b_kind=text("consent"), b_pk=F("pk"), b_case=F("case_id"), b_from=F("from_organisation_id"),
               b_given_by=F("given_by_id"), b_relation=F("given_by__relation"), b_what=F("scopes__category"))
    recorded = DisclosureBasis.objects.filter(
        case_id__in=cases, to_organisations__in=orgs, invoked_on__lte=on, valid_until__gte=on, ended_at__isnull=True,
    ).annotate(b_kind=text("basis"), b_pk=F("pk"), b_case=F("case_id"), b_from=F("from_organisation_id"),
               b_given_by=nothing, b_relation=text(""), b_what=F("basis"))
    branches = [consents, recorded] if cases else []
    if readable_among:
        from protocols.models import ProtocolItem

        branches.append(ProtocolItem.objects.filter(pk__in=protocol_item_ids_for_user(user, on=on, among=readable_among)).annotate(
            b_kind=text("item"), b_pk=F("pk"), b_case=nothing, b_from=nothing, b_given_by=nothing, b_relation=text(""),
            b_what=text("")))
    rows = memberships.order_by().values_list(*columns).union(
        *(branch.order_by().values_list(*columns) for branch in branches), all=True)
    org_ids: set[int] = set()
    found_consents: set[tuple] = set()
    found_bases: set[tuple] = set()
    readable: set[int] = set()
    for kind, pk, case_id, from_org, given_by, relation, what in rows:
        if kind == "org":
            org_ids.add(pk)
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
    from cases.models import FamilyMember
    from protocols.models import Audience, ProtocolItem

    on = on or _today()
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
        if item.holding_organisation_id in orgs:
            bases[item.pk] = "holding-organisation"
            continue
        case_id = case_of.get(item.pk)
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


def case_bases(user: "User", case_ids) -> dict[int, str]:
    """Why the user may read content of each of these (visible) cases: "family" for her own
    family's case, "team" for a case whose team she is on. One query."""
    own = set(parent_case_ids(user).filter(case_id__in=set(case_ids)).values_list("case_id", flat=True))
    return {case_id: "family" if case_id in own else "team" for case_id in case_ids}


def actions_for_user(user: "User") -> QuerySet:
    """Agreed actions the user may see: those in items she may read, and those that fall to her."""
    from protocols.models import AgreedAction

    if not _is_real_user(user):
        return AgreedAction.objects.none()
    return AgreedAction.objects.filter(pk__in=action_ids_for_user(user))


def _responsible_action_ids(user: "User") -> tuple[QuerySet, QuerySet]:
    """Ids of the actions that fall to the professional (or her organisation, or a colleague she
    stands in for) on her cases, and of those that fall to her as a parent."""
    from cases.models import FamilyMember
    from protocols.models import AgreedAction

    orgs = organisation_ids(user)
    on_team = AgreedAction.objects.filter(case_id__in=professional_case_ids(user))
    # One UNION member per way an action falls to her (an OR of them defeats the indexes)
    mine = union_ids(on_team.filter(responsible_user=user).values("pk"),
                     on_team.filter(responsible_user_id__in=substituted_user_ids(user)).values("pk"),
                     on_team.filter(responsible_organisation_id__in=orgs).values("pk"))
    own_family = FamilyMember.objects.filter(user=user).values("pk")
    parent_own = AgreedAction.objects.filter(responsible_family_member_id__in=own_family).values("pk")
    return mine, parent_own


def action_ids_for_user(user: "User") -> QuerySet:
    """Ids of ``actions_for_user``: actions of the items she may read, UNION those that fall to
    her. Each branch starts from her own rows (see the module docstring)."""
    from protocols.models import AgreedAction

    if not _is_real_user(user):
        return AgreedAction.objects.none().values("pk")
    of_items = AgreedAction.objects.filter(item_id__in=protocol_item_ids_for_user(user)).values("pk")
    mine, parent_own = _responsible_action_ids(user)
    return union_ids(of_items, mine, parent_own)


def responsible_actions_for_user(user: "User") -> QuerySet:
    """Actions that fall to the user or to one of her organisations (the "my actions" list)."""
    from protocols.models import AgreedAction

    if not _is_real_user(user):
        return AgreedAction.objects.none()
    mine, parent_own = _responsible_action_ids(user)
    return AgreedAction.objects.filter(pk__in=union_ids(mine, parent_own))


def can_update_action(user: "User", action) -> bool:
    """The responsible person, a colleague of the responsible organisation, or the convenor."""
    return responsible_actions_for_user(user).filter(pk=action.pk).exists() or can_convene(user, action.case)


def board_network_ids(user: "User") -> QuerySet:
    from participants.models import NetworkRole

    if not _is_real_user(user):
        return NetworkRole.objects.none().values("network_id")
    return NetworkRole.objects.filter(user=user, role__in=[NetworkRole.Role.BOARD_MEMBER, NetworkRole.Role.COORDINATOR]).values("network_id")


def coordinator_network_ids(user: "User") -> QuerySet:
    from participants.models import NetworkRole

    if not _is_real_user(user):
        return NetworkRole.objects.none().values("network_id")
    return NetworkRole.objects.filter(user=user, role=NetworkRole.Role.COORDINATOR).values("network_id")


def dpo_network_ids(user: "User") -> QuerySet:
    from participants.models import NetworkRole

    if not _is_real_user(user):
        return NetworkRole.objects.none().values("network_id")
    return NetworkRole.objects.filter(user=user, role=NetworkRole.Role.DATA_PROTECTION_OFFICER).values("network_id")


# --- Consent, legal bases and the audit trail (issue 3) ---------------------------------------

def consents_for_user(user: "User", *, include_restricted: bool = False) -> QuerySet:
    """Consents of cases the professional is on, and the consents a parent gave herself. Consents
    given by a person whose processing is restricted (Art. 18) are left out unless
    ``include_restricted`` (only for the audited read with a reason); she still sees her own."""
    from cases.models import Consent

    if not _is_real_user(user):
        return Consent.objects.none()
    team = Consent.objects.filter(case_id__in=professional_case_ids(user)).values("pk")
    own = Consent.objects.filter(given_by__user=user).values("pk")
    consents = Consent.objects.filter(pk__in=union_ids(team, own))
    return consents if include_restricted else consents.exclude(given_by_id__in=restricted_member_ids(user))


def can_record_consent(user: "User", case: "Case") -> bool:
    """A professional on the case team documents a consent (or a non-consent legal basis)."""
    return case.status != case.Status.CLOSED and is_professional_on_case(user, case)


def can_revoke_consent(user: "User", consent) -> bool:
    """The person who gave it, or a professional on the team recording a revocation she received."""
    if not _is_real_user(user) or consent.revoked_at is not None:
        return False
    return consent.given_by.user_id == user.pk or is_professional_on_case(user, consent.case)


def disclosure_bases_for_user(user: "User") -> QuerySet:
    """Recorded non-consent legal bases: the case team only."""
    from cases.models import DisclosureBasis

    if not _is_real_user(user):
        return DisclosureBasis.objects.none()
    return DisclosureBasis.objects.filter(case_id__in=professional_case_ids(user))


def legal_basis_codes() -> list[str]:
    """The codes of the fixed legal bases for disclosure without consent (participants.LegalBasis)."""
    from cases.models import LegalBasis

    return list(LegalBasis.values)


def audit_events_for_user(user: "User") -> QuerySet:
    """The audit log for a data-protection officer: events of her networks' cases, and events
    without a case by people who work in (or hold a role in) her networks."""
    from permissions.models import AuditEvent

    if not _is_real_user(user):
        return AuditEvent.objects.none()
    networks = dpo_network_ids(user)
    # Admin changes name each network they affect (participants.admin_services): a JSON key
    # compared with a short list, because the admin is, by design, nobody of the network.
    # Installation-wide changes (groups, permissions, staff accounts) say "all": every DPO sees them.
    network_ids = list(networks.values_list("network_id", flat=True))
    if not network_ids:
        return AuditEvent.objects.none()
    admin_changes = Q(case__isnull=True, action__startswith="admin.") & (
        Q(detail__network__in=network_ids) | Q(detail__network="all"))
    return AuditEvent.objects.filter(
        Q(case__network_id__in=networks) | Q(case__isnull=True, actor_id__in=_network_people(networks)) | admin_changes
    )


def _network_people(networks: QuerySet) -> QuerySet:
    from participants.models import User

    return User.objects.filter(
        Q(memberships__organisation__network_id__in=networks) | Q(network_roles__network_id__in=networks)
    ).values("pk")


def family_audit_events_for_user(user: "User") -> QuerySet:
    """GDPR Art. 15 for a parent: who read or changed the data of her family's case.

    Two kinds of events stay out. A legal basis the parents were deliberately not told about
    (informing them would endanger the child): its record, its end, and the reads made under it.
    Legal-hold events stay out too (a hold may stand for such a procedure).
    And another person's consent (the father's, for the mother): it is his data, so neither its
    record, its revocation nor the reads it released are hers to see. A read released under
    several bases names each in ``legal_basis``, separated by spaces; it is left out when any of
    them is hidden. Data-subject requests (``dsr.*``) and the setting and lifting of a restriction
    of processing stay out as well: a request is the requesting person's, not her family's (reads
    of restricted data, ``restriction.read``, are reads of the case and stay in)."""
    from permissions.models import AuditEvent

    if not _is_real_user(user):
        return AuditEvent.objects.none()
    return _family_audit_events(parent_case_ids(user), own_consents=Q(given_by__user=user))


def family_audit_events_for_member(member) -> QuerySet:
    """The same log as ``family_audit_events_for_user`` for one family member, with or without an
    account: the data-protection officer's answer to her access request (Art. 15)."""
    from cases.models import FamilyMember

    return _family_audit_events(FamilyMember.objects.filter(pk=member.pk).values("case_id"),
                                own_consents=Q(given_by_id=member.pk))


def _family_audit_events(cases: QuerySet, *, own_consents: Q) -> QuerySet:
    from django.db.models import CharField, F, Value
    from django.db.models.functions import Cast, Concat
    from django.db.models.lookups import Contains

    from cases.models import Consent, DisclosureBasis
    from permissions.models import AuditEvent

    uninformed = DisclosureBasis.objects.filter(case_id__in=cases, parents_informed=False)
    others_consents = Consent.objects.filter(case_id__in=cases).exclude(own_consents)

    def token(prefix):
        return Concat(Value(" "), prefix, Value(":"), Cast("pk", CharField()), Value(" "), output_field=CharField())

    hidden_basis = (
        Exists(uninformed.annotate(token=token(F("basis"))).filter(Contains(OuterRef("basis_tokens"), F("token"))))
        | Exists(others_consents.annotate(token=token(Value("consent"))).filter(Contains(OuterRef("basis_tokens"), F("token"))))
    )
    return (
        # A legal hold can stand for a § 8a procedure the parents were not told about: its events
        # stay out of their log like an uninformed legal basis does.
        AuditEvent.objects.filter(case_id__in=cases).exclude(action__startswith="legal_hold.").exclude(action__startswith="dsr.")
        .exclude(action__in=["restriction.set", "restriction.lift"])
        .annotate(basis_tokens=Concat(Value(" "), "legal_basis", Value(" "), output_field=CharField()))
        .exclude(
            Q(object_type="participants.disclosurebasis", object_id__in=uninformed.annotate(key=Cast("pk", CharField())).values("key"))
            | Q(object_type="participants.consent", object_id__in=others_consents.annotate(key=Cast("pk", CharField())).values("key"))
            | hidden_basis
        )
    )


# --- Legal holds (issue 17) -------------------------------------------------------------------

def is_dpo_of(user: "User", network_id: int) -> bool:
    return dpo_network_ids(user).filter(network_id=network_id).exists()


def can_manage_legal_hold(user: "User", case: "Case", *, instructed_by: "User | None" = None) -> bool:
    """The network's data-protection officer sets and lifts holds; the case's lead caseworker may
    do so only on the instruction of that officer, who is then named on the record."""
    if not _is_real_user(user):
        return False
    if is_dpo_of(user, case.network_id):
        return True
    return (case.lead_caseworker_id == user.pk and instructed_by is not None and instructed_by.pk != user.pk
            and instructed_by.is_active and is_dpo_of(instructed_by, case.network_id))


def legal_holds_for_user(user: "User") -> QuerySet:
    """Holds with their reasons: only for the data-protection officer of the case's network."""
    from cases.models import LegalHold

    if not _is_real_user(user):
        return LegalHold.objects.none()
    return LegalHold.objects.filter(case__network_id__in=dpo_network_ids(user))


def legal_hold_cases(user: "User") -> QuerySet:
    """The cases whose hold page the user may open: any case of the officer's networks (she is on
    no team), and the cases the user leads as caseworker."""
    from cases.models import Case

    if not _is_real_user(user):
        return Case.objects.none()
    return Case.objects.filter(Q(network_id__in=dpo_network_ids(user)) | Q(lead_caseworker_id=user.pk))
