"""Apps import only downward, and never through an import hidden inside a function.

Parses every first-party module with ``ast`` (no import side effects) and fails on
(a) a module-level import from an app on a higher layer, and
(b) a function-level import of another first-party app (a cycle dodged instead of fixed).
The layers are those of docs/architecture.md. What remains is listed in ``ALLOWED`` with its
reason; an entry that no longer matches anything fails too, so the list only shrinks.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Bottom up. An app may import its own layer or below; conferences and protocols are split so
# that their one direction (protocols -> conferences) is enforced as well. ``access`` (grant
# services, the audit log pages) needs cases, conferences and protocols, so it sits above them.
LAYERS = {
    "permissions": 1,
    "outbox": 1,
    "participants": 2,
    "notifications": 3,
    "cases": 4,
    "conferences": 5,
    "protocols": 6,
    "board": 7,
    "access": 7,
    "calendars": 8,
    "offers": 8,
    "records": 8,
    "privacy": 9,
    "operations": 8,
    "config": 10,
}

# (importing module, imported app) -> why it is still there. Keep it short; fix, don't extend.
ALLOWED: dict[tuple[str, str], str] = {}


def _first_party(module: str | None) -> str | None:
    top = (module or "").split(".")[0]
    return top if top in LAYERS else None


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST):
    """(line, imported app, inside a function?) for every first-party import; type-only imports
    under ``if TYPE_CHECKING:`` are skipped (they never run)."""
    def walk(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if app := _first_party(alias.name):
                        yield child.lineno, app, in_function
            elif isinstance(child, ast.ImportFrom) and child.level == 0:
                if app := _first_party(child.module):
                    yield child.lineno, app, in_function
            yield from walk(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    yield from walk(tree, False)


def _violations() -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for app, layer in LAYERS.items():
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            name = path.relative_to(ROOT).as_posix()
            for line, imported, in_function in _imports(ast.parse(path.read_text(encoding="utf-8"), name)):
                if imported == app:
                    continue
                if in_function:
                    found.setdefault((name, imported), []).append(f"{name}:{line} imports {imported} inside a function")
                elif LAYERS[imported] > layer:
                    found.setdefault((name, imported), []).append(
                        f"{name}:{line} imports {imported} (layer {LAYERS[imported]}) from layer {layer}")
    return found


def test_apps_import_only_downward_and_never_inside_functions():
    found = _violations()
    unexpected = [msg for key, msgs in sorted(found.items()) if key not in ALLOWED for msg in msgs]
    assert not unexpected, "\n".join(
        ["Import only from your own layer or below, at module level (docs/architecture.md):"] + unexpected)


def test_the_allow_list_names_only_what_is_still_there():
    stale = sorted(set(ALLOWED) - set(_violations()))
    assert not stale, f"Fixed; remove from ALLOWED: {stale}"


def test_every_app_of_the_project_has_a_layer():
    from django.apps import apps

    ours = {config.name for config in apps.get_app_configs() if Path(config.path).resolve().parent == ROOT}
    assert ours - set(LAYERS) == set(), "give the new app a layer here and in docs/architecture.md"


# Any import inside a function (not only of an app: STYLE.md, "imports at module top"), by module.
# ``apps.py`` is left out: ``AppConfig.ready`` is where Django wants the imports that register
# signals and hooks. What remains is listed with its reason; the list only shrinks.
FUNCTION_IMPORTS_LEFT: dict[str, str] = {
    "config/settings.py": "reads optional packages only when their setting is used",
    "operations/management/commands/doctor.py": "checks optional services (redis, the task database) only when configured",
    "operations/health.py": "checks optional services only when configured",
    "permissions/audit.py": "not yet moved",
    "permissions/error_reporting.py": "not yet moved",
    "permissions/middleware.py": "not yet moved",
    "outbox/backends.py": "not yet moved",
    "operations/views.py": "not yet moved",
}


def _function_imports() -> dict[str, list[int]]:
    def walk(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue
            if in_function and isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child.lineno
            yield from walk(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    found: dict[str, list[int]] = {}
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts or path.name == "apps.py":
                continue
            name = path.relative_to(ROOT).as_posix()
            if lines := list(walk(ast.parse(path.read_text(encoding="utf-8"), name), False)):
                found[name] = lines
    return found


def test_no_new_module_imports_inside_a_function():
    found = _function_imports()
    unexpected = [f"{name}:{line}" for name, lines in sorted(found.items()) if name not in FUNCTION_IMPORTS_LEFT
                  for line in lines]
    assert not unexpected, "Import at module level (STYLE.md):\n" + "\n".join(unexpected)
    stale = sorted(set(FUNCTION_IMPORTS_LEFT) - set(found))
    assert not stale, f"Moved; remove from FUNCTION_IMPORTS_LEFT: {stale}"


def test_the_check_sees_a_hidden_and_an_upward_import():
    """The checker itself: an import inside a function and an upward module-level import are found."""
    tree = ast.parse("from protocols.models import Protocol\n\ndef f():\n    from conferences.models import Case\n")
    assert sorted(_imports(tree)) == [(1, "protocols", False), (4, "conferences", True)]
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from conferences.models import Case\n")
    assert list(_imports(tree)) == []
