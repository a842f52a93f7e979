"""The half-year figures of one network, computed by database aggregation.

Every figure is one aggregate over a period; no loop runs over cases, conferences or actions
in Python. Each query covers the summary's half year and the one before it at once (a filtered
aggregate per period, or a period index in the partition). Medians use a window function (row
number and row count per period and group) so that the database hands back only the one or two
middle rows of each group. The number of queries is fixed whatever the number of cases.

On PostgreSQL (issue 13) the action counts and the medians of days to done are read from the
board's tally of actions (``board/action_tally.py``: a few thousand rows per network, kept by
triggers) instead of a pass over every action, and the conference figures with both medians
(read off histograms) come from one statement. SQLite computes everything from the rows, as the
definitions below say; ``tests/board/test_action_tally.py`` holds the two against each other.

``compute_figures`` returns the figures *as they may be shown*: suppressed by
``board.suppression`` before they leave this module, so that raw small counts are
never stored or rendered. ``raw_figures`` (the unsuppressed counts) is for tests only.
The two half years a summary shows side by side are suppressed together, over every identity
that holds between their cells (``summary_relations``: totals, and the stock-and-flow of cases
and of actions from one half year to the next; review h3-5), so that no count hidden in one
column comes back by subtraction from the others; and against the published summaries of the
neighbouring half years, whose columns show the same cells. A Danish municipality table counts from
1 January: it is suppressed against the tables of the same year already published (the services
pass them in), so that two cumulative tables give back no small count by their difference. The
board's services compute the figures of a half year (or a year) only once it has ended (review
h3-5c).

Definitions (version ``DEFINITIONS_VERSION``; change the version whenever one changes):

- period: 1 January–30 June (H1) or 1 July–31 December (H2), in the network's time zone;
- active case: opened on or before the last day and not closed before the first day;
  new: opened in the period; closed: closed in the period; expected child: active cases with an
  expected child at opening (share of active cases);
- conference dates: start time, or last change for a conference never scheduled; held: status
  held or protocol final; rescheduled: rescheduled at least once; parent present: a parent's
  (mother, father, guardian) invitation is marked attended; days to first conference: for
  cases whose first held conference falls in the period, days from opening to that conference;
  organisations present: distinct organisations with an attended invitation, per held conference;
- agreed: action created in the period; done: completed in the period (its completion date);
  days to done: from creation to completion, for actions done in the period; grouped by the kind
  of the responsible organisation, or "parents" for actions that fall to a parent;
- status history (since 2026.2): an action's status at an instant is the status set by its last
  progress note (``ActionNote``) before that instant, or "open" when all its notes came later.
  dropped: a note set "dropped" in the period (counted once per action, even if it was reopened
  and dropped again); open at period end: created before the end and neither done nor dropped
  by its status at the end (an action dropped or done and reopened before the end is open);
  overdue: open at period end and due on or before the last day. Actions without any note
  (recorded before notes existed, or never updated) fall back to their current state: dropped
  when now dropped and last changed in the period; open at period end unless completed by then
  or now dropped and last changed before the end. (2026.1 used the current state for every
  action.)
- consents: cases with a consent valid for at least one day of the period and not revoked
  before it; revocations: consents revoked in the period; disclosures without consent: legal
  bases (§ 8a SGB VIII / § 4 KKG, Danish duties) invoked in the period, by basis;
- Danish municipality report (networks in Denmark): from 1 January to the end of the period,
  by the municipality of the case's lead organisation: pregnant women in the effort (active
  cases with an expected child at opening), residential treatment placements (residential
  treatment organisations added to a case team), counselling tracks started and completed
  (counselling team memberships added and removed).
- contributed tables: apps above this layer add tables of their own to a summary (for its half
  year) and to the yearly report (for its calendar year), with their definitions beside their
  code: the offers app's programme tracks and residential treatment offers (``offers/figures.py``).
  Since 2026.3 their stock figures (a track's completed / ended early / still active, the
  residential places occupied and the waiting list) are counted as at the period's end; up to
  2026.2 they were counted when the figures were computed. A contributor is given the documents
  of the same year already published (``published_documents``) and suppresses its tables of a
  half year or of the year against them and against the year's partnership figures that the
  board sees from the year's end (year = H1 + H2 for the counts of what happened in a period;
  ``offers.figures``).
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from django.db import connection, transaction
from django.db.models import (
    Case as CaseWhen, CharField, Count, DurationField, Exists, ExpressionWrapper, F, IntegerField, OuterRef, Q, QuerySet,
    Subquery, Value, When, Window,
)
from django.db.models.functions import Coalesce, RowNumber, TruncDate
from django.utils.translation import gettext_noop

from board import action_tally, suppression as sup
from board.models import ConferencePresence, half_year_label
from cases.models import BASES_BY_COUNTRY, Case, CaseTeamMember, Consent, DisclosureBasis, FamilyMember, LegalBasis
from conferences.models import Conference, Invitation
from participants.models import Country, Organisation, OrganisationKind
from protocols.models import ActionNote, AgreedAction

DEFINITIONS_VERSION = "2026.3"
PARENTS = "parents"
NO_MUNICIPALITY = "–"
TOTAL = "__all__"  # the key of a table's total row (never a municipality's name)


@dataclass(frozen=True)
class Period:
    year: int
    half: int

    def __post_init__(self) -> None:
        if self.half not in (1, 2):
            raise ValueError("half must be 1 or 2")

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def end(self) -> dt.date:
        return dt.date(self.year, 6, 30) if self.half == 1 else dt.date(self.year, 12, 31)

    @property
    def previous(self) -> "Period":
        return Period(self.year - 1, 2) if self.half == 1 else Period(self.year, 1)

    @property
    def label(self) -> str:
        """Language-neutral, stored with the frozen figures; pages show ``shown_period_labels``."""
        return f"{self.year} H{self.half}"

    def bounds(self, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
        """First instant of the period and first instant after it, in the network's zone."""
        start = dt.datetime.combine(self.start, dt.time.min, tz)
        end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tz)
        return start, end


def shown_period_labels(period: dict) -> tuple[str, str]:
    """The half year of frozen figures (their ``period``) and the one before, as labels in the
    active language (``half_year_label``); the stored labels only where year or half is missing."""
    try:
        current = Period(int(period["year"]), int(period["half"]))
    except (KeyError, TypeError, ValueError):
        return period.get("label", ""), period.get("previous", "")
    previous = current.previous
    return half_year_label(current.year, current.half), half_year_label(previous.year, previous.half)


def period_containing(day: dt.date) -> Period:
    return Period(day.year, 1 if day.month <= 6 else 2)


# ---------------------------------------------------------------------------------------------
# Medians in SQL
# ---------------------------------------------------------------------------------------------

def _days(value) -> float:
    return value.total_seconds() / 86400 if isinstance(value, dt.timedelta) else float(value)


# ---------------------------------------------------------------------------------------------
# Raw figures (never shown as they are)
# ---------------------------------------------------------------------------------------------

def _which_period(periods: list[Period], field: str, bounds=None) -> tuple[Q, CaseWhen]:
    """A filter for rows in any of the periods and the index of each row's period: by day
    (``bounds`` None: first to last day) or by instant (``bounds``: each period's [start, end))."""
    in_any, whens = Q(), []
    for i, period in enumerate(periods):
        if bounds is None:
            q = Q(**{f"{field}__gte": period.start, f"{field}__lte": period.end})
        else:
            start_dt, end_dt = bounds[i]
            q = Q(**{f"{field}__gte": start_dt, f"{field}__lt": end_dt})
        in_any |= q
        whens.append(When(q, then=Value(i)))
    return in_any, CaseWhen(*whens, output_field=IntegerField())


