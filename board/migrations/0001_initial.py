"""The board's four models move from ``protocols`` to ``board`` (issue 14) without touching a row.

State only: the models keep their tables (``db_table = "protocols_..."``), so no table, index,
constraint, sequence or content-version trigger changes; ``protocols/0007`` removes them from the
protocols state. Renaming the tables would buy only tidier names, at the price of DDL on live
tables, renamed triggers on SQLite and raw SQL (bench, backups) that names them.

Their content types move with them (the same rows, ``app_label`` changed), so everything that
points at a content type by id keeps pointing at the same model: django-guardian's object
permissions, the admin's log, ``auth_permission``. Rows of a fresh database do not exist yet
(post_migrate creates them after all migrations): then nothing is moved.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


MODELS = ("halfyearsummary", "boardmeeting", "yearlyreport", "boardmeetinginvitation")


def _move_content_types(apps, schema_editor, *, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        old = ContentType.objects.using(db).filter(app_label=source, model=model).first()
        if old is None:
            continue
        # A row under the target label can only be one post_migrate made while the models were
        # already in the new app state and the old row was not moved: it holds nothing of value
        # yet (its permissions are the default ones), and the old row's references win.
        ContentType.objects.using(db).filter(app_label=target, model=model).delete()
        old.app_label = target
        old.save(update_fields=["app_label"])


def content_types_to_board(apps, schema_editor):
    _move_content_types(apps, schema_editor, source="protocols", target="board")


def content_types_to_protocols(apps, schema_editor):
    _move_content_types(apps, schema_editor, source="board", target="protocols")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('participants', '0006_network_holiday_region'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('contenttypes', '0002_remove_content_type_name'),
        # Not a dependency of these models: it keeps the migration plan's order on a fresh
        # database. protocols/0006 reads conference__case, which conferences/0002 adds, without
        # naming it; had this migration depended on protocols/0006, 'board' (planned before
        # 'conferences') would pull protocols/0006 in ahead of conferences/0002. The tables
        # themselves are created by protocols/0001 and 0004; protocols/0007 depends on this
        # migration, so a later board migration that changes a table must depend on
        # ('protocols', '0004_boardmeetinginvitation_yearlyreport'), the last one that shapes
        # them. Not on protocols/0007: the plan of a fresh database would then reach
        # protocols/0006 through it before conferences/0002 through this one (board/0003).
        ('conferences', '0008_legal_holds'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name='HalfYearSummary',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('year', models.PositiveSmallIntegerField(verbose_name='year')),
                    ('half', models.PositiveSmallIntegerField(choices=[(1, 'H1 (January–June)'), (2, 'H2 (July–December)')], verbose_name='half year')),
                    ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published')], default='draft', max_length=10, verbose_name='status')),
                    ('figures', models.JSONField(default=dict, verbose_name='figures')),
                    ('definitions_version', models.CharField(max_length=20)),
                    ('commentary', models.TextField(blank=True, verbose_name='commentary')),
                    ('computed_at', models.DateTimeField(default=django.utils.timezone.now)),
                    ('published_at', models.DateTimeField(blank=True, null=True)),
                    ('computed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ('network', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='summaries', to='participants.network', verbose_name='network')),
                    ('published_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'verbose_name': 'half-year summary',
                    'verbose_name_plural': 'half-year summaries',
                    'db_table': 'protocols_halfyearsummary',
                    'ordering': ['-year', '-half', '-computed_at'],
                },
            ),
            migrations.CreateModel(
                name='BoardMeeting',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('starts_at', models.DateTimeField(verbose_name='starts at')),
                    ('ends_at', models.DateTimeField(verbose_name='ends at')),
                    ('location', models.CharField(blank=True, max_length=200, verbose_name='place')),
                    ('minutes', models.TextField(blank=True, verbose_name='minutes and decisions')),
                    ('sequence', models.PositiveIntegerField(default=0)),
                    ('cancelled_at', models.DateTimeField(blank=True, null=True)),
                    ('updated_at', models.DateTimeField(auto_now=True)),
                    ('series_key', models.CharField(blank=True, db_index=True, max_length=40, verbose_name='series')),
                    ('decisions', models.TextField(blank=True, verbose_name='decisions')),
                    ('minutes_recorded_at', models.DateTimeField(blank=True, null=True, verbose_name='minutes recorded at')),
                    ('invitations_sent_at', models.DateTimeField(blank=True, null=True, verbose_name='invitations sent at')),
                    ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                    ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ('minutes_recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ('network', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='board_meetings', to='participants.network', verbose_name='network')),
                    ('summary', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='meetings', to='board.halfyearsummary', verbose_name='summary to discuss')),
                ],
                options={
                    'verbose_name': 'board meeting',
                    'verbose_name_plural': 'board meetings',
                    'db_table': 'protocols_boardmeeting',
                    'ordering': ['starts_at'],
                },
            ),
            migrations.CreateModel(
                name='YearlyReport',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('year', models.PositiveSmallIntegerField(verbose_name='year')),
                    ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published')], default='draft', max_length=10, verbose_name='status')),
                    ('figures', models.JSONField(default=dict, verbose_name='figures')),
                    ('definitions_version', models.CharField(max_length=20)),
                    ('computed_at', models.DateTimeField(default=django.utils.timezone.now)),
                    ('published_at', models.DateTimeField(blank=True, null=True)),
                    ('computed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ('network', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='yearly_reports', to='participants.network', verbose_name='network')),
                    ('published_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'verbose_name': 'yearly report',
                    'verbose_name_plural': 'yearly reports',
                    'db_table': 'protocols_yearlyreport',
                    'ordering': ['-year', '-computed_at'],
                },
            ),
            migrations.CreateModel(
                name='BoardMeetingInvitation',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('response', models.CharField(choices=[('pending', 'No answer yet'), ('accepted', 'Accepted'), ('declined', 'Declined')], default='pending', max_length=10, verbose_name='answer')),
                    ('responded_at', models.DateTimeField(blank=True, null=True, verbose_name='answered at')),
                    ('invited_at', models.DateTimeField(default=django.utils.timezone.now)),
                    ('meeting', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='invitations', to='board.boardmeeting', verbose_name='board meeting')),
                    ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='board_invitations', to=settings.AUTH_USER_MODEL, verbose_name='board member')),
                ],
                options={
                    'verbose_name': 'board meeting invitation',
                    'verbose_name_plural': 'board meeting invitations',
                    'db_table': 'protocols_boardmeetinginvitation',
                    'ordering': ['meeting', 'pk'],
                    'constraints': [models.UniqueConstraint(fields=('meeting', 'user'), name='board_invitation_unique')],
                },
            ),
            migrations.AddConstraint(
                model_name='halfyearsummary',
                constraint=models.UniqueConstraint(condition=models.Q(('status', 'published')), fields=('network', 'year', 'half'), name='summary_one_published_per_half'),
            ),
            migrations.AddConstraint(
                model_name='halfyearsummary',
                constraint=models.CheckConstraint(condition=models.Q(('half__in', [1, 2])), name='summary_half_1_or_2'),
            ),
            migrations.AddConstraint(
                model_name='boardmeeting',
                constraint=models.CheckConstraint(condition=models.Q(('ends_at__gt', models.F('starts_at'))), name='boardmeeting_ends_after_start', violation_error_message='A meeting must end after it starts.'),
            ),
            migrations.AddConstraint(
                model_name='yearlyreport',
                constraint=models.UniqueConstraint(condition=models.Q(('status', 'published')), fields=('network', 'year'), name='yearly_report_one_published_per_year'),
            ),
        ], database_operations=[]),
        migrations.RunPython(content_types_to_board, content_types_to_protocols),
    ]
