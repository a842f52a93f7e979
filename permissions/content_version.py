"""The content version: one number that rises with every committed change of content a feed (or
any other cache of case data) could show, kept by the database itself.

After every ``migrate``, a trigger is (re)installed on each table of the content apps (cases,
conferences, protocols, participants, grants, offers, restrictions of
processing), except the tables that record reads or
bookkeeping (audit trail, feed tokens, login sessions, reminder logs). The trigger raises the
connection's shard of ``permissions_contentversion`` in the writer's own transaction, so the
new number becomes visible exactly when the change does; a cache entry keyed by the version
read before a change is never used after it. The trigger sees every write: services, bulk
``update()``, raw SQL, the admin, data migrations. A new model in a content app is covered by
the next ``migrate`` without anyone remembering it.

Cost: one single-row UPDATE per writing statement (PostgreSQL: per statement; SQLite: per row).
Shards (per backend process on PostgreSQL) keep concurrent writers from waiting on one row.
"""
from __future__ import annotations

from django.apps import apps as global_apps
from django.db import connections, transaction
from django.db.models.expressions import RawSQL

CONTENT_APPS = ("participants", "cases", "conferences", "protocols", "board", "permissions", "offers", "privacy")
# Tables written by reads and bookkeeping: raising the version for them would only empty caches.
# (``calendars`` is no content app: it holds only the feed tokens, which every feed read writes;
# they are named here all the same, so that the app can never bring them in by joining the list.)
NOT_CONTENT = {
    "permissions.auditevent", "permissions.auditchain", "permissions.auditchainhead", "permissions.auditcheckpoint",
    "permissions.loginsession", "permissions.grantrefreshstate", "permissions.contentversion",
    "calendars.feedtoken", "conferences.reminderlog",
    "board.actiontally",  # the board's tally of actions: bookkeeping that follows the actions' own changes
}
SHARDS = 16
TABLE = "permissions_contentversion"
PG_FUNCTION = "fk_content_changed"


def content_tables(apps=global_apps) -> list[str]:
    """The tables whose changes raise the version (models and their many-to-many tables)."""
    tables = set()
    for label in CONTENT_APPS:
        try:
            config = apps.get_app_config(label)
        except LookupError:
            continue
        for model in config.get_models(include_auto_created=True):
            if model._meta.label_lower in NOT_CONTENT or model._meta.proxy or not model._meta.managed:
                continue
            tables.add(model._meta.db_table)
            for field in model._meta.local_many_to_many:
                through = field.remote_field.through
                if through._meta.auto_created:
                    tables.add(through._meta.db_table)
    return sorted(tables)


def install(using: str = "default", apps=global_apps) -> None:
    """Create the shards and (re)create the triggers. Idempotent; run after every migrate. One
    transaction (SQLite's drop and create included): a change written between a drop and a create
    in separate commits raised no version, and a feed could serve its old body."""
    connection = connections[using]
    existing = set(connection.introspection.table_names())
    if TABLE not in existing:
        return
    tables = [t for t in content_tables(apps) if t in existing]
    quote = connection.ops.quote_name
    with transaction.atomic(using=using), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f"INSERT INTO {TABLE} (shard, value) SELECT g, 0 FROM generate_series(0, {SHARDS - 1}) g "
                        "ON CONFLICT (shard) DO NOTHING")
            cur.execute(f"""
                CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    UPDATE {TABLE} SET value = value + 1 WHERE shard = pg_backend_pid() % {SHARDS};
                    RETURN NULL;
                END $$""")
            for table in tables:
                cur.execute(f"CREATE OR REPLACE TRIGGER {PG_FUNCTION} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                            f"ON {quote(table)} FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()")
        elif connection.vendor == "sqlite":
            cur.execute(f"INSERT OR IGNORE INTO {TABLE} (shard, value) VALUES (0, 0)")
            for table in tables:
                for event in ("INSERT", "UPDATE", "DELETE"):
                    name = quote(f"fk_cc_{table}_{event.lower()}")
                    cur.execute(f"DROP TRIGGER IF EXISTS {name}")
                    cur.execute(f"CREATE TRIGGER {name} AFTER {event} ON {quote(table)} "
                                f"BEGIN UPDATE {TABLE} SET value = value + 1 WHERE shard = 0; END")


def installed_tables(using: str = "default") -> set[str]:
    """Tables that carry the trigger now (for the test that every content table does)."""
    connection = connections[using]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT DISTINCT event_object_table FROM information_schema.triggers WHERE trigger_name = %s",
                        [PG_FUNCTION])
            return {row[0] for row in cur.fetchall()}
        cur.execute("SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'fk_cc_%'")
        return {row[0] for row in cur.fetchall()}


def current() -> RawSQL:
    """The version as an expression, to read it in the same statement as something else (the
    feed reads it with its token: one statement for a poll)."""
    return RawSQL(f"SELECT SUM(value) FROM {TABLE}", [])


def read(using: str = "default") -> int | None:
    with connections[using].cursor() as cur:
        cur.execute(f"SELECT SUM(value) FROM {TABLE}")
        row = cur.fetchone()
    return row[0] if row else None


# After a restore the version is the backup's: the numbers above it were used by the lost
# timeline, whose answers may still be cached under them. A jump this large leaves them behind.
RESTORE_JUMP = 10**12


def jump_after_restore(using: str = "default") -> tuple[int, int]:
    """Raise the version past every number a lost timeline can have reached (``RESTORE_JUMP``
    changes), so that no cache entry keyed by one of them is ever met again. Returns the version
    before and after."""
    before = read(using) or 0
    with transaction.atomic(using=using), connections[using].cursor() as cur:
        cur.execute(f"UPDATE {TABLE} SET value = value + %s WHERE shard = 0", [RESTORE_JUMP])
    return before, read(using) or 0
