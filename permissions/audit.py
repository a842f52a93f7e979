"""Writing audit events. Every service and selector that discloses case data calls ``record``."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .models import AuditChainHead, AuditEvent

Channel = AuditEvent.Channel


def _chain_key(case_id: int | None, at) -> str:
    return f"case:{case_id}" if case_id else f"day:{at.date().isoformat()}"


def event_hash(event: AuditEvent) -> str:
    payload = json.dumps(
        [
            event.chain_key, event.position, event.at.isoformat(), event.actor_id, event.actor_label,
            event.action, event.object_type, event.object_id, event.case_id, event.channel,
            event.legal_basis, event.detail, event.prev_hash,
        ],
        sort_keys=True, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(
    actor,
    *,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    case_id: int | None = None,
    channel: str = Channel.PAGE,
    legal_basis: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to its chain (the case's, or the day's for events without a case)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    at = timezone.now()
    key = _chain_key(case_id, at)
    with transaction.atomic():
        AuditChainHead.objects.get_or_create(chain_key=key)
        head = AuditChainHead.objects.select_for_update().get(chain_key=key)
        user = actor if getattr(actor, "is_authenticated", False) else None
        event = AuditEvent(
            chain_key=key, position=head.position + 1, at=at,
            actor=user, actor_label=(user.get_username() if user else str(actor or "anonymous"))[:150],
            action=action, object_type=object_type, object_id=str(object_id), case_id=case_id,
            channel=channel, legal_basis=legal_basis[:80], detail=detail or {}, prev_hash=head.hash,
        )
        event.hash = event_hash(event)
        event.save()
        AuditChainHead.objects.filter(chain_key=key).update(position=event.position, hash=event.hash)
    return event
