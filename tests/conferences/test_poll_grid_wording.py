"""The poll's rank cell said "all required can" (cut short, newcomer walk); it now says what the
list below it says: "all required can come", in every language."""
from __future__ import annotations

import pytest
from django.urls import reverse

from conferences.models import SlotVote
from tests.conferences.helpers import convene

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language, badge", [("en", "all required can come"), ("de", "alle Erforderlichen können kommen"),
                                             ("da", "alle påkrævede kan komme")])
def test_the_rank_cell_says_all_required_can_come(client, world, language, badge):
    conference = convene(world)
    first = conference.poll.slots.order_by("starts_at").first()
    SlotVote.objects.bulk_create([SlotVote(slot=first, invitation=invitation, answer="yes")
                                  for invitation in conference.invitations.filter(required=True)])
    client.force_login(world.convenor)
    page = client.get(reverse("conferences:poll_grid", args=[conference.pk]), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'<span class="badge">{badge}</span>' in page
