"""Journeys that start from a notification, in a real browser. After signing in, the tests only
click visible links and buttons (the start page is the only address typed), so a dead end fails."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect
from django.utils import timezone

from tests.world import ended_first_half_year

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
    expect(page.get_by_text("Rückfallprophylaxe besprechen").first).to_be_visible()
    page.locator("#id_status").select_option("in_progress")
    page.locator("#id_note").fill("Erster Termin vereinbart")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The action is updated.")).to_be_visible()
    page.get_by_role("link", name="My actions").click()
    expect(page.get_by_text("Rückfallprophylaxe besprechen").first).to_be_visible()
    page.get_by_role("link", name="Calendar", exact=True).click()
    page.get_by_role("button", name="Create link").click()
    assert "/feeds/" in page.locator("#feed-https").input_value()


def test_caseworker_releases_and_finalises_by_clicking_and_the_danish_parent_confirms_the_final_protocol(live_server, browser, world):
    """The whole chain by clicking: the convenor releases the draft and finalises it; the parent
    sees the released draft marked as a draft (nothing to confirm yet), then follows the
    notification to the final protocol, confirms she has read it and sees who read her data."""
    from protocols.models import Acknowledgement, Protocol
    from tests.browser.test_caseworker_journey import signed_in
    from tests.world import hold_conference

    hold_conference(world.conference)  # time passes: the conference took place (the only change not made by clicking)
    world.parent.preferred_language = "da"
    world.parent.save(update_fields=["preferred_language"])

    convenor = signed_in(browser, live_server, world.convenor)
    convenor.get_by_role("link", name="Protocol: release the draft").click()
    convenor.get_by_role("button", name="Release draft to participants").click()
    convenor.get_by_text("The draft is released").first.wait_for()

    parent = signed_in(browser, live_server, world.parent)
    parent.locator("#language-select").select_option("da")
    parent.locator("form.language button").click()
    parent.get_by_role("link", name="Mine aftaler").first.click()
    parent.get_by_role("link", name=re.compile("^Netværksmøde den")).first.click()
    expect(parent.locator("#draft-note")).to_be_visible()  # a released draft is marked as such ...
    assert parent.get_by_role("button", name="Jeg har læst det").count() == 0  # ... and not to be confirmed

    convenor.get_by_role("link", name="Overview").click()
    convenor.get_by_role("link", name="Protocol: finalise").click()
    convenor.get_by_label("Yes, finalise now").check()
    convenor.get_by_role("button", name="Finalise protocol").click()
    convenor.get_by_text("The protocol is final").first.wait_for()
    assert Protocol.objects.get(pk=world.protocol.pk).is_final

    parent.get_by_role("link", name="Oversigt").first.click()
    parent.get_by_role("link", name="Beskeder").click()
    parent.get_by_role("link", name="Referatet i sag KT-2026-001 er endeligt").click()
    assert parent.locator("#draft-note").count() == 0
    expect(parent.get_by_text(world.action_parent.title).first).to_be_visible()  # her own action, first, not hidden
    parent.get_by_role("button", name="Jeg har læst det").click()
    parent.get_by_text("Du har bekræftet, at du har læst dette referat.").first.wait_for()
    assert Acknowledgement.objects.filter(protocol=world.protocol, user=world.parent).exists()
    parent.get_by_role("link", name="Mine aftaler").first.click()
    expect(parent.get_by_text("du har bekræftet, at du har læst det")).to_be_visible()
    parent.get_by_role("link", name="Hvem har læst mine data").first.click()
    body = parent.locator("main").inner_text()
    # her own reading, in words: "You" ("Dig"), never her user name or a code
    assert "\tDig\t" in body and "\tparent\t" not in body and "protocol.read" not in body


def test_board_member_opens_a_summary_with_real_figures_and_downloads_the_csv(live_server, browser_login, world):
    from board import services

    summary = services.summary_publish(world.coordinator, summary=services.summary_compute(
        world.coordinator, network=world.network, year=ended_first_half_year(), half=1))
    page = browser_login(world.board_member)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Half-year summaries").first.click()
    page.get_by_role("link", name=f"{summary.year} H1").first.click()
    # waits for the summary page to have loaded (counting at once could still see it loading)
    page.locator("svg.chart").first.wait_for()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as CSV").click()
    with open(download_info.value.path(), encoding="utf-8-sig") as handle:
        assert "Conferences held" in handle.read()


def test_data_protection_officer_finds_the_counsellors_read_in_the_audit_log(live_server, browser, world):
    """The counsellor opens a case by clicking; the DPO finds that read in her audit log, on its
    first page and by filtering for the counsellor."""
    from tests.browser.test_caseworker_journey import signed_in

    counsellor = signed_in(browser, live_server, world.counsellor)
    counsellor.get_by_role("link", name="Cases", exact=True).click()
    counsellor.get_by_role("link", name=world.case.reference).click()
    counsellor.get_by_role("heading", name="Case team").wait_for()

    dpo = signed_in(browser, live_server, world.dpo)
    dpo.get_by_role("link", name="Audit log").first.click()
    # Counted only once the log has loaded: counting at once could still see her dashboard (CI,
    # two browser workers: the count found the dashboard's table and no row).
    dpo.wait_for_url(re.compile(r"/audit/$"))
    table = dpo.get_by_role("table").first
    # The officer's log names actions in words ("Case – read"), not by their codes.
    reads = table.get_by_role("row").filter(has_text="Case – read").filter(has_text="counsellor")
    reads.first.wait_for()
    assert reads.count() >= 1 and world.case.reference in reads.first.inner_text()
    assert "Audit log – read" in table.inner_text() and "case.read" not in table.inner_text()
    dpo.get_by_label("Person (user name)").fill("counsellor")
    dpo.get_by_role("button", name="Filter").click()
    dpo.wait_for_url(re.compile(r"person=counsellor"))
    rows = dpo.get_by_role("table").first.locator("tbody tr")
    rows.first.wait_for()
    texts = [rows.nth(i).inner_text() for i in range(rows.count())]
    assert any("Case – read" in text and world.case.reference in text for text in texts)
    assert all("\tcounsellor\t" in text for text in texts)


def test_technical_admin_reaches_the_administration_from_her_dashboard(live_server, browser, world):
    from tests.browser.test_caseworker_journey import signed_in

    admin = signed_in(browser, live_server, world.admin)
    assert admin.get_by_text("no role in a network").count() == 0
    admin.get_by_role("link", name="Open the administration").click()
    admin.get_by_role("heading", name=re.compile("administration", re.I)).first.wait_for()
    assert "/admin/" in admin.url
