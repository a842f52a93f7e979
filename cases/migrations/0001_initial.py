"""The case, its team, its legal holds (from ``conferences``), its family members, their consents
and the recorded legal bases for disclosure (from ``participants``) move to ``cases`` (issue 14)
without touching a row, so that the model graph has no cycle: ``participants`` (layer 2) no longer
points at ``conferences.Case`` (layer 5).

State only: the models keep their tables (``db_table = "conferences_case"``,
``"participants_consent"``, and the many-to-many tables ``participants_consent_to_organisations``
and ``participants_disclosurebasis_to_organisations``), so no table, index, constraint, sequence
or content-version trigger changes. ``conferences/0011``-``0012`` and ``participants/0007``-``0008``
remove them from those apps' state after every other app's foreign keys were pointed here
(state-only ``AlterField`` in calendars, notifications, offers, outbox, permissions, privacy,
protocols).

Their content types move with them (the same rows, ``app_label`` changed), so everything that
points at a content type by id keeps pointing at the same model: permissions (``view_case_content``),
django-guardian's object permissions, the admin's log. On a fresh database the rows do not exist
yet (post_migrate creates them after all migrations): then nothing is moved.
"""

import datetime
import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


MODELS = {
    "conferences": ("case", "caseteammember", "legalhold"),
    "participants": ("familymember", "consent", "consentscope", "disclosurebasis"),
}


def _move_content_types(apps, schema_editor, *, to_cases: bool) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for app_label, models_ in MODELS.items():
        source, target = ("cases", app_label) if not to_cases else (app_label, "cases")
        for model in models_:
            old = ContentType.objects.using(db).filter(app_label=source, model=model).first()
            if old is None:
                continue
            # A row under the target label can only be one post_migrate made while the models were
            # already in the new app state and the old row was not moved: it holds nothing of value
            # yet (its permissions are the default ones), and the old row's references win.
            ContentType.objects.using(db).filter(app_label=target, model=model).delete()
            old.app_label = target
            old.save(update_fields=["app_label"])


def content_types_to_cases(apps, schema_editor):
    _move_content_types(apps, schema_editor, to_cases=True)


