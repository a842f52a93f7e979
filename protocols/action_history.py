"""Each agreed action carries a digest of its progress notes, kept by the database itself.

``history_status`` and ``history_at`` are the status and time of the action's last note (in the
order ``created_at, id``; ``""`` and NULL without notes) and ``history_reopened`` says that some
note follows a note that set "done" or "dropped". For an action that was never reopened, that is
its whole status history: every note before the last one set "open" or "in progress", so its
status at an instant T is "closed" exactly when the last note closed it and came before T. The
board's figures (``board.figures.action_counts``) read the digest and go back to the notes only
for the few reopened actions (issue 13: the pass over every note was half of the summary's time).

A trigger on the notes table recomputes the digest of the action whose notes changed, whoever
wrote them (the status service, ``bulk_create``, a data migration, raw SQL, tests that write
notes at chosen instants). It is installed by ``protocols/0008`` and again after every
``migrate`` (SQLite drops a table's triggers when a migration rebuilds it), like the content
version's (``permissions/content_version.py``). ``backfill`` recomputes every action at once.
"""
from __future__ import annotations

from django.db import connections, transaction

ACTIONS = "protocols_agreedaction"
NOTES = "protocols_actionnote"
PG_FUNCTION = "fk_action_history"
SQLITE_TRIGGERS = ("fk_ah_insert", "fk_ah_update_new", "fk_ah_update_old", "fk_ah_delete")


def _set_clause(action_id: str) -> str:
    """``SET ...`` of the digest of the action whose id is the SQL expression ``action_id``
    (portable SQL: the same text on SQLite and PostgreSQL)."""
    last = (f"FROM {NOTES} n WHERE n.action_id = {action_id} ORDER BY n.created_at DESC, n.id DESC LIMIT 1")
    return (
        f"history_status = COALESCE((SELECT n.status {last}), ''), "
        f"history_at = (SELECT n.created_at {last}), "
        f"history_reopened = EXISTS (SELECT 1 FROM {NOTES} c WHERE c.action_id = {action_id}"
        f" AND c.status IN ('done', 'dropped') AND EXISTS (SELECT 1 FROM {NOTES} l WHERE l.action_id = c.action_id"
        f" AND (l.created_at > c.created_at OR (l.created_at = c.created_at AND l.id > c.id))))"
    )


def _installable(connection) -> bool:
    existing = set(connection.introspection.table_names())
    if not {ACTIONS, NOTES} <= existing:
        return False
    columns = {c.name for c in connection.introspection.get_table_description(connection.cursor(), ACTIONS)}
    return {"history_status", "history_at", "history_reopened"} <= columns


def install(using: str = "default") -> None:
    """(Re)create the trigger. Idempotent; run after every migrate. One transaction (SQLite's
    drop and create included): a note written between a drop and a create in separate commits
    left its action's digest stale."""
    connection = connections[using]
    if not _installable(connection):
        return
    with transaction.atomic(using=using), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f"""
                CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP IN ('UPDATE', 'DELETE') THEN
                        UPDATE {ACTIONS} SET {_set_clause('OLD.action_id')} WHERE id = OLD.action_id;
                    END IF;
                    IF TG_OP IN ('INSERT', 'UPDATE') THEN
                        UPDATE {ACTIONS} SET {_set_clause('NEW.action_id')} WHERE id = NEW.action_id;
                    END IF;
                    RETURN NULL;
                END $$""")
            cur.execute(f"CREATE OR REPLACE TRIGGER {PG_FUNCTION} AFTER INSERT OR UPDATE OR DELETE ON {NOTES} "
                        f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()")
        elif connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cur.execute(f"DROP TRIGGER IF EXISTS {name}")
            for name, event, ref in (("fk_ah_insert", "INSERT", "NEW"), ("fk_ah_update_new", "UPDATE", "NEW"),
                                     ("fk_ah_update_old", "UPDATE", "OLD"), ("fk_ah_delete", "DELETE", "OLD")):
                cur.execute(f"CREATE TRIGGER {name} AFTER {event} ON {NOTES} BEGIN "
                            f"UPDATE {ACTIONS} SET {_set_clause(f'{ref}.action_id')} WHERE id = {ref}.action_id; END")


def uninstall(using: str = "default") -> None:
    connection = connections[using]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f"DROP TRIGGER IF EXISTS {PG_FUNCTION} ON {NOTES}")
            cur.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")
        elif connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cur.execute(f"DROP TRIGGER IF EXISTS {name}")


def backfill(using: str = "default") -> int:
    """Recompute the digest of every action from its notes (one statement); returns the rows."""
    connection = connections[using]
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {ACTIONS} SET {_set_clause(f'{ACTIONS}.id')}")
        return cur.rowcount


def installed(using: str = "default") -> bool:
    """The trigger is in place (for the test that checks it survives a migrate)."""
    connection = connections[using]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT count(*) FROM information_schema.triggers WHERE trigger_name = %s", [PG_FUNCTION])
            return cur.fetchone()[0] >= 3  # one row per event
        cur.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'fk_ah_%'")
        return cur.fetchone()[0] == len(SQLITE_TRIGGERS)
