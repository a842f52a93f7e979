"""Re-encrypt every second-factor secret under the first of MFA_ENCRYPTION_KEYS (key rotation)."""
from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.core.management.base import BaseCommand
from django.db import transaction

from permissions import audit, mfa


class Command(BaseCommand):
    help = "Re-encrypt all second-factor secrets under the newest key of MFA_ENCRYPTION_KEYS."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        count = 0
        for authenticator in Authenticator.objects.select_for_update().filter(type__in=list(mfa.SECRET_FIELDS)):
            data = mfa.encrypt_authenticator_data(authenticator.type, authenticator.data)
            Authenticator.objects.filter(pk=authenticator.pk).update(data=data)
            count += 1
        audit.record(None, action="mfa.keys.rotate", object_type="mfa.authenticator", channel=audit.Channel.COMMAND,
                     detail={"authenticators": count})
        self.stdout.write(f"Re-encrypted {count} second-factor secrets under the newest key.")
