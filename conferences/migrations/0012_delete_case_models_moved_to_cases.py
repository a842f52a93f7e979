"""Issue 14: the case models left this app for ``cases`` (see cases/migrations/0001_initial.py).
State only: their tables, rows, constraints and triggers stay as they are (``db_table``)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('calendars', '0002_case_moved_to_cases'),
        ('conferences', '0011_case_models_moved_to_cases'),
        ('notifications', '0006_case_moved_to_cases'),
        ('offers', '0003_case_moved_to_cases'),
        ('outbox', '0003_case_moved_to_cases'),
        ('participants', '0007_consent_models_moved_to_cases'),
        ('permissions', '0015_case_moved_to_cases'),
        ('privacy', '0002_case_moved_to_cases'),
        ('protocols', '0009_case_moved_to_cases'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.DeleteModel(
                name='Case',
            ),
            migrations.DeleteModel(
                name='CaseTeamMember',
            ),
            migrations.DeleteModel(
                name='LegalHold',
            ),
        ], database_operations=[]),
    ]
