"""Background work of the access policy.

``refresh_date_bound_grants`` brings guardian grants in line with consents and legal bases whose
validity window opened or closed since its last run. The policy itself filters by date at query
time, so nothing is disclosed late or early in the meantime; this keeps the guardian face
(``get_objects_for_user``) in step. Run it daily, shortly after midnight (``manage.py
expire_grants``, or ``expire_grants --enqueue`` to hand it to ``manage.py db_worker``).
"""
from __future__ import annotations

import datetime as dt

from django_tasks import task

from permissions import audit, grants


@task()
def refresh_date_bound_grants(since: str | None = None, channel: str = audit.Channel.TASK) -> dict:
    """``since``: ISO date to treat as the last run (default: the stored last run, else yesterday)."""
    run = grants.expire_grants(since=dt.date.fromisoformat(since) if since else None)
    result = {
        "since": run.since.isoformat(), "today": run.today.isoformat(), "cases": run.case_ids,
        "removed": len(run.drift.extra), "added": len(run.drift.missing),
    }
    audit.record(channel, action="grants.windows_refreshed", object_type="permissions.grants",
                 channel=channel, detail=result)
    return result


@task()
def apply_retention(dry_run: bool = False) -> dict:
    """Scheduled retention run (``permissions.retention.retention_apply``): erase cases past their
    retention, purge old tokens and sessions, prune the audit trail behind checkpoints."""
    from permissions.retention import retention_apply

    return retention_apply(dry_run=dry_run, channel=audit.Channel.TASK).as_dict()
