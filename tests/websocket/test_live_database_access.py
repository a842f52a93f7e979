"""``LiveSessionMixin.dispatch`` skips channels' per-message ``close_old_connections`` (issue 13:
one hop to the sync thread per socket and event was most of a fan-out's tail). That is safe only
while every database access of a live consumer goes through ``database_sync_to_async``, which
closes old connections before and after its work. Direct ORM use on the event loop already fails
loudly (``SynchronousOnlyOperation``); what would pass silently, holding a connection past its
limits, is a plain ``sync_to_async`` or the ORM's async API (``aget``, ``acount``, ...). This test
reads the modules the live consumers run in and fails on either, and on a live consumer defined
in a module it does not read."""
from __future__ import annotations

import ast
import inspect
import sys

import conferences.consumers
import config.routing  # noqa: F401  (loads every consumer the live channel routes to)
import protocols.consumers
import protocols.deliveries
import protocols.presence
from permissions import live_sessions
from permissions.live_sessions import LiveSessionMixin

READ = (protocols.consumers, conferences.consumers, live_sessions, protocols.presence, protocols.deliveries)

ORM_ASYNC = {"aget", "afirst", "alast", "acount", "aexists", "acontains", "acreate", "aupdate", "adelete", "asave",
             "aiterator", "ain_bulk", "aaggregate", "abulk_create", "abulk_update", "aget_or_create",
             "aupdate_or_create", "arefresh_from_db", "aearliest", "alatest", "aexplain", "aset", "aadd", "aremove",
             "aclear"}


def _names(module) -> set[str]:
    tree = ast.parse(inspect.getsource(module))
    return ({node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
            | {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
            | {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names})


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_live_consumer_is_in_a_module_this_test_reads():
    read = {module.__name__ for module in READ}
    consumers = list(_subclasses(LiveSessionMixin))
    assert consumers, "no live consumer found"
    outside = [f"{c.__module__}.{c.__qualname__}" for c in consumers
               if c.__module__ not in read and not c.__module__.startswith("tests.")]
    assert not outside, f"add their modules to READ: {outside}"


def test_the_live_consumers_reach_the_database_only_through_database_sync_to_async():
    for module in READ:
        names = _names(module)
        assert "sync_to_async" not in names, f"{module.__name__}: use database_sync_to_async"
        assert not names & ORM_ASYNC, f"{module.__name__}: the ORM's async API ({sorted(names & ORM_ASYNC)})"


def test_the_check_sees_a_plain_sync_to_async_and_an_async_orm_call(tmp_path, monkeypatch):
    """The test above can fail: a module with either is caught."""
    source = tmp_path / "live_sample.py"
    source.write_text("from asgiref.sync import sync_to_async\n"
                      "async def handler(self):\n    return await Item.objects.filter(pk=1).acount()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    sample = __import__("live_sample")
    try:
        names = _names(sample)
        assert "sync_to_async" in names and "acount" in names & ORM_ASYNC
    finally:
        sys.modules.pop("live_sample", None)
