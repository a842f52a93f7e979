"""The board's tally of agreed actions (issue 13): the table, the triggers that keep it and its
first filling from the actions already recorded (PostgreSQL; board/action_tally.py). On SQLite
the table stays empty and the figures are computed from the actions.

No dependency on the protocols migrations that add the actions' digest (protocols/0008): pinning
one reorders the fresh migration of older apps (protocols/0006 then meets a state without the
conference's case). Where the digest is not there yet, this installs nothing, and the
``post_migrate`` handler (board/apps.py) installs the triggers and fills the tally after the
last migration (``action_tally.ensure``)."""

from django.db import migrations, models

from board import action_tally


def install_and_backfill(apps, schema_editor):
    action_tally.ensure(schema_editor.connection.alias)


def uninstall(apps, schema_editor):
    """The way back: drop the triggers, and the tally's content type (with its permissions), which
    post_migrate created; the board's way back before 0001 leaves no content type under
    ``board`` (tests/test_model_moves_migration.py)."""
    action_tally.uninstall(schema_editor.connection.alias)
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.using(schema_editor.connection.alias).filter(app_label="board", model="actiontally").delete()


class Migration(migrations.Migration):

    dependencies = [
        ('board', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.CreateModel(
            name='ActionTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('network_id', models.IntegerField()),
                ('organisation_id', models.IntegerField()),
                ('parent', models.BooleanField()),
                ('reopened', models.BooleanField()),
                ('created_h', models.IntegerField()),
                ('done_h', models.IntegerField()),
                ('dropped_h', models.IntegerField()),
                ('closed_h', models.IntegerField()),
                ('due_h', models.IntegerField()),
                ('days', models.IntegerField()),
                ('n', models.IntegerField()),
                ('delta', models.BooleanField()),
            ],
            options={
                'db_table': 'board_actiontally',
                'indexes': [models.Index(condition=models.Q(('delta', True)), fields=['network_id'], name='actiontally_deltas')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('delta', False)), fields=('network_id', 'organisation_id', 'parent', 'reopened', 'created_h', 'done_h', 'dropped_h', 'closed_h', 'due_h', 'days'), name='actiontally_one_row_per_key')],
            },
        ),
        migrations.RunPython(install_and_backfill, uninstall),
    ]
