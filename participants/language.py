"""Which language something is written in for a person other than the one making the request:
e-mails, iMIP invitations, reminders, letters, notifications, the names in her calendar feed.

One rule, in one place (every app that writes to someone asks here):

1. Her own choice: the language setting of her account.
2. A family member (a parent, with or without an account): the language recorded for her in the
   case the message is about (``FamilyMember.language``), else her interpreter language where it
   names a language the product speaks ("Dansk", "English"), else the language of that case's
   network. A parent of two cases has a record in each, and each may say another language: a
   message about case B follows her record in case B; a message about no case her first record.
3. A professional (or board member) without a choice: the language of the network the message is
   about (a Danish network writes Danish); about no network, that of the networks she works in
   (active memberships and network roles) where they all speak one language.
4. Else the installation's default, ``settings.LANGUAGE_CODE``.

``cases.FamilyMember`` is an app above this one: the records are read through the account's
relation (``user.family_members``), and a record handed in is read by its fields only.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import get_language_info

from participants.models import Country, Network, User

SUPPORTED = {code for code, _name in settings.LANGUAGES}

# Free-text interpreter languages that name a language the product speaks.
_NAMED = {
    "de": "de", "deutsch": "de", "german": "de", "tysk": "de",
    "da": "da", "dänisch": "da", "danish": "da", "dansk": "da",
    "en": "en", "englisch": "en", "english": "en", "engelsk": "en",
}


def own_name(code: str) -> str:
    """A language's name in itself, capitalised as a name in a list ("Deutsch", "Dansk", "English"):
    the header's switch and the account page's choice say the same (Django's ``name_local`` is "dansk")."""
    return capfirst(get_language_info(code)["name_local"])


def own_name_choices() -> list[tuple[str, str]]:
    return [(code, own_name(code)) for code, _name in settings.LANGUAGES]


def own_choice(user) -> str:
    """The language the account's holder chose herself; "" where she chose none (or no account)."""
    chosen = (getattr(user, "preferred_language", "") or "").split("-")[0]
    return chosen if chosen in SUPPORTED else ""


def network_language(network: Network | None) -> str:
    """A Danish network writes Danish; others (and no network) the installation's default."""
    return _country_language(network.country if network is not None else "")


def _country_language(country: str) -> str:
    return "da" if country == Country.DENMARK else settings.LANGUAGE_CODE


def for_family_member(member: models.Model, *, network: Network | None = None, account: User | None = None) -> str:
    """The language of a letter or e-mail to a family member about her case.

    ``network``: her case's network, where the caller has it at hand (else ``member.case.network``).
    ``account``: the account a message to her reaches while her record is linked to none (the
    account made for her access offer, or the only one that receives mail at her address): its
    holder's own choice comes first, as a linked account's does."""
    return own_choice(member.user if member.user_id else account) or _recorded(member, network=network)


def _recorded(member: models.Model, *, network: Network | None) -> str:
    """Step 2 for one family record: her recorded language, her interpreter's, her case's network."""
    if member.language in SUPPORTED:
        return member.language
    named = _NAMED.get((member.interpreter_language or "").strip().lower())
    if named:
        return named
    return network_language(network or member.case.network)


def for_user(user, *, network: Network | None = None, case_id: int | None = None) -> str:
    """The language of a message to ``user`` about the case ``case_id`` (None: about no case) or
    the network ``network`` (the case's network, a board's network, an offer's network)."""
    chosen = own_choice(user)
    if chosen:
        return chosen
    # Her family role: her record in the message's case; without a case, or without a record in
    # it, her first one.
    records = User(pk=user.pk).family_members.select_related("case__network").order_by("pk")
    if case_id is not None:
        records = records.order_by(models.Case(models.When(case_id=case_id, then=0), default=1), "pk")
    member = records.first()
    if member is not None:
        return _recorded(member, network=network)
    if network is not None:
        return network_language(network)
    return _working_language(user)


def _working_language(user) -> str:
    """The language of the networks a professional works in (active memberships, network roles),
    where they all speak one; several networks of different languages: the default."""
    countries = set(
        Network.objects.filter(models.Q(organisations__memberships__user_id=user.pk, organisations__memberships__is_active=True)
                               | models.Q(roles__user_id=user.pk))
        .values_list("country", flat=True).distinct()
    )
    languages = {_country_language(country) for country in countries}
    return languages.pop() if len(languages) == 1 else settings.LANGUAGE_CODE
