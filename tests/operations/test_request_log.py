"""One request id in the response header, on the log lines and on the audit events of a request;
access lines carry the user's id, never a name, and paths without tokens."""
from __future__ import annotations

import json
import logging

import pytest

from permissions.logging import JsonFormatter, RedactFeedTokens, RequestContext
from permissions.models import AuditEvent


@pytest.fixture
def access_lines(caplog):
    caplog.set_level(logging.INFO, logger="fallkonferenz.access")
    logger = logging.getLogger("fallkonferenz.access")
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)


def test_response_and_audit_events_carry_the_same_request_id(world, login):
    client = login(world.convenor)
    before = AuditEvent.objects.count()
    response = client.get(f"/cases/{world.case.pk}/")
    assert response.status_code == 200
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    new_events = AuditEvent.objects.order_by("pk")[before:]
    assert new_events and all(event.detail.get("request_id") == request_id for event in new_events)


def test_a_request_id_from_the_proxy_is_kept_and_a_malformed_one_replaced(client, db):
    assert client.get("/health/live", HTTP_X_REQUEST_ID="abcdef0123456789")["X-Request-ID"] == "abcdef0123456789"
    replaced = client.get("/health/live", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"]
    assert replaced != "<script>" and len(replaced) == 32


def test_access_line_names_user_id_status_duration_and_no_name(world, login, access_lines):
    client = login(world.convenor)
    response = client.get(f"/cases/{world.case.pk}/?q=secret")
    record = [r for r in access_lines.records if r.name == "fallkonferenz.access"][-1]
    assert record.user_id == world.convenor.pk
    assert record.status == 200 and record.duration_ms >= 0
    assert record.path == f"/cases/{world.case.pk}/"
    line = JsonFormatter().format(_with_context(record))
    entry = json.loads(line)
    assert entry["request_id"] == response["X-Request-ID"]
    assert entry["level"] == "INFO" and entry["time"].endswith("+00:00")
    assert world.convenor.username not in line and "secret" not in line


def test_feed_tokens_are_redacted_in_access_lines(client, db, access_lines):
    client.get("/feeds/AbCdEfGhIjKlMnOpQrStUvWx0123456789/actions.ics")
    record = [r for r in access_lines.records if r.name == "fallkonferenz.access"][-1]
    assert "AbCdEfGhIjKlMnOp" not in record.path
    RedactFeedTokens().filter(record)
    assert "AbCdEfGhIjKlMnOp" not in record.getMessage()


def _with_context(record: logging.LogRecord) -> logging.LogRecord:
    RequestContext().filter(record)
    return record
