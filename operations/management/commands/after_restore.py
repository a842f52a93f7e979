"""``manage.py after_restore``: run once on a restored database before the service starts on it
(README, "Backup and restore"): the content version jumps past the lost timeline's numbers and
the shared cache is emptied of its own entries (``operations.restore``)."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from operations.restore import prepare_restored_database


class Command(BaseCommand):
    help = "After a restore: raise the content version past the lost timeline's and empty the cache."

    def handle(self, *args, **options):
        restored = prepare_restored_database()
        self.stdout.write(f"content version {restored.version_before} -> {restored.version_after}; cache emptied. "
                          "Now start (or restart) the web service and the worker.")
