"""/health/live and /health/ready: status code and one word, rate limited, nothing about the
installation in the answer."""
from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def test_live_answers_ok_without_any_data(client):
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-store" in response["Cache-Control"]


def test_ready_answers_ok_when_database_and_migrations_are_fine(client):
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_ready_says_unavailable_when_a_queued_task_waits_too_long(client, settings):
    from django_tasks_db.models import DBTaskResult

    from operations.reaper import beat

    settings.TASK_BACKEND = "database"
    settings.TASK_QUEUE_MAX_AGE_SECONDS = 60
    task = DBTaskResult.objects.create(args_kwargs={"args": [], "kwargs": {}}, task_path="conferences.tasks.x",
                                       backend_name="default", run_after=timezone.now())
    DBTaskResult.objects.filter(pk=task.pk).update(enqueued_at=timezone.now() - datetime.timedelta(minutes=5))
    beat("worker-1")  # a worker that reports but takes no task is no help either
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.content == b"unavailable\n"
    assert response["Retry-After"] == "5"


def test_ready_needs_a_task_worker_seen_recently(client, settings):
    from operations.reaper import beat

    settings.TASK_BACKEND = "database"
    settings.TASK_QUEUE_MAX_AGE_SECONDS = 60
    assert client.get("/health/ready").status_code == 503  # no worker ever beat
    beat("worker-1", now=timezone.now() - datetime.timedelta(minutes=5))
    assert client.get("/health/ready").status_code == 503  # it stopped beating
    beat("worker-1")
    response = client.get("/health/ready")
    assert response.status_code == 200 and response.content == b"ok\n"


def test_ready_says_unavailable_when_redis_cannot_be_reached(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert b"redis" not in response.content.lower()


def test_ready_says_unavailable_while_a_migration_is_missing(client, monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    from operations import health

    monkeypatch.setattr(health, "_migrations_seen_applied", False)
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("participants", "9999_pending")])
    assert client.get("/health/ready").status_code == 503


def test_health_endpoints_are_rate_limited_per_client(client, settings):
    settings.HEALTH_RATE_LIMIT_PER_MINUTE = 3
    statuses = [client.get("/health/live").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    other = client.get("/health/live", REMOTE_ADDR="127.0.0.9")
    assert other.status_code == 200
