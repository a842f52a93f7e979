"""Optional error reporting to a Sentry-compatible service (``SENTRY_DSN``), without personal data.

``send_default_pii=False`` keeps user names, e-mail and IP addresses out; ``scrub_event`` removes
what the SDK would still attach: request bodies, cookies, headers, query strings, the user (but
her id), local variables of stack frames, and tokens in paths and messages. Breadcrumbs carry
SQL with parameters and log messages: dropped.
"""
from __future__ import annotations

from typing import Any

from permissions.logging import redact_path

KEPT_HEADERS = {"user-agent", "x-request-id", "content-type", "accept"}


def scrub_event(event: dict[str, Any], hint: dict | None = None) -> dict[str, Any]:
    request = event.get("request")
    if isinstance(request, dict):
        for field in ("data", "cookies", "query_string", "env"):
            request.pop(field, None)
        if "url" in request:
            request["url"] = redact_path(str(request["url"]).split("?", 1)[0])
        headers = request.get("headers") or {}
        request["headers"] = {k: v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    event.pop("breadcrumbs", None)
    for exception in (event.get("exception") or {}).get("values", []):
        if isinstance(exception.get("value"), str):
            exception["value"] = redact_path(exception["value"])
        for frame in (exception.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        logentry.pop("params", None)
        for field in ("message", "formatted"):
            if isinstance(logentry.get(field), str):
                logentry[field] = redact_path(logentry[field])
    if isinstance(event.get("transaction"), str):
        event["transaction"] = redact_path(event["transaction"])
    return event


def init_error_reporting(dsn: str, *, environment: str, transport=None) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        max_breadcrumbs=0,
        traces_sample_rate=0,
        before_send=scrub_event,
        integrations=[DjangoIntegration()],
        transport=transport,
    )
