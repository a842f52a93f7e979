"""Issue 14: the case (and its family) moved from ``conferences``/``participants`` to ``cases``;
the foreign keys here point at the same tables as before, so this changes the state only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0001_initial'),
        ('outbox', '0002_alter_outboxmessage_kind'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name='outboxmessage',
                name='case',
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='cases.case'),
            ),
        ], database_operations=[]),
    ]
