"""Rename parents' accounts whose user name contains their case reference (issue 15).

They keep signing in with their e-mail address, which does not change; the new name is shown
on their account page."""
import secrets

from django.db import migrations
from django.utils.text import slugify


def rename(apps, schema_editor):
    FamilyMember = apps.get_model("participants", "FamilyMember")
    User = apps.get_model("participants", "User")
    for member in FamilyMember.objects.filter(user__isnull=False).select_related("user", "case"):
        reference = (member.case.reference or "").lower()
        if not reference or reference not in member.user.username.lower():
            continue
        base = slugify(member.display_name) or "parent"
        while True:
            candidate = f"{base}.{secrets.token_hex(3)}"
            if not User.objects.filter(username__iexact=candidate).exists():
                break
        User.objects.filter(pk=member.user_id).update(username=candidate)


class Migration(migrations.Migration):
    dependencies = [
        ("participants", "0004_membership_is_lead"),
        ("conferences", "0005_alter_reminderlog_kind"),
    ]

    operations = [migrations.RunPython(rename, migrations.RunPython.noop)]
