"""Background work of the scheduling journey: invitation e-mails and reminders.

Services enqueue these inside ``transaction.on_commit`` (django-tasks has no enqueue-on-commit),
so a rolled-back change never sends mail. Arguments are ids: the task reads the state as it is
when it runs. With ``TASK_BACKEND=database`` they run in ``manage.py db_worker``.
"""
from __future__ import annotations

from django.db import transaction
from django_tasks import task

from permissions import audit


@task()
def send_conference_mail(conference_id: int, invitation_id: int, method: str) -> bool:
    from . import imip
    from .models import Conference, Invitation

    conference = Conference.objects.select_related("case__network", "convenor").get(pk=conference_id)
    invitation = Invitation.objects.select_related("user", "organisation", "family_member__user").get(pk=invitation_id)
    message = imip.build_message(conference, invitation, method=method)
    if message is None:
        audit.record("task", action="conference.mail_skipped", obj=invitation, case_id=conference.case_id,
                     channel=audit.Channel.EMAIL, detail={"method": method, "reason": "no address"})
        return False
    message.send()
    audit.record("task", action="conference.mail_sent", obj=invitation, case_id=conference.case_id,
                 channel=audit.Channel.EMAIL, detail={"method": method, "sequence": conference.sequence})
    return True


@task()
def send_conference_reminder(conference_id: int) -> int:
    from . import imip
    from .models import Conference, Invitation

    conference = Conference.objects.select_related("case__network").get(pk=conference_id)
    if conference.status != Conference.Status.SCHEDULED:
        return 0
    sent = 0
    invitations = (conference.invitations.filter(removed_at__isnull=True).exclude(rsvp=Invitation.Rsvp.DECLINED)
                   .select_related("user", "organisation", "family_member__user"))
    for invitation in invitations:
        message = imip.build_reminder(conference, invitation)
        if message is not None:
            message.send()
            sent += 1
    audit.record("task", action="conference.reminder_sent", obj=conference, case_id=conference.case_id,
                 channel=audit.Channel.EMAIL, detail={"recipients": sent})
    return sent


@task()
def send_review_reminder(case_id: int) -> bool:
    from . import imip
    from .models import Case

    case = Case.objects.select_related("lead_caseworker").get(pk=case_id)
    message = imip.build_review_reminder(case, case.lead_caseworker)
    if message is None:
        return False
    message.send()
    audit.record("task", action="case.review_reminder_sent", obj=case, case_id=case.pk, channel=audit.Channel.EMAIL)
    return True


def enqueue_on_commit(task_obj, *args) -> None:
    transaction.on_commit(lambda: task_obj.enqueue(*args))
