"""The lean path of the calendar feeds (issue 13).

A feed is authenticated by the secret in its URL alone: it never reads or writes a session,
knows no signed-in user, sets no cookie and accepts no form. Calendar clients poll it every few
minutes, so the work the page middleware does for a browser session (loading the session and
its user, the idle and second-factor checks, CSRF, messages, language negotiation, the CSP
builder) was most of a poll's cost. ``FeedMiddleware`` sits right after ``RequestIdMiddleware``
(request id, access log with the token redacted) and ``SecurityMiddleware`` (HTTPS redirect,
HSTS, nosniff, referrer and opener policy) and answers the two feed paths itself, with the
headers the skipped middleware would have added that matter for a calendar file: a strict
Content-Security-Policy and X-Frame-Options. Every other path goes down the full stack.

The host is validated as ``CommonMiddleware`` would (``ALLOWED_HOSTS``). A token that resolves
to nothing answers a plain 404 (no template, no context processors that would want a user).
The patterns are ``calendars.urls.feed_urlpatterns``, the same objects the project URLconf
includes, so the paths and their reverse() cannot drift apart."""
from __future__ import annotations

from django.http import Http404, HttpResponseNotFound
from django.urls import URLResolver
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern

from calendars import urls

# Nothing in a calendar file loads, runs or frames anything.
FEED_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
PREFIX = "/feeds/"


class FeedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.resolver = URLResolver(RegexPattern(r"^/"), urls.feed_urlpatterns)

    def __call__(self, request):
        if not request.path_info.startswith(PREFIX):
            return self.get_response(request)
        try:
            match = self.resolver.resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        request.get_host()  # DisallowedHost (400) for a host outside ALLOWED_HOSTS, as on every page
        request.resolver_match = match
        try:
            response = match.func(request, *match.args, **match.kwargs)
        except Http404:
            response = HttpResponseNotFound(b"Not Found\n", content_type="text/plain; charset=utf-8")
        response.headers.setdefault("Content-Security-Policy", FEED_CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if not response.streaming and "Content-Length" not in response:  # as CommonMiddleware does
            response.headers["Content-Length"] = str(len(response.content))
        return response
