"""Writes about a person's own account (the consent services live in ``cases.consent_services``)."""
from __future__ import annotations

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
