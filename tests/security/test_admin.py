"""Django admin: a technical admin configures users, but learns no case content from it."""
from __future__ import annotations

from django.urls import reverse


def test_deleting_a_professional_in_the_admin_does_not_show_the_titles_of_her_protocol_items_or_actions(world, login):
    client = login(world.admin)
    response = client.get(reverse("admin:participants_user_delete", args=[world.convenor.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    for secret in (world.item_restricted.title, world.item_professionals.title, world.action_counselling.title,
                   world.case.reference):
        assert secret not in page


def test_a_parents_account_cannot_even_be_opened_for_deletion_in_the_admin(world, login):
    client = login(world.admin)
    response = client.get(reverse("admin:participants_user_delete", args=[world.parent.pk]), follow=True)
    assert response.redirect_chain[0] == ("/admin/", 302)  # "does not exist": parents are not administered here
    page = response.content.decode()
    for secret in (world.item_everyone.title, world.action_parent.title, world.case.reference):
        assert secret not in page


def test_deleting_an_organisation_or_network_in_the_admin_does_not_list_case_references_or_item_titles(world, login):
    client = login(world.admin)
    for url in (reverse("admin:participants_organisation_delete", args=[world.youth_welfare.pk]),
                reverse("admin:participants_network_delete", args=[world.network.pk])):
        response = client.get(url)
        assert response.status_code == 200
        page = response.content.decode()
        for secret in (world.item_restricted.title, world.case.reference, world.other_case.reference, world.mother.display_name + " ("):
            assert secret not in page, (url, secret)


def test_bulk_deleting_users_in_the_admin_does_not_show_case_content_either(world, login):
    client = login(world.admin)
    response = client.post(reverse("admin:participants_user_changelist"),
                           {"action": "delete_selected", "_selected_action": [world.convenor.pk, world.parent.pk]})
    assert response.status_code == 200
    page = response.content.decode()
    for secret in (world.item_restricted.title, world.action_parent.title, world.case.reference):
        assert secret not in page
