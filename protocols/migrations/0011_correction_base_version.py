"""A correction proposal records the version of the item it was written on (``base_version``), so
that accepting it never silently undoes a correction accepted meanwhile (review h6, H6-1).

Existing proposals: a pending one is taken as written on the item's current text, i.e. its
version now. That is what deciding it did until now, and no later check can know better (no
earlier version of an item is stored). One consequence, accepted knowingly: a pending proposal
written before another one on the same item was accepted can still be accepted once after this
migration, as before. Decided (accepted, rejected, lapsed) proposals keep NULL: their base was
never recorded, and they are decided no more."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def pending_based_on_the_current_text(apps, schema_editor):
    CorrectionProposal = apps.get_model("protocols", "CorrectionProposal")
    ProtocolItem = apps.get_model("protocols", "ProtocolItem")
    CorrectionProposal.objects.filter(status="pending", base_version__isnull=True).update(
        base_version=Subquery(ProtocolItem.objects.filter(pk=OuterRef("item_id")).values("version")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ('protocols', '0010_item_first_labels'),
    ]

    operations = [
        migrations.AddField(
            model_name='correctionproposal',
            name='base_version',
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name='item version proposed on'),
        ),
        migrations.RunPython(pending_based_on_the_current_text, migrations.RunPython.noop),
    ]
