"""Browser: a new protocol item the service refuses (a restricted item its writer could not read
afterwards: 400, an error summary and a "save anyway" checkbox) opens where the form is, not at
the top of a long protocol: the summary is on screen and has the focus (a screen reader reads it
at once). The form's action names the summary as fragment, so the browser
scrolls to it and focuses it, with or without JavaScript."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from protocols.models import Audience, ProtocolItem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def protocol_page(browser, live_server, world, *, javascript: bool):
    client = Client()
    client.force_login(world.convenor)
    context = browser.new_context(locale="en-GB", java_script_enabled=javascript, viewport={"width": 1280, "height": 720})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": live_server.url}])
    context.set_default_timeout(8000)
    page = context.new_page()
    page.goto(live_server.url + reverse("protocols:protocol_detail", args=[world.protocol.pk]))
    return page


def long_protocol(world) -> None:
    for position in range(4, 16):
        ProtocolItem.objects.create(protocol=world.protocol, position=position, title=f"Punkt {position}",
                                    text="Ein Absatz.\n\n" * 4, audience=Audience.PROFESSIONALS, created_by=world.convenor)


def submit_an_item_she_could_not_read(page) -> None:
    form = page.locator("#new-item-form")
    form.get_by_label("Title").fill("Beratungsverlauf")
    form.get_by_label("Who may read this item").select_option("restricted")
    form.get_by_label("Suchtberatung Test").check()
    form.get_by_label("Organisation holding the information").select_option(label="Suchtberatung Test")
    form.get_by_label("Information category").select_option(index=1)
    form.get_by_role("button", name="Add item").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_the_refused_item_opens_at_its_error_summary(live_server, browser, world, javascript):
    long_protocol(world)
    page = protocol_page(browser, live_server, world, javascript=javascript)
    assert page.evaluate("document.querySelector('#new-item-form').getBoundingClientRect().top") > 720  # far below the fold
    submit_an_item_she_could_not_read(page)

    summary = page.locator("#new-item-form .error-summary")
    expect(summary).to_contain_text("Please correct the marked fields")
    expect(summary).to_be_in_viewport()
    expect(page.locator("#new-item-form").get_by_label("Yes, save it anyway")).to_be_visible()
    assert page.url.endswith("#new-item-errors")
    expect(summary).to_be_focused()  # the fragment names the summary, which can take the focus
    assert not ProtocolItem.objects.filter(title="Beratungsverlauf").exists()


def test_any_refused_form_gives_its_error_summary_the_focus(live_server, browser, world):
    """Other forms name no fragment: the page's script focuses the summary of the refused form."""
    client = Client()
    client.force_login(world.convenor)
    context = browser.new_context(locale="en-GB")
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": live_server.url}])
    page = context.new_page()
    page.goto(live_server.url + reverse("cases:case_family_add", args=[world.case.pk]))
    page.locator("main form").get_by_role("button").last.click()
    page.wait_for_load_state()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Please correct the marked fields")
    expect(summary).to_be_focused()
