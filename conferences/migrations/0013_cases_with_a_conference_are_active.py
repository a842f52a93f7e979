"""A case is "new" until its first conference is planned (``cases.services.case_activate``, called
by ``conference_create``). Before that rule, no service moved a case on: every case that already
has a conference, whatever became of it, is active. Closed cases stay closed.

No audit event is written here (the hash-chained audit trail is written by services, not by
migrations); the status is derived from data that is audited (the conference's creation). The
reverse deliberately leaves the cases active: "new" was never a state anyone chose for them."""
from django.db import migrations


def activate(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Conference = apps.get_model("conferences", "Conference")
    Case.objects.filter(status="new", pk__in=Conference.objects.values("case_id")).update(status="active")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_initial"),
        ("conferences", "0012_delete_case_models_moved_to_cases"),
    ]

    operations = [migrations.RunPython(activate, migrations.RunPython.noop)]
