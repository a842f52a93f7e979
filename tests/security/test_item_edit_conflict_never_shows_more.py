"""The item edit page answers a conflict with the item as it now stands, beside her text. The
change she collided with may have narrowed the item past her: the page then shows nothing of it
(as the API and the live channel, which re-read it through the selector), nothing is saved, and
she is taken back to the protocol with a message."""
from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from cases.models import InformationCategory
from protocols import selectors, services
from protocols.models import Audience, Protocol, ProtocolItem

pytestmark = pytest.mark.django_db


def _convenor_saves_first(world, monkeypatch, item, **change):
    """The convenor's save commits between her page's read of the item and her own save."""
    real = services.item_update

    def update(actor, **kwargs):
        if actor == world.midwife:
            fresh = ProtocolItem.objects.get(pk=item.pk)
            real(world.convenor, item=fresh, version=fresh.version, **change)
        return real(actor, **kwargs)

    monkeypatch.setattr(services, "item_update", update)


def _post(client, item):
    return client.post(reverse("protocols:item_edit", args=[item.pk]),
                       {"title": item.title, "text": "Mein Text", "audience": Audience.PROFESSIONALS,
                        "version": item.version, "category": ""})


def test_a_conflict_never_shows_an_item_narrowed_past_her(world, client, monkeypatch):
    Protocol.objects.filter(pk=world.protocol.pk).update(minute_taker=world.midwife)
    item = world.item_professionals
    _convenor_saves_first(world, monkeypatch, item, text="GEHEIM: nur Jugendamt und Beratung",
                          audience=Audience.RESTRICTED, restricted_to=[world.counselling],
                          holding_organisation=world.youth_welfare, category=InformationCategory.PARENTING_CHILD_WELFARE)
    client.force_login(world.midwife)
    response = _post(client, item)
    assert selectors.items_for_user(world.midwife).filter(pk=item.pk).first() is None  # she may not read it now
    assert "GEHEIM" not in response.content.decode()
    assert response.status_code == 302
    assert not ProtocolItem.objects.filter(pk=item.pk, text="Mein Text").exists()
    assert any(item.title in str(m) for m in get_messages(response.wsgi_request))


def test_a_conflict_she_may_still_read_shows_the_current_text_beside_hers(world, client, monkeypatch):
    Protocol.objects.filter(pk=world.protocol.pk).update(minute_taker=world.midwife)
    item = world.item_professionals
    _convenor_saves_first(world, monkeypatch, item, text="Neuer Stand der Fachkräfte")
    client.force_login(world.midwife)
    response = _post(client, item)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Neuer Stand der Fachkräfte" in page and "Mein Text" in page
