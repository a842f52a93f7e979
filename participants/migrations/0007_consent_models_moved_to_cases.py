"""Issue 14: the case models left this app for ``cases`` (see cases/migrations/0001_initial.py).
State only: their tables, rows, constraints and triggers stay as they are (``db_table``)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('participants', '0006_network_holiday_region'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveField(
                model_name='consentscope',
                name='consent',
            ),
            migrations.RemoveField(
                model_name='disclosurebasis',
                name='case',
            ),
            migrations.RemoveField(
                model_name='disclosurebasis',
                name='from_organisation',
            ),
            migrations.RemoveField(
                model_name='disclosurebasis',
                name='invoked_by',
            ),
            migrations.RemoveField(
                model_name='disclosurebasis',
                name='to_organisations',
            ),
            migrations.RemoveField(
                model_name='familymember',
                name='case',
            ),
            migrations.RemoveField(
                model_name='familymember',
                name='user',
            ),
            migrations.DeleteModel(
                name='Consent',
            ),
            migrations.DeleteModel(
                name='ConsentScope',
            ),
            migrations.DeleteModel(
                name='DisclosureBasis',
            ),
        ], database_operations=[]),
    ]
