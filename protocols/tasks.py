"""Background work of the protocols app (django-tasks; enqueued on commit by services)."""
from __future__ import annotations

from django_tasks import task

from protocols import services


@task()
def send_action_reminder(action_id: int) -> bool:
    """Remind the responsible person of one overdue action (see ``services.action_send_reminder``)."""
    return services.action_send_reminder(action_id=action_id)
