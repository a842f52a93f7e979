"""Write a signed checkpoint of every audit chain head to AUDIT_ANCHOR_DIR (outside the database).

Run it at intervals (deploy/systemd: every 15 minutes). It first verifies the trail against the
previous anchor and refuses to write a new one over a broken trail, so a rewrite cannot be
laundered into a fresh anchor."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from permissions import anchors


class Command(BaseCommand):
    help = "Verify the audit trail, then write a signed anchor of every chain head to AUDIT_ANCHOR_DIR."

    def add_arguments(self, parser):
        parser.add_argument("--anchors", type=Path, default=None, help="directory of the anchors (default: AUDIT_ANCHOR_DIR)")

    def handle(self, *args, **options):
        broken = anchors.verify_trail(options["anchors"])
        if broken:
            for link in broken:
                self.stdout.write(f"BROKEN {link}")
            self.stdout.write("no anchor written: the trail is broken")
            raise SystemExit(1)
        path = anchors.write_anchor(options["anchors"])
        self.stdout.write(self.style.SUCCESS(f"anchor written: {path}"))
