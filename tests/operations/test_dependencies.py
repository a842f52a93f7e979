"""Issue 16, dependencies: every transitive dependency is pinned with hashes, and no file of the
repository names a package registry (the lock must install from whatever index the machine is
configured for)."""
from __future__ import annotations

import re
import subprocess

from tests.operations.deployment import ROOT

LOCKS = ["requirements.txt", "requirements-test.txt"]
REGISTRY = re.compile(r"(https?|file)://\S*(pypi|pythonhosted|/simple\b|devpi|artifactory|nexus)"
                      r"|^\s*-{0,2}(extra-)?index-url\b|^\s*-{0,2}(find-links|trusted-host)\b", re.I | re.M)


def _requirements(lock: str) -> dict[str, str]:
    """name==version -> the requirement's text, continuation lines joined, comments dropped."""
    text = (ROOT / lock).read_text()
    joined = re.sub(r"\\\n\s*", " ", text)
    return {line.split()[0]: line for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")}


def test_every_locked_dependency_is_pinned_to_one_version_with_hashes():
    for lock in LOCKS:
        requirements = _requirements(lock)
        assert len(requirements) > 20, lock  # the transitive closure, not just the direct ones
        for spec, line in requirements.items():
            assert re.fullmatch(r"[A-Za-z0-9._-]+==[A-Za-z0-9.+!_-]+", spec), f"{lock}: {spec} is not pinned to one version"
            assert "--hash=sha256:" in line, f"{lock}: {spec} has no hash"


def test_transitive_dependencies_are_locked_too():
    names = {spec.split("==")[0].lower() for spec in _requirements("requirements.txt")}
    # pulled in by channels, daphne and psycopg[pool], never named in requirements.in
    assert {"asgiref", "twisted", "psycopg-pool"} <= names


def test_no_file_names_a_package_registry():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    hits = []
    for name in files:
        path = ROOT / name
        if not path.is_file() or path.suffix in {".mo", ".png", ".ico", ".woff2"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        hits += [f"{name}: {m.group(0)}" for m in REGISTRY.finditer(text)]
    assert hits == []


def test_the_registry_pattern_would_catch_an_index_line():
    scheme = "https" + "://"  # split, so that this file does not name a registry itself
    assert REGISTRY.search(f"--index-url {scheme}pypi.org/simple\n")
    assert REGISTRY.search(f"django==5.2 # from {scheme}files.pythonhosted.org/packages/x\n")
    assert not REGISTRY.search("#    pip-compile --no-emit-index-url\n")
