"""Restricted items through the API: the same checks as the page, with a reason per field."""
from __future__ import annotations

import pytest

from cases.models import FamilyMember, InformationCategory
from protocols.models import Audience, ProtocolItem
from tests.protocols.test_api import api

pytestmark = pytest.mark.django_db

CATEGORY = InformationCategory.PARENTING_CHILD_WELFARE


def restricted(world, **overrides) -> dict:
    body = {"protocol": world.protocol.pk, "title": "Anvertraut über die API", "text": "Nur mit Einwilligung.",
            "audience": Audience.RESTRICTED, "restricted_to": [world.counselling.pk],
            "holding_organisation": world.youth_welfare.pk, "category": CATEGORY, "entrusted_by": world.mother.pk}
    body.update(overrides)
    return body


def test_a_restricted_item_written_through_the_api_reaches_exactly_the_consented_organisation(world):
    response = api(world.convenor).post("/api/protocol-items/", restricted(world), format="json")
    assert response.status_code == 201, response.json()
    item = response.json()
    assert item["audience"] == Audience.RESTRICTED and item["restricted_to"] == [world.counselling.pk]
    assert item["holding_organisation"] == world.youth_welfare.pk and item["entrusted_by"] == world.mother.pk
    assert api(world.counsellor).get(f"/api/protocol-items/{item['id']}/").status_code == 200
    assert api(world.midwife).get(f"/api/protocol-items/{item['id']}/").status_code == 404
    assert api(world.parent).get(f"/api/protocol-items/{item['id']}/").status_code == 404


@pytest.mark.parametrize("field, value", [
    ("restricted_to", "foreign_org"),          # another network
    ("restricted_to", "early_help"),           # this network, not on the team
    ("restricted_to", []),
    ("holding_organisation", "early_help"),
    ("holding_organisation", None),
    ("category", ""),
    ("category", "gossip"),
    ("entrusted_by", "other_family"),          # a parent of another case
    ("restricted_to", 999999),                 # no such organisation: same answer as a foreign one
])
def test_a_bad_restriction_is_refused_with_its_field_and_nothing_is_written(world, field, value):
    if value in ("foreign_org", "early_help"):
        value = getattr(world, value).pk
        value = [value] if field == "restricted_to" else value
    elif value == "other_family":
        value = FamilyMember.objects.get(case=world.other_case).pk
    elif value == 999999:
        value = [value]
    before = ProtocolItem.objects.count()
    response = api(world.convenor).post("/api/protocol-items/", restricted(world, **{field: value}), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert ProtocolItem.objects.count() == before


def test_an_item_is_narrowed_to_organisations_through_the_api(world):
    item = world.item_professionals
    response = api(world.convenor).patch(f"/api/protocol-items/{item.pk}/", {
        "version": item.version, "audience": Audience.RESTRICTED, "restricted_to": [world.counselling.pk],
        "holding_organisation": world.youth_welfare.pk, "category": CATEGORY,
    }, format="json")
    assert response.status_code == 200, response.json()
    assert api(world.midwife).get(f"/api/protocol-items/{item.pk}/").status_code == 404
    assert api(world.counsellor).get(f"/api/protocol-items/{item.pk}/").status_code == 200


def test_widening_the_organisations_of_a_restricted_item_keeps_its_holder_and_category(world):
    item = world.item_restricted
    response = api(world.convenor).patch(f"/api/protocol-items/{item.pk}/", {
        "version": item.version, "restricted_to": [world.counselling.pk, world.midwifery.pk, world.youth_welfare.pk],
    }, format="json")
    assert response.status_code == 200, response.json()
    item.refresh_from_db()
    assert item.holding_organisation == world.youth_welfare and item.category == CATEGORY
    assert {o.pk for o in item.restricted_to.all()} == {world.counselling.pk, world.midwifery.pk, world.youth_welfare.pk}
