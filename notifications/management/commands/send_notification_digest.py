from django.core.management.base import BaseCommand

from notifications.mail import digest_send


class Command(BaseCommand):
    help = "Send the daily notification digest to everyone who chose it (run once a day, e.g. from cron)."

    def handle(self, *args, **options):
        sent = digest_send()
        self.stdout.write(f"{sent} digest e-mail(s) sent.")
