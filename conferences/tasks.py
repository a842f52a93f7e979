"""Background work of the scheduling journey: invitation e-mails and reminders.

Each task calls one service of ``conferences.mail_services``; services queue them after commit by
name through ``permissions.jobs`` (this module imports the services, never the reverse). Arguments
are ids: the service reads the state as it is when the task runs. With ``TASK_BACKEND=database``
they run in ``manage.py task_worker``. Each passes its run's key (the task result's id, the same
when the reaper queues the task again) so that the service queues its e-mail once.
"""
from __future__ import annotations

from django_tasks import task

from permissions import jobs

from . import mail_services


def _run_key(context) -> str:
    return f"task:{context.task_result.id}"


@jobs.register
@task(takes_context=True)
def send_conference_mail(context, conference_id: int, invitation_id: int, method: str, sequence: int | None = None) -> bool:
    return mail_services.conference_mail_send(conference_id=conference_id, invitation_id=invitation_id,
                                              method=method, sequence=sequence, run_key=_run_key(context))


@jobs.register
@task(takes_context=True)
def send_conference_reminder(context, conference_id: int) -> int:
    return mail_services.conference_reminder_send(conference_id=conference_id, run_key=_run_key(context))


@jobs.register
@task(takes_context=True)
def send_review_reminder(context, case_id: int) -> bool:
    return mail_services.review_reminder_send(case_id=case_id, run_key=_run_key(context))


@jobs.register
@task(takes_context=True)
def send_poll_invitation(context, invitation_id: int) -> bool:
    return mail_services.poll_invitation_send(invitation_id=invitation_id, run_key=_run_key(context))


@jobs.register
@task(takes_context=True)
def send_poll_deadline_reminder(context, conference_id: int) -> bool:
    return mail_services.poll_deadline_reminder_send(conference_id=conference_id, run_key=_run_key(context))
