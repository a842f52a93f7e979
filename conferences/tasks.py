"""Background work of the scheduling journey: invitation e-mails and reminders.

Each task calls one service of ``conferences.mail_services``; services queue them after commit by
name through ``permissions.jobs`` (this module imports the services, never the reverse). Arguments
are ids: the service reads the state as it is when the task runs. With ``TASK_BACKEND=database``
they run in ``manage.py db_worker``.
"""
from __future__ import annotations

from django_tasks import task

from permissions import jobs

from . import mail_services


@jobs.register
@task()
def send_conference_mail(conference_id: int, invitation_id: int, method: str, sequence: int | None = None) -> bool:
    return mail_services.conference_mail_send(conference_id=conference_id, invitation_id=invitation_id,
                                              method=method, sequence=sequence)


@jobs.register
@task()
def send_conference_reminder(conference_id: int) -> int:
    return mail_services.conference_reminder_send(conference_id=conference_id)


@jobs.register
@task()
def send_review_reminder(case_id: int) -> bool:
    return mail_services.review_reminder_send(case_id=case_id)


@jobs.register
@task()
def send_poll_invitation(invitation_id: int) -> bool:
    return mail_services.poll_invitation_send(invitation_id=invitation_id)


@jobs.register
@task()
def send_poll_deadline_reminder(conference_id: int) -> bool:
    return mail_services.poll_deadline_reminder_send(conference_id=conference_id)