def content_types_back(apps, schema_editor):
    _move_content_types(apps, schema_editor, to_cases=False)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('participants', '0006_network_holiday_region'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('contenttypes', '0002_remove_content_type_name'),
        # The tables exist in their final shape before the models enter this state, and a later
        # migration of this app that changes one of them runs after the apps that created it.
        ('conferences', '0010_remove_feedtoken_state'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name='Case',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('reference', models.CharField(max_length=24, validators=[django.core.validators.RegexValidator('^[A-Z]{2,6}-\\d{4}-\\d{3,5}$', 'Use a pseudonymous reference such as HS-2026-014 (prefix, year, number) – never a name.')], verbose_name='reference')),
                    ('status', models.CharField(choices=[('new', 'New'), ('active', 'Active'), ('closed', 'Closed')], default='new', max_length=10, verbose_name='status')),
                    ('opened_on', models.DateField(default=django.utils.timezone.localdate, verbose_name='opened on')),
                    ('closed_on', models.DateField(blank=True, null=True, verbose_name='closed on')),
                    ('next_review_on', models.DateField(blank=True, null=True, verbose_name='next review')),
                    ('expected_child_at_opening', models.BooleanField(default=False, verbose_name='expected child at opening')),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                    ('updated_at', models.DateTimeField(auto_now=True)),
                    ('lead_caseworker', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='led_cases', to=settings.AUTH_USER_MODEL, verbose_name='lead caseworker')),
                    ('lead_organisation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='led_cases', to='participants.organisation', verbose_name='lead organisation')),
                    ('network', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='cases', to='participants.network', verbose_name='network')),
                ],
                options={
                    'verbose_name': 'case',
                    'verbose_name_plural': 'cases',
                    'db_table': 'conferences_case',
                    'ordering': ['-opened_on', 'reference'],
                    'permissions': [('view_case_content', 'Can view case content')],
                },
            ),
            migrations.CreateModel(
                name='CaseTeamMember',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('case_role', models.CharField(choices=[('lead', 'Lead caseworker'), ('counselling', 'Addiction counselling'), ('medical', 'Medical care'), ('midwifery', 'Midwifery'), ('case_management', 'Case management'), ('early_help', 'Early help'), ('family_help', 'Family help'), ('other', 'Other')], default='other', max_length=20, verbose_name='case role')),
                    ('added_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='added at')),
                    ('removed_at', models.DateTimeField(blank=True, null=True, verbose_name='removed at')),
                    ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='team', to='cases.case', verbose_name='case')),
                    ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='case_teams', to='participants.organisation', verbose_name='organisation')),
                    ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='case_teams', to=settings.AUTH_USER_MODEL, verbose_name='professional')),
                ],
                options={
                    'verbose_name': 'case team member',
                    'verbose_name_plural': 'case team members',
                    'db_table': 'conferences_caseteammember',
                },
            ),
            migrations.CreateModel(
                name='Consent',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('valid_from', models.DateField(verbose_name='valid from')),
                    ('valid_until', models.DateField(verbose_name='valid until')),
                    ('form_reference', models.CharField(blank=True, max_length=80, verbose_name='signed form reference')),
                    ('recorded_as', models.CharField(choices=[('signed_form', 'From the signed form, by the disclosing organisation'), ('in_service', 'Given by the parent in the service')], default='signed_form', max_length=12, verbose_name='recorded as')),
                    ('recorded_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='recorded at')),
                    ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='revoked at')),
                    ('objected_at', models.DateTimeField(blank=True, null=True, verbose_name='objected to at')),
                    ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='consents', to='cases.case', verbose_name='case')),
                    ('from_organisation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='consents_disclosing', to='participants.organisation', verbose_name='disclosing organisation')),
                    ('recorded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='recorded by')),
                    ('revoked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='revoked by')),
                    ('to_organisations', models.ManyToManyField(db_table='participants_consent_to_organisations', related_name='consents_receiving', to='participants.organisation', verbose_name='receiving organisations')),
                ],
                options={
                    'verbose_name': 'consent',
                    'verbose_name_plural': 'consents',
                    'db_table': 'participants_consent',
                    'ordering': ['-valid_from', '-pk'],
                },
            ),
            migrations.CreateModel(
                name='ConsentScope',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('category', models.CharField(choices=[('addiction_treatment', 'Addiction treatment'), ('pregnancy_health', 'Pregnancy and health'), ('parenting_child_welfare', 'Parenting and child welfare'), ('finances_housing', 'Finances and housing')], max_length=32, verbose_name='information category')),
                    ('consent', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='scopes', to='cases.consent')),
                ],
                options={
                    'verbose_name': 'consent category',
                    'verbose_name_plural': 'consent categories',
                    'db_table': 'participants_consentscope',
                },
            ),
            migrations.CreateModel(
                name='DisclosureBasis',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('basis', models.CharField(choices=[('de_65_1_1_consent', '§ 65 (1) Nr. 1 SGB VIII – consent of the person who entrusted it'), ('de_65_1_2_family_court', '§ 65 (1) Nr. 2 SGB VIII – family court under § 8a'), ('de_65_1_3_change', '§ 65 (1) Nr. 3 SGB VIII – change of responsibility with risk indicators'), ('de_65_1_4_specialist', '§ 65 (1) Nr. 4 SGB VIII – specialist consulted under § 8a'), ('de_65_1_5_203', '§ 65 (1) Nr. 5 SGB VIII – powers equivalent to § 203 StGB'), ('de_kkg_4', '§ 4 KKG – child endangerment'), ('dk_consent', 'Samtykke (consent)'), ('dk_legal_duty', 'Legal duty (lovpligt)'), ('dk_underretning', 'Duty to notify (underretningspligt)')], max_length=32, verbose_name='legal basis')),
                    ('justification', models.TextField(verbose_name='justification')),
                    ('invoked_on', models.DateField(default=datetime.date.today, verbose_name='invoked on')),
                    ('valid_until', models.DateField(verbose_name='valid until')),
                    ('parents_informed', models.BooleanField(default=False, verbose_name='parents informed')),
                    ('not_informed_reason', models.TextField(blank=True, verbose_name='reason parents were not informed')),
                    ('ended_at', models.DateTimeField(blank=True, null=True, verbose_name='ended at')),
                    ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='disclosure_bases', to='cases.case', verbose_name='case')),
                    ('from_organisation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='participants.organisation', verbose_name='disclosing organisation')),
                    ('invoked_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='invoked by')),
                    ('to_organisations', models.ManyToManyField(db_table='participants_disclosurebasis_to_organisations', related_name='disclosure_bases_receiving', to='participants.organisation', verbose_name='receiving organisations')),
                ],
                options={
                    'verbose_name': 'legal basis for disclosure',
                    'verbose_name_plural': 'legal bases for disclosure',
                    'db_table': 'participants_disclosurebasis',
                },
            ),
            migrations.CreateModel(
                name='FamilyMember',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('relation', models.CharField(choices=[('mother', 'Mother'), ('father', 'Father'), ('guardian', 'Guardian'), ('other_relative', 'Other relative'), ('child', 'Child'), ('expected_child', 'Expected child')], max_length=20, verbose_name='relation')),
                    ('display_name', models.CharField(max_length=60, verbose_name='first name or initials')),
                    ('birth_year', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='year of birth')),
                    ('due_date', models.DateField(blank=True, null=True, verbose_name='expected due date')),
                    ('email', models.EmailField(blank=True, max_length=254, verbose_name='e-mail for invitations')),
                    ('interpreter_language', models.CharField(blank=True, max_length=40, verbose_name='interpreter language')),
                    ('language', models.CharField(blank=True, choices=[('de', 'German'), ('da', 'Danish'), ('en', 'English')], max_length=5, verbose_name='language for letters and e-mails')),
                    ('access_needs', models.CharField(blank=True, max_length=200, verbose_name='access needs')),
                    ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='family_members', to='cases.case', verbose_name='case')),
                    ('user', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='family_member', to=settings.AUTH_USER_MODEL, verbose_name='account')),
                ],
                options={
                    'verbose_name': 'family member',
                    'verbose_name_plural': 'family members',
                    'db_table': 'participants_familymember',
                },
            ),
            migrations.AddField(
                model_name='consent',
                name='given_by',
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='consents_given', to='cases.familymember', verbose_name='given by'),
            ),
            migrations.CreateModel(
                name='LegalHold',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('ground', models.CharField(choices=[('court', 'Court proceedings'), ('section_8a', 'Child-protection procedure (§ 8a SGB VIII)'), ('complaint', 'Pending complaint')], max_length=20, verbose_name='ground')),
                    ('reason', models.TextField(max_length=2000, verbose_name='reason')),
                    ('review_on', models.DateField(verbose_name='review on')),
                    ('set_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='set at')),
                    ('lifted_at', models.DateTimeField(blank=True, null=True, verbose_name='lifted at')),
                    ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='legal_holds', to='cases.case', verbose_name='case')),
                    ('lifted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='lifted by')),
                    ('lifted_on_instruction_of', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='lifted on the instruction of')),
                    ('set_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='set by')),
                    ('set_on_instruction_of', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='set on the instruction of')),
                ],
                options={
                    'verbose_name': 'legal hold',
                    'verbose_name_plural': 'legal holds',
                    'db_table': 'conferences_legalhold',
                    'ordering': ['review_on', 'pk'],
                },
            ),
            migrations.AddConstraint(
                model_name='case',
                constraint=models.UniqueConstraint(fields=('network', 'reference'), name='case_unique_reference_per_network', violation_error_message='This reference is already used in this network.'),
            ),
            migrations.AddConstraint(
                model_name='case',
                constraint=models.CheckConstraint(condition=models.Q(('closed_on__isnull', True), ('closed_on__gte', models.F('opened_on')), _connector='OR'), name='case_closed_after_opened', violation_error_message='A case cannot be closed before it was opened.'),
            ),
            migrations.AddConstraint(
                model_name='case',
                constraint=models.CheckConstraint(condition=models.Q(models.Q(('closed_on__isnull', False), ('status', 'closed')), models.Q(models.Q(('status', 'closed'), _negated=True), ('closed_on__isnull', True)), _connector='OR'), name='case_closed_status_matches_date', violation_error_message='A closed case needs a closing date, and only a closed case has one.'),
            ),
            migrations.AddConstraint(
                model_name='caseteammember',
                constraint=models.UniqueConstraint(condition=models.Q(('removed_at__isnull', True)), fields=('case', 'organisation', 'user'), name='caseteam_unique_active_member', violation_error_message='This member is already on the case team.'),
            ),
            migrations.AddConstraint(
                model_name='caseteammember',
                constraint=models.UniqueConstraint(condition=models.Q(('removed_at__isnull', True), ('user__isnull', True)), fields=('case', 'organisation'), name='caseteam_unique_active_organisation', violation_error_message='This organisation is already on the case team.'),
            ),
            migrations.AddConstraint(
                model_name='caseteammember',
                constraint=models.CheckConstraint(condition=models.Q(('removed_at__isnull', True), ('removed_at__gte', models.F('added_at')), _connector='OR'), name='caseteam_removed_after_added'),
            ),
            migrations.AddConstraint(
                model_name='consentscope',
                constraint=models.UniqueConstraint(fields=('consent', 'category'), name='consentscope_unique'),
            ),
            migrations.AddConstraint(
                model_name='disclosurebasis',
                constraint=models.CheckConstraint(condition=models.Q(('valid_until__gte', models.F('invoked_on'))), name='disclosurebasis_valid_window', violation_error_message='The time limit must be on or after the day the basis was invoked.'),
            ),
            migrations.AddConstraint(
                model_name='disclosurebasis',
                constraint=models.CheckConstraint(condition=models.Q(('parents_informed', True), models.Q(('not_informed_reason', ''), _negated=True), _connector='OR'), name='disclosurebasis_reason_when_parents_not_informed', violation_error_message='Say why the parents were not informed.'),
            ),
            migrations.AddConstraint(
                model_name='disclosurebasis',
                constraint=models.CheckConstraint(condition=models.Q(('basis__in', ['de_65_1_1_consent', 'dk_consent']), _negated=True), name='disclosurebasis_not_consent', violation_error_message='Consent is recorded as a consent, not as a legal basis.'),
            ),
            migrations.AddConstraint(
                model_name='familymember',
                constraint=models.CheckConstraint(condition=models.Q(models.Q(('due_date__isnull', False), ('relation', 'expected_child')), models.Q(models.Q(('relation', 'expected_child'), _negated=True), ('due_date__isnull', True)), _connector='OR'), name='familymember_due_date_only_for_expected_child', violation_error_message='An expected child needs a due date, and only an expected child has one.'),
            ),
            migrations.AddConstraint(
                model_name='familymember',
                constraint=models.CheckConstraint(condition=models.Q(('user__isnull', True), ('relation__in', ['mother', 'father', 'guardian', 'other_relative']), _connector='OR'), name='familymember_account_only_for_adults', violation_error_message='Only a parent, guardian or relative can have an account.'),
            ),
            migrations.AddConstraint(
                model_name='consent',
                constraint=models.CheckConstraint(condition=models.Q(('valid_until__gte', models.F('valid_from'))), name='consent_valid_window', violation_error_message='A consent must end on or after the day it starts.'),
            ),
            migrations.AddIndex(
                model_name='legalhold',
                index=models.Index(fields=['case', 'lifted_at'], name='legalhold_case_lifted'),
            ),
        ], database_operations=[]),
        migrations.RunPython(content_types_to_cases, content_types_back),
    ]
