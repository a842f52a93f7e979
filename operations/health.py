"""Checks behind ``/health/ready``: each raises ``ServiceUnavailable`` with a short reason that is
logged, never shown (the endpoint answers with a status code and one word)."""
from __future__ import annotations

import dataclasses
import datetime

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable


_migrations_seen_applied = False


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """A process started before ``migrate`` ran (or against the wrong database) is not ready.
    Loading the migration graph is costly: once a process has seen them applied it stops asking
    (a new release restarts the processes)."""

    def run(self) -> None:
        global _migrations_seen_applied
        if _migrations_seen_applied:
            return
        try:
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        finally:
            connection.close()  # this runs in an executor thread: hand the connection back
        if plan:
            raise ServiceUnavailable(f"{len(plan)} migrations not applied")
        _migrations_seen_applied = True


@dataclasses.dataclass
class TaskQueueAge(HealthCheck):
    """The task worker is seen recently: some ``manage.py task_worker`` beat within
    ``TASK_QUEUE_MAX_AGE_SECONDS``, and no task has waited longer than that (a worker that beats
    but takes no tasks is stuck). In-process tasks need no worker."""

    def run(self) -> None:
        if settings.TASK_BACKEND != "database":
            return
        from django_tasks_db.models import DBTaskResult

        from .reaper import last_beat

        try:
            oldest = DBTaskResult.objects.ready().order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
            beaten = last_beat()
        finally:
            connection.close()
        limit = datetime.timedelta(seconds=settings.TASK_QUEUE_MAX_AGE_SECONDS)
        now = timezone.now()
        if beaten is None or now - beaten > limit:
            raise ServiceUnavailable("no task worker heartbeat within TASK_QUEUE_MAX_AGE_SECONDS")
        if oldest is not None and now - oldest > limit:
            raise ServiceUnavailable("oldest waiting task exceeds TASK_QUEUE_MAX_AGE_SECONDS")


def redis_client():
    from redis.asyncio import Redis

    return Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)


def ready_checks() -> list:
    checks: list = ["health_check.checks.Database", MigrationsApplied, TaskQueueAge]
    if settings.REDIS_URL:
        checks.append(("health_check.contrib.redis.Redis", {"client_factory": redis_client}))
    return checks
