"""django-allauth adapter: accounts are created by admins and convenors, never by sign-up; failed
sign-ins are limited so that they cannot be turned against other people."""
from __future__ import annotations

import math
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from allauth.core.internal.ratelimit import get_ip, parse_rates
from django import forms
from django.conf import settings
from django.utils.translation import ngettext


def _wait_minutes(action: str, per: str = "key") -> int:
    """How long a lock-out lasts at most: the window of the action's per-account limit."""
    seconds = [rate.duration for rate in parse_rates(settings.ACCOUNT_RATE_LIMITS.get(action)) if rate.per == per]
    return max(1, math.ceil(max(seconds, default=300) / 60))


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def _get_login_attempts_cache_key(self, request, **credentials: Any) -> str:
        """Failed attempts count per account *and* client address: five wrong passwords typed
        for someone's account from one address lock out that pair only, not the account's owner
        elsewhere and not a colleague who signs in from the same address."""
        return f"{super()._get_login_attempts_cache_key(request, **credentials)}@{get_ip(request)}"

    def _account_key(self, request, **credentials: Any) -> str:
        return super()._get_login_attempts_cache_key(request, **credentials)

    def pre_authenticate(self, request, **credentials: Any) -> None:
        self._account_rl_usage = None
        try:
            super().pre_authenticate(request, **credentials)
        except forms.ValidationError:
            raise self._locked_out("login_failed") from None
        self._account_rl_usage = ratelimit.consume(request, app="allauth.account", action="login_failed_account",
                                                   key=self._account_key(request, **credentials))
        if not self._account_rl_usage:
            self._rollback_login_failed_rl_usage()
            raise self._locked_out("login_failed_account")

    def _rollback_login_failed_rl_usage(self) -> None:
        super()._rollback_login_failed_rl_usage()
        usage = getattr(self, "_account_rl_usage", None)
        if usage:
            usage.rollback()

    def _locked_out(self, action: str) -> forms.ValidationError:
        minutes = _wait_minutes(action)
        message = ngettext(
            "Too many failed sign-in attempts. Please wait %(minutes)s minute, then try again.",
            "Too many failed sign-in attempts. Please wait %(minutes)s minutes, then try again.",
            minutes,
        ) % {"minutes": minutes}
        return forms.ValidationError(message, code="too_many_login_attempts")

    def validation_error(self, code, *args) -> forms.ValidationError:
        if code == "too_many_login_attempts":  # allauth's own checks (e.g. after a successful password)
            return self._locked_out("login_failed")
        return super().validation_error(code, *args)
