"""Feed tokens move here from ``conferences`` (issue 14), step 2 of 3.

The table already carries this app's name (``conferences/0009`` renamed it); this migration only
adds the model to the state, and moves the content type row (and with it the permissions and
any object permissions that point at it) from ``conferences.feedtoken`` to
``calendars.feedtoken``. Audit events written before the move keep the object type
``conferences.feedtoken``: the trail is append-only and hash-chained."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _move_content_type(apps, schema_editor, *, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    moving = ContentType.objects.using(db).filter(app_label=source, model="feedtoken").first()
    if moving is None:  # a database migrated before any content type was created
        return
    # A row under the target label can only be a leftover (content types are created after the
    # whole migrate run); the moving row carries the permissions, so it wins.
    ContentType.objects.using(db).filter(app_label=target, model="feedtoken").delete()
    moving.app_label = target
    moving.save(update_fields=["app_label"])
    from django.contrib.contenttypes.models import ContentType as LiveContentType

    LiveContentType.objects.clear_cache()


def forwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, source="conferences", target="calendars")


def backwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, source="calendars", target="conferences")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("conferences", "0009_feedtoken_table_to_calendars"),
        ("participants", "0006_network_holiday_region"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="FeedToken",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(choices=[("personal", "My conferences and actions"), ("case", "Case calendar"), ("board", "Board meetings")], default="personal", max_length=10, verbose_name="kind")),
                        ("token_hash", models.CharField(max_length=64, unique=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("expires_at", models.DateTimeField(blank=True, null=True, verbose_name="expires at")),
                        ("revoked_at", models.DateTimeField(blank=True, null=True, verbose_name="revoked at")),
                        ("last_used_at", models.DateTimeField(blank=True, null=True)),
                        ("served_etag", models.CharField(blank=True, max_length=80)),
                        ("content_changed_at", models.DateTimeField(blank=True, null=True)),
                        ("case", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="feed_tokens", to="conferences.case")),
                        ("network", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="feed_tokens", to="participants.network")),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="feed_tokens", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "feed token",
                        "verbose_name_plural": "feed tokens",
                        "constraints": [models.CheckConstraint(condition=models.Q(models.Q(("case__isnull", True), ("kind", "personal"), ("network__isnull", True)), models.Q(("case__isnull", False), ("kind", "case"), ("network__isnull", True)), models.Q(("case__isnull", True), ("kind", "board"), ("network__isnull", False)), _connector="OR"), name="feedtoken_scope_matches_kind")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
