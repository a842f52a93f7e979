"""Issue 15, finding 7, continued: the audit key can be rotated, and cutting the newest events is
detected at once (head journal), not only after the next anchor.

Each test plays what an attacker with write access to the database (but neither to the audit keys
nor to AUDIT_ANCHOR_DIR) could do, and ``verify_audit`` names it."""
from __future__ import annotations

import hashlib
import json

import pytest
from django.core.management import call_command

from permissions import anchors, audit
from permissions.models import AuditChain, AuditEvent
from tests.permissions.test_audit_integrity import _raw, _rehash_from

pytestmark = pytest.mark.django_db

OLD = "the-first-audit-key-from-before-rotation-0123456789"
NEW = "the-second-audit-key-after-the-first-rotation-987654"
NEWER = "the-third-audit-key-after-the-second-rotation-555555"


@pytest.fixture
def anchor_dir(settings, tmp_path):
    settings.AUDIT_ANCHOR_DIR = tmp_path / "anchors"
    return settings.AUDIT_ANCHOR_DIR


@pytest.fixture
def journal(settings, anchor_dir, django_capture_on_commit_callbacks):
    """Events are journaled after commit, as in production."""
    settings.AUDIT_HEAD_JOURNAL = True

    def write(world, n):
        with django_capture_on_commit_callbacks(execute=True):
            return [audit.record(world.convenor, action="case.read", obj=world.case, case_id=world.case.pk) for _ in range(n)]
    return write


def _events(world, n):
    return [audit.record(world.convenor, action="case.read", obj=world.case, case_id=world.case.pk) for _ in range(n)]


def verify(capsys) -> tuple[bool, str]:
    capsys.readouterr()
    try:
        call_command("verify_audit")
    except SystemExit:
        return False, capsys.readouterr().out
    return True, capsys.readouterr().out


# --- key rotation -------------------------------------------------------------------------------

def test_the_trail_verifies_across_two_rotations_and_new_events_use_the_newest_key(world, settings, anchor_dir, capsys):
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_KEYS = OLD, {}
    before = _events(world, 3)
    call_command("anchor_audit")
    settings.AUDIT_HMAC_KEYS = {"k2": NEW}  # rotation: the new key first, the old one still verifies
    middle = _events(world, 2)
    call_command("anchor_audit")
    settings.AUDIT_HMAC_KEYS = {"k3": NEWER, "k2": NEW}
    after = _events(world, 2)
    other_chain = audit.record(world.convenor, action="case.read", obj=world.other_case, case_id=world.other_case.pk)
    assert {e.key_id for e in before} == {""} and {e.key_id for e in middle} == {"k2"}
    assert {e.key_id for e in after} == {"k3"} and AuditChain.objects.get(chain_key=other_chain.chain_key).key_id == "k3"
    call_command("anchor_audit")
    newest = json.loads(anchors.newest_anchor().read_text())
    assert newest["key_id"] == "k3"
    ok, out = verify(capsys)
    assert ok and "intact" in out


@pytest.mark.parametrize("which", ["before", "after"])
def test_tampering_is_detected_on_either_side_of_a_rotation(world, settings, capsys, which):
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_KEYS = OLD, {}
    before = _events(world, 3)
    settings.AUDIT_HMAC_KEYS = {"k2": NEW}
    after = _events(world, 3)
    target = (before if which == "before" else after)[1]
    _raw("UPDATE permissions_auditevent SET actor_label = %s WHERE id = %s", ["someone-else", target.pk])
    # she recomputes the rest of the chain with every hash function she can compute
    _rehash_from(target.pk, digest=lambda e: hashlib.sha256(audit._payload(e)).hexdigest())
    ok, out = verify(capsys)
    assert not ok and f"position {target.position}" in out and "altered" in out


def test_relabelling_an_event_to_another_key_gains_nothing(world, settings, capsys):
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_KEYS = OLD, {"k2": NEW}
    event = _events(world, 2)[0]
    _raw("UPDATE permissions_auditevent SET key_id = %s WHERE id = %s", ["", event.pk])
    ok, out = verify(capsys)
    assert not ok and "position 1" in out and "altered" in out


