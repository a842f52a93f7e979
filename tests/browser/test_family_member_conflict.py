"""Browser: two caseworkers, each in a browser of her own, correct the same family member from
the case page at once. The second save does not silently revert the first: she is told, her
input stays in the form beside the record as it is now, and saving again is her decision."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from cases.models import FamilyMember

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def case_page(browser, live_server, user, case):
    """A browser context of its own for ``user``, on the case page (the only ``goto``)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="en-GB")
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": live_server.url}])
    page = context.new_page()
    page.goto(live_server.url + reverse("cases:case_detail", args=[case.pk]))
    return page


def test_two_caseworkers_correcting_the_mother_at_once_do_not_overwrite_each_other(live_server, browser, world):
    first = case_page(browser, live_server, world.convenor, world.case)
    second = case_page(browser, live_server, world.lead_colleague, world.case)
    # Both open the correction form before either saves.
    for page in (first, second):
        page.get_by_role("link", name="Correct (M.)").click()
        expect(page.get_by_label("First name or initials")).to_have_value("M.")

    first.get_by_label("First name or initials").fill("Maria")
    first.get_by_role("button", name="Save correction").click()
    expect(first.get_by_text("The record of Maria (Mother) is corrected.")).to_be_visible()

    second.get_by_label("E-mail for invitations").fill("maria.neu@example.org")
    second.get_by_role("button", name="Save correction").click()
    # Refused: she is told, the record as it is now is shown, and what she typed is still there.
    expect(second.get_by_text("Someone else changed this meanwhile.")).to_be_visible()
    current = second.get_by_role("region", name="As it is now")
    expect(current).to_contain_text("Maria")
    expect(second.get_by_label("E-mail for invitations")).to_have_value("maria.neu@example.org")
    expect(second.get_by_label("First name or initials")).to_have_value("M.")
    stored = FamilyMember.objects.get(pk=world.mother.pk)
    assert (stored.display_name, stored.email) == ("Maria", "parent@example.org")

    # Having seen the current record, she keeps the new name and saves her address on purpose.
    second.get_by_label("First name or initials").fill("Maria")
    second.get_by_role("button", name="Save correction").click()
    expect(second.get_by_text("The record of Maria (Mother) is corrected.")).to_be_visible()
    stored = FamilyMember.objects.get(pk=world.mother.pk)
    assert (stored.display_name, stored.email) == ("Maria", "maria.neu@example.org")
