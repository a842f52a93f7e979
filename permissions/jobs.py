"""Background tasks named by their import path, enqueued after the transaction commits.

Tasks call services, never the other way round: an app's ``tasks.py`` imports its services, so a
service cannot import the task it wants to queue. It names it instead —
``jobs.enqueue_on_commit("conferences.tasks.send_conference_mail", ...)`` — and the task module
registers itself with ``@jobs.register`` when its ``AppConfig.ready`` imports it. django-tasks
has no enqueue-on-commit of its own; a rolled-back change queues nothing.
"""
from __future__ import annotations

from typing import Any

from django.db import transaction
from django_tasks.base import Task

_registry: dict[str, Task] = {}


def register(task_obj: Task) -> Task:
    """Decorator for a ``@task()``: make it reachable by its import path."""
    _registry[task_obj.module_path] = task_obj
    return task_obj


def get(path: str) -> Task:
    try:
        return _registry[path]
    except KeyError:
        raise LookupError(f"no background task registered as {path!r}; is its tasks module imported in ready()?") from None


def enqueue_on_commit(path: str, *args: Any, **kwargs: Any) -> None:
    """Queue the task after commit. The name is checked now, so a typo fails in the service."""
    task_obj = get(path)
    transaction.on_commit(lambda: task_obj.enqueue(*args, **kwargs))
