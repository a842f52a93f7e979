"""Events for the live protocol channel, sent after the transaction commits.

Three kinds leave this module:

* ``item.changed`` carries the item's payload and what decides who may read it (audience,
  holding organisation, restricted-to organisations), computed ONCE by the sender; each socket
  decides for its own user in memory for the cheap cases and asks the policy (one query) only
  for a restricted item she might read through a consent or a legal basis.
* ``action.changed`` carries an agreed action and who it falls to; it goes to every protocol of
  the case (the action may be reviewed in a later conference), and each socket forwards it only
  if ``protocols.policy.actions_for_user`` lets her see it.
* ``access.changed`` carries nothing: consent, legal basis, team or membership changed, so every
  socket of the case re-reads what its user may see (ARCHITECTURE rule 4: revocation takes
  effect at once in the live channel too).
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Callable, Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from participants.models import Organisation
from protocols.api.serializers import action_payload, item_payload
from protocols.models import AgreedAction, Amendment, Audience, Protocol, ProtocolItem

logger = logging.getLogger(__name__)


def group_name(protocol_id: int) -> str:
    return f"protocol.{protocol_id}"


def send_to_protocols(protocol_ids, event: dict) -> None:
    """Send now (callers run this after commit)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    for protocol_id in protocol_ids:
        try:
            if loop is None:
                async_to_sync(layer.group_send)(group_name(protocol_id), event)
            else:  # called from code that runs inside an event loop's thread
                loop.create_task(layer.group_send(group_name(protocol_id), event))
        except Exception:  # a lost live event must never undo a saved change
            logger.exception("Could not send live event %s for protocol %s", event.get("type"), protocol_id)


def _case_protocol_ids(case_id: int) -> list[int]:
    return list(Protocol.objects.filter(conference__case_id=case_id).values_list("pk", flat=True))


def item_event(item_id: int) -> dict | None:
    """The ``item.changed`` event for one item, read without a user filter: the receiving socket
    filters. Two queries (one more for a restricted item, and for an item of a final protocol, the
    only kind with amendments), whatever the number of sockets."""
    item = ProtocolItem.objects.filter(pk=item_id).select_related("protocol").first()
    if item is None:
        return None
    return item_event_of(item)


def item_event_of(item: ProtocolItem) -> dict:
    """The ``item.changed`` event for an item at hand (its ``protocol`` loaded): one query (its
    actions), one more for a restricted item (the organisations named) and for an item of a final
    protocol (its amendments). A writer builds it inside its transaction, from the row it
    has locked and written (``services.item_update``), so it carries exactly what commits."""
    final = item.protocol.status == Protocol.Status.FINAL
    restricted = item.audience == Audience.RESTRICTED
    cache = item.__dict__.setdefault("_prefetched_objects_cache", {})
    # Each relation read by one plain query and put where ``item.<relation>.all()`` looks first, as a
    # prefetch would: ``prefetch_related_objects`` builds an ``IN`` over the one instance and its
    # relation filters on every call, which cost 2.5 of the event's 5 ms (``bench/ws_fanout.py``, the
    # path every live edit waits for).
    cache["actions"] = _evaluated(AgreedAction.objects.filter(item_id=item.pk).select_related(
        "case", "responsible_user", "responsible_organisation", "responsible_family_member").order_by("due_on", "pk"))
    # Amendments are added to final protocols only (``services.amendment_create``); a draft's or a
    # released draft's items have none, and the event does not ask the database.
    cache["amendments"] = (_evaluated(Amendment.objects.filter(item_id=item.pk).select_related("author")
                                      .order_by("created_at", "pk")) if final else Amendment.objects.none())
    # Only a restricted item names organisations (the services clear them when it is widened), and
    # only for a restricted item do the sockets look at them: no query for the others.
    cache["restricted_to"] = (_evaluated(Organisation.objects.filter(restricted_items=item.pk)) if restricted
                              else Organisation.objects.none())
    return {
        # Names this event (not the item): every socket of a server process that may read it sends
        # the same frame per language, encoded once (``ProtocolConsumer._send_shared``).
        "type": "item.changed", "event_id": uuid.uuid4().hex, "item_id": item.pk, "audience": item.audience,
        "holding_organisation": item.holding_organisation_id,
        # Who entrusted it, now and first (before a relabel): a socket whose reader may not read
        # that person's data (Art. 18) drops it (``cases_policy.entrusted_by_any``).
        "entrusted_by": item.entrusted_by_id,
        "first_entrusted_by": item.first_entrusted_by_id,
        "restricted_to": sorted(o.pk for o in item.restricted_to.all()),
        # A carried-over item: a parent or a guest reads it only where she reads the item of the
        # action it reviews (``protocols.policy._carried_over_unread``), which only the policy knows.
        "reviewed_action": item.reviewed_action_id,
        "item": item_payload(item),
    }


