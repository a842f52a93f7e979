"""Whoever writes what decides access announces it after commit (``permissions.events``).

There is no signal hub any more that catches every save, so a new writer could forget the live
channel: a removed team member's open protocol would keep receiving items until she reconnects.
This parses every app with ``ast`` and fails on a function that creates or bulk-updates a row of
an access-deciding model and calls neither ``access_changed_on_commit`` nor
``people_changed_on_commit``. Updates through an instance (``member.save()``) are not seen here;
tests/websocket/test_live_access_changes.py covers the existing ones by behaviour.
"""
from __future__ import annotations

import ast
from pathlib import Path

from tests.test_layers import LAYERS, ROOT

# Models whose rows decide what a socket may show (the policy modules read them).
ACCESS_MODELS = {"Consent", "DisclosureBasis", "CaseTeamMember", "FamilyMember", "Membership", "Invitation", "Organisation"}
ANNOUNCERS = {"access_changed_on_commit", "people_changed_on_commit"}
# A queryset ``update`` counts only when it sets one of these (e.g. not ``sequence_sent``).
ACCESS_FIELDS = {"removed_at", "revoked_at", "objected_at", "ended_at", "valid_from", "valid_until", "is_active",
                 "user", "user_id", "relation", "organisation", "organisation_id", "family_member", "family_member_id", "case"}

# (module, function) -> why it needs no announcement.
NEEDS_NONE: dict[tuple[str, str], str] = {
    ("cases/services.py", "case_open"): "a new case has no protocol, so no socket to tell",
    ("cases/services.py", "family_member_add"): "a new family member has no account: nobody's access changes",
    ("conferences/services.py", "conference_create"): "invitations of a new conference: it has no protocol yet",
}


def _writes_access_model(func: ast.AST) -> str | None:
    for node in ast.walk(func):
        if not isinstance(node, ast.Call):
            continue
        target = node.func
        if isinstance(target, ast.Name) and target.id in ACCESS_MODELS:  # Model(...) then .save()
            return target.id
        if isinstance(target, ast.Attribute) and target.attr in {"create", "bulk_create", "update", "get_or_create",
                                                                  "update_or_create", "delete"}:
            if target.attr == "update" and not {k.arg for k in node.keywords} & ACCESS_FIELDS:
                continue
            inner = target.value
            while isinstance(inner, (ast.Call, ast.Attribute)):
                if isinstance(inner, ast.Attribute) and inner.attr == "objects" and isinstance(inner.value, ast.Name) \
                        and inner.value.id in ACCESS_MODELS:
                    return inner.value.id
                inner = inner.func if isinstance(inner, ast.Call) else inner.value
    return None


def _announces(func: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr in ANNOUNCERS or isinstance(n, ast.Name) and n.id in ANNOUNCERS
               for n in ast.walk(func))


def _silent_writers() -> dict[tuple[str, str], str]:
    found = {}
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts or "management" in path.parts:  # commands: seeds, run in their own process
                continue
            name = path.relative_to(ROOT).as_posix()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), name)):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name != "__init__":
                    model = _writes_access_model(node)
                    if model and not _announces(node):
                        found[(name, node.name)] = f"{name}:{node.lineno} {node.name}() writes {model} without announcing it"
    return found


def test_every_writer_of_access_deciding_rows_announces_the_change():
    silent = {key: msg for key, msg in _silent_writers().items() if key not in NEEDS_NONE}
    assert not silent, "Call permissions.events.access_changed_on_commit(case_ids) (docs/architecture.md):\n" + "\n".join(
        sorted(silent.values()))


def test_the_exceptions_are_still_writers():
    assert not set(NEEDS_NONE) - set(_silent_writers()), "remove what no longer writes from NEEDS_NONE"


def test_the_check_sees_a_silent_writer():
    tree = ast.parse("def join(case, org):\n    CaseTeamMember.objects.create(case=case, organisation=org)\n")
    assert _writes_access_model(tree.body[0]) == "CaseTeamMember" and not _announces(tree.body[0])
    tree = ast.parse("def join(case):\n    CaseTeamMember(case=case).save()\n    events.access_changed_on_commit([case.pk])\n")
    assert _announces(tree.body[0])
