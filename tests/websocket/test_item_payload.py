"""One serializer feeds the API and the live channel: for the same item and user, the socket's
item is the API's item plus display labels, nothing more and nothing different."""
from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from protocols import services
from tests.websocket.test_live_protocol import open_socket, receive_until

pytestmark = pytest.mark.django_db(transaction=True)

LIVE_ONLY_ITEM = {"audience_label"}
LIVE_ONLY_ACTION = {"description_html", "due_on_display", "status_label", "responsible_family"}


def api_item(user, item_id: int) -> dict:
    client = Client()
    client.force_login(user)
    response = client.get(f"/api/protocol-items/{item_id}/")
    assert response.status_code == 200
    return response.json()


def without_labels(payload: dict) -> dict:
    assert LIVE_ONLY_ITEM <= payload.keys()
    item = {k: v for k, v in payload.items() if k not in LIVE_ONLY_ITEM}
    for action in item["actions"]:
        assert LIVE_ONLY_ACTION <= action.keys()
    item["actions"] = [{k: v for k, v in a.items() if k not in LIVE_ONLY_ACTION} for a in item["actions"]]
    return item


async def test_the_socket_sends_the_items_the_api_gives_the_same_user(world):
    counsellor = await open_socket(world.counsellor, world.protocol.pk)
    hello = await receive_until(counsellor, "hello")
    by_id = {item["id"]: item for item in hello["items"]}
    for item in (world.item_professionals, world.item_restricted):
        expected = await database_sync_to_async(api_item)(world.counsellor, item.pk)
        assert without_labels(by_id[item.pk]) == expected
    assert by_id[world.item_professionals.pk]["actions"], "the item with an action shows it on both channels"
    await counsellor.disconnect()


async def test_a_pushed_change_carries_the_apis_item(world):
    counsellor = await open_socket(world.counsellor, world.protocol.pk)
    await receive_until(counsellor, "hello")
    await database_sync_to_async(services.item_update)(
        world.convenor, item=world.item_restricted, version=world.item_restricted.version, title="Neu",
    )
    pushed = (await receive_until(counsellor, "item"))["item"]
    expected = await database_sync_to_async(api_item)(world.counsellor, world.item_restricted.pk)
    assert expected["title"] == "Neu"
    assert without_labels(pushed) == expected
    await counsellor.disconnect()
