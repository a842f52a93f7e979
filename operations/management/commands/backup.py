"""``manage.py backup``: a consistent copy of the database into BACKUP_DIR (see README,
"Backup and restore"); exits non-zero, naming the cause, when it could not be made."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from operations.backup import BackupError, backup_database, prune


class Command(BaseCommand):
    help = "Back up the database (pg_dump, or SQLite's online backup API) into BACKUP_DIR."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=None, help="target folder (default: BACKUP_DIR)")
        parser.add_argument("--keep", type=int, default=settings.BACKUP_KEEP,
                            help="backups to keep in the folder; older ones are deleted (0 keeps all)")

    def handle(self, *args, **options):
        target_dir = Path(options["dir"] or settings.BACKUP_DIR)
        try:
            path = backup_database(target_dir)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        removed = prune(target_dir, keep=options["keep"])
        self.stdout.write(f"backup written: {path} ({path.stat().st_size} bytes); {len(removed)} older removed")
