"""Services queue background tasks by name (``permissions.jobs``); tasks import services, never the reverse."""
from __future__ import annotations

import pytest
from django.db import transaction

from conferences import services as conference_services
from conferences import tasks as conference_tasks
from permissions import jobs
from protocols import services as protocol_services
from protocols import tasks as protocol_tasks


def test_every_task_a_service_names_is_registered():
    assert jobs.get(conference_services.SEND_CONFERENCE_MAIL) is conference_tasks.send_conference_mail
    assert jobs.get(conference_services.SEND_POLL_INVITATION) is conference_tasks.send_poll_invitation
    assert jobs.get(protocol_services.SEND_ACTION_REMINDER) is protocol_tasks.send_action_reminder


def test_a_misnamed_task_fails_in_the_service_not_silently_later():
    with pytest.raises(LookupError):
        jobs.enqueue_on_commit("conferences.tasks.no_such_task", 1)


@pytest.mark.django_db
def test_a_rolled_back_change_queues_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            jobs.enqueue_on_commit(protocol_services.SEND_ACTION_REMINDER, 1)
            raise RuntimeError("rolled back")
    assert callbacks == []
