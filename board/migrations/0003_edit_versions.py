"""A ``version`` on the half-year summary (the commentary) and two on the board meeting (its
details, its minutes): a save based on an older version is refused (``permissions/conflicts.py``)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('board', '0002_action_tally'),
        # The tables are created by protocols/0001, 0003 and 0004 (see board/0001_initial). Not
        # protocols/0007, which board/0001 asks for: on a fresh database that pulls protocols/0006
        # in ahead of conferences/0002, whose conference__case it reads.
        ('protocols', '0004_boardmeetinginvitation_yearlyreport'),
    ]

    operations = [
        migrations.AddField(
            model_name='boardmeeting',
            name='minutes_version',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='boardmeeting',
            name='version',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='halfyearsummary',
            name='version',
            field=models.PositiveIntegerField(default=0),
        ),
    ]
