"""The convenor decides corrections, but only on items she may read: the list of proposals on
her protocol page must not show a restricted item she cannot read, nor the proposed text."""
from __future__ import annotations

from django.urls import reverse

from cases.models import InformationCategory
from protocols import services
from protocols.models import Audience, Protocol, ProtocolItem


def test_the_convenor_does_not_see_correction_proposals_on_a_restricted_item_she_may_not_read(world, client):
    held = ProtocolItem.objects.create(
        protocol=world.protocol, position=9, title="Rückfall nach Entgiftung", text="Nur Suchtberatung.",
        audience=Audience.RESTRICTED, holding_organisation=world.counselling, entrusted_by=world.mother,
        category=InformationCategory.HEALTH if hasattr(InformationCategory, "HEALTH") else InformationCategory.PARENTING_CHILD_WELFARE,
        created_by=world.counsellor,
    )
    held.restricted_to.set([world.counselling])
    Protocol.objects.filter(pk=world.protocol.pk).update(status=Protocol.Status.RELEASED)
    services.correction_propose(world.counsellor, item=held, proposed_text="Zweiter Rückfall im März")
    client.force_login(world.convenor)
    page = client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode()
    assert "Rückfall" not in page
