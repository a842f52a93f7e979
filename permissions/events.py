"""Change events that services send explicitly after their transaction commits.

A service that changes who may see what calls ``access_changed_on_commit(case_ids)``; apps above
(the live protocol channel) subscribe in their ``AppConfig.ready``. The sender names the cases, so
no receiver has to guess from a saved model, and nothing is announced for a rolled-back change.
A writer below the cases (the admin changing a membership, an organisation or an account) cannot
name cases; it calls ``people_changed_on_commit(user_ids=..., organisation_ids=...)`` and the
subscriber, which knows the case team, finds the cases after commit.
"""
from __future__ import annotations

from typing import Callable, Iterable

from django.db import transaction

_access_listeners: list[Callable[[set[int]], None]] = []
_people_listeners: list[Callable[[set[int], set[int]], None]] = []


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


def subscribe_people_changed(listener: Callable[[set[int], set[int]], None]) -> None:
    """``listener(user_ids, organisation_ids)`` runs after the commit of such a change."""
    if listener not in _people_listeners:
        _people_listeners.append(listener)


def people_changed_on_commit(*, user_ids: Iterable[int | None] = (), organisation_ids: Iterable[int | None] = ()) -> None:
    users, orgs = {u for u in user_ids if u}, {o for o in organisation_ids if o}
    if not users and not orgs:
        return

    def _send() -> None:
        for listener in list(_people_listeners):
            listener(users, orgs)

    transaction.on_commit(_send)
