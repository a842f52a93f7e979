"""The tasks feed of a personal token keeps its own served state (ETag, when its content
changed, the key it was established at, when it was last fetched), apart from the events feed's;
and the events feed its own fetch time (``last_used_at`` stays "any feed": a tasks fetch set it,
and the events feed's first poll of the day then went unaudited).
A client subscribed to both feeds of one token polled them in turn, and each poll found the other
feed's ETag: new content every time, with a write and an audit event. Existing rows start empty:
the next fetch of each feed fills them (one write, one audit event, as on a first use of a day)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("calendars", "0003_feedtoken_served_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="feedtoken",
            name="events_last_used_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="feedtoken",
            name="tasks_served_etag",
            field=models.CharField(blank=True, max_length=80),
        ),
        migrations.AddField(
            model_name="feedtoken",
            name="tasks_content_changed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="feedtoken",
            name="tasks_served_key",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="feedtoken",
            name="tasks_last_used_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
