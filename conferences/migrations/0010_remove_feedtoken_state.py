"""Feed tokens move to the ``calendars`` app (issue 14), step 3 of 3: the model leaves this
app's state. Nothing happens in the database: the table belongs to ``calendars.FeedToken``."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("conferences", "0009_feedtoken_table_to_calendars"),
        ("calendars", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="FeedToken")],
            database_operations=[],
        ),
    ]
