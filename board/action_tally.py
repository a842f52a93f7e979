"""The board's tally of agreed actions: how many actions of a network share each combination of
the half years that decide the summary's action figures, kept by the database itself
(PostgreSQL; issue 13).

The summary's action figures of a half year q (``board.figures``: agreed, done, dropped, open
and overdue at the period's end, median days to done, per responsible group) depend on an
action only through a few half years, in the network's time zone: when it was created, when it
was done, when it counts as dropped, from when it counts as closed, when it falls due, and the
days from creation to completion. For an action that was never reopened (``history_reopened``,
protocols/action_history.py) these are fixed by its row and its notes' digest:

- agreed in q: ``created_h = q``; done in q: ``done_h = q`` (status done, completion date in q);
- dropped in q: ``dropped_h = q`` (its last note dropped it in q; without notes: now dropped and
  last changed in q);
- open at the end of q: ``created_h <= q`` and not ``0 < closed_h <= q`` (its last note closed it
  — done or dropped — in or before q; without notes: done with its completion date, or dropped
  and last changed, in or before q); overdue: open and ``0 < due_h <= q``.

So the figures of any half year are sums over a few thousand rows keyed by those values
(``board_actiontally``) instead of a pass over every action and note of the network (the pass
was 2–5 s at 2M actions). A half year is ``year * 2 + (0 for January–June, 1 for July–December)``;
0 means "none".

A reopened action (a note follows one that closed it) has no such fixed key: its status at the end
of each half year is that of its last note before it. Its own row (``span`` 0) counts agreed, done
and days to done; its notes add span rows (``board_actionspan``, one set per action, and the same
rows in the tally): each interval of half years at whose end it was open (``span`` 1, from
``created_h`` to ``closed_h``, with its ``due_h``) and each half year in which a note dropped it
(``span`` 2). The summary then reads no note at all (issue 13: the reopened actions' notes were
~210 of 489 ms at 26,662 reopened actions). A note written, changed or deleted, and a change of a
reopened action's row, replace that action's span rows (``fk_action_spans``), which appends the
difference to the tally as delta rows.

Who keeps it right: a row trigger on ``protocols_agreedaction`` (insert, delete, and every update
of a column the key reads — including the digest columns the notes' trigger writes, so every
note written by a service, ``bulk_create``, raw SQL or the retention run reaches it too) appends
the change as delta rows (``delta``: -1 for the old key, +1 for the new; nothing when the key is
unchanged); a row trigger on the notes replaces its action's span rows. Delta rows are only ever inserted, so concurrent writers never wait on each other's
tally rows; ``board.figures`` folds a network's deltas into its compacted rows in the statement
that reads them. A case moved to another network moves its actions' rows, a network's new time
zone rebuilds its rows, and TRUNCATE of the actions empties the tally. ``backfill`` computes the
tally from scratch (``board/0002``, the bench); ``tests/board/test_action_tally.py`` holds the
maintained tally against it and the figures against the per-action computation after every path.

SQLite (the embedded, small default) has no time zones in SQL: there the tally stays empty and
the figures are computed from the actions as before. ``board.figures`` also computes from the
actions when asked for a time zone other than the network's.

Limits: an action written concurrently with its case's move to another network, or with its
network's change of time zone, can keep the rows of the old network or zone (the move and the
rebuild read the actions committed when they run); both are admin operations no service
performs. ``backfill`` (one statement; seconds for the bench's 2M actions) sets any network right.
"""
from __future__ import annotations

from django.db import connections, transaction

from board import db_triggers

TABLE = "board_actiontally"
ACTIONS = "protocols_agreedaction"
CASES = "conferences_case"
NETWORKS = "participants_network"
FUNCTION = "fk_action_tally"
CASE_FUNCTION = "fk_action_tally_case"
NETWORK_FUNCTION = "fk_action_tally_network"
TRUNCATE_FUNCTION = "fk_action_tally_truncate"
KEY = ("network_id", "organisation_id", "parent", "reopened", "created_h", "done_h", "dropped_h", "closed_h", "due_h",
       "days", "span")
