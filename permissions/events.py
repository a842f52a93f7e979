"""Change events that services send explicitly after their transaction commits.

A service that changes who may see what calls ``access_changed_on_commit(case_ids)``; apps above
(the live protocol channel) subscribe in their ``AppConfig.ready``. The sender names the cases, so
no receiver has to guess from a saved model, and nothing is announced for a rolled-back change.
"""
from __future__ import annotations

from typing import Callable, Iterable

from django.db import transaction

_access_listeners: list[Callable[[set[int]], None]] = []


def subscribe_access_changed(listener: Callable[[set[int]], None]) -> None:
    if listener not in _access_listeners:
        _access_listeners.append(listener)


def access_changed_on_commit(case_ids: Iterable[int | None]) -> None:
    ids = {c for c in case_ids if c}
    if not ids:
        return

    def _send() -> None:
        for listener in list(_access_listeners):
            listener(ids)

    transaction.on_commit(_send)
