"""Queue due reminders once each (safe to run from cron every few minutes, or before db_worker).

- Invitees of a scheduled conference, ``network.reminder_days_before`` days before it starts.
- The convenor, when a poll's deadline for answers has passed and no date was picked.
- The lead caseworker, when a case's next review date is within ``--review-days`` days and
  no conference is scheduled or being polled for it.
- The lead caseworker, once per end date, when a consent or a recorded legal basis of her case
  ends within two weeks (a notification).

Each reminder is recorded in ``ReminderLog`` (unique per conference start / review date) in the
same transaction that queues it, so a second run queues nothing new.
"""
from __future__ import annotations

import datetime as dt
import functools

from django.core.management.base import BaseCommand
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from cases.services import consent_endings_notify
from cases.models import Case
from conferences.models import Conference, ReminderLog
from conferences.tasks import send_conference_reminder, send_poll_deadline_reminder, send_review_reminder
from permissions import audit


def _queue(log: ReminderLog, task_obj, arg: int) -> bool:
    try:
        with transaction.atomic():
            log.save()
            transaction.on_commit(functools.partial(task_obj.enqueue, arg))
    except IntegrityError:
        return False
    return True


def queue_conference_reminders(now: dt.datetime) -> int:
    queued = 0
    candidates = Conference.objects.filter(
        status=Conference.Status.SCHEDULED, starts_at__gt=now, starts_at__lte=now + dt.timedelta(days=31),
    ).select_related("case__network")
    for conference in candidates:
        if conference.starts_at - dt.timedelta(days=conference.case.network.reminder_days_before) > now:
            continue
        about = conference.starts_at.isoformat()
        if ReminderLog.objects.filter(kind=ReminderLog.Kind.CONFERENCE, conference=conference, about=about).exists():
            continue
        log = ReminderLog(kind=ReminderLog.Kind.CONFERENCE, conference=conference, case_id=conference.case_id, about=about)
        queued += _queue(log, send_conference_reminder, conference.pk)
    return queued


def queue_poll_deadline_reminders(now: dt.datetime) -> int:
    queued = 0
    overdue = Conference.objects.filter(
        status=Conference.Status.POLLING, poll__closes_at__lte=now, poll__chosen_slot__isnull=True,
    ).select_related("poll")
    for conference in overdue:
        about = conference.poll.closes_at.isoformat()
        if ReminderLog.objects.filter(kind=ReminderLog.Kind.POLL_DEADLINE, conference=conference, about=about).exists():
            continue
        log = ReminderLog(kind=ReminderLog.Kind.POLL_DEADLINE, conference=conference, case_id=conference.case_id, about=about)
        queued += _queue(log, send_poll_deadline_reminder, conference.pk)
    return queued


def queue_review_reminders(today: dt.date, review_days: int) -> int:
    queued = 0
    planned = Conference.objects.filter(
        case_id=OuterRef("pk"), status__in=[Conference.Status.POLLING, Conference.Status.SCHEDULED],
    )
    due = (Case.objects.exclude(status=Case.Status.CLOSED)
           .filter(next_review_on__isnull=False, next_review_on__lte=today + dt.timedelta(days=review_days))
           .filter(~Exists(planned)))
    for case in due:
        about = case.next_review_on.isoformat()
        if ReminderLog.objects.filter(kind=ReminderLog.Kind.REVIEW, case=case, conference__isnull=True, about=about).exists():
            continue
        queued += _queue(ReminderLog(kind=ReminderLog.Kind.REVIEW, case=case, about=about), send_review_reminder, case.pk)
    return queued


class Command(BaseCommand):
    help = "Queue conference reminders and next-review reminders that are due (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--review-days", type=int, default=30,
                            help="Remind the convenor this many days before a case's next review (default 30).")

    def handle(self, *args, review_days: int, **options):
        now = timezone.now()
        with transaction.atomic():
            conferences = queue_conference_reminders(now)
            reviews = queue_review_reminders(timezone.localdate(), review_days)
            deadlines = queue_poll_deadline_reminders(now)
            endings = consent_endings_notify(today=timezone.localdate())
            audit.record("send_reminders", action="reminders.queue", object_type="conferences.reminderlog",
                         channel=audit.Channel.COMMAND,
                         detail={"conferences": conferences, "reviews": reviews, "poll_deadlines": deadlines,
                                 "consent_endings": endings})
        self.stdout.write(f"Queued {conferences} conference reminder(s), {reviews} review reminder(s) "
                          f"and {deadlines} poll-deadline reminder(s); {endings} consent/legal-basis ending(s) announced.")
