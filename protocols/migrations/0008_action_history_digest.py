"""Each action's digest of its progress notes (issue 13), kept by a trigger on the notes and
backfilled here from the notes already recorded (protocols/action_history.py)."""

from django.db import migrations, models

from protocols import action_history


def install_and_backfill(apps, schema_editor):
    action_history.install(schema_editor.connection.alias)
    action_history.backfill(schema_editor.connection.alias)


def uninstall(apps, schema_editor):
    action_history.uninstall(schema_editor.connection.alias)


class Migration(migrations.Migration):

    dependencies = [
        ('protocols', '0007_board_models_moved_to_board'),
    ]

    operations = [
        migrations.AddField(
            model_name='agreedaction',
            name='history_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='agreedaction',
            name='history_reopened',
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name='agreedaction',
            name='history_status',
            field=models.CharField(blank=True, default='', editable=False, max_length=12),
        ),
        migrations.RunPython(install_and_backfill, uninstall),
        migrations.AddIndex(
            model_name='agreedaction',
            index=models.Index(condition=models.Q(('history_reopened', True)), fields=['case'], name='agreedaction_reopened_case'),
        ),
    ]
