"""Issue 14: the case (and its family) moved from ``conferences``/``participants`` to ``cases``;
the foreign keys here point at the same tables as before, so this changes the state only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0001_initial'),
        ('permissions', '0014_audit_head_follows_events'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name='auditevent',
                name='case',
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cases.case', verbose_name='case'),
            ),
            migrations.AlterField(
                model_name='caseerasure',
                name='case',
                field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='erasure', to='cases.case', verbose_name='case'),
            ),
        ], database_operations=[]),
    ]
