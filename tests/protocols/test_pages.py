"""Protocol and action pages, without JavaScript."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from protocols import services
from protocols.models import AgreedAction, Protocol, ProtocolItem
from tests.world import hold_conference

pytestmark = pytest.mark.django_db

WITHHELD = "may be withheld"


@pytest.fixture(autouse=True)
def english(client):
    """Assertions read English msgids; the German catalogue is the default language."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def test_each_reader_sees_exactly_her_items_and_the_withheld_note(world, login):
    url = reverse("protocols:protocol_detail", args=[world.protocol.pk])
    page = login(world.midwife).get(url).content.decode()
    assert world.item_everyone.title in page and world.item_professionals.title in page
    assert world.item_restricted.title not in page and world.item_restricted.text not in page
    assert WITHHELD in page


def test_the_print_view_shows_the_same_items_as_the_page(world, login):
    page = login(world.counsellor).get(reverse("protocols:protocol_print", args=[world.protocol.pk])).content.decode()
    assert world.item_restricted.title in page and WITHHELD in page
    assert "<nav" not in page


def test_a_parent_sees_the_summary_first_and_only_parent_visible_items(world, login):
    services.parent_summary_set(world.convenor, protocol=world.protocol, text="Wir treffen uns wieder im Mai.")
    page = login(world.parent).get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode()
    assert page.index("Wir treffen uns wieder im Mai.") < page.index(world.item_everyone.title)
    assert world.item_professionals.title not in page and world.item_restricted.title not in page
    assert "<details" in page


def test_an_item_is_edited_without_javascript_and_a_stale_form_shows_the_current_text(world, login):
    client = login(world.convenor)
    url = reverse("protocols:item_edit", args=[world.item_everyone.pk])
    base = {"title": "Situation", "audience": "everyone", "version": world.item_everyone.version}
    assert client.post(url, {**base, "text": "Erste Fassung"}).status_code == 302
    stale = client.post(url, {**base, "text": "Zweite Fassung"})
    assert stale.status_code == 409
    assert "Erste Fassung" in stale.content.decode() and "Zweite Fassung" in stale.content.decode()
    assert ProtocolItem.objects.get(pk=world.item_everyone.pk).text == "Erste Fassung"


def test_a_bad_item_form_shows_field_errors_and_changes_nothing(world, login):
    count = ProtocolItem.objects.count()
    response = login(world.convenor).post(reverse("protocols:item_create", args=[world.protocol.pk]),
                                          {"title": "", "audience": "restricted"})
    assert response.status_code == 400 and "errorlist" in response.content.decode()
    assert ProtocolItem.objects.count() == count


def test_a_final_protocol_refuses_a_change_through_the_page(world, login):
    hold_conference(world.conference)
    services.protocol_release(world.convenor, protocol=world.protocol)
    services.protocol_finalise(world.convenor, protocol=Protocol.objects.get(pk=world.protocol.pk), confirm_early=True)
    client = login(world.convenor)
    client.post(reverse("protocols:item_edit", args=[world.item_everyone.pk]),
                {"title": "x", "text": "Zu spät", "audience": "everyone", "version": world.item_everyone.version})
    client.post(reverse("protocols:item_create", args=[world.protocol.pk]), {"title": "Neu", "audience": "everyone"})
    assert ProtocolItem.objects.get(pk=world.item_everyone.pk).text != "Zu spät"
    assert not ProtocolItem.objects.filter(title="Neu").exists()
    page = client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode()
    # The item's text is locked; its holder (the convenor's organisation wrote it) may only narrow
    # who reads it (services.holder_may_narrow), which the page offers instead of editing.
    assert "locked" in page and ">Edit item<" not in page and "Narrow who may read it" in page


def test_a_final_protocol_is_not_editable_in_the_admin(world, login):
    client = login(world.admin)
    assert client.get("/admin/protocols/protocol/").status_code == 404
    assert client.get(f"/admin/protocols/protocolitem/{world.item_everyone.pk}/change/").status_code == 404


