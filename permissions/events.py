"""Change events that services send explicitly after their transaction commits.

A service that changes who may see what calls ``access_changed_on_commit(case_ids)``; apps above
(the live protocol channel) subscribe in their ``AppConfig.ready``. The sender names the cases, so
no receiver has to guess from a saved model, and nothing is announced for a rolled-back change.
A writer below the cases (the admin changing a membership, an organisation or an account) cannot
name cases; it calls ``people_changed_on_commit(user_ids=..., organisation_ids=...)`` and the
subscriber, which knows the case team, finds the cases after commit. The admin's membership
changes are also announced with ``memberships_changed_on_commit``: notifications tells the
organisation's leads. Two hooks run inside the writer's transaction instead (bottom of the module):
a membership that ends (``cases`` ends her personal case-team rows for it), an account linked
to a family member and a family member's corrected e-mail address (``conferences`` revokes her
poll links), and her corrected interpreter language (``conferences`` corrects the coming
conferences that took it over).
"""
from __future__ import annotations

from dataclasses import dataclass
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


# --- Memberships ------------------------------------------------------------------------------

@dataclass(frozen=True)
class MembershipsChanged:
    """The admin changed a membership of an organisation. ``lead_ids``: the organisation's active
    leads when the change was made (a lead whose own membership is deleted is among them);
    ``contact_email``: the organisation's address, for an organisation without a lead."""
    organisation_id: int
    lead_ids: frozenset[int]
    contact_email: str


_membership_listeners: list[Callable[[MembershipsChanged], None]] = []


def subscribe_memberships_changed(listener: Callable[[MembershipsChanged], None]) -> None:
    """``listener(change)`` runs after the commit of an admin's membership change (notifications
    tells the leads)."""
    if listener not in _membership_listeners:
        _membership_listeners.append(listener)


def memberships_changed_on_commit(*, organisation_id: int, lead_ids: Iterable[int], contact_email: str = "") -> None:
    change = MembershipsChanged(organisation_id, frozenset(lead_ids), contact_email)

    def _send() -> None:
        for listener in list(_membership_listeners):
            listener(change)

    transaction.on_commit(_send)


# --- Inside the writer's transaction ----------------------------------------------------------
# Unlike the announcements above, these run at once, inside the transaction of the service that
# calls them: what the listener writes (and audits) commits or rolls back with the change itself.
# For a consequence that must not be missing once the change is visible, decided by an app above
# the writer (the writer cannot import it).

@dataclass(frozen=True)
class MembershipEnded:
    """``actor`` ended ``user_id``'s membership of ``organisation_id`` (deactivated or deleted)."""
    actor: object
    user_id: int
    organisation_id: int
    channel: str


_membership_ended_listeners: list[Callable[[MembershipEnded], None]] = []


def subscribe_membership_ended(listener: Callable[[MembershipEnded], None]) -> None:
    """``listener(ended)`` runs inside the transaction that ends the membership (``cases`` ends her
    personal case-team rows for the organisation)."""
    if listener not in _membership_ended_listeners:
        _membership_ended_listeners.append(listener)


def membership_ended(*, actor, user_id: int, organisation_id: int, channel: str) -> None:
    ended = MembershipEnded(actor, user_id, organisation_id, channel)
    for listener in list(_membership_ended_listeners):
        listener(ended)


@dataclass(frozen=True)
class AccountLinked:
    """``actor`` linked the new account ``user_id`` to the family member ``family_member_id``."""
    actor: object
    family_member_id: int
    user_id: int
    case_id: int
    channel: str


_account_linked_listeners: list[Callable[[AccountLinked], None]] = []


def subscribe_account_linked(listener: Callable[[AccountLinked], None]) -> None:
    """``listener(linked)`` runs inside the transaction that links the account (``conferences``
    revokes the poll links she answered without one)."""
    if listener not in _account_linked_listeners:
        _account_linked_listeners.append(listener)


def account_linked(*, actor, family_member_id: int, user_id: int, case_id: int, channel: str) -> None:
    linked = AccountLinked(actor, family_member_id, user_id, case_id, channel)
    for listener in list(_account_linked_listeners):
        listener(linked)


@dataclass(frozen=True)
class AddressChanged:
    """``actor`` corrected the e-mail address of the family member ``family_member_id`` (to another
    one, or to none): what was mailed to the old address must stop working."""
    actor: object
    family_member_id: int
    case_id: int
    channel: str


_address_changed_listeners: list[Callable[[AddressChanged], None]] = []


def subscribe_address_changed(listener: Callable[[AddressChanged], None]) -> None:
    """``listener(changed)`` runs inside the transaction that corrects the address (``conferences``
    revokes the poll links mailed to the old one and sends open polls' links to the new one)."""
    if listener not in _address_changed_listeners:
        _address_changed_listeners.append(listener)


def address_changed(*, actor, family_member_id: int, case_id: int, channel: str) -> None:
    changed = AddressChanged(actor, family_member_id, case_id, channel)
    for listener in list(_address_changed_listeners):
        listener(changed)


@dataclass(frozen=True)
class InterpreterLanguageChanged:
    """``actor`` corrected the interpreter language of the family member ``family_member_id``
    from ``old`` to ``new`` (either may be blank). ``reason`` names why, for the listeners' audit
    events: ``family_member_update`` (a correction of her record) or ``erased`` (Art. 17)."""
    actor: object
    family_member_id: int
    case_id: int
    old: str
    new: str
    channel: str
    reason: str = "family_member_update"


_interpreter_listeners: list[Callable[[InterpreterLanguageChanged], None]] = []


def subscribe_interpreter_language_changed(listener: Callable[[InterpreterLanguageChanged], None]) -> None:
    """``listener(changed)`` runs inside the transaction that corrects the record (``conferences``
    corrects the coming conferences that took the old language over from it)."""
    if listener not in _interpreter_listeners:
        _interpreter_listeners.append(listener)


def interpreter_language_changed(*, actor, family_member_id: int, case_id: int, old: str, new: str,
                                 channel: str, reason: str = "family_member_update") -> None:
    changed = InterpreterLanguageChanged(actor, family_member_id, case_id, old, new, channel, reason)
    for listener in list(_interpreter_listeners):
        listener(changed)
