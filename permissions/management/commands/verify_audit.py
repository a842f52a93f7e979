"""Walk every audit chain, compare the trail with the newest anchor outside the database, and name
the first broken link of each broken chain."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from permissions import anchors
from permissions.models import AuditChain


class Command(BaseCommand):
    help = ("Verify the keyed hash chains of the audit trail, the registry of chains and the newest signed anchor "
            "in AUDIT_ANCHOR_DIR; exits 1 and names the first broken link of each broken chain.")

    def add_arguments(self, parser):
        parser.add_argument("--anchors", type=Path, default=None, help="directory of the anchors (default: AUDIT_ANCHOR_DIR)")

    def handle(self, *args, **options):
        broken = anchors.verify_trail(options["anchors"])
        chains = AuditChain.objects.count()
        anchor = anchors.newest_anchor(options["anchors"])
        against = f", checked against {anchor.name}" if anchor else ", no anchor written yet"
        if not broken:
            self.stdout.write(self.style.SUCCESS(f"audit trail intact ({chains} chain(s){against})"))
            return
        for link in broken:
            self.stdout.write(f"BROKEN {link}")
        self.stdout.write(f"{len(broken)} broken link(s) in {chains} chain(s){against}")
        raise SystemExit(1)
