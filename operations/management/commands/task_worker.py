"""The task worker of a production installation: django-tasks-db's ``db_worker`` plus a
heartbeat, and tasks of dead workers queued again (``operations.reaper``). Same options."""
from __future__ import annotations

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from operations.reaper import Heartbeat, beat, reap_stale_tasks


class Command(DbWorkerCommand):
    help = "Run the database task worker with a heartbeat; re-queue tasks left running by a dead worker."

    def handle(self, *args, **options) -> None:
        worker_id = options["worker_id"]
        beat(worker_id)
        reaped = reap_stale_tasks()
        if reaped["requeued"] or reaped["failed"]:
            self.stderr.write(f"tasks of stopped workers: queued again {len(reaped['requeued'])}, "
                              f"failed {len(reaped['failed'])}")
        heartbeat = Heartbeat(worker_id)
        heartbeat.start()
        try:
            super().handle(*args, **options)
        finally:
            heartbeat.stop()
