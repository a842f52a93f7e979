"""The board's models left for the ``board`` app (issue 14): removed from this app's state only;
their tables stay as they are and now belong to ``board`` (see board/migrations/0001_initial.py)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('protocols', '0006_corrections_decided_by_lapsed_next_review'),
        ('board', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveField(
                model_name='boardmeetinginvitation',
                name='meeting',
            ),
            migrations.RemoveField(
                model_name='boardmeetinginvitation',
                name='user',
            ),
            migrations.RemoveField(
                model_name='halfyearsummary',
                name='computed_by',
            ),
            migrations.RemoveField(
                model_name='halfyearsummary',
                name='network',
            ),
            migrations.RemoveField(
                model_name='halfyearsummary',
                name='published_by',
            ),
            migrations.RemoveField(
                model_name='yearlyreport',
                name='computed_by',
            ),
            migrations.RemoveField(
                model_name='yearlyreport',
                name='network',
            ),
            migrations.RemoveField(
                model_name='yearlyreport',
                name='published_by',
            ),
            migrations.DeleteModel(
                name='BoardMeeting',
            ),
            migrations.DeleteModel(
                name='BoardMeetingInvitation',
            ),
            migrations.DeleteModel(
                name='HalfYearSummary',
            ),
            migrations.DeleteModel(
                name='YearlyReport',
            ),
        ], database_operations=[]),
    ]
