"""Background work of the permissions app: only the former name of the retention run.

The retention rules moved to ``operations.retention`` and their task to
``operations.tasks.apply_retention`` (issue 14). A run queued under the old name before an upgrade
must still run, so the old name stays a task that calls the new one, found by name through
``permissions.jobs`` (operations is above this app: it registers the task from its
``AppConfig.ready``). Nothing queues this name any more.
"""
from __future__ import annotations

from django_tasks import task

from permissions import jobs


@task()
def apply_retention(dry_run: bool = False) -> dict:
    """Former name of ``operations.tasks.apply_retention``: runs it here, with the same result."""
    return jobs.get("operations.tasks.apply_retention").call(dry_run=dry_run)
