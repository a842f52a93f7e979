"""SMTP down when invitations go out: a real SMTP server on loopback, first down, then up.

The invitations wait in the outbox (the convenor sees them), each failed attempt is retried
after twice the previous delay, nothing is lost and nothing is sent twice; after the last
attempt a message is marked failed and the convenor is told. Bounded: retries are driven by
explicit times, not by waiting."""
from __future__ import annotations

import datetime as dt
import email

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskContext

from conferences import services, tasks
from notifications.models import Kind, Notification
from outbox.models import OutboxMessage
from outbox.services import mail_deliver, mail_flush, mail_queue
from tests.conferences.helpers import convene
from tests.operations.deployment import free_port
from tests.operations.smtp_server import SMTPServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings):
    server = SMTPServer(free_port())  # not started: the mail server is down
    settings.EMAIL_BACKEND = "outbox.backends.OutboxEmailBackend"  # as in production: every mail via the outbox
    settings.OUTBOX_TRANSPORT_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    settings.OUTBOX_MAX_ATTEMPTS = 4
    settings.LANGUAGE_CODE = "en"
    yield server
    server.stop()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _message_id(row: OutboxMessage) -> str:
    return email.message_from_bytes(bytes(row.raw))["Message-ID"]


def _scheduled_while_down(world, committed):
    with committed():
        conference = convene(world)
    with committed():
        services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    return conference


