"""Background work of the operations app: the scheduled retention run (``operations.retention``)."""
from __future__ import annotations

from django_tasks import task

from operations.retention import retention_apply
from permissions import audit, jobs


@jobs.register
@task()
def apply_retention(dry_run: bool = False) -> dict:
    """Scheduled retention run (``operations.retention.retention_apply``): erase cases past their
    retention, purge old tokens and sessions, prune the audit trail behind checkpoints."""
    return retention_apply(dry_run=dry_run, channel=audit.Channel.TASK).as_dict()
