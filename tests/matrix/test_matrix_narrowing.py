"""Matrix cells for narrowing who reads an item after the draft, and for a parent's action in an
item she may no longer read.

- An item never restricted is held by the organisation its author sits on the team for
  (``protocols.services.holding_organisation_ids``): after the draft its professionals on the team
  narrow it on the page and through the API; the rest of the team and the mother who reads it are
  refused (403), everyone else does not find it (404).
- A parent's action, closed, in an item narrowed since so that she may not read it: neither she nor
  anyone who does not read the item finds it (page, API, list, feed); the organisation holding the
  item does.
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from calendars import services as calendar_services
from cases.models import InformationCategory
from protocols import services
from protocols.models import AgreedAction, Audience, ProtocolItem
from tests.matrix.roles import ROLES, client_for, user_for
from tests.world import hold_conference

pytestmark = pytest.mark.django_db

# Its cells are rows of pages and endpoints named by other modules.
URL_NAMES: set[str] = set()

HOLDERS = {"convenor", "lead_colleague"}        # youth welfare, on the team: the convenor wrote the item
READERS = {"counsellor", "midwife", "parent"}   # read the item for everyone, do not hold it


def _released(world):
    hold_conference(world.conference)
    services.protocol_release(world.convenor, protocol=world.protocol)


def _page_expected(role: str) -> int:
    if role == "anonymous":
        return 302
    return 302 if role in HOLDERS else 403 if role in READERS else 404


def _api_expected(role: str) -> int:
    if role == "anonymous":
        return 403
    return 200 if role in HOLDERS else 403 if role in READERS else 404


@pytest.mark.parametrize("role", ROLES)
def test_narrowing_an_item_never_restricted_after_the_draft_on_the_page(world, client, role):
    _released(world)
    item = world.item_everyone
    response = client_for(client, world, role).post(reverse("protocols:item_edit", args=[item.pk]),
                                                    {"audience": Audience.PROFESSIONALS, "version": item.version})
    assert response.status_code == _page_expected(role)
    item.refresh_from_db()
    assert (item.audience == Audience.PROFESSIONALS) == (role in HOLDERS)


@pytest.mark.parametrize("role", ROLES)
def test_narrowing_an_item_never_restricted_after_the_draft_through_the_api(world, role):
    _released(world)
    item = world.item_everyone
    api = APIClient()
    user = user_for(world, role)
    if user is not None:
        api.force_authenticate(user)
    response = api.patch(reverse("protocol-item-detail", args=[item.pk]),
                         {"audience": Audience.PROFESSIONALS, "version": item.version}, format="json")
    assert response.status_code == _api_expected(role), response.content
    item.refresh_from_db()
    assert (item.audience == Audience.PROFESSIONALS) == (role in HOLDERS)


def _withheld(world) -> AgreedAction:
    item = ProtocolItem.objects.create(protocol=world.protocol, position=20, title="Ihr Anliegen", text="Anvertraut",
                                       audience=Audience.PROFESSIONALS, holding_organisation=world.counselling,
                                       entrusted_by=world.mother, category=InformationCategory.PARENTING_CHILD_WELFARE,
                                       created_by=world.counsellor)
    return AgreedAction.objects.create(case=world.case, item=item, title="Beratung aufsuchen",
                                       due_on=timezone.localdate() + dt.timedelta(days=7),
                                       responsible_family_member=world.mother, status=AgreedAction.Status.DONE,
                                       completed_on=timezone.localdate())


@pytest.mark.parametrize("role", ROLES)
def test_a_parents_action_in_an_item_she_may_not_read(world, client, role):
    action = _withheld(world)
    visible = role == "counsellor"  # her organisation holds the item
    c = client_for(client, world, role)
    page = c.get(reverse("protocols:action_detail", args=[action.pk])).status_code
    api = c.get(f"/api/actions/{action.pk}/").status_code
    if role == "anonymous":
        assert (page, api) == (302, 403)
        return
    assert (page, api) == ((200, 200) if visible else (404, 404))
    listed = {row["id"] for row in c.get("/api/actions/").json()["results"]}
    assert (action.pk in listed) == visible
    assert "Beratung aufsuchen" not in c.get(reverse("protocols:my_agreements")).content.decode()
    _, raw = calendar_services.feed_token_create(user_for(world, role))
    client.logout()
    # her own feed holds what falls to her (``responsible_actions_for_user``): it is nobody's there
    body = client.get(reverse("calendars:feed_tasks", args=[raw])).content
    assert f"action-{action.pk}@".encode() not in body
