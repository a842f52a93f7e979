"""What the operations app keeps: the task workers' heartbeats."""
from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """Written by each ``manage.py task_worker`` every ``TASK_WORKER_HEARTBEAT_SECONDS``. A task
    left "running" by a worker not heard from for ``TASK_WORKER_STALE_SECONDS`` is queued again
    (``operations.reaper``)."""

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.host}:{self.pid})"
