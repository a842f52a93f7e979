"""The reaper queues again a task left "running" by a dead worker — not one of a live worker —
and gives up after TASK_MAX_ATTEMPTS deaths. (The whole story with a killed worker process is
tests/operations/test_faults_worker.py, on PostgreSQL.)"""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from operations.models import WorkerHeartbeat
from operations.reaper import LOST, beat, reap_stale_tasks

pytestmark = pytest.mark.django_db


def running(worker_ids: list[str], *, minutes_ago: int) -> DBTaskResult:
    task = DBTaskResult.objects.create(args_kwargs={"args": [1], "kwargs": {}}, task_path="outbox.tasks.deliver_mail",
                                       backend_name="default", run_after=get_date_max(), status="RUNNING",
                                       worker_ids=worker_ids)
    DBTaskResult.objects.filter(pk=task.pk).update(started_at=timezone.now() - dt.timedelta(minutes=minutes_ago))
    return task


def test_a_task_of_a_silent_worker_is_queued_again_and_one_of_a_live_worker_is_left_alone(settings):
    settings.TASK_WORKER_STALE_SECONDS, settings.TASK_MAX_ATTEMPTS = 60, 3
    now = timezone.now()
    beat("alive", now=now - dt.timedelta(seconds=5))
    beat("dead", now=now - dt.timedelta(minutes=5))
    orphan = running(["dead"], minutes_ago=6)
    never_beat = running(["plain-db-worker"], minutes_ago=6)  # started by db_worker without a heartbeat
    long_task = running(["alive"], minutes_ago=30)
    just_started = running(["dead"], minutes_ago=0)  # not stale yet: its worker may only be slow to beat

    outcome = reap_stale_tasks(now=now)

    assert sorted(outcome["requeued"]) == sorted([str(orphan.pk), str(never_beat.pk)]) and outcome["failed"] == []
    statuses = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert statuses[orphan.pk] == "READY" and statuses[never_beat.pk] == "READY"
    assert statuses[long_task.pk] == "RUNNING" and statuses[just_started.pk] == "RUNNING"
    assert orphan.pk in set(DBTaskResult.objects.ready().values_list("pk", flat=True))  # a worker will claim it


def test_a_task_whose_worker_died_too_often_is_failed_not_queued_again(settings):
    settings.TASK_WORKER_STALE_SECONDS, settings.TASK_MAX_ATTEMPTS = 60, 3
    task = running(["w1", "w2", "w3"], minutes_ago=10)
    outcome = reap_stale_tasks()
    task.refresh_from_db()
    assert outcome["failed"] == [str(task.pk)]
    assert task.status == "FAILED" and task.exception_class_path == LOST and task.finished_at is not None


def test_heartbeats_older_than_a_day_are_forgotten():
    beat("gone", now=timezone.now() - dt.timedelta(days=2))
    beat("here")
    reap_stale_tasks()
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["here"]
