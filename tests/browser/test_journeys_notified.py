"""Journeys that start from a notification, in a real browser. After signing in, the tests only
click visible links and buttons (the start page is the only address typed), so a dead end fails."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_counsellor_follows_her_notification_to_the_action_updates_it_and_subscribes_her_calendar(live_server, browser_login, world):
    from protocols import services

    services.action_create(world.convenor, item=world.item_professionals, title="Rückfallprophylaxe besprechen",
                           due_on=timezone.localdate() + dt.timedelta(days=10),
                           responsible_user=world.counsellor, responsible_organisation=world.counselling)
    page = browser_login(world.counsellor)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Notifications").click()
    page.get_by_role("link", name="An agreed action in case KT-2026-001 falls to you").click()
    assert page.get_by_text("Rückfallprophylaxe besprechen").first.is_visible()
    page.locator("#id_status").select_option("in_progress")
    page.locator("#id_note").fill("Erster Termin vereinbart")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_text("The action is updated.").is_visible()
    page.get_by_role("link", name="My actions").click()
    assert page.get_by_text("Rückfallprophylaxe besprechen").first.is_visible()
    page.get_by_role("link", name="Calendar", exact=True).click()
    page.get_by_role("button", name="Create link").click()
    assert "/feeds/" in page.locator("#feed-https").input_value()


def test_parent_in_danish_follows_her_notification_to_what_was_agreed_confirms_and_sees_who_read_her_data(live_server, browser_login, world):
    from protocols.models import Protocol

    world.parent.preferred_language = "da"
    world.parent.save(update_fields=["preferred_language"])
    # The protocol became final (its steps have their own tests); announcing it notifies her.
    from django.db import transaction

    from protocols import announce

    with transaction.atomic():
        Protocol.objects.filter(pk=world.protocol.pk).update(status=Protocol.Status.FINAL, finalised_at=timezone.now())
        announce.finalised(world.convenor, world.protocol)
    page = browser_login(world.parent)
    page.goto(live_server.url + "/")
    page.locator("#language-select").select_option("da")
    page.locator("form.language button").click()
    page.get_by_role("link", name="Beskeder").click()
    page.get_by_role("link", name="Referatet i sag KT-2026-001 er endeligt").click()
    assert page.get_by_text(world.action_parent.title).first.is_visible()  # her own action, first, not hidden
    page.get_by_role("button", name="Jeg har læst det").click()
    page.get_by_role("link", name="Mine aftaler").first.click()
    assert page.get_by_text("du har bekræftet, at du har læst det").is_visible()
    page.get_by_role("link", name="Hvem har læst mine data").first.click()
    body = page.locator("main").inner_text()
    # her own reading, in words: "You" ("Dig"), never her user name or a code
    assert "\tDig\t" in body and "\tparent\t" not in body and "protocol.read" not in body


def test_board_member_opens_a_summary_with_real_figures_and_downloads_the_csv(live_server, browser_login, world):
    from protocols.board import services

    summary = services.summary_publish(world.coordinator, summary=services.summary_compute(
        world.coordinator, network=world.network, year=world.summary.year + 1, half=1))
    page = browser_login(world.board_member)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Half-year summaries").first.click()
    page.get_by_role("link", name=f"{summary.year} H1").first.click()
    assert page.locator("svg.chart").count() >= 1
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as CSV").click()
    with open(download_info.value.path(), encoding="utf-8-sig") as handle:
        assert "Conferences held" in handle.read()


def test_data_protection_officer_opens_the_audit_log(live_server, browser_login, world):
    from permissions import audit

    audit.record(world.counsellor, action="case.read", obj=world.case, case_id=world.case.pk, legal_basis="team")
    page = browser_login(world.dpo)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Audit log").first.click()
    table = page.get_by_role("table").first
    assert table.is_visible()
    assert "audit_log.view" in table.inner_text()
