"""Walk every audit chain, compare the trail with the newest anchor outside the database, and name
the first broken link of each broken chain. The result is recorded as an ``audit.verify`` event
(as the dashboard's button records it), so the data-protection officer sees the scheduled check."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import DatabaseError, transaction

from permissions import anchors, audit
from permissions.models import AuditChain


class Command(BaseCommand):
    help = ("Verify the keyed hash chains of the audit trail, the registry of chains and the newest signed anchor "
            "in AUDIT_ANCHOR_DIR; exits 1 and names the first broken link of each broken chain. Records the result "
            "for the data-protection officer's dashboard unless --no-record is given.")

    def add_arguments(self, parser):
        parser.add_argument("--anchors", type=Path, default=None, help="directory of the anchors (default: AUDIT_ANCHOR_DIR)")
        parser.add_argument("--no-record", action="store_true",
                            help="write nothing into the database (e.g. when checking a restored backup copy)")

    def handle(self, *args, **options):
        broken = anchors.verify_trail(options["anchors"])
        chains = AuditChain.objects.count()
        anchor = anchors.newest_anchor(options["anchors"])
        if not options["no_record"]:
            self._record(broken, options["anchors"])
        against = f", checked against {anchor.name}" if anchor else ", no anchor written yet"
        if not broken:
            self.stdout.write(self.style.SUCCESS(f"audit trail intact ({chains} chain(s){against})"))
            return
        for link in broken:
            self.stdout.write(f"BROKEN {link}")
        self.stdout.write(f"{len(broken)} broken link(s) in {chains} chain(s){against}")
        raise SystemExit(1)

    def _record(self, broken, directory) -> None:
        # A trail broken badly enough that the result cannot be appended must still be reported
        # (and exit 1): the failure to record is said, never allowed to hide the verdict.
        try:
            with transaction.atomic():
                anchors.record_verification("verify_audit", broken=broken, channel=audit.Channel.COMMAND,
                                            directory=directory)
        except DatabaseError as error:
            self.stderr.write(f"the result could not be recorded in the audit trail: {error}")
