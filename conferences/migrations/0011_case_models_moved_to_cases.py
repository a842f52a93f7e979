"""Issue 14: the case models left this app for ``cases`` (see cases/migrations/0001_initial.py).
State only: their tables, rows, constraints and triggers stay as they are (``db_table``)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0001_initial'),
        ('conferences', '0010_remove_feedtoken_state'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveField(
                model_name='case',
                name='lead_caseworker',
            ),
            migrations.RemoveField(
                model_name='case',
                name='lead_organisation',
            ),
            migrations.RemoveField(
                model_name='case',
                name='network',
            ),
            migrations.RemoveField(
                model_name='legalhold',
                name='case',
            ),
            migrations.RemoveField(
                model_name='caseteammember',
                name='case',
            ),
            migrations.AlterField(
                model_name='conference',
                name='case',
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='conferences', to='cases.case', verbose_name='case'),
            ),
            migrations.AlterField(
                model_name='reminderlog',
                name='case',
                field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reminders', to='cases.case'),
            ),
            migrations.RemoveField(
                model_name='caseteammember',
                name='organisation',
            ),
            migrations.RemoveField(
                model_name='caseteammember',
                name='user',
            ),
            migrations.RemoveField(
                model_name='legalhold',
                name='lifted_by',
            ),
            migrations.RemoveField(
                model_name='legalhold',
                name='lifted_on_instruction_of',
            ),
            migrations.RemoveField(
                model_name='legalhold',
                name='set_by',
            ),
            migrations.RemoveField(
                model_name='legalhold',
                name='set_on_instruction_of',
            ),
            migrations.AlterField(
                model_name='invitation',
                name='family_member',
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='invitations', to='cases.familymember', verbose_name='family member'),
            ),
        ], database_operations=[]),
    ]
