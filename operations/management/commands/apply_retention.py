"""Daily: apply the data-retention rules (operations/retention.py) and print what was done.

Cron (in the project's TIME_ZONE, after expire_grants):
    45 1 * * *  cd /srv/fallkonferenz && .venv/bin/python manage.py apply_retention
Preview first with ``--dry-run``; it changes nothing.
"""
from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from operations import tasks
from operations.retention import retention_apply
from permissions import audit


class Command(BaseCommand):
    help = (
        "Erase the content of cases closed longer ago than CASE_RETENTION_YEARS, delete old revoked or expired "
        "tokens and sessions, and prune audit events older than AUDIT_RETENTION_YEARS behind checkpoints. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report what would be done; change nothing.")
        parser.add_argument("--enqueue", action="store_true", help="Queue the work for the task worker instead of running it here.")
        parser.add_argument("--today", help="Apply the rules as of this date (YYYY-MM-DD) instead of today.")

    def handle(self, *args, dry_run: bool = False, enqueue: bool = False, today: str | None = None, **options):
        day = None
        if today:
            try:
                day = dt.date.fromisoformat(today)
            except ValueError as exc:
                raise CommandError(f"--today must be a date like 2026-01-31: {exc}") from exc
        if enqueue:
            if day is not None:
                raise CommandError("--today cannot be combined with --enqueue")
            result = tasks.apply_retention.enqueue(dry_run=dry_run)
            self.stdout.write(f"queued task {result.id}")
            return
        report = retention_apply(today=day, dry_run=dry_run, channel=audit.Channel.COMMAND)
        for line in report.lines():
            self.stdout.write(line)
        if report.audit_chains_refused:
            self.stderr.write(f"{len(report.audit_chains_refused)} audit chain(s) do not verify and were not pruned; run verify_audit")
            raise SystemExit(1)
