"""Issue 13: the cache key at which a token's served ETag was established, so that an unchanged
poll is answered from the token row alone (``calendars.feeds.serve``). Existing rows start empty:
their next write (new content, or the first use of a day) fills it."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("calendars", "0002_case_moved_to_cases"),
    ]

    operations = [
        migrations.AddField(
            model_name="feedtoken",
            name="served_key",
            field=models.CharField(blank=True, max_length=64),
        ),
    ]
