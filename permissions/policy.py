"""The access policy of the README ("Who may see what"): its foundation and the explicit grants.

Every selector, view, viewset, consumer and feed reads through ``Model.objects.visible_to(user)``
(``permissions/querysets.py``); none decides on its own. The rules live beside the models they
filter and register there: ``cases/policy.py`` (cases, team, family, consents, legal bases, legal
holds, the family's audit log), ``conferences/policy.py``, ``protocols/policy.py`` (protocols,
items, agreed actions, the legal basis of each read), ``board/policy.py``; the membership and
network-role rules they build on are in ``participants/policy.py``. This module holds what they
share and what needs only this app's own tables: who counts as a real user, "today", the UNION
and compiled-subquery helpers, and the explicit grants (django-guardian tables, ``permissions.models``).
Each rule returns a lazy queryset (or a boolean built from one) so that lists are filtered in a
single SQL statement whose cost does not grow with the number of rows in Python.

Query shape: where a user reaches rows by several routes (team, family, guest grant), the routes
are ids combined with UNION inside one ``pk IN (...)``, never ``pk IN (a) OR pk IN (b)``. PostgreSQL
cannot start an OR of subqueries from the user's own rows: it scans the whole table (grows with
the network) and probes each branch per row. A UNION of per-route ids is computed from the
user's memberships, team rows and grants through their indexes, and then joined by primary key,
so the cost follows the user's own caseload, not the network (issue 13, bench/grants_scale.py).
Within a route, too, no OR with a subquery where the route should start from an index: an OR arm
holding a subquery becomes a hashed subplan that PostgreSQL costs on every index probe, and it
then scanned the whole item table instead (split it into two UNION members). The user's own rows
(organisations, cases, grants) are compiled once with ``compiled`` and nested as SQL text, which
keeps building a policy statement in Python cheap (Django re-resolves nested querysets at every
level); ``statements_for`` keeps the compiled pieces per user and day, so a request builds none.

The agreed actions are the exception to the UNION shape (``protocols.policy._action_visible``):
every action of her cases reached her twice there (as hers and through its item), and making the
union distinct cost more than filtering. They are one scan that starts from her cases by index
(``AnyOf``: ``case_id = ANY(ARRAY(...))``, an index condition whatever the planner guesses), and
the ways an action reaches her are an OR checked on those rows only.

Rules, in order:
1. Board members see summaries of their network, no case data (``board/policy.py``).
2. A professional sees a case while she (or her organisation) is on its active case team.
3. A parent sees her own case: her invitations, and of the conferences she is invited to the
   items for everyone and the actions that concern her.
4. A restricted item is visible to a member of another organisation only while a valid,
   unrevoked consent by the person who entrusted it, or a recorded legal basis, covers it.
6. Staff and superusers get nothing from being staff (§ 203 StGB: no need to know).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.core.exceptions import EmptyResultSet
from django.db.models import F, Field, Func, Lookup, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from permissions.kept import Kept
from permissions.models import ConferenceGuestGrant, SubstituteGrant

if TYPE_CHECKING:
    # the project's user model (participants.User) extends it; permissions imports no app above it
    from django.contrib.auth.models import AbstractUser as User


def union_ids(first: QuerySet, *rest: QuerySet) -> QuerySet:
    """``first UNION rest...`` of single-column id querysets, for use inside ``pk__in``. Ordering is
    dropped (meaningless in a set, and not allowed inside a compound statement)."""
    return first.order_by().union(*(qs.order_by() for qs in rest))


def compiled(ids: QuerySet) -> "RawSQL | QuerySet":
    """A single-column id subquery compiled to SQL once, for ``__in`` lookups that nest it further.

    Django resolves (clones and relabels) a nested queryset's whole tree again at every level it is
    nested in, so a policy built of subqueries of subqueries cost ~20 ms of Python per request
    before any SQL ran (issue 13: half of an /api/actions/ request). Compiled, it nests as text:
    the same SQL, with its parameters, evaluated by the database when the outer statement runs.
    An empty queryset (``none()``, an empty ``among``) stays a queryset, which Django folds away."""
    ids = ids.order_by()
    try:
        sql, params = ids.query.get_compiler(using=ids.db).as_sql()
    except EmptyResultSet:
        return ids
    return RawSQL(sql, params)


class _InSubquery(Lookup):
    """``lhs IN (subquery)``: the SQL both lookups below write (``AnyOf`` differs on PostgreSQL)."""

    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} IN {rhs}", (*lhs_params, *rhs_params)


class AnyOf(_InSubquery):
    """``column = ANY(ARRAY(subquery))`` on PostgreSQL (``column IN (subquery)`` elsewhere), as a
    filter expression: ``.filter(AnyOf(F("case_id"), her_case_ids))``.

    The array is computed once, before the scan, and a column compared with an array is an index
    condition: the statement starts from the user's own cases by index whatever the planner
    guesses of the subquery's size. With ``IN (subquery)`` beside an OR of per-row conditions it
    guessed a large share of the table and scanned all of it (issue 13, bench/grants_scale.py: every
    action of a network of 1M grant rows read to keep the 10,002 of her case)."""

    lookup_name = "any_of"

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


class Pair(Func):
    """``(a, b)``: two columns as one row value, the left side of ``PairIn``."""

    function = ""
    output_field = Field()


class PairIn(_InSubquery):
    """``(a, b) IN (subquery of two columns)``, as a filter expression:
    ``.filter(PairIn(Pair(F("case_id"), F("responsible_organisation_id")), compiled(her_pairs)))``.

    For a rule that holds per case, not per user: the organisation-level rules apply to the
    organisations she is on THAT case's team for (``cases.policy.team_rows_of``), so a row is
    matched against the (case, organisation) pairs of her own team rows, not against every
    organisation she works for. Uncorrelated: the pairs are read once per statement (a semi-join,
    or a hashed subplan inside an OR), from her own rows by index, never probed per row. Row
    values are standard SQL (PostgreSQL; SQLite since 3.15)."""

    lookup_name = "pair_in"


# ~15 KB of SQL text per user for the actions, less for the items: ~30 MB per process at most
STATEMENTS = Kept(1024)


def statements_for(key: tuple, build: Callable[[], dict]) -> dict:
    """The compiled pieces (``compiled`` results) of a policy statement, built once per process for
    ``key`` and kept (``STATEMENTS``, least recently used out).

    A policy statement is SQL text whose only inputs are in ``key``: the user's id, the day (for
    items both the day its consents are dated by and today) and whether restricted persons' data
    is left out; it reads nothing when built, so the same key always builds the same text, and every
    row is still read live when the statement runs. Building it costs Python, not SQL: resolving
    and compiling its dozen nested subqueries took 13-18 ms of a 25 ms /api/actions/ request
    (issue 13), more than the database spent filtering 10,000 actions."""
    pieces = STATEMENTS.get(key)
    if pieces is None:
        pieces = build()
        STATEMENTS.put(key, pieces)
    return pieces


def _today() -> dt.date:
    return timezone.localdate()


def _is_real_user(user) -> bool:
    """Signed in, active, and not a technical admin: a staff account holds no role at all
    (separation of duties, rule 6), so even a membership slipped past the admin opens nothing."""
    return bool(user is not None and user.is_authenticated and user.is_active
                and not user.is_staff and not user.is_superuser)


# --- Explicit grants (django-guardian tables, see permissions.models) -------------------------

def _granted(model, user: "User", on: dt.date | None = None) -> QuerySet:
    """Ids of the objects on which ``user`` holds a grant of ``model`` today (a subquery)."""
    on = on or _today()
    return model.objects.filter(user=user, valid_from__lte=on, valid_until__gte=on).values("content_object_id")


def substituted_user_ids(user: "User") -> QuerySet:
    """Colleagues for whom the user stands in today (Vertretung)."""
    return _granted(SubstituteGrant, user)


def guest_conference_ids(user: "User") -> QuerySet:
    """Conferences to which the user is invited as a guest today: not cancelled, and only while she
    works for an active organisation of the case's network. ``access.grant_services`` gives grants
    only on those terms and ends them with the conference; the read checks them again, so a grant
    given before those rules, or one whose holder has since left the network, reads nothing."""
    return _granted(ConferenceGuestGrant, user).exclude(content_object__status="cancelled").filter(
        user__memberships__is_active=True, user__memberships__organisation__is_active=True,
        user__memberships__organisation__network_id=F("content_object__case__network_id"))
