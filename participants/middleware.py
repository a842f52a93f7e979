"""A signed-in person's pages are in the language of her setting."""
from __future__ import annotations

from django.utils import translation

from participants import language


class UserLanguageMiddleware:
    """Where a signed-in person chose a language (the account page, or the header's switch, which
    saves it too), her pages are in it on every browser, as her e-mails and feeds are: the header
    and the account page always name the same language. Without a choice, and signed out, the
    language stays ``LocaleMiddleware``'s (the cookie of the header's switch, else the browser's).
    Place it after the authentication and session-security middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            chosen = language.own_choice(user)
            if chosen and chosen != translation.get_language():
                translation.activate(chosen)
                request.LANGUAGE_CODE = chosen
        return self.get_response(request)
