"""The live channel's item and action payloads come from one serializer instance per process
(``protocols.api.serializers._represent``). What a socket receives must be exactly what a fresh
serializer gives for the same object: in the reader's language, after the item or its actions
changed, for every kind of item the world holds."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from protocols import live
from protocols.api.serializers import (LiveAgreedActionSerializer, LiveProtocolItemSerializer, _plain,
                                       action_payload, item_payload)
from protocols.models import AgreedAction, Amendment, ProtocolItem

pytestmark = pytest.mark.django_db


def _fresh_item(pk: int) -> dict:
    return _plain(LiveProtocolItemSerializer(live_item(pk)).data)


def live_item(pk: int):
    """The item as ``live.item_event`` reads it."""
    return ProtocolItem.objects.prefetch_related("restricted_to", "amendments__author", "actions__case").get(pk=pk)


@pytest.mark.parametrize("language", ["de", "da", "en"])
def test_every_item_of_the_world_as_a_fresh_serializer_gives_it(world, language):
    with translation.override(language):
        for item in (world.item_everyone, world.item_professionals, world.item_restricted):
            assert item_payload(live_item(item.pk)) == _fresh_item(item.pk)
        for action in (world.action_counselling, world.action_parent):
            action = AgreedAction.objects.select_related("case", "responsible_user", "responsible_organisation",
                                                         "responsible_family_member").get(pk=action.pk)
            assert action_payload(action) == _plain(LiveAgreedActionSerializer(action).data)


def test_labels_follow_the_language_of_each_call_not_of_the_first(world):
    """The kept instance must not freeze the first caller's language into its labels."""
    with translation.override("en"):
        english = item_payload(live_item(world.item_everyone.pk))
    with translation.override("de"):
        german = item_payload(live_item(world.item_everyone.pk))
        assert german == _fresh_item(world.item_everyone.pk)
    assert english["audience_label"] != german["audience_label"]
    assert (english["actions"][0]["status_label"], german["actions"][0]["status_label"]) == ("Open", "Offen")


def test_a_change_to_the_item_its_actions_and_amendments_shows_in_the_next_payload(world):
    before = item_payload(live_item(world.item_everyone.pk))
    item = world.item_everyone
    item.text = "**Neu** formuliert"
    item.version += 1
    item.save()
    AgreedAction.objects.create(case=world.case, item=item, title="Zweite Maßnahme", responsible_user=world.counsellor,
                                responsible_organisation=world.counselling, due_on=timezone.localdate() + dt.timedelta(days=3))
    Amendment.objects.create(item=item, author=world.convenor, text="Ergänzung", reason="Nachtrag")
    after = item_payload(live_item(item.pk))
    assert after == _fresh_item(item.pk)
    assert after["version"] == before["version"] + 1
    assert "<strong>Neu</strong>" in after["html"]
    assert "Zweite Maßnahme" in [a["title"] for a in after["actions"]] and len(after["actions"]) == len(before["actions"]) + 1
    assert after["amendments"][0]["reason"] == "Nachtrag" and before["amendments"] == []


def test_the_event_carries_the_same_payload(world):
    event = live.item_event(world.item_restricted.pk)
    assert event["item"] == _fresh_item(world.item_restricted.pk)
    assert event["restricted_to"] == sorted([world.counselling.pk, world.midwifery.pk])


def test_the_event_of_a_final_protocols_item_carries_its_amendments_and_a_drafts_asks_two_queries(world, django_assert_num_queries):
    """Amendments exist only on final protocols, organisations are named only by restricted items:
    the event of a draft's item for everyone asks for neither (two queries: the item, its actions),
    and the event of an amended item of a final protocol carries the amendment."""
    with django_assert_num_queries(2):
        event = live.item_event(world.item_everyone.pk)
    assert event["item"]["amendments"] == [] and event["item"] == _fresh_item(world.item_everyone.pk)
    world.protocol.status, world.protocol.finalised_at = world.protocol.Status.FINAL, timezone.now()
    world.protocol.save(update_fields=["status", "finalised_at"])
    Amendment.objects.create(item=world.item_everyone, author=world.convenor, text="Ergänzung", reason="Nachtrag")
    with django_assert_num_queries(3):
        event = live.item_event(world.item_everyone.pk)
    assert [a["reason"] for a in event["item"]["amendments"]] == ["Nachtrag"]
    assert event["item"] == _fresh_item(world.item_everyone.pk)
