"""An action that changes hands leaves the old responsible's feed and enters the new one's, at
once: both feeds' ETags change (the content version rises with the action's row)."""
from __future__ import annotations

import pytest
from django.urls import reverse
from icalendar import Calendar

from calendars import ical as calendar_ical
from calendars import services
from protocols import services as protocol_services
from protocols.models import AgreedAction

pytestmark = pytest.mark.django_db


def fetch(client, raw, **headers):
    return client.get(reverse("calendars:feed", args=[raw]), headers=headers)


def uids(body: bytes) -> set[str]:
    return {str(e["UID"]) for e in Calendar.from_ical(body).walk("VEVENT")}


def test_the_old_responsibles_feed_drops_the_action_and_the_new_ones_carries_it(world, client):
    _, old_raw = services.feed_token_create(world.counsellor)
    _, new_raw = services.feed_token_create(world.midwife)
    uid = calendar_ical.action_uid(world.action_counselling.pk)
    old_before, new_before = fetch(client, old_raw), fetch(client, new_raw)
    assert uid in uids(old_before.content) and uid not in uids(new_before.content)

    action = AgreedAction.objects.get(pk=world.action_counselling.pk)
    protocol_services.action_reassign(world.convenor, action=action, version=action.version, reason="Stellenwechsel",
                                      responsible_user=world.midwife, responsible_organisation=world.midwifery)

    old_after = fetch(client, old_raw, if_none_match=old_before["ETag"])
    new_after = fetch(client, new_raw, if_none_match=new_before["ETag"])
    assert old_after.status_code == 200 and old_after["ETag"] != old_before["ETag"]
    assert new_after.status_code == 200 and new_after["ETag"] != new_before["ETag"]
    assert uid not in uids(old_after.content)
    assert uid in uids(new_after.content)
