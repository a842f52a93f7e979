"""A task worker killed mid-task, and two senders of one message at once — on PostgreSQL, with a
real SMTP server on loopback and ``manage.py task_worker`` as a subprocess (as the worker unit
runs it). The killed task is queued again once the dead worker's heartbeat is stale, runs again,
and its effect — the e-mail — happens exactly once. Bounded in time; skipped without PostgreSQL."""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from conferences import services
from outbox.models import OutboxMessage
from outbox.mail import serialise
from outbox.services import mail_deliver
from permissions.models import AuditEvent
from tests.conferences.helpers import convene
from tests.operations.deployment import ROOT, free_port
from tests.operations.servers import production_env, stop
from tests.operations.smtp_server import SMTPServer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def require_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://… (.ci/run's second run does)")


@pytest.fixture
def smtp(settings):
    server = SMTPServer(free_port())
    server.start()
    settings.EMAIL_BACKEND = "outbox.backends.OutboxEmailBackend"  # as in production: every mail via the outbox
    settings.OUTBOX_TRANSPORT_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 20
    yield server
    server.hold_data.clear()
    server.stop()


def wait_until(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what}: not within {timeout} s")


@contextlib.contextmanager
def task_worker(smtp_port: int, log: Path):
    env = production_env(TASK_BACKEND="database", EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}", REDIS_URL="",
                         TASK_WORKER_HEARTBEAT_SECONDS="1", TASK_WORKER_STALE_SECONDS="3", LOG_LEVEL="INFO")
    with open(log, "a") as out:
        process = subprocess.Popen([sys.executable, "manage.py", "task_worker", "--no-startup-delay", "--interval", "0.2"],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        stop(process)


def test_a_worker_killed_while_sending_leaves_nothing_lost_and_nothing_sent_twice(world, smtp, settings, tmp_path):
    settings.TASK_BACKEND = "database"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    conference = convene(world)
    services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    assert DBTaskResult.objects.ready().exists() and OutboxMessage.objects.count() == 0  # all waits for the worker

    smtp.hold_data.set()  # the first message to reach DATA hangs there: a send in flight
    log = tmp_path / "worker.log"
    with task_worker(smtp.port, log) as first:
        wait_until(smtp.holding.is_set, timeout=60, what="a worker sending a message")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    in_flight = DBTaskResult.objects.running().get()
    assert in_flight.task_path == "outbox.tasks.deliver_mail"
    assert smtp.received == []
    smtp.hold_data.clear()  # the dead client's message is never accepted

    with task_worker(smtp.port, log):
        def all_done() -> bool:
            return (not DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists()
                    and not OutboxMessage.objects.filter(status="pending").exists())
        wait_until(all_done, timeout=90, what="the queue drained")

    in_flight.refresh_from_db()
    assert in_flight.status == "SUCCESSFUL" and len(in_flight.worker_ids) == 2  # queued again, run by the next worker
    rows = list(OutboxMessage.objects.all())
    assert rows and all(row.status == "sent" for row in rows)
    assert sorted(m.message_id for m in smtp.received) == sorted({m.message_id for m in smtp.received})
    assert len(smtp.received) == len(rows)
    for invitation in conference.invitations.exclude(user=world.convenor):
        assert AuditEvent.objects.filter(action="conference.mail_sent", object_id=str(invitation.pk)).count() == 1
    assert "queued again" in log.read_text()


def test_two_senders_of_one_message_send_it_once(world, smtp):
    from django.core.mail import EmailMessage

    # Stored as mail_queue stores it, without its hand-over to a worker (this test is the workers).
    message = EmailMessage("Erinnerung", "Text", from_email="fk@example.org", to=[world.counsellor.email])
    row = OutboxMessage.objects.create(key="test:one", kind="reminder", recipient=world.counsellor.email,
                                       from_email=message.from_email, recipients=message.recipients(),
                                       raw=serialise(message), next_attempt_at=timezone.now())
    smtp.hold_data.set()
    outcomes: list[str] = []

    def first_sender() -> None:
        try:
            outcomes.append(mail_deliver(message_id=row.pk))
        finally:
            connection.close()

    sender = threading.Thread(target=first_sender)
    sender.start()
    wait_until(smtp.holding.is_set, timeout=30, what="the first sender in flight")
    assert mail_deliver(message_id=row.pk) == "skipped"  # locked by the first: not sent a second time
    smtp.hold_data.clear()  # the first attempt ends without the server's acceptance
    sender.join(timeout=30)
    assert outcomes == ["retry"] and smtp.received == []
    assert mail_deliver(message_id=row.pk, now=timezone.now() + dt.timedelta(hours=1)) == "sent"
    assert mail_deliver(message_id=row.pk, now=timezone.now() + dt.timedelta(hours=2)) == "skipped"
    assert [m.recipients for m in smtp.received] == [[world.counsellor.email]]
