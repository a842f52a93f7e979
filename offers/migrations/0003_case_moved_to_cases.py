"""Issue 14: the case (and its family) moved from ``conferences``/``participants`` to ``cases``;
the foreign keys here point at the same tables as before, so this changes the state only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0001_initial'),
        ('offers', '0002_referral_team_consent'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name='referral',
                name='case',
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='referrals', to='cases.case', verbose_name='case'),
            ),
            migrations.AlterField(
                model_name='supportrequest',
                name='case',
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='support_requests', to='cases.case', verbose_name='case'),
            ),
        ], database_operations=[]),
    ]
