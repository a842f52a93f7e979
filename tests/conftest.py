"""Shared fixtures: the standing world of users per role, and the browser launch settings.

The world is built once per test module inside an outer transaction; every test runs in a
savepoint (pytest-django's ``db``) that is rolled back, and gets a fresh ``World``: a deep copy of
the objects as loaded once after the build, so no test sees another test's writes, in the
database or in memory. Transactional
tests (websocket consumers and the live server read from other threads and need committed data)
roll the shared world back and build their own; pytest-django runs them after every
non-transactional test. A module that needs a world of its own per test sets
``pytestmark = pytest.mark.fresh_world``.
"""
from __future__ import annotations

import copy
import dataclasses
import os
import shutil

import pytest
from channels.layers import channel_layers
from django.core.management.commands import flush as flush_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import connections, models, transaction

from permissions import content_version

from tests import migrated_template
from tests.world import PASSWORD, World, build_world

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool({"transactional_db", "live_server", "django_db_reset_sequences"} & set(request.fixturenames))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, django_db_blocker):
    """On PostgreSQL every test database is created as a copy of one migrated template database
    (``tests/migrated_template.py``), built once for the code version, instead of migrating."""
    from django.conf import settings
    from django.db import connections

    for alias, settings_dict in settings.DATABASES.items():
        if settings_dict["ENGINE"] == "django.db.backends.postgresql":
            # A commit of a test need not wait for its WAL to reach the disk (a crash loses a test
            # database, nothing else): on this shared disk a commit waited 10-30 ms for fsync.
            # Per session, no server setting changed; the tests' own subprocesses keep the default.
            for target in (settings_dict, connections[alias].settings_dict):
                options = target.setdefault("OPTIONS", {})
                options["options"] = f"{options.get('options', '')} -c synchronous_commit=off".strip()
            with django_db_blocker.unblock():
                template = migrated_template.migrated_postgres(connections[alias])
            settings_dict.setdefault("TEST", {})["TEMPLATE"] = template
            connections[alias].settings_dict.setdefault("TEST", {})["TEMPLATE"] = template


@pytest.fixture(scope="session")
def _from_migrated_template():
    """While pytest-django creates the test database, its ``migrate`` is not needed: on SQLite it
    copies the shared migrated database instead; on PostgreSQL the database was created from the
    migrated template (``tests/migrated_template.py``). Patched only until the test database
    exists; every other call goes to the real command."""
    from unittest import mock

    from django.core import management
    from django.db import connections

    real = management.call_command

    def call_command(name, *args, **options):
        alias = options.get("database", "default")
        if name == "migrate" and not args and options.get("run_syncdb"):
            connection = connections[alias]
            if connection.vendor == "sqlite":
                connection.ensure_connection()
                migrated_template.fill(connection.connection)
                return None
            if connection.vendor == "postgresql" and connection.settings_dict.get("TEST", {}).get("TEMPLATE"):
                return None
        return real(name, *args, **options)

    patcher = mock.patch.object(management, "call_command", call_command)
    patcher.start()
    yield patcher
    patcher.stop()  # only if django_db_setup failed before stopping it


# Rows that the ``post_migrate`` after every flush would only create again (content types and
# model permissions of the installed apps, the content version's counter shards): kept, so that
# it finds them and writes nothing.
_KEPT_BY_FLUSH = frozenset({"django_content_type", "auth_permission", content_version.TABLE})
_WHAT_POST_MIGRATE_MAKES: dict[str, tuple[int, int, int]] = {}


def _what_post_migrate_makes(connection) -> tuple[int, int, int]:
    """Triggers (the content version's and the action history's), content types, permissions."""
    triggers = ("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal" if connection.vendor == "postgresql"
                else "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ({triggers}), (SELECT count(*) FROM django_content_type), (SELECT count(*) FROM auth_permission)")
        return tuple(cursor.fetchone())


