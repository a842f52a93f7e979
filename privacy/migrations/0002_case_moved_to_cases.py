"""Issue 14: the case (and its family) moved from ``conferences``/``participants`` to ``cases``;
the foreign keys here point at the same tables as before, so this changes the state only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0001_initial'),
        ('privacy', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name='datasubjectrequest',
                name='case',
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cases.case', verbose_name='case'),
            ),
            migrations.AlterField(
                model_name='datasubjectrequest',
                name='family_member',
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='data_subject_requests', to='cases.familymember', verbose_name='person'),
            ),
            migrations.AlterField(
                model_name='processingrestriction',
                name='family_member',
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='processing_restrictions', to='cases.familymember', verbose_name='person'),
            ),
        ], database_operations=[]),
    ]