def test_a_retired_key_that_is_still_needed_is_named_not_taken_for_tampering(world, settings, capsys):
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_KEYS = OLD, {}
    _events(world, 2)
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_KEYS = "", {"k2": NEW}  # the old key was dropped too early
    ok, out = verify(capsys)
    assert not ok and "not configured" in out and "altered" not in out


def test_audit_keys_are_read_newest_first_from_the_environment(monkeypatch):
    import importlib

    import config.settings as module

    monkeypatch.setenv("AUDIT_HMAC_KEYS", f"k3:{NEWER}, k2:{NEW}")
    monkeypatch.setenv("AUDIT_HMAC_KEY", OLD)
    try:
        reloaded = importlib.reload(module)
        assert list(reloaded.AUDIT_HMAC_KEYS) == ["k3", "k2"] and reloaded.AUDIT_HMAC_KEY == OLD
        monkeypatch.setenv("AUDIT_HMAC_KEYS", "k3:short")
        with pytest.raises(Exception, match="at least 32"):
            importlib.reload(module)
        monkeypatch.setenv("AUDIT_HMAC_KEYS", f"k3:{NEWER},k3:{NEW}")
        with pytest.raises(Exception, match="unique"):
            importlib.reload(module)
    finally:
        monkeypatch.delenv("AUDIT_HMAC_KEYS")
        importlib.reload(module)


# --- the three rewrites of the issue, with no anchor since the events were written -------------

def test_editing_an_event_and_recomputing_chain_and_head_is_detected_without_any_anchor(world, journal, capsys):
    events = journal(world, 4)
    _raw("UPDATE permissions_auditevent SET actor_label = %s WHERE id = %s", ["someone-else", events[1].pk])
    _rehash_from(events[1].pk, digest=lambda e: hashlib.sha256(audit._payload(e)).hexdigest())
    ok, out = verify(capsys)
    assert not ok and "position 2" in out and "altered" in out


def test_cutting_the_newest_events_after_the_last_anchor_is_detected_at_once(world, journal, capsys):
    journal(world, 2)
    call_command("anchor_audit")  # the last anchor saw two events...
    events = journal(world, 3)  # ...three more were written since
    _raw("DELETE FROM permissions_auditevent WHERE id IN (%s, %s)", [events[1].pk, events[2].pk])
    _raw("UPDATE permissions_auditchainhead SET position = %s, hash = %s WHERE chain_key = %s",
         [events[0].position, events[0].hash, events[0].chain_key])
    assert audit.verify_all() == []  # inside the database the shortened chain looks whole
    ok, out = verify(capsys)
    assert not ok and f"chain case:{world.case.pk}, position 5" in out and "journaled" in out and "is gone" in out


def test_cutting_and_rewriting_the_cut_positions_is_detected(world, journal, capsys):
    events = journal(world, 3)
    _raw("DELETE FROM permissions_auditevent WHERE id = %s", [events[2].pk])
    _raw("UPDATE permissions_auditchainhead SET position = %s, hash = %s WHERE chain_key = %s",
         [events[1].position, events[1].hash, events[1].chain_key])
    audit.record(world.convenor, action="case.list", obj=world.case, case_id=world.case.pk)  # position 3 again, other content
    ok, out = verify(capsys)
    assert not ok and "position 3" in out and "rewritten" in out


def test_deleting_a_whole_chain_with_its_registry_entry_is_detected_without_any_anchor(world, journal, capsys):
    journal(world, 2)
    key = f"case:{world.case.pk}"
    for table in ("permissions_auditevent", "permissions_auditchainhead", "permissions_auditchain"):
        _raw(f"DELETE FROM {table} WHERE chain_key = %s", [key])
    ok, out = verify(capsys)
    assert not ok and f"chain {key}" in out and "journaled" in out and "is gone" in out


def test_a_forged_journal_line_is_refused(world, journal, anchor_dir, capsys):
    events = journal(world, 1)
    [path] = anchors.journal_files()
    line = json.loads(path.read_text())
    line["p"] = 1
    line["h"] = "f" * 64
    with path.open("a") as handle:
        handle.write(json.dumps(line) + "\n")
    ok, out = verify(capsys)
    assert not ok and "signature does not match" in out
    assert events


def test_journaled_events_verify_and_anchor_audit_keeps_working(world, journal, capsys):
    journal(world, 3)
    call_command("anchor_audit")
    journal(world, 2)
    ok, out = verify(capsys)
    assert ok and "intact" in out
