"""django-guardian object permissions as derived state of the policy.

``permissions.policy`` decides; this module writes the same decisions as guardian grants so
that ``get_objects_for_user`` / ``ObjectPermissionChecker`` give the same answer as the
selectors. Grants are recomputed per case, in the caller's transaction, whenever something
the policy depends on changes (see ``permissions.signals``).

Shape of the grants (direct foreign-key tables, see ``permissions.models``):

* one auth group per organisation (``OrganisationGroup``), its members the organisation's active
  members; an organisation on a case team *as a whole* is granted through its group, so the
  tables grow with teams, not with users x objects;
* a user grant only where the policy singles out one person: a professional named on the team,
  a parent, the convenor, the person an action falls to, or where a member sees more than her
  whole organisation does.

Time: consents and legal bases have validity windows. The policy filters them by date at query
time, so an expiry never waits for a job. Grants are computed for today; run
``manage.py recompute_grants`` daily (and it reports drift with ``--check``) so that the guardian
face also follows date boundaries.
"""
from __future__ import annotations

import threading
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from permissions import policy

# (app_label, model) -> codenames granted as object permissions
GRANTED_PERMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("conferences", "case"): ("view_case", "change_case"),
    ("protocols", "protocolitem"): ("view_protocolitem",),
    ("protocols", "agreedaction"): ("view_agreedaction", "change_agreedaction"),
}

# A grant as a comparable tuple: (model, principal kind "user"/"org", principal id, codename, object id)
Grant = tuple[str, str, int, str, int]


@dataclass
class Drift:
    extra: list[Grant] = field(default_factory=list)
    missing: list[Grant] = field(default_factory=list)
    extra_group_members: list[tuple[int, int]] = field(default_factory=list)    # (org id, user id)
    missing_group_members: list[tuple[int, int]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.extra or self.missing or self.extra_group_members or self.missing_group_members)

    def merge(self, other: "Drift") -> None:
        self.extra += other.extra
        self.missing += other.missing
        self.extra_group_members += other.extra_group_members
        self.missing_group_members += other.missing_group_members

    def lines(self) -> list[str]:
        out = [f"extra    {m} {k}:{p} {c} #{o}" for m, k, p, c, o in sorted(self.extra)]
        out += [f"missing  {m} {k}:{p} {c} #{o}" for m, k, p, c, o in sorted(self.missing)]
        out += [f"extra    group member org:{o} user:{u}" for o, u in sorted(self.extra_group_members)]
        out += [f"missing  group member org:{o} user:{u}" for o, u in sorted(self.missing_group_members)]
        return out


def _tables():
    from permissions import models as m

    return {
        "case": (m.CaseUserObjectPermission, m.CaseGroupObjectPermission, "content_object_id"),
        "protocolitem": (m.ProtocolItemUserObjectPermission, m.ProtocolItemGroupObjectPermission, "content_object__protocol__conference__case_id"),
        "agreedaction": (m.AgreedActionUserObjectPermission, m.AgreedActionGroupObjectPermission, "content_object__case_id"),
    }


def _permission_ids() -> dict[tuple[str, str], int]:
    """(model, codename) -> Permission id; one query."""
    cond = Q()
    for (app, model), codenames in GRANTED_PERMS.items():
        cond |= Q(content_type__app_label=app, content_type__model=model, codename__in=codenames)
    return {(p.content_type.model, p.codename): p.pk for p in Permission.objects.filter(cond).select_related("content_type")}


# --- organisation groups ----------------------------------------------------------------------

def organisation_group(org_id: int) -> Group:
    from permissions.models import OrganisationGroup

    link = OrganisationGroup.objects.filter(organisation_id=org_id).select_related("group").first()
    if link:
        return link.group
    group, _ = Group.objects.get_or_create(name=f"organisation:{org_id}")
    OrganisationGroup.objects.create(organisation_id=org_id, group=group)
    return group


def _expected_org_ids(user_id: int) -> set[int]:
    from participants.models import Membership

    return set(
        Membership.objects.filter(user_id=user_id, is_active=True, organisation__is_active=True, user__is_active=True)
        .values_list("organisation_id", flat=True)
    )


def _actual_org_ids(user_id: int) -> dict[int, int]:
    """org id -> group id of the organisation groups the user is in."""
    from permissions.models import OrganisationGroup

    return dict(
        OrganisationGroup.objects.filter(group__user__id=user_id).values_list("organisation_id", "group_id")
    )


def group_member_drift(user_ids: Iterable[int]) -> Drift:
    drift = Drift()
    for uid in user_ids:
        expected, actual = _expected_org_ids(uid), set(_actual_org_ids(uid))
        drift.missing_group_members += [(o, uid) for o in expected - actual]
        drift.extra_group_members += [(o, uid) for o in actual - expected]
    return drift


