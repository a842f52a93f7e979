"""Delivery of queued e-mail (enqueued after commit by ``services.mail_queue``, and again with
``run_after`` for each retry where the backend defers tasks)."""
from __future__ import annotations

from django_tasks import task

from permissions import jobs

from .services import mail_deliver


@jobs.register
@task()
def deliver_mail(message_id: int) -> str:
    return mail_deliver(message_id=message_id)