SPANS = "board_actionspan"
NOTES = "protocols_actionnote"
SPAN_FUNCTION = "fk_action_spans"
NOTE_FUNCTION = "fk_action_tally_notes"
# a span row of a reopened action (``span``): 1 an interval of half years at whose end it was open
# (``created_h`` to ``closed_h``, 0 for "still"), with its ``due_h``; 2 a half year in which a note
# dropped it (``dropped_h``). 0: the action's own row.
OPEN_SPAN, DROPPED_SPAN = 1, 2
# an update that changes none of these leaves the key as it was: the trigger does not even run
WATCHED = ("case_id", "responsible_organisation_id", "responsible_family_member_id", "created_at", "status",
           "completed_on", "updated_at", "due_on", "history_status", "history_at", "history_reopened")


def half_index(year: int, half: int) -> int:
    """The tally's number of a half year (``half`` 1 or 2)."""
    return year * 2 + half - 1


def _half(day: str) -> str:
    return f"(EXTRACT(YEAR FROM {day})::int * 2 + CASE WHEN EXTRACT(MONTH FROM {day}) > 6 THEN 1 ELSE 0 END)"


def key_exprs(a: str, tz: str) -> list[str]:
    """The key columns after ``network_id`` for the action whose columns are ``{a}.<column>``
    (``a`` may be ``NEW`` / ``OLD`` in a trigger), ``tz`` the SQL expression of its network's time
    zone. The same text for the trigger and the backfill, so the two cannot disagree."""
    local = f"({a}.created_at AT TIME ZONE {tz})::date"
    done = f"{a}.status = 'done' AND {a}.completed_on IS NOT NULL"
    # reopened: its notes decide (span rows); an action without notes falls back to its row even
    # where the flag says reopened (the digest never sets it so; a bulk update could)
    reopened = f"({a}.history_reopened AND {a}.history_status <> '')"
    closing = f"NOT {reopened}"
    return [
        f"COALESCE({a}.responsible_organisation_id, 0)",
        f"({a}.responsible_family_member_id IS NOT NULL)",
        reopened,
        _half(local),
        f"CASE WHEN {done} THEN {_half(f'{a}.completed_on')} ELSE 0 END",
        f"CASE WHEN NOT {closing} THEN 0"
        f" WHEN {a}.history_status = 'dropped' THEN {_half(f'({a}.history_at AT TIME ZONE {tz})::date')}"
        f" WHEN {a}.history_status = '' AND {a}.status = 'dropped' THEN {_half(f'({a}.updated_at AT TIME ZONE {tz})::date')}"
        f" ELSE 0 END",
        f"CASE WHEN NOT {closing} THEN 0"
        f" WHEN {a}.history_status IN ('done', 'dropped') THEN {_half(f'({a}.history_at AT TIME ZONE {tz})::date')}"
        f" WHEN {a}.history_status <> '' THEN 0"
        f" WHEN {done} THEN {_half(f'{a}.completed_on')}"
        f" WHEN {a}.status = 'dropped' THEN {_half(f'({a}.updated_at AT TIME ZONE {tz})::date')}"
        f" ELSE 0 END",
        f"CASE WHEN NOT {closing} OR {a}.due_on IS NULL THEN 0 ELSE {_half(f'{a}.due_on')} END",
        f"CASE WHEN {done} THEN {a}.completed_on - {local} ELSE 0 END",
        "0",
    ]


def _grouped_insert(a_from: str, sign: int, network: str, tz: str, where: str, *, delta: bool) -> str:
    """INSERT the rows of the actions ``a`` that ``a_from`` / ``where`` select, counted per key
    and multiplied by ``sign``: delta rows (``delta``) or compacted ones."""
    exprs = key_exprs("a", tz)
    positions = ", ".join(str(i) for i in range(1, len(KEY) + 1))
    return (f"INSERT INTO {TABLE} ({', '.join(KEY)}, n, delta) SELECT {network}, {', '.join(exprs)},"
            f" {sign} * count(*), {'true' if delta else 'false'} FROM {a_from} WHERE {where} GROUP BY {positions}")


SPAN_COLUMNS = ("action_id", *KEY)


