"""The OpenAPI schema says exactly what the API accepts (issue 15, finding 9): a blank string
where the schema names a URI or an enum is a 400 on that field, never stored; where an answer
really holds "" (an item without category or review outcome), the schema lists "" as a value.
The poll ranking is a list, and the schema says so."""
from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from conferences.models import Conference
from protocols.models import ProtocolItem
from tests.conferences.helpers import local
from tests.matrix.test_matrix_scheduling import convene

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        out = io.StringIO()
        call_command("spectacular", "--format", "openapi-json", stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


def component(schema, name):
    return schema["components"]["schemas"][name]


def test_the_schema_offers_no_blank_where_a_request_needs_a_uri_or_a_category(schema):
    video = component(schema, "ConferenceCreate")["properties"]["video_link"]
    assert video.get("format") == "uri" and "oneOf" not in video and "default" not in video
    for name in ("ItemCreate", "PatchedItemUpdate"):
        category = component(schema, name)["properties"]["category"]
        assert "InformationCategoryEnum" in str(category), category
        assert "BlankEnum" not in str(category)


def test_answers_that_hold_a_blank_say_so(schema):
    item = component(schema, "ProtocolItem")["properties"]
    for field in ("category", "review_outcome"):
        assert {"$ref": "#/components/schemas/BlankEnum"} in item[field]["oneOf"]


def test_a_family_members_year_of_birth_and_due_date_may_be_null(schema):
    # Also for a member whose processing is restricted (Art. 18, review h11, H11-3): the case API
    # answers null for both, whatever her record holds.
    member = component(schema, "FamilyMember")["properties"]
    assert member["birth_year"]["nullable"] is True and member["due_date"]["nullable"] is True


def test_a_blank_video_link_is_a_400_on_that_field(client, world):
    client.force_login(world.convenor)
    member = world.case.team.get(user=world.counsellor)
    data = {"case": world.case.pk, "kind": "participant", "slots": [local(10).isoformat()],
            "invitees": [{"team_member": member.pk, "required": True}]}
    response = client.post(reverse("conference-list"), {**data, "video_link": ""}, content_type="application/json")
    assert response.status_code == 400 and list(response.json()) == ["video_link"]
    assert Conference.objects.count() == 1
    response = client.post(reverse("conference-list"), data, content_type="application/json")
    assert response.status_code == 201 and response.json()["video_link"] == ""
    response = client.post(reverse("conference-list"), {**data, "video_link": "https://meet.example.org/x"},
                           content_type="application/json")
    assert response.status_code == 201 and response.json()["video_link"] == "https://meet.example.org/x"


def test_a_blank_category_is_a_400_on_that_field_when_creating_and_changing_an_item(client, world):
    client.force_login(world.convenor)
    response = client.post(reverse("protocol-item-list"), {"protocol": world.protocol.pk, "title": "Neu", "category": ""},
                           content_type="application/json")
    assert response.status_code == 400 and list(response.json()) == ["category"]
    assert not ProtocolItem.objects.filter(title="Neu").exists()
    response = client.patch(reverse("protocol-item-detail", args=[world.item_restricted.pk]),
                            {"version": world.item_restricted.version, "category": ""}, content_type="application/json")
    assert response.status_code == 400 and list(response.json()) == ["category"]
    world.item_restricted.refresh_from_db()
    assert world.item_restricted.category == "parenting_child_welfare"
    response = client.post(reverse("protocol-item-list"), {"protocol": world.protocol.pk, "title": "Neu"},
                           content_type="application/json")
    assert response.status_code == 201 and response.json()["category"] == ""


def test_the_poll_ranking_is_a_list_as_the_schema_says(client, world, schema):
    polling = convene(world)
    response_schema = schema["paths"]["/api/conferences/{id}/poll/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert response_schema["type"] == "array"
    client.force_login(world.convenor)
    body = client.get(reverse("conference-poll", args=[polling.pk])).json()
    assert isinstance(body, list) and body and {"slot", "starts_at"} <= set(body[0])
