"""django-allauth adapter: accounts are created by admins and convenors, never by sign-up."""
from __future__ import annotations

import math

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext


def login_lockout_minutes() -> int:
    """How long a locked-out sign-in must wait at most: the longest window among the failed
    sign-in rate limits (``LOGIN_FAILED_RATE_LIMIT``), in whole minutes."""
    from allauth.core.internal.ratelimit import parse_rates

    rates = parse_rates(settings.ACCOUNT_RATE_LIMITS.get("login_failed") or "")
    seconds = max((rate.duration for rate in rates), default=300)
    return max(1, math.ceil(seconds / 60))


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def validation_error(self, code, *args) -> ValidationError:
        if code == "too_many_login_attempts":
            minutes = login_lockout_minutes()
            message = ngettext(
                "Too many failed sign-in attempts. Please wait %(minutes)s minute, then try again.",
                "Too many failed sign-in attempts. Please wait %(minutes)s minutes, then try again.",
                minutes,
            ) % {"minutes": minutes}
            return ValidationError(message, code=code)
        return super().validation_error(code, *args)
