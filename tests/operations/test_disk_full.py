"""Disk full on the embedded default: the caseworker gets a page that says so (507), nothing is
half-written, the SQLite file passes its integrity check, the audit chain verifies, and once
space is free again the next request succeeds."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import migrated_template

pytestmark = pytest.mark.slow  # scheduled first in its group (tests/conftest.py)

DRILL = Path(__file__).with_name("disk_full_drill.py")


@pytest.fixture
def small_disk(tmp_path):
    """A 12 MB tmpfs of its own (needs root, as CI and the development machines run)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(disk)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill up: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_a_full_disk_gives_a_clear_error_and_no_corrupt_database(small_disk):
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_CURRENT_TEST", "DATABASE_URL", "REDIS_URL"}}
    # The drill starts from a freshly migrated database: what ``manage.py migrate`` builds from this
    # code, made once per code version and shared with the test databases (tests/migrated_template.py).
    result = subprocess.run([sys.executable, str(DRILL), str(small_disk / "embedded.sqlite3"), str(migrated_template.migrated_sqlite())], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["statuses"][-1] == 507, found
    assert "kein Speicherplatz mehr frei" in found["body"] and "Traceback" not in found["body"]  # German by default
    assert found["integrity"] == "ok"
    assert found["broken"] == []
    assert found["after"] == 200