def _medians_by_period(qs: QuerySet, value, period_index) -> dict[int, tuple[int, float]]:
    """``{period index: (n, median)}`` in one query: rows numbered by value within their period."""
    qs = qs.order_by().annotate(_p=period_index, _v=value).filter(_v__isnull=False).annotate(
        _rn=Window(RowNumber(), partition_by=[F("_p")], order_by=[F("_v").asc(), F("pk").asc()]),
        _n=Window(Count("pk"), partition_by=[F("_p")]),
    ).filter(_rn__gte=(F("_n") + 1) / 2, _rn__lte=(F("_n") + 2) / 2)
    middles: dict[int, list] = {}
    counts: dict[int, int] = {}
    for p, v, n in qs.values_list("_p", "_v", "_n"):
        middles.setdefault(p, []).append(_days(v))
        counts[p] = n
    return {p: (counts[p], sum(vals) / len(vals)) for p, vals in middles.items()}


def _case_figures(network, periods: list[Period]) -> list[dict]:
    """The case counts of every period, from one aggregate over the network's cases."""
    measures = {}
    for i, period in enumerate(periods):
        start, end = period.start, period.end
        active = Q(opened_on__lte=end) & (Q(closed_on__isnull=True) | Q(closed_on__gte=start))
        measures.update({
            f"active_{i}": Count("pk", filter=active),
            f"active_expected_child_{i}": Count("pk", filter=active & Q(expected_child_at_opening=True)),
            f"new_{i}": Count("pk", filter=Q(opened_on__gte=start, opened_on__lte=end)),
            f"closed_{i}": Count("pk", filter=Q(closed_on__gte=start, closed_on__lte=end)),
        })
    row = Case.objects.filter(network=network).aggregate(**measures)
    return [{key: row[f"{key}_{i}"] for key in ("active", "active_expected_child", "new", "closed")}
            for i in range(len(periods))]


HELD_STATES = ("held", "protocol_final")


def _conference_figures(network, periods: list[Period], tz) -> list[dict]:
    """The conference figures of every period: one aggregate, one query for the medians of days
    to the first conference and one for the organisations present, each over all periods (one
    statement on PostgreSQL: ``_conference_figures_pg``)."""
    if connection.vendor == "postgresql":
        return _conference_figures_pg(network, periods, tz)
    bounds = [period.bounds(tz) for period in periods]
    parent_present = Exists(Invitation.objects.filter(
        conference=OuterRef("pk"), family_member__relation__in=FamilyMember.PARENT_RELATIONS,
        attended=True, removed_at__isnull=True,
    ))
    conferences = Conference.objects.filter(case__network=network).annotate(
        _when=Coalesce("starts_at", "updated_at"), _parent=parent_present,
    )
    measures = {}
    for i, (start_dt, end_dt) in enumerate(bounds):
        in_period = Q(_when__gte=start_dt, _when__lt=end_dt)
        held = in_period & Q(status__in=HELD_STATES)
        measures.update({
            f"held_{i}": Count("pk", filter=held),
            f"held_with_parent_{i}": Count("pk", filter=held & Q(_parent=True)),
            f"cancelled_{i}": Count("pk", filter=in_period & Q(status=Conference.Status.CANCELLED)),
            f"rescheduled_{i}": Count("pk", filter=in_period & Q(reschedule_count__gt=0)),
        })
    row = conferences.aggregate(**measures)
    result = [{key: row[f"{key}_{i}"] for key in ("held", "held_with_parent", "cancelled", "rescheduled")}
              for i in range(len(periods))]

    first_held = Subquery(
        Conference.objects.filter(case=OuterRef("pk"), status__in=HELD_STATES).order_by("starts_at").values("starts_at")[:1]
    )
    in_any, which = _which_period(periods, "_first", bounds)
    first_cases = Case.objects.filter(network=network).annotate(_first=first_held).filter(in_any)
    days = ExpressionWrapper(TruncDate("_first", tzinfo=tz) - F("opened_on"), output_field=DurationField())
    first = _medians_by_period(first_cases, days, which)

    organisations = (
        Invitation.objects.filter(conference=OuterRef("pk"), attended=True, organisation__isnull=False, removed_at__isnull=True)
        .order_by().values("conference").annotate(c=Count("organisation", distinct=True)).values("c")
    )
    present = Coalesce(Subquery(organisations, output_field=IntegerField()), Value(0))
    in_any, which = _which_period(periods, "_when", bounds)
    organisations_present = _medians_by_period(conferences.filter(in_any, status__in=HELD_STATES), present, which)
    for i, figures in enumerate(result):
        figures["days_to_first_conference"] = first.get(i, (0, None))
        figures["organisations_present"] = organisations_present.get(i, (0, None))
    return result


def _conference_figures_pg(network, periods: list[Period], tz) -> list[dict]:
    """``_conference_figures`` in one statement (PostgreSQL; issue 13: the three queries took
    1.0 s at 200,000 conferences, the first conference of each case looked up once per reference
    to it). Each conference is placed in its period once (``p``); a case's first held conference
    is the earliest start of its held conferences (``MIN``, as PostgreSQL's ``ORDER BY starts_at
    LIMIT 1`` skips conferences without a start); the medians are read off histograms (how many
    held conferences had n organisations present, how many cases waited d days) by
    ``_histogram_median``: the middle value, or the mean of the two middle ones, as
    ``_medians_by_period`` computes them."""
    qn = connection.ops.quote_name
    ops = connection.ops
    conf_t, case_t = qn(Conference._meta.db_table), qn(Case._meta.db_table)
    presence_t = qn(ConferencePresence._meta.db_table)
    which, which_params = [], []
    for i, period in enumerate(periods):
        start_dt, end_dt = (ops.adapt_datetimefield_value(b) for b in period.bounds(tz))
        which.append(f"WHEN {{w}} >= %s AND {{w}} < %s THEN {i}")
        which_params += [start_dt, end_dt]

    def period_of(column: str) -> str:
        return "CASE " + " ".join(w.format(w=column) for w in which) + " END"

    held = ", ".join(["%s"] * len(HELD_STATES))
    sql = (
        f"WITH x AS (SELECT x.id, x.status, x.reschedule_count, {period_of('COALESCE(x.starts_at, x.updated_at)')} AS p"
        f" FROM {conf_t} x INNER JOIN {case_t} c ON c.id = x.case_id WHERE c.network_id = %s),"
        # each case's first held conference, grouped in the order of the index of held conferences
        # by case and start (no hash table over them), then joined to the network's cases. This
        # reads every network's held conferences' index entries, as the join it replaced read every
        # conference; restricting the grouping to the network's cases first (a semi-join) was
        # slower at one network of 200,000 conferences (560-710 against 416-441 ms)
        f" fc AS (SELECT c.opened_on, h.first FROM (SELECT x.case_id, MIN(x.starts_at) AS first FROM {conf_t} x"
        f" WHERE x.status IN ({held}) GROUP BY x.case_id) h INNER JOIN {case_t} c ON c.id = h.case_id"
        f" WHERE c.network_id = %s),"
        f" ff AS (SELECT {period_of('fc.first')} AS p, (fc.first AT TIME ZONE %s)::date - fc.opened_on AS days FROM fc),"
        # organisations present at each conference and whether a parent was, as the database keeps
        # them from the attended invitations (``board/presence.py``; issue 13: reading ~150,000
        # attended invitations and their family members here took ~200 of 400 ms at 800,000
        # invitations). A conference that is not held, or lies outside the periods, adds nothing:
        # the counts below take held conferences of a period only.
        f" iv AS (SELECT conference_id, organisations AS n, parent FROM {presence_t})"
        # per period, and per period and number of organisations present (the median's histogram)
        f" SELECT CASE WHEN GROUPING(COALESCE(iv.n, 0)) = 1 THEN 'conferences' ELSE 'organisations' END, x.p,"
        f" COALESCE(iv.n, 0), COUNT(*) FILTER (WHERE x.status IN ({held})),"
        f" COUNT(*) FILTER (WHERE x.status IN ({held}) AND iv.parent),"
        f" COUNT(*) FILTER (WHERE x.status = %s), COUNT(*) FILTER (WHERE x.reschedule_count > 0)"
        f" FROM x LEFT JOIN iv ON iv.conference_id = x.id WHERE x.p IS NOT NULL"
        f" GROUP BY GROUPING SETS ((x.p), (x.p, COALESCE(iv.n, 0)))"
        f" UNION ALL SELECT 'first', ff.p, ff.days, COUNT(*), 0, 0, 0 FROM ff WHERE ff.p IS NOT NULL GROUP BY ff.p, ff.days"
    )
    params = [*which_params, network.pk, *HELD_STATES, network.pk, *which_params, str(tz),
              *HELD_STATES, *HELD_STATES, Conference.Status.CANCELLED.value]
    result = [{"held": 0, "held_with_parent": 0, "cancelled": 0, "rescheduled": 0,
               "days_to_first_conference": (0, None), "organisations_present": (0, None)} for _ in periods]
    present: list[list[tuple[int, int]]] = [[] for _ in periods]
    first: list[list[tuple[int, int]]] = [[] for _ in periods]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for part, p, value, n, with_parent, cancelled, rescheduled in rows:
        if part == "conferences":
            result[p].update(held=n, held_with_parent=with_parent, cancelled=cancelled, rescheduled=rescheduled)
        elif part == "organisations":
            if n:  # held conferences with this many organisations present
                present[p].append((value, n))
        else:
            first[p].append((value, n))
    for i, figures in enumerate(result):
        if present[i]:
            figures["organisations_present"] = _histogram_median(present[i])
        if first[i]:
            figures["days_to_first_conference"] = _histogram_median(first[i])
    return result