def _spans_select(where: str) -> str:
    """The span rows (``SPAN_COLUMNS``) of the reopened actions ``a`` that ``where`` selects (it may
    read ``a`` and its case ``c``), from their notes in their network's time zone. The status at the
    end of a half year is that of the last note before it (``created_at, id``), "open" before the
    first note; so the last note of each half year with notes sets the status from that half year
    on. An open interval runs from the action's half year, or from a half year whose last note left
    it open, to the next half year whose last note closed it (``closed_h``, 0: none); a dropped row
    stands for each half year with a note that dropped it. The tally's sums over these rows are the
    figures ``board.figures._history_measures`` computes from the notes (tests/board/test_action_tally.py)."""
    tz = "ra.tz"
    note_h = _half(f"(x.created_at AT TIME ZONE {tz})::date")
    return f"""
        WITH ra AS (SELECT a.id, c.network_id AS net, n.time_zone AS tz,
                           COALESCE(a.responsible_organisation_id, 0) AS org,
                           a.responsible_family_member_id IS NOT NULL AS parent,
                           {_half("(a.created_at AT TIME ZONE n.time_zone)::date")} AS created_h,
                           CASE WHEN a.due_on IS NULL THEN 0 ELSE {_half("a.due_on")} END AS due_h
                    FROM {ACTIONS} a JOIN {CASES} c ON c.id = a.case_id JOIN {NETWORKS} n ON n.id = c.network_id
                    WHERE a.history_reopened AND {where}),
             nh AS (SELECT ra.id, {note_h} AS h, x.status, x.created_at, x.id AS note_id
                    FROM ra JOIN {NOTES} x ON x.action_id = ra.id),
             lh AS (SELECT DISTINCT ON (nh.id, nh.h) nh.id, nh.h, nh.status IN ('done', 'dropped') AS closed
                    FROM nh ORDER BY nh.id, nh.h, nh.created_at DESC, nh.note_id DESC),
             seg AS (SELECT lh.id, lh.h, lh.closed, LEAD(lh.h) OVER (PARTITION BY lh.id ORDER BY lh.h) AS next_h,
                            MIN(lh.h) OVER (PARTITION BY lh.id) AS first_h
                     FROM lh),
             pieces AS (SELECT seg.id, ra.created_h AS s, seg.first_h AS e FROM seg JOIN ra ON ra.id = seg.id
                        WHERE seg.h = seg.first_h
                        UNION ALL
                        SELECT seg.id, GREATEST(seg.h, ra.created_h), seg.next_h FROM seg JOIN ra ON ra.id = seg.id
                        WHERE NOT seg.closed)
        SELECT ra.id, ra.net, ra.org, ra.parent, true, p.s, 0, 0, COALESCE(p.e, 0), ra.due_h, 0, {OPEN_SPAN}
        FROM pieces p JOIN ra ON ra.id = p.id WHERE p.e IS NULL OR p.s < p.e
        UNION ALL
        SELECT DISTINCT ra.id, ra.net, ra.org, ra.parent, true, 0, 0, nh.h, 0, 0, 0, {DROPPED_SPAN}
        FROM nh JOIN ra ON ra.id = nh.id WHERE nh.status = 'dropped'"""


def _pg_span_function() -> str:
    """``fk_action_spans(action id)``: replace one action's span rows by those of its current row
    and notes (none unless reopened), and append the difference to the tally as delta rows."""
    key = ", ".join(KEY)
    return f"""
        CREATE OR REPLACE FUNCTION {SPAN_FUNCTION}(aid bigint) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            -- one statement: the old rows and the new ones are netted, so an unchanged set (a note
            -- that changed nothing of it, the second of two calls for one write) appends nothing
            WITH gone AS (DELETE FROM {SPANS} WHERE action_id = aid RETURNING {key}),
                 made AS (INSERT INTO {SPANS} ({", ".join(SPAN_COLUMNS)}) {_spans_select("a.id = aid")}
                          RETURNING {key})
            INSERT INTO {TABLE} ({key}, n, delta)
            SELECT {key}, SUM(k.n), true
            FROM (SELECT {key}, -1 AS n FROM gone UNION ALL SELECT {key}, 1 AS n FROM made) AS k
            GROUP BY {key} HAVING SUM(k.n) <> 0;
        END $$"""


