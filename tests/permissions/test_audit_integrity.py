"""A trail that cannot be rewritten: keyed chain hashes, a registry of chains and signed anchors
outside the database. Each test plays one rewrite that an attacker with write access to the
database (but not to AUDIT_HMAC_KEY or AUDIT_ANCHOR_DIR) could do, and ``verify_audit`` names it."""
from __future__ import annotations

import hashlib
import importlib
import json
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from permissions import anchors, audit
from permissions.models import AuditChain, AuditChainHead, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def anchor_dir(settings, tmp_path):
    settings.AUDIT_ANCHOR_DIR = tmp_path / "anchors"
    return settings.AUDIT_ANCHOR_DIR


def _raw(sql, params=()):
    """Change the tables behind the ORM's back, as an attacker with database access could (on
    PostgreSQL: replica mode skips the append-only triggers for this transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


def _events(world, n):
    return [audit.record(world.convenor, action="case.read", obj=world.case, case_id=world.case.pk) for _ in range(n)]


def _rehash_from(event_id, *, digest):
    """Recompute every hash from ``event_id`` on and move the head, the way an attacker who edited
    that event would, with the hash function she can compute."""
    key = AuditEvent.objects.get(pk=event_id).chain_key
    prev = None
    for event in AuditEvent.objects.filter(chain_key=key).order_by("position"):
        if prev is not None and event.pk >= event_id:
            event.prev_hash = prev
            _raw("UPDATE permissions_auditevent SET prev_hash = %s WHERE id = %s", [prev, event.pk])
        if event.pk >= event_id:
            event.hash = digest(event)
            _raw("UPDATE permissions_auditevent SET hash = %s WHERE id = %s", [event.hash, event.pk])
        prev = event.hash
    _raw("UPDATE permissions_auditchainhead SET hash = %s WHERE chain_key = %s", [prev, key])


def _verify(capsys, anchor_dir=None) -> str:
    args = ["--anchors", str(anchor_dir)] if anchor_dir else []
    with pytest.raises(SystemExit):
        call_command("verify_audit", *args)
    return capsys.readouterr().out


def test_chain_hashes_are_keyed(world, settings):
    event = _events(world, 1)[0]
    assert event.hash != hashlib.sha256(audit._payload(event)).hexdigest()
    settings.AUDIT_HMAC_KEY = "another-key-that-the-attacker-might-guess-0123456789"
    assert audit.event_hash(event) != event.hash
    assert audit.verify_all()  # the trail does not verify under another key


def test_editing_an_event_and_recomputing_the_chain_and_head_is_detected(world, capsys):
    events = _events(world, 4)
    _raw("UPDATE permissions_auditevent SET actor_label = %s WHERE id = %s", ["someone-else", events[1].pk])
    _rehash_from(events[1].pk, digest=lambda e: hashlib.sha256(audit._payload(e)).hexdigest())
    out = _verify(capsys)
    assert f"chain case:{world.case.pk}, position 2" in out and "altered" in out


def test_cutting_the_newest_events_and_moving_the_head_back_is_detected_by_the_anchor(world, anchor_dir, capsys):
    events = _events(world, 5)
    call_command("anchor_audit")
    capsys.readouterr()
    _raw("DELETE FROM permissions_auditevent WHERE id IN (%s, %s)", [events[3].pk, events[4].pk])
    _raw("UPDATE permissions_auditchainhead SET position = %s, hash = %s WHERE chain_key = %s",
         [events[2].position, events[2].hash, events[2].chain_key])
    assert audit.verify_all() == []  # inside the database the shortened chain looks whole...
    out = _verify(capsys)  # ...but not against the anchor outside it
    assert f"chain case:{world.case.pk}, position 5" in out and "is gone" in out


def test_deleting_a_whole_chain_is_detected(world, anchor_dir, capsys):
    _events(world, 3)
    key = f"case:{world.case.pk}"
    call_command("anchor_audit")
    capsys.readouterr()
    _raw("DELETE FROM permissions_auditevent WHERE chain_key = %s", [key])
    _raw("DELETE FROM permissions_auditchainhead WHERE chain_key = %s", [key])
    out = _verify(capsys)  # the registry still knows the chain
    assert f"chain {key}" in out and "deleted" in out
    _raw("DELETE FROM permissions_auditchain WHERE chain_key = %s", [key])
    out = _verify(capsys)  # and the anchor knows it when the registry entry went too
    assert f"chain {key}" in out and "anchored" in out and "is gone" in out


def test_a_forged_anchor_is_refused(world, anchor_dir, capsys):
    _events(world, 2)
    path = anchors.write_anchor()
    document = json.loads(path.read_text())
    document["body"]["chains"] = {}
    path.chmod(0o644)
    path.write_text(json.dumps(document))
    assert "signature does not match" in _verify(capsys)


def test_anchor_audit_refuses_to_anchor_a_broken_trail(world, anchor_dir, capsys):
    events = _events(world, 3)
    call_command("anchor_audit")
    assert len(list(anchor_dir.iterdir())) == 1
    _raw("UPDATE permissions_auditevent SET action = %s WHERE id = %s", ["case.nothing", events[0].pk])
    with pytest.raises(SystemExit):
        call_command("anchor_audit")
    assert "no anchor written" in capsys.readouterr().out
    assert len(list(anchor_dir.iterdir())) == 1


def test_an_anchor_is_read_only_and_the_intact_trail_verifies_against_it(world, anchor_dir, capsys):
    _events(world, 2)
    call_command("anchor_audit")
    [path] = anchor_dir.iterdir()
    assert path.stat().st_mode & 0o222 == 0
    _events(world, 2)  # events after the anchor are fine
    capsys.readouterr()
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "intact" in out and path.name in out


def test_chains_from_before_keying_stay_verifiable_and_sealed(world):
    """The migration registers each existing chain with its head sealed under the key; its old
    SHA-256 events verify, new events are keyed, and a rewrite of the old part breaks the seal."""
    key = "case:legacy"
    prev = "0" * 64
    _raw("INSERT INTO permissions_auditchainhead (chain_key, position, hash) VALUES (%s, 0, %s)", [key, prev])
    for position in (1, 2, 3):
        event = AuditEvent(chain_key=key, position=position, at=timezone.now(), actor_label="old", action="case.read",
                           object_type="conferences.case", object_id="1", channel="page", legal_basis="", detail={},
                           prev_hash=prev)
        event.hash = audit.event_hash(event, legacy=True)
        event.save()
        prev = event.hash
    _raw("UPDATE permissions_auditchainhead SET position = 3, hash = %s WHERE chain_key = %s", [prev, key])
    migration = importlib.import_module("permissions.migrations.0010_audit_chain_registry")
    _raw("DELETE FROM permissions_auditchain")  # as before the migration
    # the triggers exist already: only the registration runs again
    migration.register_existing_chains(django_apps, SimpleNamespace(connection=SimpleNamespace(vendor="replay")))
    assert AuditChain.objects.get(chain_key=key).legacy_until == 3
    assert audit.verify_all() == []
    head = AuditChainHead.objects.get(chain_key=key)
    # a new event on the old chain is keyed
    new = AuditEvent(chain_key=key, position=4, at=timezone.now(), actor_label="new",
                     action="case.read", object_type="conferences.case", object_id="1", channel="page", detail={},
                     prev_hash=head.hash)
    new.hash = audit.event_hash(new)
    new.save()
    _raw("UPDATE permissions_auditchainhead SET position = 4, hash = %s WHERE chain_key = %s", [new.hash, key])
    assert audit.verify_all() == []
    # rewriting an old event and recomputing the old part (plain SHA-256 is no secret) breaks the seal
    first = AuditEvent.objects.get(chain_key=key, position=1)
    _raw("UPDATE permissions_auditevent SET actor_label = %s WHERE id = %s", ["forged", first.pk])
    legacy = [e for e in AuditEvent.objects.filter(chain_key=key, position__lte=3).order_by("position")]
    prev = "0" * 64
    for event in legacy:
        event.prev_hash = prev
        event.hash = audit.event_hash(event, legacy=True)
        _raw("UPDATE permissions_auditevent SET prev_hash = %s, hash = %s WHERE id = %s", [event.prev_hash, event.hash, event.pk])
        prev = event.hash
    [broken] = audit.verify_all()
    assert broken.chain_key == key and broken.position == 3 and "sealed" in broken.reason


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the database triggers exist on PostgreSQL only")
@pytest.mark.parametrize("sql", [
    "DELETE FROM permissions_auditevent WHERE id = %s",
    "UPDATE permissions_auditevent SET action = 'x' WHERE id = %s",
    "DELETE FROM permissions_auditchain WHERE chain_key = (SELECT chain_key FROM permissions_auditevent WHERE id = %s)",
    "UPDATE permissions_auditchain SET legacy_until = 9 WHERE chain_key = (SELECT chain_key FROM permissions_auditevent WHERE id = %s)",
])
def test_postgresql_refuses_updates_and_deletes_outside_the_retention_path(world, sql):
    event = _events(world, 1)[0]
    with pytest.raises(Exception), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [event.pk])
