"""``manage.py seed_privacy_demo`` (called by ``seed_demo``): two data-subject requests in Kreis
Heinsberg, so that the demo data-protection officer (``datenschutz.hs``) sees a populated
dashboard: the mother's access request (she has an account) and the father's request for
rectification (no account), already past its deadline. Idempotent: a request is created only when
its person has none of that kind; recorded through the service, so deadlines and audit events
are real."""
from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, no_translations
from django.db import transaction
from django.utils import timezone

from cases.models import Case, FamilyMember
from participants.models import User
from privacy import services
from privacy.models import DataSubjectRequest

Kind, Check = DataSubjectRequest.Kind, DataSubjectRequest.IdentityCheck
DEMO = [  # (case, relation, kind, received days ago, identity check, what she asks for)
    ("HS-2026-014", FamilyMember.Relation.MOTHER, Kind.ACCESS, 12, Check.ACCOUNT,
     "Möchte wissen, wer ihre Daten gelesen hat."),
    ("HS-2026-014", FamilyMember.Relation.FATHER, Kind.RECTIFICATION, 40, Check.DOCUMENT,
     "Das Geburtsjahr ist falsch eingetragen."),
]


class Command(BaseCommand):
    help = "Create the demo data-subject requests for Kreis Heinsberg's data-protection officer (safe to run again)."

    @no_translations
    def handle(self, *args, **options) -> None:
        officer = User.objects.filter(username="datenschutz.hs").first()
        if officer is None:
            self.stdout.write("Data-subject requests: no demo data-protection officer, nothing created.")
            return
        today, created = timezone.localdate(), 0
        with transaction.atomic():
            for reference, relation, kind, days_ago, check, description in DEMO:
                case = Case.objects.filter(network__slug="kreis-heinsberg", reference=reference).select_related("network").first()
                member = FamilyMember.objects.filter(case=case, relation=relation).order_by("pk").first() if case else None
                if member is None or DataSubjectRequest.objects.filter(family_member=member, kind=kind).exists():
                    continue
                services.request_record(officer, case=case, family_member=member, kind=kind,
                                        received_on=today - dt.timedelta(days=days_ago), identity_check=check,
                                        description=description, channel="command")
                created += 1
        self.stdout.write(f"Data-subject requests: {created} created.")
