"""``manage.py flag_unanswered_referrals``: flag referrals unanswered after the network's number
of working days and notify their senders (run daily, e.g. from cron)."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from offers.referral_services import referrals_flag_unanswered


class Command(BaseCommand):
    help = "Flag referrals that were not answered in time and notify their senders (each referral once)."

    def handle(self, *args, **options) -> None:
        flagged = referrals_flag_unanswered()
        self.stdout.write(f"Referrals flagged as unanswered: {flagged}.")