def _evaluated(queryset):
    """``queryset`` with its rows read, as a relation's cache holds them."""
    len(queryset)
    return queryset


def action_event(action_id: int) -> tuple[int, dict] | None:
    """(case id, ``action.changed`` event) for one action."""
    action = (
        AgreedAction.objects.filter(pk=action_id)
        .select_related("case", "item", "responsible_user", "responsible_organisation", "responsible_family_member")
        .first()
    )
    if action is None:
        return None
    return action.case_id, {
        "type": "action.changed", "action_id": action.pk, "item_id": action.item_id,
        "protocol_id": action.item.protocol_id,
        # Who entrusted its item: a socket whose reader may not read that person's data (Art. 18)
        # drops the action wherever it would drop the item.
        "entrusted_by": action.item.entrusted_by_id,
        "first_entrusted_by": action.item.first_entrusted_by_id,
        # An action in an item that carries a holder (restricted, or widened after it was: the name
        # of the key is older) reaches whom it falls to only where she may read the item
        # (``protocols.policy._item_not_withheld``): the socket then asks whether the item is among
        # those it shows. A socket that finds no key asks the policy.
        "item_restricted": action.item.audience == Audience.RESTRICTED or action.item.holding_organisation_id is not None,
        "responsible_user": action.responsible_user_id,
        "responsible_organisation": action.responsible_organisation_id,
        "responsible_parent_user": action.responsible_family_member.user_id if action.responsible_family_member_id else None,
        "action": action_payload(action),
    }


def send_on_commit(protocol_id: int, event: dict) -> None:
    """Send an event built before the commit once the transaction commits (never, if it rolls back)."""
    transaction.on_commit(lambda: send_to_protocols([protocol_id], event))


def item_changed_on_commit(protocol_id: int, item_id: int) -> None:
    def _send() -> None:
        event = item_event(item_id)
        if event is not None:
            send_to_protocols([protocol_id], event)

    transaction.on_commit(_send)


def action_changed_on_commit(action_id: int) -> None:
    """Tell every protocol of the action's case (the one it was agreed in, later reviews)."""

    def _send() -> None:
        found = action_event(action_id)
        if found is not None:
            case_id, event = found
            send_to_protocols(_case_protocol_ids(case_id), event)

    transaction.on_commit(_send)


def access_changed_on_commit(*case_ids: int | None, resolve: Callable[[], Iterable[int]] | None = None) -> None:
    """After commit, every socket on a protocol of these cases re-reads what its user may see.
    ``resolve`` names the cases lazily (run after commit, so a writer's query count is unchanged)."""
    ids = {c for c in case_ids if c}
    if not ids and resolve is None:
        return

    def _send() -> None:
        wanted = ids | set(resolve() if resolve else ())
        if not wanted:
            return
        protocol_ids = Protocol.objects.filter(conference__case_id__in=wanted).values_list("pk", flat=True)
        send_to_protocols(list(protocol_ids), {"type": "access.changed"})

    transaction.on_commit(_send)
