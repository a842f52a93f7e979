"""Headers that keep case data out of caches and referrers."""

from __future__ import annotations


class PrivacyHeadersMiddleware:
    """Every response: no referrer. Every response to a logged-in user: never stored by caches."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or getattr(response, "carries_case_data", False):
            response.headers["Cache-Control"] = "no-store"
        return response