def _post_migrate_after_a_test_flush(verbosity, interactive, db, **kwargs):
    """Skip ``post_migrate`` after the flush of a transactional test while everything it makes is
    still there as after set-up: a flush empties tables (keeping content types and permissions,
    above) and drops no trigger. Its receivers would re-create ~130 triggers (on PostgreSQL each a
    catalogue change) and read the content types and permissions of every app: ~160 statements
    per flush. A test that dropped a trigger or a content type gets the whole signal."""
    if _WHAT_POST_MIGRATE_MAKES.get(db) != _what_post_migrate_makes(connections[db]):
        emit_post_migrate_signal(verbosity, interactive, db, **kwargs)


@pytest.fixture(scope="session", autouse=True)
def _cheaper_flush_after_transactional_tests():
    """After a transactional test Django empties every table and runs ``post_migrate`` again.

    * On PostgreSQL the emptying is one ``TRUNCATE`` of all ~80 tables, which swaps the files of
      every table and index: 1.3-1.9 s per test (186 transactional tests: 430 s, a quarter of the
      PostgreSQL pass). ``DELETE`` of the few rows a test leaves takes under 0.1 s. Django's
      foreign keys are checked at commit, and ``session_replication_role = replica`` (superuser
      only; otherwise Django's own SQL runs) keeps the audit trail's append-only triggers and the
      content-version triggers out of the emptying, as ``TRUNCATE`` does.
    * On both databases content types and permissions are kept (``_KEPT_BY_FLUSH``): re-creating
      them cost ~0.5 s of inserts and commits per test, and their ids now stay stable.
    * ``post_migrate`` is skipped while what it makes is all still there
      (``_post_migrate_after_a_test_flush``): ~160 statements per flush.
    A flush that resets sequences or cascades keeps Django's SQL for the tables it empties."""
    from django.db.backends.postgresql.base import DatabaseWrapper as Postgres
    from django.db.backends.sqlite3.base import DatabaseWrapper as SQLite

    PostgresOperations, SQLiteOperations = Postgres.ops_class, SQLite.ops_class

    real_postgres, real_sqlite = PostgresOperations.sql_flush, SQLiteOperations.sql_flush
    superuser: dict[str, bool] = {}

    def postgres_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        tables = [table for table in tables if table not in _KEPT_BY_FLUSH]
        alias = self.connection.alias
        if alias not in superuser:
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                superuser[alias] = bool(cursor.fetchone()[0])
        if reset_sequences or allow_cascade or not tables or not superuser[alias]:
            return real_postgres(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return ["SET LOCAL session_replication_role = replica",
                *(f"DELETE FROM {self.quote_name(table)}" for table in tables)]

    def sqlite_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        tables = [table for table in tables if table not in _KEPT_BY_FLUSH]
        return real_sqlite(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)

    PostgresOperations.sql_flush, SQLiteOperations.sql_flush = postgres_flush, sqlite_flush
    flush_command.emit_post_migrate_signal = _post_migrate_after_a_test_flush
    yield
    PostgresOperations.sql_flush, SQLiteOperations.sql_flush = real_postgres, real_sqlite
    flush_command.emit_post_migrate_signal = emit_post_migrate_signal


@pytest.fixture(scope="session")
def django_db_setup(_from_migrated_template, django_db_setup, django_db_blocker):
    _from_migrated_template.stop()
    with django_db_blocker.unblock():
        for alias in connections:
            _WHAT_POST_MIGRATE_MAKES[alias] = _what_post_migrate_makes(connections[alias])
    yield


def _model_objects(world: World) -> list[models.Model]:
    return [value for field in dataclasses.fields(world) if isinstance(value := getattr(world, field.name), models.Model)]


_OPEN: list["SharedWorld"] = []


class SharedWorld:
    def __init__(self) -> None:
        self._outer = transaction.atomic()
        self._outer.__enter__()
        _OPEN.append(self)
        self.world: World | None = build_world()
        # Each object reloaded once, so that what the database set itself (defaults, trigger-kept
        # columns) is in the snapshot; every test's savepoint is rolled back to exactly these rows.
        for value in _model_objects(self.world):
            value.refresh_from_db()
            value._state.fields_cache.clear()
            value.__dict__.pop("_prefetched_objects_cache", None)

    def fresh(self) -> World:
        """A new ``World`` over the shared rows: a deep copy of the objects as they were loaded
        right after the world was built. The rows are the same after every test (its savepoint is
        rolled back), so the copy is what reloading each object would give, without ~40 queries
        per test; and no test gets an object another test has changed in memory."""
        if self.world is None:
            raise RuntimeError("The module's shared world was rolled back before a non-transactional test ran.")
        return copy.deepcopy(self.world)

    def close(self) -> None:
        if self._outer is not None:
            transaction.set_rollback(True)
            self._outer.__exit__(None, None, None)
            self._outer, self.world = None, None
            _OPEN.remove(self)


def _wants_own_world(request) -> bool:
    return _is_transactional(request) or request.node.get_closest_marker("fresh_world") is not None


@pytest.fixture(scope="module")
def _module_world(request, django_db_setup, django_db_blocker):
    # Module scope: set up before any function-scoped fixture, so the outer transaction opens
    # before pytest-django's per-test savepoint. Built only when the module's first world test
    # can share it (pytest-django runs transactional tests after the others).
    first = getattr(request, "_pyfuncitem", None)
    shared = None
    if first is not None and not _wants_own_world(first._request):
        with django_db_blocker.unblock():
            shared = SharedWorld()
    yield shared
    if shared is not None:
        with django_db_blocker.unblock():
            shared.close()


@pytest.fixture(autouse=True)
def _transactional_tests_see_no_shared_world(request, django_db_blocker):
    """A transactional test reads from other threads: roll back any shared world first, or its
    open transaction would lock the tables they read."""
    if _OPEN and _is_transactional(request):
        with django_db_blocker.unblock():
            for shared in list(_OPEN):
                shared.close()


@pytest.fixture
def world(request, _module_world, db) -> World:
    if _wants_own_world(request) or _module_world is None or _module_world.world is None:
        return build_world()
    return _module_world.fresh()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache. Rate-limit counters, used TOTP codes and cached feed
    bodies are keyed by user id, and ids repeat from test to test: failed sign-ins of one test
    throttled a later test's correct second factor (CI, SQLite run). On Redis this deletes only
    this worker's keys (permissions.cache.ResilientRedisCache.clear)."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """Each test gets its own channel-layer instance. channels-redis binds its receive lock to
    the event loop of the first receiver and keeps it while any receive is pending; a socket a
    test left open would hand the next test (a new event loop) a lock of a closed loop."""
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _english_unless_a_test_asks(settings):
    """The product speaks German by default; tests assert English msgids unless they switch
    language themselves (tests/test_translations.py does)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def login(client):
    """Log a user in through Django's session machinery (second factor is tested on its own)."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if CHROMIUM is None:
        return browser_type_launch_args
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    }


@pytest.hookimpl(trylast=True)
def _database_group(item) -> int:
    """pytest-django's order: 0 in a transaction, 1 transactional, 2 without a database."""
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", [])
    if (marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences") or (marker.args and marker.args[0]))) \
            or "transactional_db" in fixtures or "live_server" in fixtures:
        return 1
    return 0 if marker or "db" in fixtures else 2


def pytest_collection_modifyitems(config, items):
    # Browser tests last: Playwright's session-wide event loop stays running after the first
    # browser test, and pytest-asyncio (websocket tests) cannot start its own loop inside it.
    # Within each of pytest-django's groups (database tests in a transaction, transactional ones,
    # tests without a database; its sort runs before this hook), slow files first
    # (pytest.mark.slow): with --dist loadfile a worker takes a whole file, and a minute-long file
    # handed out last kept one worker busy after the other had finished.
    items.sort(key=lambda item: ("browser" in item.keywords, _database_group(item), "slow" not in item.keywords))
    if CHROMIUM is not None:
        return
    skip = pytest.mark.skip(reason="No Chromium found (install Debian's 'chromium' to run browser tests)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)
