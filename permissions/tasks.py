"""Background work of the permissions app: the scheduled retention run."""
from __future__ import annotations

from django_tasks import task

from permissions import audit


@task()
def apply_retention(dry_run: bool = False) -> dict:
    """Scheduled retention run (``permissions.retention.retention_apply``): erase cases past their
    retention, purge old tokens and sessions, prune the audit trail behind checkpoints."""
    from permissions.retention import retention_apply

    return retention_apply(dry_run=dry_run, channel=audit.Channel.TASK).as_dict()
