"""Two people doing the same thing at the same moment, on PostgreSQL with real concurrent
transactions (threads released together by a barrier): one wins, the other gets a clear
refusal, and nothing is half-written. Skipped on SQLite (its in-memory test database is not
shared between threads)."""
from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from permissions import conflicts
from permissions.models import AuditEvent
from tests.conferences.helpers import convene


def require_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://… (.ci/run's second run does)")


def at_once(*calls):
    """Run each call in its own thread and transaction, released together; return what each
    returned or raised."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # the refusal is the result under test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_convenors_picking_the_same_poll_at_once_one_wins_the_other_is_refused(world):
    require_postgres()
    from django.db import transaction

    from conferences import services
    from conferences.models import Conference

    conference = convene(world)
    first, second = list(conference.poll.slots.order_by("starts_at"))[:2]

    def pick(actor, slot):
        def call():
            with transaction.atomic():
                return services.poll_pick(actor, conference=Conference.objects.get(pk=conference.pk), slot=slot)
        return call

    results = at_once(pick(world.convenor, first), pick(world.lead_colleague, second))
    won = [r for r in results if isinstance(r, Conference)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(won) == 1 and len(refused) == 1, results
    assert "not looking for a date" in str(refused[0])
    conference.refresh_from_db()
    conference.poll.refresh_from_db()
    assert conference.status == Conference.Status.SCHEDULED
    assert conference.starts_at == conference.poll.chosen_slot.starts_at
    assert AuditEvent.objects.filter(action="conference.schedule", object_id=str(conference.pk)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_saves_of_the_same_item_one_wins_the_other_gets_a_conflict(world):
    require_postgres()
    from django.db import transaction

    from protocols import services
    from protocols.models import ProtocolItem

    item = world.item_everyone
    version = item.version

    def save(actor, title):
        def call():
            with transaction.atomic():
                return services.item_update(actor, item=ProtocolItem.objects.get(pk=item.pk), version=version, title=title)
        return call

    results = at_once(save(world.convenor, "Version A"), save(world.convenor, "Version B"))
    saved = [r for r in results if isinstance(r, ProtocolItem)]
    refused = [r for r in results if isinstance(r, conflicts.EditConflict)]
    assert len(saved) == 1 and len(refused) == 1, results
    item.refresh_from_db()
    assert item.version == version + 1
    assert item.title == saved[0].title
    assert refused[0].current.title == saved[0].title  # the refusal shows what now stands


def while_a_writer_holds_the_protocol(protocol_id: int, change, call):
    """``change`` runs in a transaction holding the protocol's lock; ``call`` runs in another,
    started while the lock is held (it must wait for it); the lock is released once ``call`` is
    seen waiting. Returns what ``call`` returned or raised."""
    from django.db import transaction

    from protocols.models import Protocol

    locked, release, result = threading.Event(), threading.Event(), []

    def hold():
        try:
            with transaction.atomic():
                Protocol.objects.select_for_update().get(pk=protocol_id)
                change()
                locked.set()
                release.wait(timeout=10)
        finally:
            connections.close_all()

    def wait():
        try:
            with transaction.atomic():
                result.append(call())
        except Exception as exc:  # the refusal is the result under test
            result.append(exc)
        finally:
            connections.close_all()

    writer = threading.Thread(target=hold)
    writer.start()
    assert locked.wait(timeout=10)
    saver = threading.Thread(target=wait)
    saver.start()
    saver.join(timeout=1)
    assert saver.is_alive()  # it waits for the protocol's lock
    release.set()
    writer.join(timeout=10)
    saver.join(timeout=10)
    return result[0]


@pytest.mark.django_db(transaction=True)
def test_a_save_that_waited_for_another_writers_lock_gets_the_conflict_with_the_item_as_it_now_stands(world):
    """``item_update`` locks the protocol and reads the item in one statement. When that statement
    waits for another writer's lock, PostgreSQL hands back the item as it was before that writer's
    commit: the save must still be refused as a conflict showing the newer text (never overwrite
    it, never audit a change that did not happen)."""
    require_postgres()
    from django.db.models import F

    from protocols import services
    from protocols.models import ProtocolItem

    item = world.item_everyone
    version = item.version
    result = while_a_writer_holds_the_protocol(
        item.protocol_id,
        lambda: ProtocolItem.objects.filter(pk=item.pk).update(title="Newer title", version=F("version") + 1),
        lambda: services.item_update(world.convenor, item=ProtocolItem.objects.get(pk=item.pk), version=version,
                                     title="Older base"))
    assert isinstance(result, conflicts.EditConflict), result
    assert result.current.title == "Newer title" and result.current.version == version + 1
    item.refresh_from_db()
    assert (item.title, item.version) == ("Newer title", version + 1)
    assert not AuditEvent.objects.filter(action="protocol.item.update", object_id=str(item.pk)).exists()


@pytest.mark.django_db(transaction=True)
def test_an_outdated_save_that_waited_for_another_writer_gets_the_conflict_with_the_newest_item(world):
    """Her version was out of date already, and her save waited for a writer's lock: the conflict
    shows the item as that writer left it, not as it was before (review r1)."""
    require_postgres()
    from django.db.models import F

    from protocols import services
    from protocols.models import ProtocolItem

    item = world.item_everyone
    version = item.version
    ProtocolItem.objects.filter(pk=item.pk).update(version=version + 1)  # she holds `version`, the item is ahead
    result = while_a_writer_holds_the_protocol(
        item.protocol_id,
        lambda: ProtocolItem.objects.filter(pk=item.pk).update(title="Neuester Stand", version=F("version") + 1),
        lambda: services.item_update(world.convenor, item=ProtocolItem.objects.get(pk=item.pk), version=version,
                                     title="Meins"))
    assert isinstance(result, conflicts.EditConflict), result
    assert (result.current.title, result.current.version) == ("Neuester Stand", version + 2)
    assert not AuditEvent.objects.filter(action="protocol.item.update", object_id=str(item.pk)).exists()
