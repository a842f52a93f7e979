"""The matrix has over a thousand cells; building the standing world for each would cost most
of the suite's time. Each module builds it once inside an outer transaction; every cell runs in
a savepoint (pytest-django's ``db``) that is rolled back, and the world's Python objects are
reloaded from the database before each cell, so no cell sees another cell's writes.

Transactional cells (websocket consumers read from other threads and need committed data) roll
the shared world back and build their own; pytest-django runs them after every
non-transactional test, so no shared-world cell of the module comes after them.
"""
from __future__ import annotations

import dataclasses

import pytest
from django.db import models, transaction

from tests.world import World, build_world


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))


_OPEN: list["SharedWorld"] = []


class SharedWorld:
    def __init__(self) -> None:
        self._outer = transaction.atomic()
        self._outer.__enter__()
        _OPEN.append(self)
        self.world: World | None = build_world()

    def close(self) -> None:
        if self._outer is not None:
            transaction.set_rollback(True)
            self._outer.__exit__(None, None, None)
            self._outer, self.world = None, None
            _OPEN.remove(self)


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker):
    # Module scope: set up before any function-scoped fixture, so the outer transaction opens
    # before pytest-django's per-test savepoint.
    with django_db_blocker.unblock():
        shared = SharedWorld()
    yield shared
    with django_db_blocker.unblock():
        shared.close()


@pytest.fixture(autouse=True)
def _transactional_cells_see_no_shared_world(request, django_db_blocker):
    """A transactional cell (websocket) reads from other threads: roll back any shared world
    first, or its open transaction would lock the tables they read."""
    if _is_transactional(request) and _OPEN:
        with django_db_blocker.unblock():
            for shared in list(_OPEN):
                shared.close()


@pytest.fixture
def world(_module_world, db, request) -> World:
    if _is_transactional(request):
        _module_world.close()
        return build_world()
    if _module_world.world is None:
        raise RuntimeError("The module's shared world was rolled back before a non-transactional cell ran.")
    shared = _module_world.world
    for field in dataclasses.fields(shared):
        value = getattr(shared, field.name)
        if isinstance(value, models.Model):
            value.refresh_from_db()
            value._state.fields_cache.clear()
    return shared
