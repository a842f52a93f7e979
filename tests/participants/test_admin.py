"""The technical admin configures networks, organisations, users and roles, and reads no case content."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_admin_index_offers_configuration_only(client, world):
    client.force_login(world.admin)
    page = client.get("/admin/").content.decode()
    for path in ("/admin/participants/network/", "/admin/participants/organisation/", "/admin/participants/user/",
                 "/admin/participants/membership/", "/admin/participants/networkrole/"):
        assert path in page
    for forbidden in ("/admin/conferences/", "/admin/protocols/", "/admin/participants/consent/",
                      "/admin/participants/familymember/", "/admin/permissions/"):
        assert forbidden not in page


@pytest.mark.parametrize("path", [
    "/admin/conferences/case/", "/admin/participants/familymember/", "/admin/participants/consent/",
    "/admin/protocols/protocolitem/", "/admin/protocols/agreedaction/",
])
def test_case_content_is_not_reachable_in_the_admin(client, world, path):
    client.force_login(world.admin)
    assert client.get(path).status_code == 404


def test_organisations_are_searchable_and_filtered_by_network(client, world):
    client.force_login(world.admin)
    page = client.get("/admin/participants/organisation/", {"q": "Sucht"}).content.decode()
    assert world.counselling.name in page and world.youth_welfare.name not in page
    page = client.get("/admin/participants/organisation/", {"network__id__exact": world.other_network.pk}).content.decode()
    assert world.foreign_org.name in page and world.counselling.name not in page


def test_an_organisations_network_is_chosen_when_it_is_added_and_stays_fixed_after(client, world):
    # Review h11, H11-1: an organisation moved to another network kept its people's seats on the
    # old network's case teams. The change page shows the network without a field to change it,
    # and a posted one is ignored while the rest of the change is saved.
    client.force_login(world.admin)
    assert 'name="network"' in client.get("/admin/participants/organisation/add/").content.decode()
    change = f"/admin/participants/organisation/{world.counselling.pk}/change/"
    page = client.get(change).content.decode()
    assert 'name="network"' not in page and world.network.name in page
    response = client.post(change, {"network": world.other_network.pk, "name": "Suchtberatung Neu",
                                    "kind": world.counselling.kind, "municipality": "", "email": "", "is_active": "on"})
    assert response.status_code == 302
    world.counselling.refresh_from_db()
    assert (world.counselling.name, world.counselling.network_id) == ("Suchtberatung Neu", world.network.pk)


def test_memberships_are_filtered_by_role(client, world):
    client.force_login(world.admin)
    response = client.get("/admin/participants/membership/", {"role__exact": "counsellor"})
    shown = {m.user.username for m in response.context["cl"].result_list}
    assert shown == {world.counsellor.username}


def test_professionals_cannot_enter_the_admin(client, world):
    client.force_login(world.convenor)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_a_signed_in_professional_opening_the_admin_is_told_it_is_not_hers_instead_of_going_round_in_circles(client, world):
    """Found crawling the demo: /admin/ → /admin/login/ → the sign-in → /admin/ … for ever."""
    client.force_login(world.convenor)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403 and len(response.redirect_chain) == 1
    assert "administrators of Fallkonferenz" in response.content.decode()
