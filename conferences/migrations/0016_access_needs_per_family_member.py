"""Access needs stay with the family member they are hers (review h9, H9-2).

Until now ``conference_create`` (and the convening form, as its proposal) joined the access needs
of every family member invited into the conference's one ``access_needs`` field, with "; ", which
the conference page and the API showed to each parent: the mother read the father's needs, which
may be health information. From now on a family member's needs are read from her own record
(``FamilyMember.access_needs``): the case team reads all of them with the conference, each parent
only her own (``conferences.policy.access_needs_for_user``); the conference's field holds the
convenor's own note, read by everyone invited.

For each existing conference with a note and a family member invited (whether still invited or
not; without one, the note cannot hold a family member's needs and stays as it is):

- A note that is exactly what ``conference_create`` wrote from the records as they stand now (the
  invited members' needs in the order of their records, joined with "; ", cut at 200 characters)
  is emptied: each part is on its member's record, read by the team and by her alone.
- Any other note cannot be split among the family members reliably: a need may itself hold "; ",
  the convenor may have edited the proposal or written her own words, and a member's record may
  have changed since. Such a note is kept as it is, but for the case team only
  (``access_needs_team_only``): no parent reads it any more, not even a part that was her own
  (she reads her own needs from her record). The convenor can tell the parents what they need to
  know.

No audit event is written (the audit trail is written by services); nothing is read or disclosed,
only withheld. The way back keeps the notes emptied (the needs are on the members' records) and
drops the marking with its column.
"""
from django.db import migrations, models


def split_access_needs(apps, schema_editor):
    Conference = apps.get_model("conferences", "Conference")
    Invitation = apps.get_model("conferences", "Invitation")
    FamilyMember = apps.get_model("cases", "FamilyMember")
    with_family = Invitation.objects.filter(family_member__isnull=False).values("conference_id")
    for conference in Conference.objects.exclude(access_needs="").filter(pk__in=with_family).order_by("pk").iterator():
        members = FamilyMember.objects.filter(
            pk__in=Invitation.objects.filter(conference_id=conference.pk, family_member__isnull=False).values("family_member_id"))
        joined = "; ".join(m.access_needs for m in members.order_by("pk") if m.access_needs)[:200].strip()
        if joined and conference.access_needs.strip() == joined:
            Conference.objects.filter(pk=conference.pk).update(access_needs="")
        else:
            Conference.objects.filter(pk=conference.pk).update(access_needs_team_only=True)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0004_familymember_account_per_case_access_offer"),
        ("conferences", "0015_report_audience"),
    ]

    operations = [
        migrations.AddField(
            model_name="conference",
            name="access_needs_team_only",
            field=models.BooleanField(db_default=False, default=False, verbose_name="access needs for the case team only"),
        ),
        migrations.RunPython(split_access_needs, migrations.RunPython.noop),
    ]
