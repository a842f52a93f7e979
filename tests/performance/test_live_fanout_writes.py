"""One live edit fanned out to N sockets costs the same database writes whatever N is: each
socket decides in memory whether its user may read the item, sends it, and its delivery is
audited in one batch per server process (``protocols.deliveries``) — still one audit event per
(user, item) delivered, as the data-protection officer reads them."""
from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import SyncToAsync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.db.backends import utils

from config.routing import websocket_urlpatterns
from permissions.audit import verify_chain
from permissions.models import AuditEvent
from protocols import deliveries, services
from protocols.models import ProtocolItem
from tests.websocket.sessions import live_scope

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

app = URLRouter(websocket_urlpatterns)


@pytest.fixture
def statements(monkeypatch):
    """Every SQL statement run in any thread of this process (consumers use a thread pool)."""
    seen: list[str] = []
    execute, executemany = utils.CursorWrapper.execute, utils.CursorWrapper.executemany

    def counted(self, sql, *args, **kwargs):
        seen.append(str(sql))
        return execute(self, sql, *args, **kwargs)

    def counted_many(self, sql, *args, **kwargs):
        seen.append(str(sql))
        return executemany(self, sql, *args, **kwargs)

    monkeypatch.setattr(utils.CursorWrapper, "execute", counted)
    monkeypatch.setattr(utils.CursorWrapper, "executemany", counted_many)
    return seen


class Hops:
    """How often any code of this process handed work to a sync thread (``sync_to_async``,
    ``database_sync_to_async``); ``during``: how many of those a ``fan_out`` made."""

    def __init__(self) -> None:
        self.calls = 0
        self.during: list[int] = []


