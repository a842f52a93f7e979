"""``manage.py send_session_reminders``: remind families of their sessions in the next 48 hours."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from offers.track_services import sessions_remind


class Command(BaseCommand):
    help = "E-mail families a reminder of programme-track sessions in the next 48 hours (each session once)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"Session reminders sent: {sessions_remind()}.")
