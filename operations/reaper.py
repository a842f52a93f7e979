"""Tasks whose worker died: django-tasks-db leaves a task "running" for ever when its worker is
killed mid-task. Each ``manage.py task_worker`` beats (``WorkerHeartbeat``) and, on start and at
every beat, queues again the running tasks whose worker has gone quiet. A task that lost its
worker ``TASK_MAX_ATTEMPTS`` times is marked failed instead (it may be what kills the worker).

Running a task again is safe because the tasks are idempotent: each task's effects commit in one
transaction, the e-mail tasks find their outbox entry from the first run, and the outbox sends a
message under its row lock and marks it sent in the same transaction.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .models import WorkerHeartbeat

logger = logging.getLogger("fallkonferenz.tasks")

LOST = "operations.reaper.WorkerLost"


def beat(worker_id: str, *, now: dt.datetime | None = None) -> None:
    WorkerHeartbeat.objects.update_or_create(worker_id=worker_id, defaults={
        "seen_at": now or timezone.now(), "host": socket.gethostname()[:255], "pid": os.getpid()})


def last_beat() -> dt.datetime | None:
    return WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()


@transaction.atomic
def reap_stale_tasks(*, now: dt.datetime | None = None) -> dict[str, list[str]]:
    """Queue again (or fail, after ``TASK_MAX_ATTEMPTS`` runs) every running task whose worker
    has not beaten for ``TASK_WORKER_STALE_SECONDS``. Returns the task ids by outcome."""
    now = now or timezone.now()
    stale_before = now - dt.timedelta(seconds=settings.TASK_WORKER_STALE_SECONDS)
    alive = set(WorkerHeartbeat.objects.filter(seen_at__gte=stale_before).values_list("worker_id", flat=True))
    outcome: dict[str, list[str]] = {"requeued": [], "failed": []}
    running = (DBTaskResult.objects.running().filter(started_at__lt=stale_before)
               .select_for_update(skip_locked=True).order_by("started_at"))
    for task in running:
        if task.worker_ids and task.worker_ids[-1] in alive:
            continue  # a long task of a live worker
        if len(task.worker_ids) >= settings.TASK_MAX_ATTEMPTS:
            task.status = TaskResultStatus.FAILED
            task.finished_at = now
            task.exception_class_path = LOST
            task.traceback = f"its worker stopped {len(task.worker_ids)} times while running it"
            task.save(update_fields=["status", "finished_at", "exception_class_path", "traceback"])
            outcome["failed"].append(str(task.pk))
            logger.error("task %s (%s) failed: its worker died %s times", task.pk, task.task_path, len(task.worker_ids))
        else:
            task.status = TaskResultStatus.READY
            task.save(update_fields=["status"])
            outcome["requeued"].append(str(task.pk))
            logger.warning("task %s (%s) queued again: worker %s stopped beating", task.pk, task.task_path,
                           task.worker_ids[-1] if task.worker_ids else "?")
    WorkerHeartbeat.objects.filter(seen_at__lt=now - dt.timedelta(days=1)).delete()
    return outcome


class Heartbeat(threading.Thread):
    """Beats and reaps in the background of a worker process, on its own database connection."""

    def __init__(self, worker_id: str):
        super().__init__(name="task-worker-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                beat(self.worker_id)
                reap_stale_tasks()
            except Exception:  # the database may be restarting: beat again next time
                logger.exception("task worker heartbeat failed")
            finally:
                connection.close()
            self.stopped.wait(settings.TASK_WORKER_HEARTBEAT_SECONDS)

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)
        try:
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
        finally:
            connection.close()
