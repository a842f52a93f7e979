"""The chain head advances in the same statement as the event insert.

``audit.record`` used to run three statements per event: lock the chain head, insert the event,
update the head. A database trigger now moves the head to each inserted event (only forward:
``position < NEW.position``), so an event costs two statements (lock and read the head, insert).
The head keeps its meaning for ``verify_audit``: it still names the chain's last position and
hash, and an event inserted with a forged hash still fails its keyed hash."""

from django.db import migrations

POSTGRESQL_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION permissions_auditchainhead_advance() RETURNS trigger AS $$
    BEGIN
        UPDATE permissions_auditchainhead SET position = NEW.position, hash = NEW.hash
         WHERE chain_key = NEW.chain_key AND position < NEW.position;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql;
    """,
    "DROP TRIGGER IF EXISTS permissions_auditevent_advance_head ON permissions_auditevent;",
    """
    CREATE TRIGGER permissions_auditevent_advance_head AFTER INSERT ON permissions_auditevent
    FOR EACH ROW EXECUTE FUNCTION permissions_auditchainhead_advance();
    """,
]
POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS permissions_auditevent_advance_head ON permissions_auditevent;",
    "DROP FUNCTION IF EXISTS permissions_auditchainhead_advance();",
]
SQLITE_FORWARD = [
    """
    CREATE TRIGGER IF NOT EXISTS permissions_auditevent_advance_head AFTER INSERT ON permissions_auditevent
    BEGIN
        UPDATE permissions_auditchainhead SET position = NEW.position, hash = NEW.hash
         WHERE chain_key = NEW.chain_key AND position < NEW.position;
    END;
    """,
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS permissions_auditevent_advance_head;"]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD}.get(vendor)
    if statements is None:
        raise RuntimeError(f"no audit head trigger for the {vendor} database: audit.record needs one")
    for sql in statements:
        schema_editor.execute(sql, params=None)


def backward(apps, schema_editor):
    for sql in {"postgresql": POSTGRESQL_BACKWARD, "sqlite": SQLITE_BACKWARD}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("permissions", "0013_content_version"),
    ]

    operations = [migrations.RunPython(forward, backward)]
