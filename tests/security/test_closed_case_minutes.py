"""A closed case is convened no more, and its minutes are written no more: not by the minute-taker
named for the protocol, not by a delegated one. The erasure of a closed case's content (after
CASE_RETENTION_YEARS) raises every item's version, so a save begun before it is refused as a
conflict instead of writing the erased text back (review r1, 2026-12-06)."""
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from cases.models import Case
from operations.retention import ERASED, erase_case
from permissions import conflicts
from protocols import services
from protocols.models import Protocol, ProtocolItem

pytestmark = pytest.mark.django_db


def _close(world):
    Case.objects.filter(pk=world.case.pk).update(status=Case.Status.CLOSED, closed_on=timezone.localdate())


def test_the_named_minute_taker_writes_no_more_once_the_case_is_closed(world):
    Protocol.objects.filter(pk=world.protocol.pk).update(minute_taker=world.midwife)
    item = world.item_professionals
    services.item_update(world.midwife, item=item, version=item.version, text="Noch offen")  # while open: she writes
    _close(world)
    item = ProtocolItem.objects.get(pk=item.pk)
    with pytest.raises(PermissionDenied):
        services.item_update(world.midwife, item=item, version=item.version, text="Nach dem Abschluss")
    assert ProtocolItem.objects.get(pk=item.pk).text == "Noch offen"


def test_a_save_begun_before_the_erasure_cannot_write_the_text_back(world):
    item = world.item_professionals
    opened_at = item.version  # her form was opened before the erasure
    _close(world)
    erase_case(Case.objects.get(pk=world.case.pk), now=timezone.now())
    assert ProtocolItem.objects.get(pk=item.pk).version == opened_at + 1
    Case.objects.filter(pk=world.case.pk).update(status=Case.Status.ACTIVE, closed_on=None)  # even if it were open again
    with pytest.raises(conflicts.EditConflict):
        services.item_update(world.convenor, item=ProtocolItem.objects.get(pk=item.pk), version=opened_at,
                             text="Alter Text, wieder hergestellt")
    assert ProtocolItem.objects.get(pk=item.pk).text == ERASED
