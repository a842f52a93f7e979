"""Walk every audit chain and name the first broken link of each broken chain."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from permissions import audit
from permissions.models import AuditChainHead


class Command(BaseCommand):
    help = "Verify the hash chains of the audit trail; exits 1 and names the first broken link when one is broken."

    def handle(self, *args, **options):
        broken = audit.verify_all()
        chains = AuditChainHead.objects.count()
        if not broken:
            self.stdout.write(self.style.SUCCESS(f"audit trail intact ({chains} chain(s))"))
            return
        for link in broken:
            self.stdout.write(f"BROKEN {link}")
        self.stdout.write(f"{len(broken)} of {chains} chain(s) broken")
        raise SystemExit(1)
