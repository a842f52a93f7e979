"""Every e-mail goes through the outbox (``EMAIL_BACKEND = outbox.backends.OutboxEmailBackend``),
not only the scheduling journey's: a board invitation and allauth's password-reset mail sent while
the mail server is down wait as pending rows and arrive exactly once when it is back; a
rolled-back change sends nothing; a message without a conference that fails for good is named by
``manage.py doctor``, logged and audited (without the address)."""
from __future__ import annotations

import datetime as dt
import email
import logging
from io import StringIO

import pytest
from django.core.mail import send_mail
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from outbox.models import OutboxMessage
from outbox.services import mail_flush
from permissions.models import AuditEvent
from records.facts import build_record_content
from tests.board.test_board_invitations import schedule
from tests.operations.deployment import free_port
from tests.operations.smtp_server import SMTPServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings):
    server = SMTPServer(free_port())  # not started: the mail server is down
    settings.EMAIL_BACKEND = "outbox.backends.OutboxEmailBackend"  # as in production
    settings.OUTBOX_TRANSPORT_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.LANGUAGE_CODE = "en"
    yield server
    server.stop()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _message_id(row: OutboxMessage) -> str:
    return email.message_from_bytes(bytes(row.raw))["Message-ID"]


def test_a_board_invitation_and_a_password_reset_sent_while_smtp_is_down_arrive_once_when_it_is_back(
        world, smtp, committed, client):
    with committed():
        schedule(world)
    with committed():
        response = client.post(reverse("account_reset_password"), {"email": world.counsellor.email})
    assert response.status_code == 302
    rows = list(OutboxMessage.objects.filter(kind="mail").order_by("pk"))
    assert [r.recipients for r in rows] == [[world.board_member.email], [world.counsellor.email]]
    # tried at once after commit, refused by the absent server: waiting, not lost
    assert all(r.status == "pending" and r.attempts == 1 and r.last_error == "ConnectionRefusedError" for r in rows)
    assert smtp.received == []
    queued_ids = [_message_id(r) for r in rows]

    later = timezone.now() + dt.timedelta(hours=1)
    with committed():
        assert mail_flush(now=later) == {"retry": 1}  # still down: stops at the first, nothing sent
    smtp.start()
    with committed():
        assert mail_flush(now=later + dt.timedelta(hours=1)) == {"sent": 2}
    with committed():
        assert mail_flush(now=later + dt.timedelta(days=1)) == {}  # nothing is sent twice

    assert sorted(m.message_id for m in smtp.received) == sorted(queued_ids)
    invitation, reset = (email.message_from_bytes(m.data) for m in
                         sorted(smtp.received, key=lambda m: queued_ids.index(m.message_id)))
    assert [p.get_param("method") for p in invitation.walk() if p.get_content_type() == "text/calendar"] == ["REQUEST"]
    body = "".join(p.get_payload(decode=True).decode() for p in reset.walk() if p.get_content_type() == "text/plain")
    assert "/password/reset/key/" in body
    assert {r.status for r in OutboxMessage.objects.filter(pk__in=[r.pk for r in rows])} == {"sent"}


def test_a_mail_sent_in_a_rolled_back_transaction_is_never_sent(world, smtp, committed):
    smtp.start()
    with committed():
        with pytest.raises(RuntimeError), transaction.atomic():
            send_mail("Zugang", "Text", None, [world.counsellor.email])
            raise RuntimeError("the change fails after the mail was written")
        send_mail("Andere", "Text", None, [world.midwife.email])
    assert [m.recipients for m in smtp.received] == [[world.midwife.email]]
    assert list(OutboxMessage.objects.values_list("recipients", flat=True)) == [[world.midwife.email]]


def test_a_mail_without_a_conference_that_fails_for_good_is_audited_logged_and_named_by_doctor(
        world, smtp, committed, caplog, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    with caplog.at_level(logging.ERROR, logger="fallkonferenz.outbox"), committed():
        send_mail("Zugang", "Ihr Link: https://example.org/secret", None, [world.counsellor.email])
    row = OutboxMessage.objects.get()
    assert row.status == "failed" and row.conference_id is None and bytes(row.raw) == b""  # no copy of the link kept
    assert any(f"message {row.pk} (mail) failed for good" in r.getMessage() for r in caplog.records)
    event = AuditEvent.objects.get(action="mail.failed")
    assert event.object_id == str(row.pk) and event.detail["reason"] == "ConnectionRefusedError"
    assert world.counsellor.email not in str(event.detail) and "secret" not in str(event.detail)

    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("doctor", "--skip-smtp", stdout=out)
    assert "PROBLEM mail: 1 e-mail(s) could not be delivered after the last attempt (kinds: mail" in out.getvalue()


def test_the_processing_record_names_how_long_the_outbox_keeps_recipient_addresses(world, settings):
    settings.OUTBOX_KEEP_DAYS = 12
    retention = {row["record"]: row for row in build_record_content(world.network)["retention"]}
    assert retention["outgoing_mail"] == {"record": "outgoing_mail", "value": 12, "unit": "days_after_queuing"}
