"""Feed tokens move to the ``calendars`` app (issue 14), step 1 of 3: the table is renamed to
the name the new app's model uses. The rows, their ids and constraints stay as they are.
Step 2 is ``calendars/0001_initial`` (the model enters the new app's state, the content type
row moves), step 3 ``0010_remove_feedtoken_state`` (the model leaves this app's state)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("conferences", "0008_legal_holds"),
    ]

    operations = [
        migrations.AlterModelTable(name="feedtoken", table="calendars_feedtoken"),
    ]
