"""Protocols API: filtered by the policy, version checks with 409, the final lock."""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from protocols import services
from protocols.models import Acknowledgement, AgreedAction, Protocol, ProtocolItem
from tests.world import hold_conference

pytestmark = pytest.mark.django_db


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_items_are_filtered_by_the_policy(world):
    ids = {i["id"] for i in api(world.midwife).get("/api/protocol-items/").json()["results"]}
    assert ids == {world.item_everyone.pk, world.item_professionals.pk}
    assert api(world.midwife).get(f"/api/protocol-items/{world.item_restricted.pk}/").status_code == 404
    assert api(world.parent).get("/api/protocol-items/").json()["count"] == 1


def test_a_foreign_protocol_is_a_404_and_anonymous_is_refused(world):
    assert api(world.outsider).get(f"/api/protocols/{world.protocol.pk}/").status_code == 404
    assert api(world.admin).get(f"/api/protocols/{world.protocol.pk}/").status_code == 404
    assert api().get("/api/protocols/").status_code in (401, 403)


def test_a_stale_version_answers_409_with_the_current_text(world):
    client = api(world.convenor)
    url = f"/api/protocol-items/{world.item_everyone.pk}/"
    ok = client.patch(url, {"version": world.item_everyone.version, "text": "API-Fassung"}, format="json")
    assert ok.status_code == 200 and ok.json()["version"] == world.item_everyone.version + 1
    stale = client.patch(url, {"version": world.item_everyone.version, "text": "verloren"}, format="json")
    assert stale.status_code == 409
    assert stale.json()["current"]["text"] == "API-Fassung"


def test_a_bad_request_gets_field_level_reasons(world):
    response = api(world.convenor).post("/api/protocol-items/", {"protocol": world.protocol.pk, "title": ""}, format="json")
    assert response.status_code == 400 and "title" in response.json()


def test_a_reader_cannot_write_items(world):
    response = api(world.counsellor).patch(f"/api/protocol-items/{world.item_everyone.pk}/",
                                           {"version": world.item_everyone.version, "text": "x"}, format="json")
    assert response.status_code == 403


def test_a_final_protocol_refuses_change_through_the_api_and_takes_an_amendment(world):
    client = api(world.convenor)
    assert client.post(f"/api/protocols/{world.protocol.pk}/release/").status_code == 400  # the conference lies ahead
    hold_conference(world.conference)
    assert client.post(f"/api/protocols/{world.protocol.pk}/release/").status_code == 200
    early = client.post(f"/api/protocols/{world.protocol.pk}/finalise/")
    assert early.status_code == 400 and "correction window" in str(early.json())
    assert client.post(f"/api/protocols/{world.protocol.pk}/finalise/", {"confirm_early": True},
                       format="json").json()["status"] == "final"
    response = client.patch(f"/api/protocol-items/{world.item_everyone.pk}/",
                            {"version": world.item_everyone.version, "text": "Zu spät"}, format="json")
    assert response.status_code == 400
    assert ProtocolItem.objects.get(pk=world.item_everyone.pk).text != "Zu spät"
    created = client.post("/api/amendments/", {"item": world.item_everyone.pk, "text": "Nachtrag", "reason": "Fehler"}, format="json")
    assert created.status_code == 201 and created.json()["author"] == str(world.convenor)
    assert api(world.midwife).get("/api/amendments/").json()["count"] == 1


def test_acknowledgements_through_the_api(world):
    hold_conference(world.conference)
    services.protocol_release(world.convenor, protocol=world.protocol)
    assert api(world.counsellor).post("/api/acknowledgements/", {"protocol": world.protocol.pk}, format="json").status_code == 400
    services.protocol_finalise(world.convenor, protocol=world.protocol, confirm_early=True)
    assert api(world.counsellor).post("/api/acknowledgements/", {"protocol": world.protocol.pk}, format="json").status_code == 201
    assert Acknowledgement.objects.filter(protocol=world.protocol, user=world.counsellor).exists()
    assert api(world.convenor).get("/api/acknowledgements/").json()["count"] == 1
    assert api(world.midwife).get("/api/acknowledgements/").json()["count"] == 0
    assert api(world.outsider).post("/api/acknowledgements/", {"protocol": world.protocol.pk}, format="json").status_code == 404


def test_an_action_status_without_the_version_it_was_read_at_is_refused_naming_the_field(world):
    """Before, it went through unchecked and silently overwrote a colleague's status set meanwhile."""
    url = f"/api/actions/{world.action_counselling.pk}/status/"
    refused = api(world.counsellor).post(url, {"status": "done", "note": "erledigt"}, format="json")
    assert refused.status_code == 400 and "version" in refused.json()
    assert AgreedAction.objects.get(pk=world.action_counselling.pk).status == world.action_counselling.status


def test_action_status_through_the_api(world):
    url = f"/api/actions/{world.action_counselling.pk}/status/"
    assert api(world.counsellor).post(url, {"status": "done", "note": "erledigt", "version": 1}, format="json").json()["status"] == "done"
    assert api(world.counsellor).post(url, {"status": "open", "version": 1}, format="json").status_code == 409
    assert api(world.midwife).post(url, {"status": "open", "version": 2}, format="json").status_code == 403
    assert api(world.outsider).post(url, {"status": "open", "version": 2}, format="json").status_code == 404
    mine = api(world.counsellor).get("/api/actions/?mine=1").json()["results"]
    assert [a["id"] for a in mine] == [world.action_counselling.pk]
    assert Protocol.objects.get(pk=world.protocol.pk).status == "draft"