def test_invitations_sent_while_smtp_is_down_are_retried_with_back_off_and_each_delivered_once(world, smtp, committed, client):
    conference = _scheduled_while_down(world, committed)
    # Poll invitations, calendar invitations, and the notification e-mails of the other users.
    rows = list(OutboxMessage.objects.order_by("pk"))
    ours = [r for r in rows if r.conference_id == conference.pk]
    assert len([r for r in ours if r.kind == "invitation"]) >= 3  # counsellor, midwife, mother (not the convenor)
    assert all(r.status == "pending" and r.attempts == 1 and r.last_error == "ConnectionRefusedError" for r in rows)
    assert smtp.received == []
    queued_ids = [_message_id(r) for r in rows]
    assert len(set(queued_ids)) == len(rows)

    client.force_login(world.convenor)
    page = client.get(reverse("conferences:conference_outbox", args=[conference.pk])).content.decode()
    assert "Waiting to be sent" in page
    assert all(r.recipient in page for r in ours)
    detail = client.get(reverse("conferences:conference_detail", args=[conference.pk])).content.decode()
    assert f"{len(ours)} e-mails are waiting to be sent" in detail

    # Still down at the first retry: each waits twice as long for the next.
    first_retry = max(r.next_attempt_at for r in rows)
    # the first retry waits the base delay (measured from queuing, which came a moment before the attempt)
    assert all(dt.timedelta(seconds=60) <= r.next_attempt_at - r.created_at < dt.timedelta(seconds=90) for r in rows)
    with committed():
        assert {mail_deliver(message_id=r.pk, now=first_retry) for r in rows} == {"retry"}
    for row in rows:
        row.refresh_from_db()
        assert row.attempts == 2 and row.next_attempt_at == first_retry + dt.timedelta(seconds=120)
    assert mail_deliver(message_id=rows[0].pk, now=first_retry + dt.timedelta(seconds=60)) == "skipped"  # not due

    smtp.start()
    later = first_retry + dt.timedelta(seconds=120)
    with committed():
        assert mail_flush(now=later) == {"sent": len(rows)}
    with committed():  # the timer and late deliveries of the same messages send nothing more
        assert mail_flush(now=later + dt.timedelta(hours=1)) == {}
        assert {mail_deliver(message_id=r.pk, now=later) for r in rows} == {"skipped"}

    # Every queued message arrived, each once, as it was made when queued (same Message-ID).
    assert sorted(m.message_id for m in smtp.received) == sorted(queued_ids)
    assert sorted(tuple(m.recipients) for m in smtp.received) == sorted(tuple(r.recipients) for r in rows)
    to_counsellor = [email.message_from_bytes(m.data) for m in smtp.received if m.recipients == [world.counsellor.email]]
    calendar_parts = [p for message in to_counsellor for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert [p.get_param("method") for p in calendar_parts] == ["REQUEST"]
    for row in rows:
        row.refresh_from_db()
        assert row.status == "sent" and row.attempts == 3 and bytes(row.raw) == b""  # no copy kept once sent
    detail = client.get(reverse("conferences:conference_detail", args=[conference.pk])).content.decode()
    assert "waiting to be sent" not in detail


def test_after_the_last_attempt_a_message_is_failed_and_the_convenor_is_told(world, smtp, committed, client, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    conference = _scheduled_while_down(world, committed)
    rows = list(OutboxMessage.objects.filter(conference=conference))
    failed_ids = {_message_id(r) for r in rows}
    with committed():
        for row in rows:
            assert mail_deliver(message_id=row.pk, now=timezone.now() + dt.timedelta(hours=1)) == "failed"
    assert OutboxMessage.objects.filter(conference=conference, status="failed").count() == len(rows)
    note = Notification.objects.get(recipient=world.convenor, kind=Kind.MAIL_FAILED)  # one, however many failed
    assert note.url == reverse("conferences:conference_outbox", args=[conference.pk])
    assert not Notification.objects.filter(kind=Kind.MAIL_FAILED).exclude(recipient=world.convenor).exists()
    smtp.start()
    with committed():
        mail_flush(now=timezone.now() + dt.timedelta(days=1))  # other users' notification e-mails go now
    assert smtp.received and not failed_ids & {m.message_id for m in smtp.received}  # failed stays failed
    client.force_login(world.convenor)
    page = client.get(reverse("conferences:conference_outbox", args=[conference.pk])).content.decode()
    assert "Could not be sent" in page and "The mail server could not be reached." in page
    detail = client.get(reverse("conferences:conference_detail", args=[conference.pk])).content.decode()
    assert f"{len(rows)} e-mails could not be sent" in detail


def test_a_task_run_again_after_a_crash_queues_its_mail_once(world, committed, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with committed():
        conference = convene(world)
    conference.refresh_from_db()
    invitation = conference.invitations.get(user=world.counsellor)
    with committed():
        result = tasks.send_poll_invitation.enqueue(invitation.pk)
    first = OutboxMessage.objects.filter(key__startswith=f"task:{result.id}:").get()
    links = invitation.poll_links.count() if hasattr(invitation, "poll_links") else None
    with committed():  # the worker died after the commit, before marking the task done: it runs again
        assert tasks.send_poll_invitation.func(TaskContext(task_result=result), invitation.pk) is True
    assert OutboxMessage.objects.filter(key__startswith=f"task:{result.id}:").get() == first
    if links is not None:
        assert invitation.poll_links.count() == links


def test_an_address_the_server_refuses_fails_at_once_without_retries(world, smtp, committed):
    from django.core.mail import EmailMessage

    smtp.start()
    with committed():
        row = mail_queue(EmailMessage("Einladung", "Text", to=["unknown@example.org"]), key="test:refused",
                         kind="invitation", case_id=world.case.pk, conference_id=world.conference.pk)
    row.refresh_from_db()
    assert row.status == "failed" and row.attempts == 1 and row.last_error == "SMTPRecipientsRefused 550"
    assert Notification.objects.filter(recipient=world.conference.convenor, kind=Kind.MAIL_FAILED).exists()
    # the only message that went out: the convenor's notification e-mail about it
    assert [m.recipients for m in smtp.received] == [[world.conference.convenor.email]]


def test_send_outbox_sends_what_is_due_and_forgets_old_sent_and_failed_messages(world, smtp, committed, settings):
    from django.core.mail import EmailMessage
    from django.core.management import call_command
    from io import StringIO

    with committed():  # down: the message waits
        waiting = mail_queue(EmailMessage("Erinnerung", "Text", to=[world.counsellor.email]), key="test:waiting", kind="reminder")
    old = OutboxMessage.objects.create(key="test:old", kind="reminder", recipient="alt@example.org", from_email="x@example.org",
                                       recipients=["alt@example.org"], status="sent", next_attempt_at=timezone.now())
    OutboxMessage.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=settings.OUTBOX_KEEP_DAYS + 1))
    OutboxMessage.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now())
    smtp.start()
    out = StringIO()
    with committed():
        call_command("send_outbox", stdout=out)
    assert "sent: 1" in out.getvalue() and "purged 1" in out.getvalue()
    waiting.refresh_from_db()
    assert waiting.status == "sent" and not OutboxMessage.objects.filter(pk=old.pk).exists()
    assert [m.recipients for m in smtp.received] == [[world.counsellor.email]]
