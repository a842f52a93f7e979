"""Reviewing a carried-over action in the conference does not silently undo a status the
responsible person set meanwhile (she marked it done from her own list while the conference talked)."""
from __future__ import annotations

import pytest
from django.urls import reverse

from protocols import services
from protocols.models import AgreedAction, ProtocolItem
from permissions import conflicts

from tests.protocols.test_services import second_conference

pytestmark = pytest.mark.django_db


def _carried(world):
    protocol = services.protocol_open(world.convenor, conference=second_conference(world))
    return protocol.items.get(kind=ProtocolItem.Kind.CARRY_OVER, reviewed_action=world.action_counselling)


def test_a_review_based_on_an_older_status_is_refused_and_changes_nothing(world):
    item = _carried(world)
    seen = AgreedAction.objects.get(pk=world.action_counselling.pk).status
    assert seen != AgreedAction.Status.DONE
    services.action_update_status(world.counsellor, action=world.action_counselling, status=AgreedAction.Status.DONE,
                                  note="erledigt")
    with pytest.raises(conflicts.EditConflict) as refused:
        services.review_record(world.convenor, item=item, outcome="continued", based_on_status=seen)
    assert "outcome" in refused.value.message_dict
    action = AgreedAction.objects.get(pk=world.action_counselling.pk)
    assert action.status == AgreedAction.Status.DONE
    assert ProtocolItem.objects.get(pk=item.pk).review_outcome == ""


def test_a_review_that_agrees_with_the_status_set_meanwhile_is_recorded(world):
    item = _carried(world)
    seen = AgreedAction.objects.get(pk=world.action_counselling.pk).status
    services.action_update_status(world.counsellor, action=world.action_counselling, status=AgreedAction.Status.DONE,
                                  note="erledigt")
    services.review_record(world.convenor, item=item, outcome="done", based_on_status=seen)
    assert ProtocolItem.objects.get(pk=item.pk).review_outcome == "done"


def test_the_review_form_shows_the_status_and_a_stale_one_gets_the_reason_on_the_page(world, client):
    item = _carried(world)
    client.force_login(world.convenor)
    page = client.get(reverse("protocols:protocol_detail", args=[item.protocol_id])).content.decode()
    seen = AgreedAction.objects.get(pk=world.action_counselling.pk)
    assert f'name="action_status" value="{seen.status}"' in page
    assert str(seen.get_status_display()) in page
    services.action_update_status(world.counsellor, action=world.action_counselling, status=AgreedAction.Status.DONE,
                                  note="erledigt")
    answer = client.post(reverse("protocols:item_review", args=[item.pk]),
                         {"outcome": "continued", "action_status": seen.status}, follow=True)
    text = answer.content.decode()
    assert "Nothing was recorded" in text or "Es wurde nichts erfasst" in text
    assert AgreedAction.objects.get(pk=world.action_counselling.pk).status == AgreedAction.Status.DONE
    assert ProtocolItem.objects.get(pk=item.pk).review_outcome == ""
