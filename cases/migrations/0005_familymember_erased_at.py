"""``FamilyMember.erased_at``: that her record was erased, as a fact of its own (before, only her
name held the marker, and a correction typed over it undid the erasure). Records erased before
this migration get the time the audit trail gives: the granted erasure request's closing
(``dsr.close``), else the case's erasure after its retention period, else the migration's time."""

from django.db import migrations, models
from django.utils import timezone

ERASED_MARK = "[erased]"


def _set_erased_at(apps, schema_editor):
    FamilyMember = apps.get_model("cases", "FamilyMember")
    AuditEvent = apps.get_model("permissions", "AuditEvent")
    CaseErasure = apps.get_model("permissions", "CaseErasure")
    now = timezone.now()
    for member in FamilyMember.objects.filter(display_name=ERASED_MARK, erased_at__isnull=True).only("pk", "case_id"):
        closed = (AuditEvent.objects.filter(action="dsr.close", case_id=member.case_id, detail__kind="erasure",
                                            detail__family_member=member.pk, detail__outcome__in=["granted", "partly"])
                  .order_by("at").values_list("at", flat=True).first())
        erased = closed or CaseErasure.objects.filter(case_id=member.case_id).values_list("erased_at", flat=True).first()
        FamilyMember.objects.filter(pk=member.pk).update(erased_at=erased or now)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0004_familymember_account_per_case_access_offer'),
        ('permissions', '0015_case_moved_to_cases'),
    ]

    operations = [
        migrations.AddField(
            model_name='familymember',
            name='erased_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='erased at'),
        ),
        migrations.RunPython(_set_erased_at, migrations.RunPython.noop),
    ]
