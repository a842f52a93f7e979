"""Optional error reporting sends no personal data: tested through the real SDK with a transport
that keeps the envelopes instead of sending them."""
from __future__ import annotations

import pytest

from permissions.error_reporting import init_error_reporting, scrub_event

TOKEN = "AbCdEfGhIjKlMnOpQrStUvWx0123456789"


def test_scrubbing_removes_bodies_cookies_headers_query_and_user_details():
    event = {
        "request": {"url": f"https://x.example/feeds/{TOKEN}/a.ics?name=Sarah", "data": {"text": "Protokoll"},
                    "cookies": {"sessionid": "s"}, "query_string": "name=Sarah",
                    "headers": {"Cookie": "sessionid=s", "Authorization": "x", "User-Agent": "ua"}},
        "user": {"id": 7, "username": "sarah.mutter", "email": "s@example.org", "ip_address": "1.2.3.4"},
        "breadcrumbs": {"values": [{"message": "SELECT ... 'Sarah'"}]},
        "exception": {"values": [{"value": f"bad /p/{TOKEN}", "stacktrace": {"frames": [{"vars": {"name": "Sarah"}}]}}]},
    }
    scrubbed = scrub_event(event)
    text = repr(scrubbed)
    for secret in (TOKEN, "Sarah", "sessionid", "Protokoll", "sarah.mutter", "s@example.org", "1.2.3.4", "Authorization"):
        assert secret not in text
    assert scrubbed["user"] == {"id": 7}
    assert scrubbed["request"]["headers"] == {"User-Agent": "ua"}


@pytest.mark.django_db
def test_an_error_in_a_view_reaches_the_reporter_without_personal_data(world, client, settings):
    import sentry_sdk
    from sentry_sdk.transport import Transport

    sent: list = []

    class Keep(Transport):
        def capture_envelope(self, envelope):
            sent.append(envelope.serialize().decode("utf-8", "replace"))

    init_error_reporting("https://public@127.0.0.1/1", environment="test", transport=Keep)
    try:
        with sentry_sdk.isolation_scope():
            client.force_login(world.parent)
            try:
                raise RuntimeError(f"failed at /feeds/{TOKEN}/")
            except RuntimeError:
                sentry_sdk.capture_exception()
        sentry_sdk.flush()
    finally:
        sentry_sdk.init()  # no DSN: reporting off again for the rest of the run
    assert sent, "the reporter received nothing"
    assert TOKEN not in sent[0]
    assert "RuntimeError" in sent[0]
