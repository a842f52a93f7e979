"""Installing, checking and removing the triggers of the figures PostgreSQL keeps for the board
(``action_tally.py``, ``presence.py``)."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import connections, transaction


def drop(using: str, triggers: Iterable[tuple[str, str]], functions: Iterable[str]) -> None:
    """Drop ``triggers`` ((name, table) pairs), then ``functions`` (signatures, e.g. ``f()`` or
    ``f(bigint)``); PostgreSQL only, each only if it exists."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        for name, table in triggers:
            cur.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for signature in functions:
            cur.execute(f"DROP FUNCTION IF EXISTS {signature}")


def all_installed(using: str, names: Iterable[str]) -> bool:
    """Whether every trigger named is installed (PostgreSQL; False elsewhere)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    names = sorted(set(names))
    with connection.cursor() as cur:
        # pg_trigger, not information_schema.triggers, which leaves out TRUNCATE triggers
        cur.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgname = ANY(%s)", [names])
        return cur.fetchone()[0] == len(names)


def ensure(using: str, lock: Iterable[str], install: Callable[[str], None], drifted: Callable[[str], bool],
           rebuild: Callable[[str], object]) -> None:
    """In one transaction that holds off writers of the ``lock`` tables (``SHARE ROW EXCLUSIVE``:
    readers go on): ``install`` the triggers, and ``rebuild`` the kept rows when ``drifted`` finds
    them different from what they are kept from, so nothing is written between check and rebuild."""
    connection = connections[using]
    with transaction.atomic(using=using):
        with connection.cursor() as cur:
            cur.execute(f"LOCK TABLE {', '.join(lock)} IN SHARE ROW EXCLUSIVE MODE")
        install(using)
        if drifted(using):
            rebuild(using)
