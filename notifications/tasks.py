"""Background e-mail of notifications (queued by ``services.notify`` after commit)."""
from __future__ import annotations

from django_tasks import task

from .mail import notification_emails_send


@task()
def send_notification_emails(notification_ids: list[int]) -> int:
    return notification_emails_send(notification_ids=notification_ids)
