"""``manage.py generate_processing_records``: store a new version of every network's record of
processing activities whose configuration changed (seed_demo runs it; safe to run any time)."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from participants.models import Network
from records import services


class Command(BaseCommand):
    help = "Generate each network's record of processing activities (GDPR Art. 30); stores a version only when it changed."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--actor", default="generate_processing_records", choices=sorted(services.SYSTEM_ACTORS),
                        help="Name recorded in the audit trail.")

    def handle(self, *args, actor: str, **options) -> None:
        for network in Network.objects.order_by("name"):
            record, created = services.processing_record_refresh(actor, network=network)
            state = "stored" if created else "unchanged"
            self.stdout.write(f"Record of processing activities, {network.slug}: version {record.version} ({state}).")
