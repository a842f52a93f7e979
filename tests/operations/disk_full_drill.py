"""Run by test_disk_full.py in a process of its own (settings differ from the test run's):
the embedded default on a SQLite file whose disk fills up while a caseworker
reads case pages (each read appends audit events); the database lives on a small file system
that the drill fills up. Prints one JSON line of findings.

Arguments: the database file to create, and a migrated database of this code to start from
(tests/migrated_template.py; copying it replaces ``manage.py migrate``)."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
db_path = Path(sys.argv[1])
shutil.copyfile(sys.argv[2], db_path)
os.environ.update({"DEBUG": "false", "FALLKONFERENZ_TESTING": "false", "SECRET_KEY": "d" * 64, "AUDIT_HMAC_KEY": "a" * 40,
                   "MFA_ENCRYPTION_KEYS": "ZmFsbGtvbmZlcmVuei1kaXNrLWRyaWxsLWtleS0wMDA=",
                   "ALLOWED_HOSTS": "testserver", "DATABASE_URL": f"sqlite:///{db_path}", "SECURE_SSL_REDIRECT": "false",
                   "SECURE_COOKIES": "false", "MFA_REQUIRED_FOR_PROFESSIONALS": "false", "LOG_LEVEL": os.environ.get("DRILL_LOG_LEVEL", "CRITICAL"),
                   "DJANGO_SETTINGS_MODULE": "config.settings", "EMAIL_URL": "locmem:"})
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402

from permissions import audit  # noqa: E402
from tests.world import build_world  # noqa: E402

world = build_world()
client = Client(raise_request_exception=False)
client.force_login(world.convenor)
assert client.get(f"/cases/{world.case.pk}/").status_code == 200
connections.close_all()

# Fill the small file system the database lives on, leaving a little room.
filler = db_path.with_name("filler.bin")
try:
    with open(filler, "wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass
except OSError:  # closing flushes what the last write could not place: the disk is full either way
    pass
statuses, body = [], ""
for _ in range(300):
    response = client.get(f"/cases/{world.case.pk}/")
    statuses.append(response.status_code)
    if response.status_code != 200:
        body = response.content.decode()
        break
connections.close_all()
filler.unlink()  # space is freed again

after = client.get(f"/cases/{world.case.pk}/").status_code
connections.close_all()
check = sqlite3.connect(db_path).execute("PRAGMA integrity_check").fetchone()[0]
broken = [str(link) for link in audit.verify_all()]
print(json.dumps({"statuses": statuses[-3:], "requests": len(statuses), "body": body, "after": after,
                  "integrity": check, "broken": broken}))