def _pg_note_function() -> str:
    """After a note is written, moved or deleted: its action's spans (a note in the past or a
    changed older note leaves the action's digest, and so its own row, as it was)."""
    return f"""
        CREATE OR REPLACE FUNCTION {NOTE_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                PERFORM {SPAN_FUNCTION}(OLD.action_id);
            END IF;
            IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.action_id IS DISTINCT FROM OLD.action_id) THEN
                PERFORM {SPAN_FUNCTION}(NEW.action_id);
            END IF;
            RETURN NULL;
        END $$"""


def _pg_action_function() -> str:
    cols = ", ".join(KEY)

    def side(r: str, sign: int) -> str:
        return f"SELECT {r[0]}net, {', '.join(key_exprs(r, f'{r[0]}tz'))}, {sign}"

    netted = (f"INSERT INTO {TABLE} ({cols}, n, delta) SELECT {cols}, sum(n), true FROM ({{rows}}) AS k({cols}, n)"
              f" GROUP BY {cols} HAVING sum(n) <> 0")
    lookup = (f"SELECT c.network_id, n.time_zone INTO {{p}}net, {{p}}tz FROM {CASES} c JOIN {NETWORKS} n"
              f" ON n.id = c.network_id WHERE c.id = {{r}}.case_id")
    # network_id is NOT NULL: an action whose case (or network) cannot be found fails loudly
    return f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            onet integer; otz text; nnet integer; ntz text;
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                {lookup.format(p='o', r='OLD')};
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                {lookup.format(p='n', r='NEW')};
            END IF;
            IF TG_OP = 'INSERT' THEN
                {netted.format(rows=side('NEW', 1))};
            ELSIF TG_OP = 'DELETE' THEN
                {netted.format(rows=side('OLD', -1))};
            ELSE
                {netted.format(rows=side('OLD', -1) + ' UNION ALL ' + side('NEW', 1))};
            END IF;
            IF TG_OP = 'DELETE' THEN
                IF OLD.history_reopened THEN PERFORM {SPAN_FUNCTION}(OLD.id); END IF;
            ELSIF TG_OP = 'INSERT' THEN
                IF NEW.history_reopened THEN PERFORM {SPAN_FUNCTION}(NEW.id); END IF;
            ELSIF OLD.history_reopened OR NEW.history_reopened THEN
                PERFORM {SPAN_FUNCTION}(NEW.id);
            END IF;
            RETURN NULL;
        END $$"""


def _pg_case_function() -> str:
    tz = f"(SELECT n.time_zone FROM {NETWORKS} n WHERE n.id = {{net}})"
    away = _grouped_insert(f"{ACTIONS} a", -1, "OLD.network_id", tz.format(net="OLD.network_id"), "a.case_id = OLD.id",
                           delta=True)
    to = _grouped_insert(f"{ACTIONS} a", 1, "NEW.network_id", tz.format(net="NEW.network_id"), "a.case_id = NEW.id",
                         delta=True)
    return f"""
        CREATE OR REPLACE FUNCTION {CASE_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {away};
            {to};
            PERFORM {SPAN_FUNCTION}(a.id) FROM {ACTIONS} a WHERE a.case_id = NEW.id AND a.history_reopened;
            RETURN NULL;
        END $$"""


def _pg_network_function() -> str:
    return f"""
        CREATE OR REPLACE FUNCTION {NETWORK_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM {TABLE} WHERE network_id = NEW.id;
            DELETE FROM {SPANS} WHERE network_id = NEW.id;
            {_backfill_sql('NEW.id')};
            {_spans_backfill_sql('NEW.id')};
            {_span_rows_sql('NEW.id')};
            RETURN NULL;
        END $$"""


def _backfill_sql(network: str | None) -> str:
    where = "TRUE" if network is None else f"c.network_id = {network}"
    return _grouped_insert(f"{ACTIONS} a JOIN {CASES} c ON c.id = a.case_id JOIN {NETWORKS} n ON n.id = c.network_id",
                           1, "c.network_id", "n.time_zone", where, delta=False)


def _spans_backfill_sql(network: str | None) -> str:
    where = "TRUE" if network is None else f"c.network_id = {network}"
    return f"INSERT INTO {SPANS} ({', '.join(SPAN_COLUMNS)}) {_spans_select(where)}"


def _span_rows_sql(network: str | None) -> str:
    """The tally's compacted rows of the span rows (after ``_spans_backfill_sql``)."""
    key = ", ".join(KEY)
    where = "TRUE" if network is None else f"network_id = {network}"
    return f"INSERT INTO {TABLE} ({key}, n, delta) SELECT {key}, count(*), false FROM {SPANS} WHERE {where} GROUP BY {key}"


def _installable(connection) -> bool:
    if connection.vendor != "postgresql":
        return False
    existing = set(connection.introspection.table_names())
    if not {TABLE, SPANS, ACTIONS, CASES, NETWORKS, NOTES} <= existing:
        return False
    columns = {c.name for c in connection.introspection.get_table_description(connection.cursor(), ACTIONS)}
    tally = {c.name for c in connection.introspection.get_table_description(connection.cursor(), TABLE)}
    return set(WATCHED) <= columns and "span" in tally


def install(using: str = "default") -> None:
    """(Re)create the triggers (PostgreSQL 14+: ``CREATE OR REPLACE TRIGGER``). Idempotent; run
    after every migrate. One transaction, and no trigger is ever dropped first: with a drop and a
    create in separate commits, an action written in between was never counted."""
    connection = connections[using]
    if not _installable(connection):
        return
    watched = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in WATCHED)
    with transaction.atomic(using=using), connection.cursor() as cur:
        cur.execute(_pg_span_function())
        cur.execute(_pg_action_function())
        cur.execute(f"CREATE OR REPLACE TRIGGER {FUNCTION} AFTER INSERT OR DELETE ON {ACTIONS} FOR EACH ROW "
                    f"EXECUTE FUNCTION {FUNCTION}()")
        cur.execute(f"CREATE OR REPLACE TRIGGER {FUNCTION}_update AFTER UPDATE ON {ACTIONS} FOR EACH ROW WHEN ({watched}) "
                    f"EXECUTE FUNCTION {FUNCTION}()")
        cur.execute(_pg_note_function())
        cur.execute(f"CREATE OR REPLACE TRIGGER {NOTE_FUNCTION} AFTER INSERT OR UPDATE OR DELETE ON {NOTES} FOR EACH ROW "
                    f"EXECUTE FUNCTION {NOTE_FUNCTION}()")
        cur.execute(_pg_case_function())
        cur.execute(f"CREATE OR REPLACE TRIGGER {CASE_FUNCTION} AFTER UPDATE OF network_id ON {CASES} FOR EACH ROW "
                    f"WHEN (OLD.network_id IS DISTINCT FROM NEW.network_id) EXECUTE FUNCTION {CASE_FUNCTION}()")
        cur.execute(_pg_network_function())
        cur.execute(f"CREATE OR REPLACE TRIGGER {NETWORK_FUNCTION} AFTER UPDATE OF time_zone ON {NETWORKS} FOR EACH ROW "
                    f"WHEN (OLD.time_zone IS DISTINCT FROM NEW.time_zone) EXECUTE FUNCTION {NETWORK_FUNCTION}()")
        cur.execute(f"""
            CREATE OR REPLACE FUNCTION {TRUNCATE_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                DELETE FROM {TABLE};
                DELETE FROM {SPANS};
                RETURN NULL;
            END $$""")
        cur.execute(f"CREATE OR REPLACE TRIGGER {TRUNCATE_FUNCTION} AFTER TRUNCATE ON {ACTIONS} FOR EACH STATEMENT "
                    f"EXECUTE FUNCTION {TRUNCATE_FUNCTION}()")


# Per network, the tally's own rows of actions sum to its number of actions (each action is one +1
# in one row); the span rows are those the reopened actions' notes give, and the tally's span rows
# count them.
_DRIFTED = f"""
    SELECT EXISTS (
        SELECT 1
        FROM (SELECT c.network_id, count(*) AS n FROM {ACTIONS} a JOIN {CASES} c ON c.id = a.case_id
              GROUP BY c.network_id) AS truth
        FULL JOIN (SELECT network_id, SUM(n) AS n FROM {TABLE} WHERE span = 0 GROUP BY network_id) AS kept
        USING (network_id)
        WHERE COALESCE(truth.n, 0) <> COALESCE(kept.n, 0))
    OR EXISTS (SELECT * FROM ({_spans_select("TRUE")}) AS due EXCEPT ALL SELECT {", ".join(SPAN_COLUMNS)} FROM {SPANS})
    OR EXISTS (SELECT {", ".join(SPAN_COLUMNS)} FROM {SPANS} EXCEPT ALL SELECT * FROM ({_spans_select("TRUE")}) AS due)
    OR EXISTS (
        SELECT 1
        FROM (SELECT {", ".join(KEY)}, count(*) AS n FROM {SPANS} GROUP BY {", ".join(KEY)}) AS truth
        FULL JOIN (SELECT {", ".join(KEY)}, SUM(n) AS n FROM {TABLE} WHERE span <> 0 GROUP BY {", ".join(KEY)}) AS kept
        USING ({", ".join(KEY)})
        WHERE COALESCE(truth.n, 0) <> COALESCE(kept.n, 0))"""


def ensure(using: str = "default") -> None:
    """Install the triggers and rebuild the tally when it does not add up: never filled, or
    counts that miss actions written while no trigger watched (an older install dropped and
    re-created them in separate commits; an upgrade from before the digest columns). In one
    transaction that holds off writers of actions, cases and networks (``SHARE ROW EXCLUSIVE``:
    readers go on), so no action is written between the check and the rebuild. Idempotent; run by
    ``board/0002`` and after every migrate (the check reads every action once: ~0.25 s at 2M)."""
    if _installable(connections[using]):
        db_triggers.ensure(using, (ACTIONS, NOTES, CASES, NETWORKS), install, _drifted, backfill)


def _drifted(using: str) -> bool:
    with connections[using].cursor() as cur:
        cur.execute(_DRIFTED)
        return cur.fetchone()[0]


_TRIGGERS = ((FUNCTION, ACTIONS), (f"{FUNCTION}_update", ACTIONS), (TRUNCATE_FUNCTION, ACTIONS), (NOTE_FUNCTION, NOTES),
             (CASE_FUNCTION, CASES), (NETWORK_FUNCTION, NETWORKS))


def uninstall(using: str = "default") -> None:
    db_triggers.drop(using, _TRIGGERS, [f"{name}()" for name in (FUNCTION, CASE_FUNCTION, NETWORK_FUNCTION,
                                                                TRUNCATE_FUNCTION, NOTE_FUNCTION)]
                     + [f"{SPAN_FUNCTION}(bigint)"])


def backfill(using: str = "default", network_id: int | None = None) -> int:
    """Recompute the tally from the actions (every network, or one); returns the rows written."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return 0
    with transaction.atomic(using=using), connection.cursor() as cur:  # no reader sees it half rebuilt
        if network_id is None:
            cur.execute(f"DELETE FROM {TABLE}")
            cur.execute(f"DELETE FROM {SPANS}")
            cur.execute(_backfill_sql(None))
            written = cur.rowcount
            cur.execute(_spans_backfill_sql(None))
            cur.execute(_span_rows_sql(None))
        else:
            cur.execute(f"DELETE FROM {TABLE} WHERE network_id = %s", [network_id])
            cur.execute(f"DELETE FROM {SPANS} WHERE network_id = %s", [network_id])
            cur.execute(_backfill_sql("%s"), [network_id])
            written = cur.rowcount
            cur.execute(_spans_backfill_sql("%s"), [network_id])
            cur.execute(_span_rows_sql("%s"), [network_id])
        return written + cur.rowcount


def installed(using: str = "default") -> bool:
    return db_triggers.all_installed(using, [name for name, _ in _TRIGGERS])
