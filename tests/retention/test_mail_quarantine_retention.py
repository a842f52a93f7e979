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

    call_command("apply_retention")
    assert not old.exists() and not marker.exists()
    assert fresh.exists()
    assert "quarantined mail files deleted" not in retention_apply().other_rows  # idempotent


def test_retention_runs_when_no_message_was_ever_quarantined(settings, tmp_path):
    settings.INBOUND_MAIL_QUARANTINE_DIR = tmp_path / "never-made"
    assert "quarantined mail files deleted" not in retention_apply().other_rows
    assert not settings.INBOUND_MAIL_QUARANTINE_DIR.exists()