ACTION_MEASURES = ("agreed", "done", "dropped", "open", "overdue")


def _action_group():
    return CaseWhen(
        When(responsible_family_member__isnull=False, then=Value(PARENTS)),
        default=F("responsible_organisation__kind"),
        output_field=CharField(),
    )


def _tallied(network, tz) -> bool:
    """The action figures come from the tally (``board/action_tally.py``): on PostgreSQL, in the
    network's own time zone (the tally's half years are the network's)."""
    return connection.vendor == "postgresql" and getattr(tz, "key", None) == network.time_zone


def action_counts(network, periods: list[Period], tz) -> dict[Period, dict[str, dict[str, int]]]:
    """``{period: {group: {measure: count}}}`` for several periods (agreed, done, dropped, open
    and overdue at period end; see the module's definitions): from the tally where it is kept
    (``_tally_figures``), otherwise in one pass over the network's actions."""
    if _tallied(network, tz):
        return _tally_figures(network, periods, tz)[0]
    return _counts_from_actions(network, periods, tz)


def _tally_figures(network, periods: list[Period], tz) -> tuple[dict, dict]:
    """``(action_counts, done_medians)`` of several periods from the tally, in one statement
    that also folds the network's delta rows into its compacted rows (``board/action_tally.py``).

    The statement reads the tally as it was when it began (PostgreSQL runs a statement's
    data-modifying CTEs on one snapshot), so the folding does not change what it counts. Three
    parts, UNION ALL, per responsible organisation (or parent): ``g`` how many actions it has (a
    group with actions shows, even where all its counts are zero), ``c`` the counts of every period
    over the rows that can count in one (the reopened actions' dropped / open / overdue from their
    span rows, kept from their notes by the tally's triggers: no note is read here), ``m`` the
    actions done in each period by days to done (the medians are read off these few rows)."""
    org_t = connection.ops.quote_name(Organisation._meta.db_table)
    key = ", ".join(action_tally.KEY)
    table = action_tally.TABLE
    halves = [action_tally.half_index(period.year, period.half) for period in periods]
    # span 0: an action's own row (agreed, done, days to done; dropped / open / overdue unless
    # reopened); 1 and 2: a reopened action's open intervals and dropped half years
    own, reopened_span = "t.span = 0 AND NOT t.reopened", f"t.span = {action_tally.OPEN_SPAN}"
    dropped_span = f"t.span = {action_tally.DROPPED_SPAN}"
    sums, sum_params = [], []
    for q in halves:
        open_at_end = f"({own} OR {reopened_span}) AND t.created_h <= %s AND (t.closed_h = 0 OR t.closed_h > %s)"
        sums += [
            "SUM(CASE WHEN t.span = 0 AND t.created_h = %s THEN t.n ELSE 0 END)",
            "SUM(CASE WHEN t.span = 0 AND t.done_h = %s THEN t.n ELSE 0 END)",
            f"SUM(CASE WHEN ({own} OR {dropped_span}) AND t.dropped_h = %s THEN t.n ELSE 0 END)",
            f"SUM(CASE WHEN {open_at_end} THEN t.n ELSE 0 END)",
            f"SUM(CASE WHEN {open_at_end} AND t.due_h <> 0 AND t.due_h <= %s THEN t.n ELSE 0 END)",
        ]
        sum_params += [q, q, q, q, q, q, q, q]
    lowest, highest = min(halves), max(halves)
    # only rows that can count in one of the periods are summed: created, done or dropped in
    # their span, or open at some instant of it (the others are the network's older history)
    relevant = ("t.created_h BETWEEN %s AND %s OR t.done_h BETWEEN %s AND %s OR t.dropped_h BETWEEN %s AND %s"
                " OR (t.created_h <= %s AND (t.closed_h = 0 OR t.closed_h > %s))")
    sql = (
        f"WITH d AS (DELETE FROM {table} WHERE network_id = %s AND delta RETURNING {key}, n),"
        f" f AS (INSERT INTO {table} ({key}, n, delta) SELECT {key}, SUM(n), false FROM d GROUP BY {key}"
        f" ON CONFLICT ({key}) WHERE NOT delta DO UPDATE SET n = {table}.n + EXCLUDED.n)"
        # grouped by organisation (its kind is joined to the few groups): the rows are read where
        # they lie, compacted and delta rows alike, as the statement's snapshot shows them
        f" SELECT u.part, u.parent, o.kind, u.half, u.days, u.n, u.m FROM ("
        f" SELECT 'g' AS part, t.parent, t.organisation_id, NULL::integer AS half, NULL::integer AS days,"
        f" SUM(t.n) AS n, NULL::bigint[] AS m FROM {table} t WHERE t.network_id = %s AND t.span = 0"
        f" GROUP BY t.parent, t.organisation_id"
        f" UNION ALL SELECT 'c', t.parent, t.organisation_id, NULL, NULL, 0, ARRAY[{', '.join(sums)}]"
        f" FROM {table} t WHERE t.network_id = %s AND ({relevant}) GROUP BY t.parent, t.organisation_id"
        f" UNION ALL SELECT 'm', t.parent, t.organisation_id, t.done_h, t.days, SUM(t.n), NULL FROM {table} t"
        f" WHERE t.network_id = %s AND t.span = 0 AND t.done_h IN ({', '.join(['%s'] * len(halves))})"
        f" GROUP BY t.parent, t.organisation_id, t.done_h, t.days HAVING SUM(t.n) <> 0"
        f") u LEFT JOIN {org_t} o ON o.id = u.organisation_id"
    )
    relevant_params = [lowest, highest, lowest, highest, lowest, highest, highest, lowest]
    params = [network.pk, network.pk, *sum_params, network.pk, *relevant_params, network.pk, *halves]
    counts: dict[Period, dict[str, dict[str, int]]] = {period: {} for period in periods}
    histograms: dict[int, dict[str, dict[int, int]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    present = {PARENTS if parent else kind for part, parent, kind, _, _, n, _ in rows if part == "g" and n}
    for part, parent, kind, half, days, n, values in rows:
        group = PARENTS if parent else kind
        if part == "m":
            by_days = histograms.setdefault(halves.index(half), {}).setdefault(group, {})
            by_days[days] = by_days.get(days, 0) + int(n)
        elif group in present:  # a group shows where the network has actions in it, even all zero
            _add_counts(counts, periods, group, values if part == "c" else [])
    medians = {}
    for i, period in enumerate(periods):
        by_group = {group: list(by_days.items()) for group, by_days in histograms.get(i, {}).items()}
        medians[period] = (
            {group: _histogram_median(pairs) for group, pairs in by_group.items()},
            _histogram_median([pair for pairs in by_group.values() for pair in pairs]) if by_group else (0, None),
        )
    return counts, medians


def _add_counts(counts: dict, periods: list[Period], group, values) -> None:
    """Add a group's measures of every period (``values``: period by period; empty: zeros)."""
    for i, period in enumerate(periods):
        chunk = values[i * len(ACTION_MEASURES):(i + 1) * len(ACTION_MEASURES)]
        target = counts[period].setdefault(group, {measure: 0 for measure in ACTION_MEASURES})
        for measure, v in zip(ACTION_MEASURES, chunk):
            target[measure] += int(v or 0)


def _histogram_median(pairs: list[tuple[int, int]]) -> tuple[int, float]:
    """``(n, median)`` of values given as ``(value, how many)``: the middle value, or the mean of
    the two middle ones, as ``_medians_by_period`` numbers them."""
    pairs = sorted(pairs)
    total = sum(n for _, n in pairs)
    wanted = sorted({(total + 1) // 2, (total + 2) // 2})
    middles, seen = [], 0
    for value, n in pairs:
        first, seen = seen + 1, seen + n
        middles += [float(value) for position in wanted if first <= position <= seen]
    return total, sum(middles) / len(middles)


def _history_measures(periods: list[Period], tz) -> tuple[list[str], list, list[list[tuple[str, list]]]]:
    """The SQL of the five action measures of each period over an action ``a`` (its row and its
    digest) LEFT JOINed to its flags ``h`` (reopened actions only; NULL for the others): the flag
    columns of ``h`` over the notes ``w`` with their parameters, and per period the
    ``(SUM(...), parameters)`` of agreed, done, dropped, open and overdue."""
    Status = AgreedAction.Status
    ops = connection.ops
    done, dropped = Status.DONE.value, Status.DROPPED.value
    flag_sql, flag_params, measures = [], [], []
    for i, period in enumerate(periods):
        start_dt, end_dt = (ops.adapt_datetimefield_value(b) for b in period.bounds(tz))
        start, end = ops.adapt_datefield_value(period.start), ops.adapt_datefield_value(period.end)
        flag_sql.append(
            f"MAX(CASE WHEN w.created_at < %s AND (w.next_at IS NULL OR w.next_at >= %s) AND w.status IN (%s, %s) "
            f"THEN 1 ELSE 0 END) AS closed_{i}, "
            f"MAX(CASE WHEN w.status = %s AND w.created_at >= %s AND w.created_at < %s THEN 1 ELSE 0 END) AS dropped_{i}")
        flag_params += [end_dt, end_dt, done, dropped, dropped, start_dt, end_dt]
        closed_sql = (
            f"((a.history_reopened AND h.closed_{i} = 1) OR (NOT a.history_reopened"
            f" AND a.history_status IN (%s, %s) AND a.history_at < %s))")
        closed_params = [done, dropped, end_dt]
        open_sql = (
            f"a.created_at < %s AND ((a.history_status <> '' AND NOT {closed_sql}) OR (a.history_status = ''"
            f" AND NOT (a.status = %s AND a.completed_on IS NOT NULL AND a.completed_on <= %s)"
            f" AND NOT (a.status = %s AND a.updated_at < %s)))")
        open_params = [end_dt, *closed_params, done, end, dropped, end_dt]
        measures.append([
            ("SUM(CASE WHEN a.created_at >= %s AND a.created_at < %s THEN 1 ELSE 0 END)", [start_dt, end_dt]),
            ("SUM(CASE WHEN a.status = %s AND a.completed_on >= %s AND a.completed_on <= %s THEN 1 ELSE 0 END)",
             [done, start, end]),
            (f"SUM(CASE WHEN (a.history_reopened AND h.dropped_{i} = 1) OR (NOT a.history_reopened"
             f" AND a.history_status = %s AND a.history_at >= %s AND a.history_at < %s) OR (a.history_status = ''"
             f" AND a.status = %s AND a.updated_at >= %s AND a.updated_at < %s) THEN 1 ELSE 0 END)",
             [dropped, start_dt, end_dt, dropped, start_dt, end_dt]),
            (f"SUM(CASE WHEN {open_sql} THEN 1 ELSE 0 END)", open_params),
            (f"SUM(CASE WHEN {open_sql} AND a.due_on <= %s THEN 1 ELSE 0 END)", [*open_params, end]),
        ])
    return flag_sql, flag_params, measures


def _counts_from_actions(network, periods: list[Period], tz) -> dict[Period, dict[str, dict[str, int]]]:
    """The action counts in one pass over the network's actions (SQLite, or a time zone other
    than the network's).

    The status history comes from each action's digest of its notes (``history_status``,
    ``history_at``, ``history_reopened``, kept by a trigger: ``protocols/action_history.py``).
    An action never reopened was closed at an instant exactly when its last note closed it
    before that instant, and was dropped in a period exactly when its last note dropped it then.
    Only the notes of reopened actions are read: one window pass numbers each note's successor
    (``LEAD``), so "the last note before an instant" is the note before it whose successor is
    not, and one ``GROUP BY action`` turns that into a few flags per action and period. The
    actions are joined to those flags (LEFT JOIN) and grouped once by the responsible group.
    (Issue 13: the pass over all 1.15M notes of the benchmark network was half of the summary's
    time; ``tests/board/test_one_pass.py`` holds the counts against the per-note computation.)"""
    qn = connection.ops.quote_name
    action_t, note_t = qn(AgreedAction._meta.db_table), qn(ActionNote._meta.db_table)
    case_t, org_t = qn(Case._meta.db_table), qn(Organisation._meta.db_table)
    flag_sql, flag_params, measures = _history_measures(periods, tz)
    sum_sql = [sql for per_period in measures for sql, _ in per_period]
    sum_params = [param for per_period in measures for _, params in per_period for param in params]
    sql = (
        f"WITH w AS (SELECT n.action_id, n.status, n.created_at,"
        f" LEAD(n.created_at) OVER (PARTITION BY n.action_id ORDER BY n.created_at, n.id) AS next_at"
        f" FROM {note_t} n INNER JOIN {action_t} na ON na.id = n.action_id"
        f" INNER JOIN {case_t} nc ON nc.id = na.case_id WHERE nc.network_id = %s AND na.history_reopened),"
        f" h AS (SELECT w.action_id, {', '.join(flag_sql)} FROM w GROUP BY w.action_id)"
        # Grouped by the plain columns (a parent's action has no organisation): the planner knows
        # their few distinct values and hashes them, where a CASE expression as the key made it
        # expect one group per row and sort all actions (spilling to disk at 200,000).
        f" SELECT CASE WHEN a.responsible_family_member_id IS NOT NULL THEN 1 ELSE 0 END AS parent, o.kind,"
        f" {', '.join(sum_sql)}"
        f" FROM {action_t} a INNER JOIN {case_t} c ON c.id = a.case_id"
        f" LEFT JOIN {org_t} o ON o.id = a.responsible_organisation_id"
        f" LEFT JOIN h ON h.action_id = a.id"
        f" WHERE c.network_id = %s GROUP BY a.responsible_family_member_id IS NOT NULL, o.kind"
    )
    params = [network.pk, *flag_params, *sum_params, network.pk]
    result: dict[Period, dict[str, dict[str, int]]] = {period: {} for period in periods}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            group, values = PARENTS if row[0] else row[1], row[2:]
            for i, period in enumerate(periods):
                chunk = values[i * len(ACTION_MEASURES):(i + 1) * len(ACTION_MEASURES)]
                counts = result[period].setdefault(group, {measure: 0 for measure in ACTION_MEASURES})
                for measure, v in zip(ACTION_MEASURES, chunk):
                    counts[measure] += int(v or 0)
    return result


def done_medians(network, periods: list[Period], tz) -> dict[Period, tuple[dict[str, tuple[int, float]], tuple[int, float | None]]]:
    """``{period: ({group: (n, median days to done)}, (n, median over all groups))}`` for several
    periods in one pass over the network's done actions: each row is numbered within its period
    and group and within its period, and only the middle rows of either come back (from the
    tally where it is kept: ``_tally_figures``)."""
    if _tallied(network, tz):
        return _tally_figures(network, periods, tz)[1]
    return _medians_from_actions(network, periods, tz)


def _medians_from_actions(network, periods: list[Period], tz) -> dict[Period, tuple[dict, tuple]]:
    """``done_medians`` from the actions (SQLite, or a time zone other than the network's)."""
    in_any = Q()
    which = []
    for i, period in enumerate(periods):
        in_any |= Q(completed_on__gte=period.start, completed_on__lte=period.end)
        which.append(When(completed_on__gte=period.start, completed_on__lte=period.end, then=Value(i)))
    days = ExpressionWrapper(F("completed_on") - TruncDate("created_at", tzinfo=tz), output_field=DurationField())
    by_group = [F("_p"), F("_group")]
    rows = (
        AgreedAction.objects.filter(in_any, case__network=network, status=AgreedAction.Status.DONE).order_by()
        .annotate(_p=CaseWhen(*which, output_field=IntegerField()), _group=_action_group(), _v=days)
        .filter(_v__isnull=False)
        .annotate(
            _rg=Window(RowNumber(), partition_by=by_group, order_by=[F("_v").asc(), F("pk").asc()]),
            _ng=Window(Count("pk"), partition_by=by_group),
            _ra=Window(RowNumber(), partition_by=[F("_p")], order_by=[F("_v").asc(), F("pk").asc()]),
            _na=Window(Count("pk"), partition_by=[F("_p")]),
        )
        .annotate(_middle=CaseWhen(
            When(Q(_rg__gte=(F("_ng") + 1) / 2, _rg__lte=(F("_ng") + 2) / 2)
                 | Q(_ra__gte=(F("_na") + 1) / 2, _ra__lte=(F("_na") + 2) / 2), then=Value(1)),
            default=Value(0), output_field=IntegerField()))
        .filter(_middle=1)
        .values_list("_p", "_group", "_v", "_rg", "_ng", "_ra", "_na")
    )
    groups: dict[int, dict[str, list]] = {}
    alls: dict[int, list] = {}
    counts: dict[tuple, int] = {}
    for p, group, v, rg, ng, ra, na in rows:
        if (ng + 1) // 2 <= rg <= (ng + 2) // 2:
            groups.setdefault(p, {}).setdefault(group, []).append(_days(v))
            counts[(p, group)] = ng
        if (na + 1) // 2 <= ra <= (na + 2) // 2:
            alls.setdefault(p, []).append(_days(v))
            counts[(p, None)] = na
    result = {}
    for i, period in enumerate(periods):
        medians = {group: (counts[(i, group)], sum(vals) / len(vals)) for group, vals in groups.get(i, {}).items()}
        total = (counts[(i, None)], sum(alls[i]) / len(alls[i])) if i in alls else (0, None)
        result[period] = (medians, total)
    return result


def _action_figures(network, period: Period, tz, by_group: dict[str, dict[str, int]] | None = None,
                    medians: tuple | None = None) -> dict:
    """Agreed actions of the period by responsible group (``action_counts``) and the median days
    to done (``done_medians``), unless the caller computed them for several periods at once."""
    if by_group is None:
        by_group = action_counts(network, [period], tz)[period]
    if medians is None:
        medians = done_medians(network, [period], tz)[period]
    return {"by_group": by_group, "days_to_done": medians[0], "days_to_done_all": medians[1]}


def _consent_figures(network, periods: list[Period], tz) -> list[dict]:
    """Consents and disclosures of every period: one aggregate and one grouped query."""
    measures = {}
    for i, period in enumerate(periods):
        start_dt, end_dt = period.bounds(tz)
        valid = Q(valid_from__lte=period.end, valid_until__gte=period.start) & (
            Q(revoked_at__isnull=True) | Q(revoked_at__gte=start_dt))
        measures.update({
            f"cases_with_consent_{i}": Count("case", distinct=True, filter=valid),
            f"revocations_{i}": Count("pk", filter=Q(revoked_at__gte=start_dt, revoked_at__lt=end_dt)),
        })
    row = Consent.objects.filter(case__network=network).aggregate(**measures)
    in_any, _ = _which_period(periods, "invoked_on")
    per_basis = {f"n_{i}": Count("pk", filter=Q(invoked_on__gte=period.start, invoked_on__lte=period.end))
                 for i, period in enumerate(periods)}
    disclosures = {
        values["basis"]: values
        for values in DisclosureBasis.objects.filter(in_any, case__network=network).order_by()
        .values("basis").annotate(**per_basis)
    }
    bases = BASES_BY_COUNTRY.get(network.country, [])
    return [
        {"cases_with_consent": row[f"cases_with_consent_{i}"], "revocations": row[f"revocations_{i}"],
         "disclosures": {str(basis): disclosures.get(basis, {}).get(f"n_{i}", 0) for basis in bases}}
        for i in range(len(periods))
    ]


def _municipality_figures(network, period: Period, tz) -> dict[str, dict[str, int]]:
    year_start = dt.date(period.year, 1, 1)
    start_dt, _ = Period(period.year, 1).bounds(tz)
    _, end_dt = period.bounds(tz)
    active = Q(opened_on__lte=period.end) & (Q(closed_on__isnull=True) | Q(closed_on__gte=year_start))
    municipality = Coalesce(F("lead_organisation__municipality"), Value(""))
    rows: dict[str, dict[str, int]] = {}
    pregnant = (
        Case.objects.filter(network=network).order_by().annotate(_m=municipality).values("_m")
        .annotate(n=Count("pk", filter=active & Q(expected_child_at_opening=True))).values_list("_m", "n")
    )
    for name, n in pregnant:
        rows.setdefault(name, {})["pregnant_women"] = n
    added = Q(added_at__gte=start_dt, added_at__lt=end_dt)
    team = (
        CaseTeamMember.objects.filter(case__network=network).order_by()
        .annotate(_m=Coalesce(F("case__lead_organisation__municipality"), Value(""))).values("_m")
        .annotate(
            residential_placements=Count("pk", filter=added & Q(organisation__kind=OrganisationKind.RESIDENTIAL_TREATMENT)),
            counselling_started=Count("pk", filter=added & Q(case_role=CaseTeamMember.CaseRole.COUNSELLING)),
            counselling_completed=Count("pk", filter=Q(removed_at__gte=start_dt, removed_at__lt=end_dt,
                                                       case_role=CaseTeamMember.CaseRole.COUNSELLING)),
        )
    )
    for row in team:
        rows.setdefault(row.pop("_m"), {}).update(row)
    return {name: {key: values.get(key, 0) for key in MUNICIPALITY_MEASURES} for name, values in rows.items()
            if any(values.values())}


MUNICIPALITY_MEASURES = ("pregnant_women", "residential_placements", "counselling_started", "counselling_completed")


def raw_figures(network, period: Period) -> dict:
    """Unsuppressed figures of one period. Never store or show these."""
    return raw_figures_of(network, [period])[period]


def raw_figures_of(network, periods: list[Period]) -> dict[Period, dict]:
    """Unsuppressed figures of several periods (a summary's half year and the one before it);
    the action counts of all periods come from one pass over the actions (``action_counts``).
    Never store or show these."""
    tz = zoneinfo.ZoneInfo(network.time_zone)
    if _tallied(network, tz):
        counts, medians = _tally_figures(network, periods, tz)
    else:
        counts, medians = action_counts(network, periods, tz), done_medians(network, periods, tz)
    cases = _case_figures(network, periods)
    conferences = _conference_figures(network, periods, tz)
    consents = _consent_figures(network, periods, tz)
    result = {}
    for i, period in enumerate(periods):
        raw = {
            "cases": cases[i],
            "conferences": conferences[i],
            "actions": _action_figures(network, period, tz, by_group=counts[period], medians=medians[period]),
            "consents": consents[i],
        }
        if network.country == Country.DENMARK:
            raw["municipalities"] = _municipality_figures(network, period, tz)
        result[period] = raw
    return result


# ---------------------------------------------------------------------------------------------
# Figures as shown
# ---------------------------------------------------------------------------------------------

# Labels are English msgids, stored with the figures and translated when shown.
LABELS = {
    "cases": gettext_noop("Cases"),
    "cases.active": gettext_noop("Active cases"),
    "cases.new": gettext_noop("Newly opened cases"),
    "cases.closed": gettext_noop("Closed cases"),
    "cases.active_expected_child": gettext_noop("Active cases with an expected child at opening"),
    "cases.share_expected_child": gettext_noop("Share with an expected child at opening (%)"),
    "conferences": gettext_noop("Conferences"),
    "conferences.held": gettext_noop("Conferences held"),
    "conferences.cancelled": gettext_noop("Conferences cancelled"),
    "conferences.rescheduled": gettext_noop("Conferences rescheduled"),
    "conferences.held_with_parent": gettext_noop("Held with at least one parent present"),
    "conferences.share_with_parent": gettext_noop("Share held with a parent present (%)"),
    "conferences.days_to_first_conference": gettext_noop("Median days from opening to first conference"),
    "conferences.organisations_present": gettext_noop("Median number of organisations present"),
    "consents": gettext_noop("Consent and disclosures"),
    "consents.cases_with_consent": gettext_noop("Cases with a valid consent"),
    "consents.revocations": gettext_noop("Consents revoked"),
    "consents.disclosures_total": gettext_noop("Disclosures without consent (legal basis)"),
    "actions": gettext_noop("Agreed actions by who is responsible"),
    "actions.agreed": gettext_noop("Agreed"),
    "actions.done": gettext_noop("Done"),
    "actions.dropped": gettext_noop("Dropped"),
    "actions.open": gettext_noop("Open at period end"),
    "actions.overdue": gettext_noop("Overdue at period end"),
    "actions.median_days_to_done": gettext_noop("Median days to done"),
    "actions.total": gettext_noop("All"),
    "group.parents": gettext_noop("Parents"),
    "municipalities": gettext_noop("Yearly report per municipality (Danish reporting duty)"),
    "municipalities.pregnant_women": gettext_noop("Vulnerable pregnant women with harmful substance use in the effort"),
    "municipalities.residential_placements": gettext_noop("Residential treatment placements"),
    "municipalities.counselling_started": gettext_noop("Counselling tracks started"),
    "municipalities.counselling_completed": gettext_noop("Counselling tracks completed"),
    "municipalities.total": gettext_noop("All municipalities"),
}


def _group_label(group: str) -> str:
    if group == PARENTS:
        return LABELS["group.parents"]
    try:
        return str(OrganisationKind(group).label)
    except ValueError:
        return group


def _basis_label(basis: str) -> str:
    try:
        return str(LegalBasis(basis).label)
    except ValueError:
        return basis


CURRENT, PREVIOUS = "current", "previous"


def _action_groups(*by_groups: dict) -> list[str]:
    present = {group for by_group in by_groups for group in by_group}
    return [kind.value for kind in OrganisationKind if kind.value in present] + ([PARENTS] if PARENTS in present else [])


def summary_relations(raw: dict[str, dict], half: int = 2, published: Sequence[dict] = (), period: Period | None = None,
                      published_summaries: Sequence[dict] = ()) -> tuple[dict, list[dict], set, set, set]:
    """Every cell of a summary's two half years (``raw``: ``{CURRENT: raw figures, PREVIOUS:
    raw figures}``) keyed ``(period, section, name...)``, every identity that holds between them
    (``board.suppression`` relations) and the cells the relations need but no page shows.

    The identities (see the module's definitions):

    - per half year, the shown parts of a shown total: active cases with an expected child (the
      rest unshown), held conferences with a parent present (the rest unshown), disclosures per
      basis and their total, each action measure per responsible group and the "All" row;
    - across the two half years, cases: a case active in the current half year was active in
      the previous one and not closed in it, or is new now: active = active(previous) -
      closed(previous) + new;
    - across the two half years, actions, per responsible group and for "All": an action open
      at the end of the current half year was open at the end of the previous one or agreed
      since, and was neither done nor dropped since: open = open(previous) + agreed - done -
      dropped. (Reopened actions and changes of status after the fact can make the true counts
      miss this by a few; the identity is declared all the same: a near miss gives back a
      near count.)
    - Danish networks: the municipality table of the current half year (``municipality_relations``,
      with the tables of the same year already published). Its "All municipalities" row of
      pregnant women counts the active cases with an expected child from 1 January: in a first
      half year that is the active cases with an expected child; in a second half year it is
      those of the first half year plus the new ones since, and those of the second half year
      plus the ones closed in the first (both unshown).
    - the summaries already published (``published_summaries``, their stored figures) of the
      half years next to ``period``: a column of theirs that shows one of this summary's half
      years shows the same cells (``link_published``). Without this, a cell hidden here to
      protect a small one could be read off the neighbouring summary (and the reverse).

    Returns ``(values, relations, unshown, fixed, fixed_hidden)``, as ``board.suppression.suppress``
    takes them."""
    values: dict = {}
    relations: list[dict] = []
    unshown: set = set()
    fixed: set = set()
    fixed_hidden: set = set()
    groups = _action_groups(*(r["actions"]["by_group"] for r in raw.values()))
    for p, r in raw.items():
        cases, conf, consents = r["cases"], r["conferences"], r["consents"]
        for key in ("active", "new", "closed", "active_expected_child"):
            values[(p, "cases", key)] = cases[key]
        values[(p, "cases", "active_without_expected_child")] = cases["active"] - cases["active_expected_child"]
        unshown.add((p, "cases", "active_without_expected_child"))
        relations.append(sup.group([(p, "cases", "active_expected_child"), (p, "cases", "active_without_expected_child")],
                                   (p, "cases", "active")))
        for key in ("held", "held_with_parent", "cancelled", "rescheduled"):
            values[(p, "conferences", key)] = conf[key]
        values[(p, "conferences", "held_without_parent")] = conf["held"] - conf["held_with_parent"]
        unshown.add((p, "conferences", "held_without_parent"))
        relations.append(sup.group([(p, "conferences", "held_with_parent"), (p, "conferences", "held_without_parent")],
                                   (p, "conferences", "held")))
        values[(p, "consents", "cases_with_consent")] = consents["cases_with_consent"]
        values[(p, "consents", "revocations")] = consents["revocations"]
        disclosures = dict(consents["disclosures"])
        for basis, n in disclosures.items():
            values[(p, "disclosures", basis)] = n
        values[(p, "consents", "disclosures_total")] = sum(disclosures.values())
        relations.append(sup.group([(p, "disclosures", basis) for basis in disclosures], (p, "consents", "disclosures_total")))
        by_group = r["actions"]["by_group"]
        for measure in ACTION_MEASURES:
            for group in groups:
                values[(p, "actions", group, measure)] = by_group.get(group, {}).get(measure, 0)
            values[(p, "actions", "total", measure)] = sum(by_group.get(group, {}).get(measure, 0) for group in groups)
            relations.append(sup.group([(p, "actions", group, measure) for group in groups], (p, "actions", "total", measure)))
    if PREVIOUS in raw:
        relations.append({(CURRENT, "cases", "active"): 1, (PREVIOUS, "cases", "active"): -1,
                          (PREVIOUS, "cases", "closed"): 1, (CURRENT, "cases", "new"): -1})
        for group in [*groups, "total"]:
            relations.append({(CURRENT, "actions", group, "open"): 1, (PREVIOUS, "actions", group, "open"): -1,
                              (CURRENT, "actions", group, "agreed"): -1, (CURRENT, "actions", group, "done"): 1,
                              (CURRENT, "actions", group, "dropped"): 1})
    if period is not None:
        ours_of = {period: CURRENT, period.previous: PREVIOUS}
        for i, figures in enumerate(published_summaries):
            try:
                theirs = Period(int(figures["period"]["year"]), int(figures["period"]["half"]))
            except (KeyError, TypeError, ValueError):
                continue
            for column, their_period in (("current", theirs), ("previous", theirs.previous)):
                ours = ours_of.get(their_period)
                if ours is None or ours not in raw:
                    continue
                for cell, shown in _published_cells(figures, column).items():
                    link_published(values, relations, unshown, fixed, fixed_hidden, (ours, *cell),
                                   ("published", i, column, *cell), shown)
    if "municipalities" in raw.get(CURRENT, {}):
        to = period.end.isoformat() if period is not None else None
        m_values, m_relations, m_unshown, m_fixed, m_fixed_hidden = municipality_relations(
            (CURRENT, "municipalities"), raw[CURRENT]["municipalities"], published, to=to)
        values.update(m_values)
        relations += m_relations
        unshown |= m_unshown
        fixed |= m_fixed
        fixed_hidden |= m_fixed_hidden
        pregnant = (CURRENT, "municipalities", TOTAL, "pregnant_women")
        if half == 1:
            relations.append({pregnant: 1, (CURRENT, "cases", "active_expected_child"): -1})
        elif PREVIOUS in raw:
            for one, other in ((PREVIOUS, CURRENT), (CURRENT, PREVIOUS)):
                rest = (other, "cases", "expected_child_since" if other == CURRENT else "expected_child_closed")
                values[rest] = abs(values[pregnant] - values[(one, "cases", "active_expected_child")])
                unshown.add(rest)
                relations.append({pregnant: 1, (one, "cases", "active_expected_child"): -1, rest: -1})
    return values, relations, unshown, fixed, fixed_hidden


_SECTION_CELLS = {
    "cases": ("active", "new", "closed", "active_expected_child"),
    "conferences": ("held", "cancelled", "rescheduled", "held_with_parent"),
    "consents": ("cases_with_consent", "revocations", "disclosures_total"),
}


def _published_cells(figures: dict, column: str) -> dict[tuple, Any]:
    """The counts one column (``current`` or ``previous``) of a stored summary shows, keyed as
    in ``summary_relations`` without the period (shares, medians and changes are derived)."""
    cells: dict[tuple, Any] = {}
    for section in figures.get("sections") or []:
        key = section.get("key")
        for row in section.get("rows") or []:
            name = row.get("key")
            if name in _SECTION_CELLS.get(key, ()):
                cells[(key, name)] = row.get(column)
            elif key == "consents" and not str(name).startswith("share"):
                cells[("disclosures", name)] = row.get(column)
    for row in (figures.get("actions") or {}).get("rows") or []:
        for measure in ACTION_MEASURES:
            cells[("actions", row.get("key"), measure)] = (row.get(column) or {}).get(measure)
    return cells


def link_published(values: dict, relations: list, unshown: set, fixed: set, fixed_hidden: set, ours: tuple,
                   reference: tuple, shown) -> None:
    """Tie the cell ``ours`` to the same cell as a published document shows it (``shown``, fixed):
    equal unless late entries changed it since. A published hidden cell counts as equal to ours
    (the likeliest guess: ours is then hidden too); a published count that differs from ours by a
    few late entries leaves that difference unshown and protected."""
    if ours not in values or shown is None or isinstance(shown, bool):
        return
    if sup.is_hidden(shown):
        values[reference] = 0
        fixed_hidden.add(reference)
        relations.append({ours: 1, reference: -1})
        return
    if not isinstance(shown, int):
        return
    values[reference] = shown
    fixed.add(reference)
    late = abs(values[ours] - shown)
    if late == 0:
        relations.append({ours: 1, reference: -1})
    else:
        values[(*reference, "late")] = late
        unshown.add((*reference, "late"))
        relations.append({ours: 1, reference: -1, (*reference, "late"): -1})


def _shown_periods(raw: dict[str, dict], half: int = 2, published: Sequence[dict] = (), period: Period | None = None,
                   published_summaries: Sequence[dict] = ()) -> dict[str, dict]:
    """Suppress a summary's two half years together (``summary_relations``), so that no count
    hidden in one column comes back from the other; the keys mirror ``raw_figures``. Only the
    current half year's municipality table is shown."""
    values, relations, unshown, fixed, fixed_hidden = summary_relations(raw, half, published, period, published_summaries)
    shown = sup.suppress(values, relations, unshown=unshown, fixed=fixed, fixed_hidden=fixed_hidden)
    groups = _action_groups(*(r["actions"]["by_group"] for r in raw.values()))
    result = {}
    for p, r in raw.items():
        def cell(*key):
            return shown[(p, *key)]

        shown_cases = {
            "active": cell("cases", "active"), "new": cell("cases", "new"), "closed": cell("cases", "closed"),
            "active_expected_child": cell("cases", "active_expected_child"),
            "share_expected_child": sup.share(cell("cases", "active_expected_child"), cell("cases", "active")),
        }
        conf = r["conferences"]
        shown_conferences = {
            "held": cell("conferences", "held"), "cancelled": cell("conferences", "cancelled"),
            "rescheduled": cell("conferences", "rescheduled"), "held_with_parent": cell("conferences", "held_with_parent"),
            "share_with_parent": sup.share(cell("conferences", "held_with_parent"), cell("conferences", "held")),
            "days_to_first_conference": sup.median(*conf["days_to_first_conference"]),
            "organisations_present": sup.median(*conf["organisations_present"]),
        }
        shown_consents = {
            "cases_with_consent": cell("consents", "cases_with_consent"),
            "revocations": cell("consents", "revocations"),
            "disclosures_total": cell("consents", "disclosures_total"),
            "disclosures": {basis: cell("disclosures", basis) for basis in r["consents"]["disclosures"]},
        }
        actions = r["actions"]
        rows = {}
        for group in [*groups, "total"]:
            row = {measure: cell("actions", group, measure) for measure in ACTION_MEASURES}
            n, median = actions["days_to_done_all"] if group == "total" else actions["days_to_done"].get(group, (0, None))
            row["median_days_to_done"] = sup.median(n, median)
            rows[group] = row
        result[p] = {"cases": shown_cases, "conferences": shown_conferences, "consents": shown_consents, "actions": rows}
        if p == CURRENT and "municipalities" in r:
            names = sorted(r["municipalities"])
            result[p]["municipalities"] = {
                name: {measure: cell("municipalities", name, measure) for measure in MUNICIPALITY_MEASURES}
                for name in [*names, TOTAL]
            }
    return result


def municipality_relations(prefix: tuple, municipalities: dict, published: Sequence[dict] = (),
                           to: str | None = None) -> tuple[dict, list, set, set, set]:
    """The cells of a municipality table (cumulative from 1 January) keyed ``(*prefix, name,
    measure)``, its column totals, and its identities with the tables of the same year already
    published (``published``: stored tables, ``{"rows": [{"key", "values"}]}``, of the half-year
    summaries and the yearly report). Two cumulative tables of one year differ by the counts of
    the months between their ends (or, over the same months, by late entries): each difference
    is an unshown cell, protected when small (and assumed small where the published cell was
    hidden); the published cells are fixed. A published table over the same months (its ``to``
    is ``to``) shows the same cells, as ``link_published`` ties them. Returns ``(values,
    relations, unshown, fixed, fixed_hidden)`` for ``board.suppression.suppress``."""
    names = sorted(municipalities)
    values: dict = {}
    relations: list[dict] = []
    unshown: set = set()
    fixed: set = set()
    fixed_hidden: set = set()
    for measure in MUNICIPALITY_MEASURES:
        for name in names:
            values[(*prefix, name, measure)] = municipalities[name][measure]
        values[(*prefix, TOTAL, measure)] = sum(municipalities[name][measure] for name in names)
        relations.append(sup.group([(*prefix, name, measure) for name in names], (*prefix, TOTAL, measure)))
    for i, table in enumerate(published):
        theirs = {row.get("key"): row.get("values") or {} for row in table.get("rows") or []}
        their_names = [name for name in theirs if name != TOTAL]
        every = sorted(set(names) | set(their_names))
        same_months = to is not None and table.get("to") == to
        for measure in MUNICIPALITY_MEASURES:
            for name in [*every, TOTAL]:
                ours = (*prefix, name, measure)
                if ours not in values:  # a row this table does not show: known to be zero
                    values[ours] = 0
                    fixed.add(ours)
                shown = theirs.get(name, {}).get(measure, 0)
                if same_months:
                    link_published(values, relations, unshown, fixed, fixed_hidden, ours,
                                   (*prefix, "published", i, name, measure), shown)
                    continue
                reference, difference = (*prefix, "published", i, name, measure), (*prefix, "difference", i, name, measure)
                if sup.is_hidden(shown):
                    values[reference], values[difference] = 0, 1  # unknown: the difference counts as small
                    fixed_hidden.add(reference)
                else:
                    values[reference], values[difference] = shown or 0, abs(values[ours] - (shown or 0))
                    fixed.add(reference)
                unshown.add(difference)
                relations.append({ours: 1, reference: -1, difference: -1})
            relations.append(sup.group([(*prefix, "published", i, name, measure) for name in every],
                                       (*prefix, "published", i, TOTAL, measure)))
    return values, relations, unshown, fixed, fixed_hidden


def _shown_municipalities(municipalities: dict, published: Sequence[dict] = (), to: str | None = None) -> dict:
    values, relations, unshown, fixed, fixed_hidden = municipality_relations((), municipalities, published, to=to)
    shown = sup.suppress(values, relations, unshown=unshown, fixed=fixed, fixed_hidden=fixed_hidden)
    names = sorted(municipalities)
    return {name: {measure: shown[(name, measure)] for measure in MUNICIPALITY_MEASURES} for name in [*names, TOTAL]}


# Tables contributed by apps above this layer (the offers app's programme tracks and residential
# treatment), registered from their ``AppConfig.ready``. A contributor is called with the network
# and the first and last day of the period; it returns tables already suppressed by
# ``board.suppression``, in the stored form: ``{"key", "title", "head", "from", "to",
# "columns": [{"key", "label"}], "rows": [{"key", "label", "values": {column key: value}}]}``
# (titles and column labels are English msgids, translated when shown).
#
# ``published``: the documents of the same calendar year the board has already been given (the
# published half-year summaries and yearly report, ``board.selectors.published_year_documents``:
# ``{"published_at", "tables"}`` with their stored contributed tables). A contributor suppresses
# its tables against them, since its counts of a half year and of the year are related (the
# year's families = the first half year's + the second's).
_CONTRIBUTORS: list[Callable[..., list[dict]]] = []


def register_contributor(contributor: Callable[..., list[dict]]) -> None:
    if contributor not in _CONTRIBUTORS:
        _CONTRIBUTORS.append(contributor)


def contributed_tables(network, start: dt.date, end: dt.date, published: Sequence[dict] = ()) -> list[dict]:
    tables: list[dict] = []
    for contributor in _CONTRIBUTORS:
        tables.extend(contributor(network, start, end, published) or [])
    return tables


def _rows(section: str, keys, current: dict, previous: dict) -> list[dict]:
    return [
        {"key": key, "label": LABELS[f"{section}.{key}"], "current": current.get(key), "previous": previous.get(key),
         "change": sup.change(current.get(key), previous.get(key))}
        for key in keys
    ]


@contextmanager
def _without_jit():
    """On PostgreSQL, switch JIT compilation off for the figures' queries (one ``SET LOCAL`` in
    a transaction). Their cost estimates (one hashed subplan per action and period) exceed the
    JIT thresholds, and compiling took 2–4 s of each grouped action query while executing it
    takes well under one (bench/summary_bench.py, 100,000 actions)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield


def compute_figures(network, year: int, half: int, published: Sequence[dict] = (),
                    published_summaries: Sequence[dict] = (), published_documents: Sequence[dict] = ()) -> dict:
    """The summary of one network and half year, with the previous half year beside it,
    suppressed and ready to store (JSON) and to show. ``published``: the municipality tables of
    the same year already published (Danish networks; ``municipality_relations``);
    ``published_summaries``: the stored figures of the published summaries of the neighbouring
    half years (``summary_relations``); ``published_documents``: the published documents of the
    same year, for the contributed tables (``contributed_tables``)."""
    period = Period(year, half)
    with _without_jit():
        raw = raw_figures_of(network, [period, period.previous])
    shown = _shown_periods({CURRENT: raw[period], PREVIOUS: raw[period.previous]}, half, published, period,
                           published_summaries)
    current, previous = shown[CURRENT], shown[PREVIOUS]

    disclosure_rows = [
        {"key": basis, "label": _basis_label(basis), "current": current["consents"]["disclosures"].get(basis),
         "previous": previous["consents"]["disclosures"].get(basis),
         "change": sup.change(current["consents"]["disclosures"].get(basis), previous["consents"]["disclosures"].get(basis))}
        for basis in current["consents"]["disclosures"]
    ]
    action_columns = [*ACTION_MEASURES, "median_days_to_done"]
    action_groups = [g for g in current["actions"] if g != "total"]
    action_groups += [g for g in previous["actions"] if g != "total" and g not in action_groups]
    action_groups.append("total")
    empty = {measure: 0 for measure in ACTION_MEASURES}
    figures = {
        "definitions_version": DEFINITIONS_VERSION,
        "network": network.name,
        "period": {"year": year, "half": half, "label": period.label, "start": period.start.isoformat(),
                   "end": period.end.isoformat(), "previous": period.previous.label},
        "sections": [
            {"key": "cases", "title": LABELS["cases"], "rows": _rows(
                "cases", ["active", "new", "closed", "active_expected_child", "share_expected_child"],
                current["cases"], previous["cases"])},
            {"key": "conferences", "title": LABELS["conferences"], "rows": _rows(
                "conferences", ["held", "cancelled", "rescheduled", "held_with_parent", "share_with_parent",
                                "days_to_first_conference", "organisations_present"],
                current["conferences"], previous["conferences"])},
            {"key": "consents", "title": LABELS["consents"], "rows": _rows(
                "consents", ["cases_with_consent", "revocations", "disclosures_total"],
                current["consents"], previous["consents"]) + disclosure_rows},
        ],
        "actions": {
            "title": LABELS["actions"],
            "columns": [{"key": key, "label": LABELS[f"actions.{key}"]} for key in action_columns],
            "rows": [
                {"key": group, "label": LABELS["actions.total"] if group == "total" else _group_label(group),
                 "current": current["actions"].get(group, {**empty, "median_days_to_done": None}),
                 "previous": previous["actions"].get(group, {**empty, "median_days_to_done": None})}
                for group in action_groups
            ],
        },
    }
    if "municipalities" in current:
        figures["municipalities"] = {
            "title": LABELS["municipalities"],
            "from": dt.date(year, 1, 1).isoformat(), "to": period.end.isoformat(),
            "columns": [{"key": key, "label": LABELS[f"municipalities.{key}"]} for key in MUNICIPALITY_MEASURES],
            "rows": [
                {"key": name, "label": LABELS["municipalities.total"] if name == TOTAL else (name or NO_MUNICIPALITY),
                 "values": values}
                for name, values in current["municipalities"].items()
            ],
        }
    with _without_jit():
        extras = contributed_tables(network, period.start, period.end, published_documents)
    if extras:
        figures["extras"] = extras
    return figures


# ---------------------------------------------------------------------------------------------
# The Danish yearly report (its own page, per calendar year)
# ---------------------------------------------------------------------------------------------

def compute_yearly_report(network, year: int, published: Sequence[dict] = (),
                          published_documents: Sequence[dict] = ()) -> dict:
    """The yearly report of a Danish network per municipality for one calendar year (1 January
    to 31 December; the services compute it once the year has ended), suppressed like the
    summary and ready to store. Four queries whatever the number of cases, plus the contributed tables (the
programme tracks' and residential treatment figures of the offers app, constant SQL too)."""
    tz = zoneinfo.ZoneInfo(network.time_zone)
    shown = _shown_municipalities(_municipality_figures(network, Period(year, 2), tz), published,
                                  to=dt.date(year, 12, 31).isoformat())
    extras = contributed_tables(network, dt.date(year, 1, 1), dt.date(year, 12, 31), published_documents)
    return {
        **({"extras": extras} if extras else {}),
        "definitions_version": DEFINITIONS_VERSION,
        "network": network.name,
        "year": year,
        "title": LABELS["municipalities"],
        "from": dt.date(year, 1, 1).isoformat(), "to": dt.date(year, 12, 31).isoformat(),
        "columns": [{"key": key, "label": LABELS[f"municipalities.{key}"]} for key in MUNICIPALITY_MEASURES],
        "rows": [
            {"key": name, "label": LABELS["municipalities.total"] if name == TOTAL else (name or NO_MUNICIPALITY),
             "values": values}
            for name, values in shown.items()
        ],
    }