def sync_user_groups(user_id: int) -> None:
    """Make the user's organisation groups match her active memberships."""
    from participants.models import User

    expected, actual = _expected_org_ids(user_id), _actual_org_ids(user_id)
    user = User.objects.get(pk=user_id)
    to_remove = [gid for org, gid in actual.items() if org not in expected]
    if to_remove:
        user.groups.remove(*to_remove)
    to_add = [organisation_group(org) for org in expected - set(actual)]
    if to_add:
        user.groups.add(*to_add)


# --- expected grants for one case -------------------------------------------------------------

def expected_grants(case) -> set[Grant]:
    """What the policy allows today on this case and its items and actions, as grants."""
    from conferences.models import CaseTeamMember
    from participants.models import FamilyMember, Membership, ProfessionalRole, User
    from protocols.models import AgreedAction, ProtocolItem

    team = list(CaseTeamMember.objects.filter(case=case, removed_at__isnull=True).values_list("organisation_id", "user_id"))
    team_orgs = {org for org, _ in team}
    whole_orgs = {org for org, user in team if user is None}
    named = {(org, user) for org, user in team if user is not None}
    family_users = set(FamilyMember.objects.filter(case=case, user__isnull=False, user__is_active=True).values_list("user_id", flat=True))

    candidate_ids = set(
        Membership.objects.filter(organisation_id__in=team_orgs, is_active=True, organisation__is_active=True, user__is_active=True)
        .values_list("user_id", flat=True)
    )
    orgs_of: dict[int, set[int]] = defaultdict(set)
    roles_of: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for uid, org, role in Membership.objects.filter(
        user_id__in=candidate_ids, is_active=True, organisation__is_active=True
    ).values_list("user_id", "organisation_id", "role"):
        orgs_of[uid].add(org)
        roles_of[uid].add((org, role))
    professionals = {uid for uid in candidate_ids if any(o in whole_orgs or (o, uid) in named for o in orgs_of[uid] & team_orgs)}
    members_of = {org: {uid for uid in candidate_ids if org in orgs_of[uid]} for org in whole_orgs}
    parents = set(FamilyMember.objects.filter(case=case, user_id__in=family_users, relation__in=FamilyMember.PARENT_RELATIONS).values_list("user_id", flat=True))

    item_ids = set(ProtocolItem.objects.filter(protocol__conference__case=case).values_list("pk", flat=True))
    action_ids = set(AgreedAction.objects.filter(case=case).values_list("pk", flat=True))
    on = policy._today()
    users = {u.pk: u for u in User.objects.filter(pk__in=professionals | family_users, is_active=True)}

    visible: dict[int, set[tuple[str, str, int]]] = {}
    for uid, user in users.items():
        perms: set[tuple[str, str, int]] = set()
        if uid in professionals or uid in parents:
            perms.add(("case", "view_case", case.pk))
        convenes = (
            uid in professionals and case.status != case.Status.CLOSED
            and (case.lead_caseworker_id == uid or (case.lead_organisation_id, ProfessionalRole.CASEWORKER) in roles_of[uid])
        )
        if convenes:
            perms.add(("case", "change_case", case.pk))
        if item_ids:
            perms |= {("protocolitem", "view_protocolitem", pk) for pk in
                      policy.protocol_items_for_user(user, on=on).filter(protocol__conference__case_id=case.pk).values_list("pk", flat=True)}
        if action_ids:
            perms |= {("agreedaction", "view_agreedaction", pk) for pk in
                      policy.actions_for_user(user).filter(case_id=case.pk).values_list("pk", flat=True)}
            changeable = action_ids if convenes else set(
                policy.responsible_actions_for_user(user).filter(case_id=case.pk).values_list("pk", flat=True))
            perms |= {("agreedaction", "change_agreedaction", pk) for pk in changeable}
        visible[uid] = perms

    grants: set[Grant] = set()
    by_group: dict[int, set[tuple[str, str, int]]] = {}
    for org, members in members_of.items():
        sets = [visible.get(uid, set()) for uid in members]
        by_group[org] = set.intersection(*sets) if sets else set()
        grants |= {(model, "org", org, code, pk) for model, code, pk in by_group[org]}
    for uid, perms in visible.items():
        via_groups = set().union(*(by_group[o] for o in orgs_of[uid] if o in by_group)) if orgs_of[uid] else set()
        grants |= {(model, "user", uid, code, pk) for model, code, pk in perms - via_groups}
    return grants


