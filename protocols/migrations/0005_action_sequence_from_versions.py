"""The feed used ``sequence + version - 1`` as an action's SEQUENCE; ``sequence`` alone now
rises with every status change. Carry the SEQUENCE calendars already hold over into
``sequence`` so that no event's SEQUENCE goes down."""
from django.db import migrations
from django.db.models import F


def forwards(apps, schema_editor):
    AgreedAction = apps.get_model("protocols", "AgreedAction")
    AgreedAction.objects.filter(version__gt=1).update(sequence=F("sequence") + F("version") - 1)


class Migration(migrations.Migration):
    dependencies = [("protocols", "0004_boardmeetinginvitation_yearlyreport")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
