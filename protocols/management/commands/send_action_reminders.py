"""Queue reminders for overdue agreed actions (run daily, e.g. from cron or a systemd timer)."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from protocols import services


class Command(BaseCommand):
    help = "Queue a reminder for every overdue agreed action that was not reminded in the last week."

    def handle(self, *args, **options) -> None:
        count = services.action_reminders_queue()
        self.stdout.write(f"Queued {count} reminder(s).")