def actual_grants(case) -> dict[Grant, tuple[type, int]]:
    """The grant rows that exist on this case's objects -> (model class, row pk); one query."""
    from django.db.models import F, IntegerField, Value

    tables = _tables()
    parts, classes = [], []
    for index, (model, (user_model, group_model, case_path)) in enumerate(tables.items()):
        for offset, (model_cls, principal) in enumerate(((user_model, "user_id"), (group_model, "group__organisation_link__organisation_id"))):
            tag = index * 2 + offset
            classes.append((model, "user" if offset == 0 else "org", model_cls))
            parts.append(
                model_cls.objects.filter(**{case_path: case.pk})
                .annotate(tag=Value(tag, output_field=IntegerField()), principal=F(principal), code=F("permission__codename"))
                .values_list("tag", "pk", "principal", "code", "content_object_id")
                .order_by()
            )
    rows: dict[Grant, tuple[type, int]] = {}
    for tag, pk, principal, code, obj in parts[0].union(*parts[1:], all=True):
        model, kind, model_cls = classes[tag]
        rows[(model, kind, principal if principal is not None else -pk, code, obj)] = (model_cls, pk)
    return rows


def case_drift(case) -> Drift:
    expected, actual = expected_grants(case), actual_grants(case)
    return Drift(extra=sorted(set(actual) - expected), missing=sorted(expected - set(actual)))


@transaction.atomic
def recompute_case(case) -> Drift:
    """Bring the grants of one case in line with the policy; returns what was changed."""
    expected, actual = expected_grants(case), actual_grants(case)
    extra = set(actual) - expected
    missing = expected - set(actual)
    by_table: dict[type, list[int]] = defaultdict(list)
    for grant in extra:
        model_cls, pk = actual[grant]
        by_table[model_cls].append(pk)
    for model_cls, pks in by_table.items():
        model_cls.objects.filter(pk__in=pks).delete()
    if missing:
        perm_ids = _permission_ids()
        tables = _tables()
        new_rows: dict[type, list] = defaultdict(list)
        group_ids: dict[int, int] = {}
        for model, kind, principal, code, obj in missing:
            user_model, group_model, _ = tables[model]
            if kind == "user":
                new_rows[user_model].append(user_model(user_id=principal, permission_id=perm_ids[(model, code)], content_object_id=obj))
            else:
                if principal not in group_ids:
                    group_ids[principal] = organisation_group(principal).pk
                new_rows[group_model].append(group_model(group_id=group_ids[principal], permission_id=perm_ids[(model, code)], content_object_id=obj))
        for model_cls, objs in new_rows.items():
            model_cls.objects.bulk_create(objs)
    return Drift(extra=sorted(extra), missing=sorted(missing))


# --- batching and entry points for signals ---------------------------------------------------

_state = threading.local()


@contextmanager
def batch() -> Iterator[None]:
    """Inside this block, recomputes are collected and run once per case at its end (still in
    the caller's transaction). Use it around bulk writes (seeding, imports)."""
    outer = getattr(_state, "pending", None)
    if outer is not None:
        yield
        return
    _state.pending = set()
    try:
        yield
        pending = _state.pending
    finally:
        _state.pending = None
    for case_id in sorted(pending):
        recompute_case_id(case_id)


def recompute_case_id(case_id: int | None) -> None:
    from conferences.models import Case

    if case_id is None:
        return
    pending = getattr(_state, "pending", None)
    if pending is not None:
        pending.add(case_id)
        return
    case = Case.objects.filter(pk=case_id).first()
    if case is not None:
        recompute_case(case)


def cases_touching(*, user_ids: Iterable[int] = (), org_ids: Iterable[int] = ()) -> set[int]:
    """Cases whose grants may change when these users or organisations change."""
    from conferences.models import CaseTeamMember
    from participants.models import FamilyMember

    user_ids, org_ids = list(user_ids), list(org_ids)
    ids = set(
        CaseTeamMember.objects.filter(removed_at__isnull=True)
        .filter(Q(user_id__in=user_ids) | Q(organisation_id__in=org_ids))
        .values_list("case_id", flat=True)
    )
    ids |= set(FamilyMember.objects.filter(user_id__in=user_ids).values_list("case_id", flat=True))
    if user_ids:
        from participants.models import Membership
        member_orgs = Membership.objects.filter(user_id__in=user_ids).values("organisation_id")
        ids |= set(
            CaseTeamMember.objects.filter(removed_at__isnull=True, user__isnull=True, organisation_id__in=member_orgs)
            .values_list("case_id", flat=True)
        )
    return ids


# --- whole-database operations (command, tests) ----------------------------------------------

