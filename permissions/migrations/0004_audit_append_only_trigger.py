"""On PostgreSQL the database itself refuses UPDATE and DELETE on the audit table.

(TRUNCATE stays possible: the test runner's flush uses it, and only the table owner can run it.)
SQLite has no such guard; there the ORM refuses and ``verify_audit`` detects raw edits.
"""
from django.db import migrations

CREATE = [
    """
    CREATE OR REPLACE FUNCTION permissions_auditevent_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER permissions_auditevent_append_only
    BEFORE UPDATE OR DELETE ON permissions_auditevent
    FOR EACH ROW EXECUTE FUNCTION permissions_auditevent_refuse_change();
    """,
]
DROP = [
    "DROP TRIGGER IF EXISTS permissions_auditevent_append_only ON permissions_auditevent;",
    "DROP FUNCTION IF EXISTS permissions_auditevent_refuse_change();",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in CREATE:
            schema_editor.execute(sql, params=None)  # no parameters: the "%" in RAISE is literal


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in DROP:
            schema_editor.execute(sql, params=None)  # no parameters: the "%" in RAISE is literal


class Migration(migrations.Migration):
    dependencies = [("permissions", "0003_login_sessions")]
    operations = [migrations.RunPython(forwards, backwards)]
