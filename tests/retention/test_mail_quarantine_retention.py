"""Quarantined inbound mail (``manage.py receive_mail``) is kept for INBOUND_MAIL_KEEP_DAYS,
then deleted by the daily retention run: it holds what a sender wrote about a family."""
from __future__ import annotations

import datetime as dt
import os

import pytest
from django.core.management import call_command
from django.utils import timezone

from conferences import mail_quarantine
from operations.retention import retention_apply
from permissions.models import AuditEvent

pytestmark = pytest.mark.django_db


def _aged(path, days: float):
    when = (timezone.now() - dt.timedelta(days=days)).timestamp()
    os.utime(path, (when, when))
    return path


def test_quarantined_messages_and_retry_markers_past_their_time_are_deleted(settings, tmp_path):
    settings.INBOUND_MAIL_QUARANTINE_DIR = tmp_path / "quarantine"
    settings.INBOUND_MAIL_KEEP_DAYS = 30
    now = timezone.now()
    old = _aged(mail_quarantine.store(settings.INBOUND_MAIL_QUARANTINE_DIR, b"Subject: old\r\n\r\nx", digest="a" * 64, now=now), 31)
    fresh = _aged(mail_quarantine.store(settings.INBOUND_MAIL_QUARANTINE_DIR, b"Subject: new\r\n\r\ny", digest="b" * 64, now=now), 29)
    mail_quarantine.retry_mark(settings.INBOUND_MAIL_QUARANTINE_DIR, "c" * 64)
    marker = _aged(settings.INBOUND_MAIL_QUARANTINE_DIR / "retry" / ("c" * 64), 40)

    preview = retention_apply(dry_run=True)
    assert preview.other_rows["quarantined mail files deleted"] == 2
    assert old.exists() and marker.exists()  # a dry run deletes nothing

    assert not AuditEvent.objects.filter(action="retention.inbound_mail_purged").exists()  # rolled back with the rest

    call_command("apply_retention")
    assert not old.exists() and not marker.exists()
    assert fresh.exists()
    assert "quarantined mail files deleted" not in retention_apply().other_rows  # idempotent
    # Like the other retention steps: one event for the step, what was deleted by kind, no content.
    event = AuditEvent.objects.get(action="retention.inbound_mail_purged")
    assert (event.actor_label, event.channel) == ("retention", "command")
    assert event.detail["source"] == "pipe" and event.detail["count"] == 2
    assert event.detail["deleted"] == {"messages": 1, "retry markers": 1}
    assert "a" * 12 not in str(event.detail) and "Subject" not in str(event.detail)


def test_retention_runs_when_no_message_was_ever_quarantined(settings, tmp_path):
    settings.INBOUND_MAIL_QUARANTINE_DIR = tmp_path / "never-made"
    assert "quarantined mail files deleted" not in retention_apply().other_rows
    assert not settings.INBOUND_MAIL_QUARANTINE_DIR.exists()
    assert not AuditEvent.objects.filter(action="retention.inbound_mail_purged").exists()