def all_drift() -> Drift:
    from conferences.models import Case
    from participants.models import User
    from permissions.models import OrganisationGroup

    drift = Drift()
    for case in Case.objects.order_by("pk"):
        drift.merge(case_drift(case))
    users = set(User.objects.filter(memberships__isnull=False).values_list("pk", flat=True))
    users |= set(OrganisationGroup.objects.values_list("group__user__id", flat=True)) - {None}
    drift.merge(group_member_drift(sorted(users)))
    return drift


@transaction.atomic
def recompute_all() -> Drift:
    """Recompute every group membership and every case's grants; returns what was changed."""
    from conferences.models import Case
    from participants.models import User
    from permissions.models import OrganisationGroup

    users = set(User.objects.filter(memberships__isnull=False).values_list("pk", flat=True))
    users |= set(OrganisationGroup.objects.values_list("group__user__id", flat=True)) - {None}
    drift = group_member_drift(sorted(users))
    for uid in sorted(users):
        sync_user_groups(uid)
    for case in Case.objects.order_by("pk"):
        drift.merge(recompute_case(case))
    return drift


def assert_no_drift() -> None:
    """For tests: fail with a readable list when the grants disagree with the policy."""
    drift = all_drift()
    assert not drift, "Grant drift:\n" + "\n".join(drift.lines())


def has_object_perm(user, codename: str, obj) -> bool:
    """guardian's answer for one object, without Django's superuser shortcut (rule 6: being an
    admin grants no access to case content) and without global permissions."""
    from guardian.shortcuts import get_objects_for_user

    if not policy._is_real_user(user):
        return False
    qs = type(obj)._default_manager.filter(pk=obj.pk)
    return get_objects_for_user(user, codename, klass=qs, with_superuser=False, accept_global_perms=False).exists()


def objects_with_perm(user, codename: str, klass):
    """``get_objects_for_user`` without the superuser shortcut and global permissions."""
    from guardian.shortcuts import get_objects_for_user

    if not policy._is_real_user(user):
        return klass._default_manager.none() if isinstance(klass, type) else klass.none()
    return get_objects_for_user(user, codename, klass=klass, with_superuser=False, accept_global_perms=False)


# --- date boundaries (daily) -------------------------------------------------------------------

EXPIRY_STATE_KEY = "consent-windows"


def cases_crossing_windows(since, today) -> set[int]:
    """Cases with an unrevoked consent or an unended legal basis whose validity window opened or
    closed after ``since`` and on or before ``today``: a window opens on its first day and closes
    on the day after its last, so ``valid_from``/``invoked_on`` in (since, today] or
    ``valid_until`` in [since, today - 1]."""
    import datetime as dt

    from participants.models import Consent, DisclosureBasis

    if since >= today:
        return set()
    last_valid = today - dt.timedelta(days=1)
    ids = set(
        Consent.objects.filter(revoked_at__isnull=True)
        .filter(Q(valid_from__gt=since, valid_from__lte=today) | Q(valid_until__gte=since, valid_until__lte=last_valid))
        .values_list("case_id", flat=True)
    )
    ids |= set(
        DisclosureBasis.objects.filter(ended_at__isnull=True)
        .filter(Q(invoked_on__gt=since, invoked_on__lte=today) | Q(valid_until__gte=since, valid_until__lte=last_valid))
        .values_list("case_id", flat=True)
    )
    return ids


@dataclass
class ExpiryRun:
    since: object
    today: object
    case_ids: list[int]
    drift: Drift


@transaction.atomic
def expire_grants(*, today=None, since=None) -> ExpiryRun:
    """Recompute the grants of exactly the cases whose consent or legal-basis windows crossed a
    boundary since the last run (yesterday when it never ran, or ``since`` when given), then
    remember today. Idempotent: a second run on the same day recomputes nothing."""
    import datetime as dt

    from django.utils import timezone

    from conferences.models import Case
    from permissions.models import GrantRefreshState

    today = today or policy._today()
    state = GrantRefreshState.objects.select_for_update().filter(key=EXPIRY_STATE_KEY).first()
    if since is None:
        since = state.last_run_on if state is not None else today - dt.timedelta(days=1)
    case_ids = sorted(cases_crossing_windows(since, today))
    drift = Drift()
    for case in Case.objects.filter(pk__in=case_ids).order_by("pk"):
        drift.merge(recompute_case(case))
    if case_ids:
        # Open protocol pages re-read what their user may see: an item whose consent ran out
        # leaves the screen with this run, not at the next edit or reconnect.
        from protocols.live import access_changed_on_commit

        access_changed_on_commit(*case_ids)
    if state is None or state.last_run_on < today:
        GrantRefreshState.objects.update_or_create(
            key=EXPIRY_STATE_KEY, defaults={"last_run_on": today, "last_run_at": timezone.now()}
        )
    return ExpiryRun(since=since, today=today, case_ids=case_ids, drift=drift)
