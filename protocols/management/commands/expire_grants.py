"""Daily: tell open protocol screens of the cases whose consents, legal bases or explicit grants
began or ended since the last run.

Cron (shortly after midnight, in the project's TIME_ZONE):
    15 0 * * *  cd /srv/fallkonferenz && .venv/bin/python manage.py expire_grants
"""
from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from permissions import audit
from protocols import tasks


class Command(BaseCommand):
    help = (
        "Push an access change to the open protocol screens of exactly the cases whose consents, legal bases "
        "or explicit grants opened or expired since the last run (run daily). Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--enqueue", action="store_true", help="Queue the work for the task worker instead of running it here.")
        parser.add_argument("--since", help="Treat this date (YYYY-MM-DD) as the last run, e.g. after the job was down for a while.")

    def handle(self, *args, enqueue: bool = False, since: str | None = None, **options):
        if since:
            try:
                dt.date.fromisoformat(since)
            except ValueError as exc:
                raise CommandError(f"--since must be a date like 2026-01-31: {exc}") from exc
        if enqueue:
            result = tasks.announce_passed_windows.enqueue(since=since)
            self.stdout.write(f"queued task {result.id}")
            return
        result = tasks.announce_passed_windows.call(since=since, channel=audit.Channel.COMMAND)
        self.stdout.write(f"windows {result['since']} .. {result['today']}: {len(result['cases'])} case(s) told")
