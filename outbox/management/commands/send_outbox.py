"""Send the queued e-mails that are due, then forget old sent and failed ones (timer: every minute)."""
from django.core.management.base import BaseCommand

from outbox.services import mail_flush, mail_purge


class Command(BaseCommand):
    help = "Send due e-mails from the outbox (retries with back-off) and purge old ones."

    def handle(self, *args, **options):
        counts = mail_flush()
        purged = mail_purge()
        summary = ", ".join(f"{outcome}: {n}" for outcome, n in sorted(counts.items())) or "nothing due"
        self.stdout.write(f"outbox: {summary}; purged {purged}")
