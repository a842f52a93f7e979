"""Recompute every guardian grant from the policy, or (``--check``) report the drift only."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from permissions import grants


class Command(BaseCommand):
    help = "Recompute object permissions from the access policy; --check reports drift and exits 1 when there is any."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Report extra and missing grants, change nothing.")

    def handle(self, *args, check: bool = False, **options):
        drift = grants.all_drift() if check else grants.recompute_all()
        for line in drift.lines():
            self.stdout.write(line)
        if not drift:
            self.stdout.write("no drift" if check else "grants were already up to date (no drift)")
            return
        if check:
            self.stdout.write(f"{len(drift.lines())} grant(s) drifted")
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(f"repaired {len(drift.lines())} grant(s)"))