def test_my_actions_lists_overdue_first_and_links_to_case_and_item(world, login):
    import datetime as dt

    from django.utils import timezone

    late = AgreedAction.objects.create(case=world.case, item=world.item_professionals, title="Überfällig",
                                       responsible_organisation=world.counselling, due_on=timezone.localdate() - dt.timedelta(days=3))
    page = login(world.counsellor).get(reverse("protocols:my_actions")).content.decode()
    assert page.index("Überfällig") < page.index(world.action_counselling.title)
    assert reverse("protocols:action_detail", args=[late.pk]) in page
    assert f"#item-{world.item_professionals.pk}" in page
    assert world.action_parent.title not in page
    filtered = login(world.counsellor).get(reverse("protocols:my_actions"), {"due": "overdue"}).content.decode()
    assert "Überfällig" in filtered and world.action_counselling.title not in filtered


def test_a_colleague_updates_an_action_and_the_history_is_kept(world, login):
    url = reverse("protocols:action_detail", args=[world.action_counselling.pk])
    client = login(world.counsellor)
    assert "No entries yet." in client.get(url).content.decode()  # an empty history says so
    assert client.post(url, {"status": "in_progress", "note": "Erstgespräch", "version": 1}).status_code == 302
    page = client.get(url).content.decode()
    assert "Erstgespräch" in page and "No entries yet." not in page
    assert AgreedAction.objects.get(pk=world.action_counselling.pk).status == "in_progress"
    assert login(world.midwife).post(url, {"status": "done", "version": 2}).status_code in (403, 404)


def test_the_convenor_releases_sees_acknowledgements_and_finalises(world, login):
    hold_conference(world.conference)
    client = login(world.convenor)
    client.post(reverse("protocols:protocol_release", args=[world.protocol.pk]))
    detail = reverse("protocols:protocol_detail", args=[world.protocol.pk])
    ack = reverse("protocols:protocol_acknowledge", args=[world.protocol.pk])
    # A released draft is open for corrections, not for confirming that one has read it.
    counsellor_page = login(world.counsellor).get(detail).content.decode()
    assert ack not in counsellor_page and "I have read the protocol" not in counsellor_page
    login(world.counsellor).post(ack)
    assert not world.protocol.acknowledgements.exists()
    client = login(world.convenor)
    assert "Who has read the protocol" not in client.get(detail).content.decode()
    client.post(reverse("protocols:protocol_finalise", args=[world.protocol.pk]))
    assert not Protocol.objects.get(pk=world.protocol.pk).is_final  # the correction window still runs
    assert "Confirm that you end the correction window early" in client.get(detail).content.decode()
    client.post(reverse("protocols:protocol_finalise", args=[world.protocol.pk]), {"confirm_early": "on"})
    assert Protocol.objects.get(pk=world.protocol.pk).is_final
    counsellor = login(world.counsellor)
    assert ack in counsellor.get(detail).content.decode()
    counsellor.post(ack)
    page = login(world.convenor).get(detail).content.decode()
    assert "Who has read the protocol" in page and "Not yet" in page and "Counsellor" in page
    assert world.protocol.acknowledgements.filter(user=world.counsellor).exists()


def test_the_restricted_organisations_are_a_group_named_by_its_legend_in_the_new_and_the_edit_form(world, login):
    """WCAG 1.3.1: a screen reader names each organisation's checkbox together with its question."""
    client = login(world.convenor)
    legend = "<legend>Organisations that may read it (restricted items)</legend>"
    for url in (reverse("protocols:protocol_detail", args=[world.protocol.pk]),
                reverse("protocols:item_edit", args=[world.item_everyone.pk])):
        page = client.get(url).content.decode()
        assert re.search(r"<fieldset[^>]*>\s*" + re.escape(legend), page)
        assert "<label>Organisations that may read it" not in page


def test_each_open_in_protocol_link_on_my_actions_names_its_action(world, login):
    """WCAG 2.4.4: the repeated link text is told apart by the action it opens."""
    page = login(world.counsellor).get(reverse("protocols:my_actions")).content.decode()
    assert (f'Open in protocol<span class="visually-hidden"> ({world.action_counselling.title})</span></a>') in page
