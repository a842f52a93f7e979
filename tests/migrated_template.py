"""One migrated SQLite database, shared by every test process instead of migrating in each.

Applying all migrations renders Django's model state about a hundred times and takes tens of
seconds (most of it ``ModelState.render``), in every xdist worker, in the browser pass and in the
backup drill. On SQLite the migrated database is built once by ``manage.py migrate`` into a file
named after a digest of the code that shapes it (every project ``.py`` file outside the tests,
the pinned requirements, Python's, Django's and SQLite's versions), and each test database is
filled from it with SQLite's backup API. A change to any migration, model or ``post_migrate`` handler changes the digest, so a stale
file is never used. PostgreSQL test databases still migrate as before.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
_SKIP_DIRS = {".git", ".venv", "node_modules", "tests", "data", "__pycache__", "static", "staticfiles", "bench"}


def _digest() -> str:
    h = hashlib.sha256()
    h.update(f"{django.__version__}|{sqlite3.sqlite_version}|{sys.version}".encode())
    for lock in sorted(ROOT.glob("requirements*.txt")):  # third-party apps bring migrations too
        h.update(lock.read_bytes())
    for directory, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".py"):
                path = Path(directory) / name
                h.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:24]


def migrated_sqlite() -> Path:
    """The path of a fully migrated SQLite database for the current code (built if missing).
    Read it, copy it; never write to it."""
    folder = Path(tempfile.gettempdir()) / "fallkonferenz-migrated"
    folder.mkdir(exist_ok=True)
    key = _digest()
    path = folder / f"{key}.sqlite3"
    if path.exists():
        return path
    with open(folder / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel workers: one builds, the others wait for it
        if path.exists():
            return path
        build = folder / f"{key}.{os.getpid()}.building"
        data_dir = Path(tempfile.mkdtemp(prefix="fallkonferenz-migrate-"))
        env = {k: v for k, v in os.environ.items()
               if k not in {"DATABASE_URL", "REDIS_URL", "PYTEST_CURRENT_TEST", "PYTEST_XDIST_WORKER", "SQLITE_TEST_FILE"}}
        env.update({"FALLKONFERENZ_TESTING": "true", "DATABASE_URL": f"sqlite:///{build}", "DATA_DIR": str(data_dir),
                    "DJANGO_SETTINGS_MODULE": "config.settings"})
        try:
            result = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                                    capture_output=True, text=True, timeout=900)
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
        if result.returncode != 0:
            build.unlink(missing_ok=True)
            raise RuntimeError(f"migrating the template database failed:\n{result.stdout}{result.stderr}")
        db = sqlite3.connect(build)
        db.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, readable without -wal/-shm
        db.close()
        os.replace(build, path)
        for old in folder.iterdir():  # other code versions' files (and aborted builds), a day old
            try:
                if old != path and not old.name.endswith(".lock") and old.stat().st_mtime < time.time() - 86400:
                    old.unlink()
            except FileNotFoundError:  # removed meanwhile by another run
                pass
    return path


def fill(dbapi_connection) -> None:
    """Copy the migrated database into an (empty) open SQLite connection."""
    source = sqlite3.connect(f"file:{migrated_sqlite()}?mode=ro", uri=True)
    try:
        source.backup(dbapi_connection)
    finally:
        source.close()
