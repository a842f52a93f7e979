"""One migrated database, shared by every test process instead of migrating in each.

Applying all migrations renders Django's model state about a hundred times and takes tens of
seconds (most of it ``ModelState.render``), in every xdist worker, in the browser pass and in the
backup drill. On SQLite the migrated database is built once by ``manage.py migrate`` into a file
named after a digest of the code that shapes it (every project ``.py`` file outside the tests,
the pinned requirements, Python's, Django's and SQLite's versions), and each test database is
filled from it with SQLite's backup API. A change to any migration, model or ``post_migrate`` handler changes the digest, so a stale
file is never used.

On PostgreSQL the same digest names a template database (``test_<NAME>_tmpl_<digest>``), migrated
once by ``manage.py migrate`` under an advisory lock (parallel workers: one builds, the others
wait), and every test database is created from it with ``CREATE DATABASE ... TEMPLATE``, which
copies it in a fraction of a second. Templates of other code versions older than a day are dropped.
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
from urllib.parse import urlsplit, urlunsplit

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


def _migrate(database_url: str) -> None:
    """``manage.py migrate`` into ``database_url``, as the test run's own settings would (test
    settings, no Redis, a throw-away data directory)."""
    data_dir = Path(tempfile.mkdtemp(prefix="fallkonferenz-migrate-"))
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "PYTEST_CURRENT_TEST", "PYTEST_XDIST_WORKER", "SQLITE_TEST_FILE"}}
    env.update({"FALLKONFERENZ_TESTING": "true", "DATABASE_URL": database_url, "DATA_DIR": str(data_dir),
                "DJANGO_SETTINGS_MODULE": "config.settings"})
    try:
        # --run-syncdb as pytest-django's own migrate (apps without migrations get their tables)
        result = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "--run-syncdb", "-v", "0"], cwd=ROOT,
                                env=env, capture_output=True, text=True, timeout=900)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    if result.returncode != 0:
        raise RuntimeError(f"migrating the template database failed:\n{result.stdout}{result.stderr}")


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
        try:
            _migrate(f"sqlite:///{build}")
        except BaseException:
            build.unlink(missing_ok=True)
            raise
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


_PG_MARK = "fallkonferenz migrated template, built at "


def migrated_postgres(connection) -> str:
    """The name of a fully migrated PostgreSQL template database for the current code, next to
    ``connection``'s database (built if missing). Copy it with ``CREATE DATABASE ... TEMPLATE``;
    never connect to it (PostgreSQL refuses to copy a database somebody is connected to)."""
    settings_dict = connection.settings_dict
    prefix = f"test_{settings_dict['NAME']}"[:36] + "_tmpl_"
    name = prefix + _digest()[:16]
    with connection._nodb_cursor() as cursor:
        # Held until the cursor's connection closes: workers of one run, and concurrent runs
        # against the same server, build a template once and wait for each other.
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [name])
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            build = name[:50] + "_building"
            quoted = connection.ops.quote_name
            cursor.execute(f"DROP DATABASE IF EXISTS {quoted(build)}")  # left by an aborted build
            cursor.execute(f"CREATE DATABASE {quoted(build)}")
            try:
                parts = urlsplit(os.environ["DATABASE_URL"])
                _migrate(urlunsplit(parts._replace(path=f"/{build}")))
                cursor.execute(f"ALTER DATABASE {quoted(build)} RENAME TO {quoted(name)}")
            except BaseException:
                cursor.execute(f"DROP DATABASE IF EXISTS {quoted(build)}")
                raise
            cursor.execute(f"COMMENT ON DATABASE {quoted(name)} IS '{_PG_MARK}{int(time.time())}'")
            _drop_old_postgres_templates(cursor, connection, prefix, keep=name)
    return name


def _drop_old_postgres_templates(cursor, connection, prefix: str, keep: str) -> None:
    cursor.execute("SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database WHERE starts_with(datname, %s)",
                   [prefix])
    for datname, comment in cursor.fetchall():
        if datname == keep or not (comment or "").startswith(_PG_MARK):
            continue
        built = comment[len(_PG_MARK):]
        if built.isdigit() and int(built) < time.time() - 86400:
            try:
                cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(datname)}")
            except Exception:  # another run is copying it right now; it goes next time
                pass
