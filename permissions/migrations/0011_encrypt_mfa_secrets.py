"""Encrypt the second-factor secrets stored in the clear before permissions.mfa existed."""
from django.db import migrations


def encrypt_secrets(apps, schema_editor):
    from permissions import mfa

    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.filter(type__in=list(mfa.SECRET_FIELDS)).iterator():
        data = mfa.encrypt_authenticator_data(
            authenticator.type, authenticator.data,
            transform=lambda value: value if mfa.is_encrypted(value) else mfa.encrypt(value))
        if data != authenticator.data:
            Authenticator.objects.filter(pk=authenticator.pk).update(data=data)


def decrypt_secrets(apps, schema_editor):
    from permissions import mfa

    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.filter(type__in=list(mfa.SECRET_FIELDS)).iterator():
        data = mfa.encrypt_authenticator_data(authenticator.type, authenticator.data, transform=mfa.decrypt)
        Authenticator.objects.filter(pk=authenticator.pk).update(data=data)


class Migration(migrations.Migration):
    dependencies = [
        ("permissions", "0010_audit_chain_registry"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt_secrets, decrypt_secrets)]
