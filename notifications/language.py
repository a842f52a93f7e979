"""Which language a message to a person is written in.

THE rule for every text the product writes to a person outside a page she is looking at: her
e-mails, letters, notifications and her calendar feeds (``calendars.feeds``); a caller that knows
the case or network passes it. (A ``participants``-level home for this rule is being built in
parallel; it is to be merged onto ``user_language``, not beside it.)

One rule, for every message: a user's own choice (her account's language setting) first; for a
parent without one, the language recorded for her on the case the message is about (a parent of
two cases has a record in each, and each may say another language: a message about case B is
written in the language of her record in case B); else the network's language (a Danish network
writes Danish); else the installation's default.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

from participants.models import Country, Membership, Network, User

if TYPE_CHECKING:
    from cases.models import FamilyMember

SUPPORTED = {code for code, _name in settings.LANGUAGES}

# Free-text interpreter languages that name a language the product speaks.
_NAMED = {
    "de": "de", "deutsch": "de", "german": "de", "tysk": "de",
    "da": "da", "dänisch": "da", "danish": "da", "dansk": "da",
    "en": "en", "englisch": "en", "english": "en", "engelsk": "en",
}


def network_language(network: Network | None) -> str:
    """A Danish network writes Danish; others the installation's language (German by default)."""
    if network is not None and network.country == Country.DENMARK:
        return "da"
    return settings.LANGUAGE_CODE


def family_member_language(member: "FamilyMember", *, network: Network | None = None) -> str:
    """The language of letters and e-mails to a parent without an account (or without a choice)."""
    if member.language in SUPPORTED:
        return member.language
    named = _NAMED.get((member.interpreter_language or "").strip().lower())
    if named:
        return named
    return network_language(network)


def user_language(user, *, network: Network | None = None, case_id: int | None = None) -> str:
    """The language of a message to ``user`` about the case ``case_id`` (None: about no case)."""
    chosen = (getattr(user, "preferred_language", "") or "").split("-")[0]
    if chosen in SUPPORTED:
        return chosen
    # Her family role, through the account's relation (cases.FamilyMember is an app above this one):
    # her record in the message's case; without a case, or without a record in it, her first one.
    records = User(pk=user.pk).family_members.select_related("case__network").order_by("pk")
    if case_id is not None:
        records = records.order_by(models.Case(models.When(case_id=case_id, then=0), default=1), "pk")
    member = records.first()
    if member is not None:
        return family_member_language(member, network=network or member.case.network)
    if network is None:
        membership = Membership.objects.filter(user=user, is_active=True).select_related("organisation__network").first()
        network = membership.organisation.network if membership else None
    return network_language(network)
