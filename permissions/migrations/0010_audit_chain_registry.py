"""The registry of audit chains, and keyed chain hashes from here on.

Existing chains are not rehashed: rewriting the trail is exactly what it must refuse (and the
PostgreSQL trigger refuses UPDATE). Instead each existing chain is registered with its current
head sealed under the key: ``legacy_until``/``legacy_hash`` and an HMAC over them (``mac``). Its
first events stay verifiable under plain SHA-256 and cannot be rewritten without breaking the
seal; every later event is hashed with HMAC-SHA256 under AUDIT_HMAC_KEY.
"""
import hashlib
import hmac
import json

from django.conf import settings
from django.db import migrations, models

REGISTRY_CREATE = [
    """
    CREATE OR REPLACE FUNCTION permissions_auditchain_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'the registry of audit chains is append-only (% refused)', TG_OP;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER permissions_auditchain_append_only
    BEFORE UPDATE OR DELETE ON permissions_auditchain
    FOR EACH ROW EXECUTE FUNCTION permissions_auditchain_refuse_change();
    """,
]
REGISTRY_DROP = [
    "DROP TRIGGER IF EXISTS permissions_auditchain_append_only ON permissions_auditchain;",
    "DROP FUNCTION IF EXISTS permissions_auditchain_refuse_change();",
]


def seal(chain_key: str, legacy_until: int, legacy_hash: str) -> str:
    """Same as ``permissions.audit.chain_mac`` (kept here so the migration never changes)."""
    message = json.dumps([str(p) for p in ("chain", chain_key, legacy_until, legacy_hash)], separators=(",", ":"))
    return hmac.new(settings.AUDIT_HMAC_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


def register_existing_chains(apps, schema_editor):
    heads = apps.get_model("permissions", "AuditChainHead")
    chains = apps.get_model("permissions", "AuditChain")
    chains.objects.bulk_create([
        chains(chain_key=head.chain_key, legacy_until=head.position, legacy_hash=head.hash,
               mac=seal(head.chain_key, head.position, head.hash))
        for head in heads.objects.all().iterator()
    ])
    if schema_editor.connection.vendor == "postgresql":
        for sql in REGISTRY_CREATE:
            schema_editor.execute(sql, params=None)


def unregister(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in REGISTRY_DROP:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('permissions', '0009_audit_legal_basis_longer'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditChain',
            fields=[
                ('chain_key', models.CharField(max_length=40, primary_key=True, serialize=False)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('legacy_until', models.PositiveBigIntegerField(default=0)),
                ('legacy_hash', models.CharField(blank=True, max_length=64)),
                ('mac', models.CharField(max_length=64)),
            ],
            options={
                'verbose_name': 'audit chain',
                'verbose_name_plural': 'audit chains',
            },
        ),
        migrations.RunPython(register_existing_chains, unregister),
    ]
