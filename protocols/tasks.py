"""Background work of the protocols app: each task calls one service. Services queue them after
commit by name through ``permissions.jobs`` (this module imports the services, never the reverse)."""
from __future__ import annotations

from django_tasks import task

from permissions import jobs
from permissions.audit import Channel
from protocols import access_windows, services


@jobs.register
@task()
def send_action_reminder(action_id: int) -> bool:
    """Remind the responsible person of one overdue action (see ``services.action_send_reminder``)."""
    return services.action_send_reminder(action_id=action_id)


@jobs.register
@task()
def announce_action_assigned(action_id: int, actor_id: int | None = None, version: int | None = None) -> bool:
    """Tell the people a new (or handed-over) agreed action falls to (see ``services.action_assigned_announce``)."""
    return services.action_assigned_announce(action_id=action_id, actor_id=actor_id, version=version)


@jobs.register
@task()
def announce_action_handed_over(action_id: int, actor_id: int | None, version: int, user_ids: list[int],
                                to_organisation: bool) -> bool:
    """Tell the people an action was taken from that it is no longer theirs (see ``services.action_handed_over_announce``)."""
    return services.action_handed_over_announce(action_id=action_id, actor_id=actor_id, version=version,
                                                user_ids=user_ids, to_organisation=to_organisation)


@jobs.register
@task()
def announce_passed_windows(since: str | None = None, channel: str = Channel.TASK) -> dict:
    """Daily: tell open protocol screens of cases whose access windows passed (``manage.py expire_grants``)."""
    return access_windows.passed_windows_announce(since=since, channel=channel)
