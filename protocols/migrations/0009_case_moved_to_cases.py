"""Issue 14: the case (and its family) moved from ``conferences``/``participants`` to ``cases``;
the foreign keys here point at the same tables as before, so this changes the state only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0001_initial'),
        ('protocols', '0008_action_history_digest'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name='agreedaction',
                name='case',
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='actions', to='cases.case', verbose_name='case'),
            ),
            migrations.AlterField(
                model_name='agreedaction',
                name='responsible_family_member',
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='actions', to='cases.familymember', verbose_name='responsible parent'),
            ),
            migrations.AlterField(
                model_name='protocolitem',
                name='entrusted_by',
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='entrusted_items', to='cases.familymember', verbose_name='entrusted by'),
            ),
        ], database_operations=[]),
    ]