@pytest.fixture
def hops(monkeypatch):
    counter = Hops()
    call = SyncToAsync.__call__

    def counted(self, *args, **kwargs):
        counter.calls += 1
        return call(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    return counter


def writes(sql: list[str]) -> list[str]:
    return [s for s in sql if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


async def receive_until(communicator, kind, *, timeout=10.0):
    while True:
        message = await communicator.receive_json_from(timeout=timeout)
        if message["type"] == kind:
            return message


async def quiet(communicator) -> None:
    while not await communicator.receive_nothing(timeout=0.3):
        await communicator.receive_from()


async def fan_out(world, readers, statements, *, item=None, receivers=None, hops=None) -> tuple[list[str], list[int]]:
    """Open one socket per reader, edit the item (default: the item for everyone), wait until every
    socket that may read it got it and its delivery is on record; the SQL of the fan-out (the edit
    included) and the ids of the readers who received it."""
    item = item or world.item_everyone
    receivers = readers if receivers is None else receivers
    sockets = []
    for user in readers:
        communicator = WebsocketCommunicator(app, f"/ws/protocols/{world.protocol.pk}/")
        await live_scope(communicator, user)
        connected, _ = await communicator.connect(timeout=10)
        assert connected
        await receive_until(communicator, "hello")
        sockets.append(communicator)
    await asyncio.gather(*(quiet(communicator) for communicator in sockets))  # all at once: 0.3 s, not 0.3 s each
    item = await database_sync_to_async(ProtocolItem.objects.get)(pk=item.pk)
    before = await database_sync_to_async(AuditEvent.objects.filter(action="protocol.item.read").count)()
    statements.clear()
    hops_before = hops.calls if hops is not None else 0
    await database_sync_to_async(services.item_update)(world.convenor, item=item, version=item.version,
                                                       text=f"Fan-out to {len(readers)}")
    async def check(user, communicator) -> None:
        if user in receivers:
            assert (await receive_until(communicator, "item"))["item"]["id"] == item.pk
        else:  # nothing but presence lists (with Redis a list may still be under way)
            while not await communicator.receive_nothing(timeout=0.5):
                assert (await communicator.receive_json_from())["type"] == "presence"

    await asyncio.gather(*(check(user, communicator) for user, communicator in zip(readers, sockets)))
    if hops is not None:  # the edit's and the sockets' hops to a sync thread until every socket had it
        hops.during.append(hops.calls - hops_before)
    for _ in range(200):  # the batch is written once the fan-out is quiet (QUIET_FOR), at the latest FLUSH_AFTER
        count = await database_sync_to_async(AuditEvent.objects.filter(action="protocol.item.read").count)()
        if count - before >= len(receivers):
            break
        await asyncio.sleep(0.05)
    sql = [s for s in statements if not ("COUNT(*)" in s and "permissions_auditevent" in s)]  # not the polling above
    for communicator in sockets:
        await communicator.disconnect()
    return sql, [u.pk for u in readers if u in receivers]


async def test_db_writes_of_a_fan_out_do_not_grow_with_the_sockets(world, statements, monkeypatch):
    # every delivery of the edit in one batch, even on a slow machine
    monkeypatch.setattr(deliveries, "FLUSH_AFTER", 1.0)
    monkeypatch.setattr(deliveries, "QUIET_FOR", 1.0)
    people = [world.convenor, world.lead_colleague, world.counsellor, world.midwife, world.parent]
    small, small_readers = await fan_out(world, people[:2], statements)
    large, large_readers = await fan_out(world, people * 4, statements)

    assert len(writes(large)) == len(writes(small)), (writes(small), writes(large))
    assert len(large) == len(small), "no socket reads the database for an item it decides in memory"
    audit_inserts = [s for s in writes(large) if "permissions_auditevent" in s]
    assert len(audit_inserts) == 2  # the edit's own event, and ONE insert for all 20 deliveries

    # Still one event per (reader, item) delivered, with the reader, the basis and the channel.
    delivered = await database_sync_to_async(lambda: list(
        AuditEvent.objects.filter(action="protocol.item.read", object_id=str(world.item_everyone.pk))
        .order_by("position").values_list("actor_id", "case_id", "channel", "legal_basis")))()
    assert sorted(a for a, *_ in delivered) == sorted(small_readers + large_readers)
    assert {tuple(rest) for _, *rest in delivered} == {(world.case.pk, "websocket", "audience:everyone")}
    assert await database_sync_to_async(verify_chain)(f"case:{world.case.pk}") is None


async def test_sockets_do_not_queue_for_the_sync_thread_to_deliver_an_item(world, statements, hops, monkeypatch):
    """A socket that decides in memory hands nothing to the process's sync thread to deliver
    (channels' per-message ``close_old_connections`` hop is skipped, ``LiveSessionMixin.dispatch``;
    the audit batch is written after the fan-out): the hops of a fan-out do not grow with the
    sockets. Before, each socket queued once per event behind the audit write (issue 13)."""
    monkeypatch.setattr(deliveries, "FLUSH_AFTER", 5.0)
    monkeypatch.setattr(deliveries, "QUIET_FOR", 5.0)  # the audit batch is not part of what is counted
    people = [world.convenor, world.lead_colleague, world.counsellor, world.midwife, world.parent]
    await fan_out(world, people[:2], statements, hops=hops)
    await fan_out(world, people * 4, statements, hops=hops)
    small, large = hops.during
    assert large == small, (small, large)


async def test_a_restricted_item_costs_one_policy_read_per_user_not_per_socket(world, statements, monkeypatch):
    """The counsellor reads the restricted item through a consent and the midwife may not read it:
    only the policy can tell, once per user and event in a server process, whatever the number of
    her sockets; only the counsellor's sockets receive it, each delivery on record with the consent."""
    monkeypatch.setattr(deliveries, "FLUSH_AFTER", 1.0)
    monkeypatch.setattr(deliveries, "QUIET_FOR", 1.0)
    edit = dict(item=world.item_restricted, receivers=[world.counsellor])
    one, _ = await fan_out(world, [world.counsellor, world.midwife], statements, **edit)
    many, received = await fan_out(world, [world.counsellor, world.midwife] * 4, statements, **edit)

    assert len(many) == len(one), "the policy is asked per user, not per socket"
    assert len(writes(many)) == len(writes(one))
    delivered = await database_sync_to_async(lambda: list(
        AuditEvent.objects.filter(action="protocol.item.read", object_id=str(world.item_restricted.pk))
        .values_list("actor_id", "legal_basis")))()
    assert sorted(delivered) == [(world.counsellor.pk, f"consent:{world.consent.pk}")] * 5
