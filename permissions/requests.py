"""One id per request (or websocket connection): in the response header, on every log line and on
every audit event written while serving it, so an operator can follow one request through all
three. The access log line carries the user's id (never a name), the path with tokens redacted
and without the query string, the status and the duration."""
from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid

REQUEST_ID_HEADER = "X-Request-ID"
# The reverse proxy may hand its own id on (nginx: $request_id); anything else is replaced.
_ACCEPTED_ID = re.compile(r"^[A-Za-z0-9\-]{8,64}$")

# Tokens in feed, poll-link and parent-link paths never reach a log line or an error report.
TOKEN_IN_PATH = re.compile(r"(/(?:feeds|poll-link|p)/)[A-Za-z0-9_\-]{16,}")


def redact_path(path: str) -> str:
    return TOKEN_IN_PATH.sub(r"\1[redacted]", path)


request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
# Answers of the access policy remembered for the rest of one read-only request (see
# ``request_memo``); None outside such a request.
request_memo_var: contextvars.ContextVar[dict | None] = contextvars.ContextVar("request_memo", default=None)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
access_logger = logging.getLogger("fallkonferenz.access")


def new_request_id(offered: str | None = None) -> str:
    if offered and _ACCEPTED_ID.match(offered):
        return offered
    return uuid.uuid4().hex


def current_request_id() -> str:
    return request_id_var.get()


def request_memo(key: tuple, compute):
    """``compute()``, asked at most once per ``key`` while serving one GET/HEAD/OPTIONS request: the
    case page asked "is she a parent of this case / on its team?" twice each (once for the read's
    audit basis, once for the page), one statement every time. Only for safe methods, so no change
    of memberships, teams or families made while serving the request can be answered from before
    it; outside a request (services, tasks, websocket consumers, tests calling the policy) every
    call computes."""
    memo = request_memo_var.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


class RequestIdMiddleware:
    """First in MIDDLEWARE, so its timing and status cover everything below it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        request.request_id = new_request_id(request.headers.get(REQUEST_ID_HEADER))
        token = request_id_var.set(request.request_id)
        memo_token = request_memo_var.set({} if request.method in SAFE_METHODS else None)
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request.request_id
            user = getattr(request, "user", None)
            user_id = user.pk if user is not None and user.is_authenticated else None
            path, duration = redact_path(request.path), round((time.monotonic() - started) * 1000, 1)
            access_logger.info(
                "%s %s %s %sms user=%s", request.method, path, response.status_code, duration, user_id or "-",
                extra={"method": request.method, "path": path, "status": response.status_code,
                       "duration_ms": duration, "user_id": user_id},
            )
            return response
        finally:
            request_memo_var.reset(memo_token)
            request_id_var.reset(token)


class WebsocketRequestId:
    """ASGI middleware for websocket connections: one id for the connection's lifetime."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        offered = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        token = request_id_var.set(new_request_id(offered))
        try:
            return await self.app(scope, receive, send)
        finally:
            request_id_var.reset(token)
