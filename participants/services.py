"""Writes about a person's own account (the consent services live in ``cases.consent_services``)."""
from __future__ import annotations

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from permissions import audit


def user_language_set(actor, *, language: str) -> None:
    """The actor chooses the language of her pages and of the e-mails and notifications she gets."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError({"language": _("Choose one of the offered languages.")})
    actor.preferred_language = language
    actor.save(update_fields=["preferred_language"])
    audit.record(actor, action="account.language_set", obj=actor, detail={"language": language})


def email_verified_by_link(actor) -> bool:
    """The actor has used a one-time link to choose her password (the set-up link from the case
    page or the admin, or "Forgot your password?"): she has proved that she receives mail at the
    address it went to, so that address counts as verified (allauth lets nobody add a second factor
    while the account has an unverified address). The link went to one of the account's addresses;
    only when the account has exactly one is it known which, so an account with several keeps them
    as they are (the admin marks them). Returns whether an address became verified; audited."""
    addresses = {address.email.lower(): address for address in EmailAddress.objects.filter(user=actor)}
    if actor.email:
        addresses.setdefault(actor.email.lower(), None)
    if len(addresses) != 1:
        return False
    (email, address), = addresses.items()
    if address is None:
        address = EmailAddress(user=actor, email=actor.email)
    elif address.verified:
        return False
    address.verified = True
    address.primary = address.primary or not EmailAddress.objects.filter(user=actor, primary=True).exists()
    address.save()
    audit.record(actor, action="account.email_verified", obj=actor, detail={"by": "password_link"})
    return True


def on_password_reset(sender, request, user, **kwargs) -> None:
    """Receiver of allauth's ``password_reset`` signal (connected in ``ParticipantsConfig.ready``)."""
    email_verified_by_link(user)
