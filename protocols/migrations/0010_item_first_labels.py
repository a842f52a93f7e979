"""An item remembers the labels it carried before its first relabel (holder, entrusting person,
category), so that a relabel never frees it from the consent it was entrusted under.

Items relabelled before this migration get those labels back from the audit trail: the first
``protocol.item.disclose`` event of each item that changed a restricted item's labels names them
under ``detail.from``."""

import django.db.models.deletion
from django.db import migrations, models


def first_labels_from_the_audit_trail(apps, schema_editor):
    AuditEvent = apps.get_model("permissions", "AuditEvent")
    ProtocolItem = apps.get_model("protocols", "ProtocolItem")
    Organisation = apps.get_model("participants", "Organisation")
    FamilyMember = apps.get_model("cases", "FamilyMember")
    done: set[str] = set()
    events = AuditEvent.objects.filter(action="protocol.item.disclose").order_by("at", "pk").values_list("object_id", "detail")
    for object_id, detail in events.iterator():
        before, after = (detail or {}).get("from") or {}, (detail or {}).get("to") or {}
        if object_id in done or before.get("audience") != "restricted" or not before.get("category"):
            continue
        labels = ("holder", "entrusted_by", "category")
        if all(before.get(label) == after.get(label) for label in labels):
            continue
        done.add(object_id)
        holder, entruster = before.get("holder"), before.get("entrusted_by")
        ProtocolItem.objects.filter(pk=object_id, first_category="").update(
            first_category=before["category"],
            first_holding_organisation_id=holder if holder and Organisation.objects.filter(pk=holder).exists() else None,
            first_entrusted_by_id=entruster if entruster and FamilyMember.objects.filter(pk=entruster).exists() else None,
        )


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0001_initial'),
        ('participants', '0008_familymember_moved_to_cases'),
        ('protocols', '0009_case_moved_to_cases'),
        ('permissions', '0015_case_moved_to_cases'),
    ]

    operations = [
        migrations.AddField(
            model_name='protocolitem',
            name='first_category',
            field=models.CharField(blank=True, choices=[('addiction_treatment', 'Addiction treatment'), ('pregnancy_health', 'Pregnancy and health'), ('parenting_child_welfare', 'Parenting and child welfare'), ('finances_housing', 'Finances and housing')], db_default='', default='', max_length=32, verbose_name='first information category'),
        ),
        migrations.AddField(
            model_name='protocolitem',
            name='first_entrusted_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cases.familymember', verbose_name='first entrusted by'),
        ),
        migrations.AddField(
            model_name='protocolitem',
            name='first_holding_organisation',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='participants.organisation', verbose_name='organisation first holding the information'),
        ),
        migrations.RunPython(first_labels_from_the_audit_trail, migrations.RunPython.noop),
    ]
