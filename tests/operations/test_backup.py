"""Backup and restore drills: a backup restored into a fresh database holds the same rows and its
audit trail still verifies. PostgreSQL through pg_dump/pg_restore (skipped without PostgreSQL),
SQLite through the online backup API while another connection writes."""
from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from operations.backup import _backup_sqlite, pg_environment
from tests import migrated_template

pytestmark = pytest.mark.slow  # scheduled first in its group (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[2]


_FRESH: set[str] = set()


def _anchor_dir_of_this_test() -> str:
    test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]
    path = Path(tempfile.gettempdir()) / f"fallkonferenz-backup-anchors-{os.getpid()}-{hashlib.sha256(test.encode()).hexdigest()[:12]}"
    if str(path) not in _FRESH:  # a directory left by an earlier process with the same id starts empty
        shutil.rmtree(path, ignore_errors=True)
        _FRESH.add(str(path))
    path.mkdir(exist_ok=True)
    return str(path)


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"PYTEST_CURRENT_TEST", "DATABASE_URL", "REDIS_URL"}}
    # Anchors and head journal of this test only: the checkout's data/ may hold another run's.
    clean.update({"DEBUG": "true", "FALLKONFERENZ_TESTING": "false", "AUDIT_ANCHOR_DIR": _anchor_dir_of_this_test(), **env})
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True,
                          timeout=300)


def table_counts_pg(dbname: str) -> dict[str, int]:
    import psycopg

    s = connection.settings_dict
    with psycopg.connect(host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"], password=s["PASSWORD"] or None,
                         dbname=dbname) as conn:
        tables = [r[0] for r in conn.execute("select tablename from pg_tables where schemaname = 'public'")]
        return {t: conn.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}


@pytest.mark.django_db(transaction=True)
def test_postgresql_backup_restores_into_a_new_database_with_an_intact_audit_trail(world, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://… (.ci/run's second run does)")
    if shutil.which("pg_restore") is None:
        pytest.skip("pg_restore is not installed")
    call_command("backup", dir=str(tmp_path), keep=0)
    (dump,) = tmp_path.glob("fallkonferenz-*.dump")
    s = connection.settings_dict
    restored = f"{s['NAME']}_restored"
    env = pg_environment({**s, "NAME": "postgres"})
    subprocess.run(["dropdb", "--if-exists", restored], env=env, check=True, capture_output=True, timeout=60)
    subprocess.run(["createdb", restored], env=env, check=True, capture_output=True, timeout=60)
    try:
        result = subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "-d", restored, str(dump)],
                                env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        assert table_counts_pg(restored) == table_counts_pg(s["NAME"])
        auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
        url = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{restored}"
        verified = manage("verify_audit", DATABASE_URL=url)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "audit trail intact" in verified.stdout
    finally:
        subprocess.run(["dropdb", "--if-exists", restored], env=env, capture_output=True, timeout=60)


def test_sqlite_backup_uses_the_online_api_and_is_consistent_while_another_connection_writes(tmp_path):
    source = tmp_path / "live.sqlite3"
    db = sqlite3.connect(source)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("create table entry (id integer primary key, body text)")
    db.executemany("insert into entry (body) values (?)", [("x" * 500,)] * 5000)
    db.commit()
    stop = threading.Event()

    def writer():
        conn = sqlite3.connect(source, timeout=5)
        while not stop.is_set():
            with conn:
                conn.execute("insert into entry (body) values ('late')")
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        backup = _backup_sqlite(str(source), tmp_path / "copy.sqlite3")
    finally:
        stop.set()
        thread.join(timeout=10)
    copy = sqlite3.connect(backup)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("select count(*) from entry where body != 'late'").fetchone()[0] == 5000
    assert not list(tmp_path.glob("*.partial"))


def test_embedded_backup_of_the_demo_restores_with_an_intact_audit_trail(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    env = {"DATA_DIR": str(data)}
    # A freshly migrated database: what ``manage.py migrate`` builds from this code, made once
    # per code version and shared by the test databases (tests/migrated_template.py).
    shutil.copyfile(migrated_template.migrated_sqlite(), data / "fallkonferenz.sqlite3")
    for step in (("seed_demo",), ("backup", "--keep", "1")):
        result = manage(*step, **env)
        assert result.returncode == 0, result.stderr
    (backup,) = (data / "backups").glob("fallkonferenz-*.sqlite3")
    # Restoring the embedded default = putting the file back while the service is stopped.
    restored = tmp_path / "restored.sqlite3"
    shutil.copyfile(backup, restored)
    verified = manage("verify_audit", "--no-record", DATABASE_URL=f"sqlite:///{restored}", DATA_DIR=str(tmp_path / "other"))
    assert verified.returncode == 0 and "audit trail intact" in verified.stdout, verified.stdout + verified.stderr

    def counts(path: Path) -> dict[str, int]:
        conn = sqlite3.connect(path)
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")]
        return {t: conn.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}

    assert counts(restored) == counts(data / "fallkonferenz.sqlite3")
    assert counts(restored)["permissions_auditevent"] > 0
