"""``manage.py purge_contact_requests``: delete handled contact requests after their network's period."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from offers.contact_services import contact_requests_purge


class Command(BaseCommand):
    help = "Delete contact requests handled longer ago than the network's retention period (run daily)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"Contact requests deleted: {contact_requests_purge()}.")
