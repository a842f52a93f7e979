"""Consistent backups of the database, for ``manage.py backup``.

PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot while the service runs; restore
with ``pg_restore``). SQLite: the online backup API (``sqlite3.Connection.backup``), which copies
a consistent state page by page while other connections write — a plain file copy of a database
in WAL mode can miss committed transactions or capture a half-written page.
"""
from __future__ import annotations

import datetime
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connections


class BackupError(Exception):
    pass


def _stamp() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def backup_database(target_dir: Path, *, alias: str = "default") -> Path:
    target_dir.mkdir(parents=True, exist_ok=True)
    settings = connections[alias].settings_dict
    vendor = connections[alias].vendor
    if vendor == "postgresql":
        return _backup_postgresql(settings, target_dir / f"fallkonferenz-{_stamp()}.dump")
    if vendor == "sqlite":
        return _backup_sqlite(settings["NAME"], target_dir / f"fallkonferenz-{_stamp()}.sqlite3")
    raise BackupError(f"no backup procedure for {vendor}")


def pg_environment(settings: dict) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"PGHOST": settings.get("HOST") or "", "PGPORT": str(settings.get("PORT") or ""),
                "PGUSER": settings.get("USER") or "", "PGDATABASE": settings["NAME"]})
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = settings["PASSWORD"]
    return {k: v for k, v in env.items() if v != ""}


def _backup_postgresql(settings: dict, target: Path) -> Path:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError("pg_dump is not installed (Debian: apt-get install postgresql-client)")
    partial = target.with_suffix(".partial")
    result = subprocess.run([pg_dump, "--format=custom", "--no-owner", "--no-privileges", "--file", str(partial)],
                            env=pg_environment(settings), capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    partial.rename(target)  # a backup file that exists is complete
    return target


def _backup_sqlite(source: str, target: Path) -> Path:
    partial = target.with_suffix(".partial")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(partial)
    try:
        with dst:
            src.backup(dst)
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the backup copy fails its integrity check: {check}")
    except (sqlite3.Error, OSError) as exc:
        dst.close()
        partial.unlink(missing_ok=True)
        raise BackupError(f"SQLite backup failed: {exc}") from exc
    finally:
        src.close()
        dst.close()
    partial.rename(target)
    return target


def prune(target_dir: Path, *, keep: int) -> list[Path]:
    backups = sorted(p for p in target_dir.glob("fallkonferenz-*") if p.suffix in {".dump", ".sqlite3"})
    removed = backups[:-keep] if keep > 0 else []
    for path in removed:
        path.unlink()
    return removed
