"""A conference guest (here an early-help worker invited as an interpreter would be) reaches the
conference and its protocol from her dashboard and finds only what is hers: no link to "your
family's case" or "my agreements" (which led her to a "page not found"), the items for everyone
open in front of her, and nothing for the professionals; once the convenor cancels the
conference, it is gone for her."""
from __future__ import annotations

import pytest

from access import grant_services
from tests.browser.test_caseworker_journey import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_guest_finds_the_conference_and_its_protocol_without_dead_ends_until_it_is_cancelled(live_server, browser, world):
    grant_services.guest_invite(world.convenor, conference=world.conference, guest=world.outsider, note="Dolmetscherin")
    guest = signed_in(browser, live_server, world.outsider)
    guest.get_by_role("link", name="Substitutes and guests").click()
    guest.get_by_role("link", name=world.case.reference + ",").first.click()
    guest.get_by_text("You take part in this conference as a guest").wait_for()
    main = guest.locator("main")
    assert main.get_by_role("link", name="Your family's case").count() == 0
    assert main.get_by_role("link", name="My agreements").count() == 0

    guest.get_by_role("link", name="Read the protocol").click()
    guest.get_by_role("heading", name="What we agreed").wait_for()
    assert main.get_by_role("heading", name="What you agreed to do").count() == 0
    assert main.get_by_text(world.item_everyone.title).is_visible()  # open, not folded away
    assert main.get_by_text(world.item_professionals.title).count() == 0
    assert main.get_by_text(world.item_restricted.title).count() == 0
    # every link on her pages leads somewhere she may go
    for href in {a.get_attribute("href") for a in main.locator("a[href^='/']").all()}:
        assert guest.request.get(live_server.url + href).status == 200, href
    guest.get_by_role("link", name="Conference").click()
    guest.get_by_text("You take part in this conference as a guest").wait_for()

    convenor = signed_in(browser, live_server, world.convenor)
    upcoming = convenor.locator("section", has=convenor.get_by_role("heading", name="Upcoming conferences"))
    upcoming.get_by_role("link", name=world.case.reference).first.click()
    convenor.get_by_role("heading", level=1).wait_for()
    convenor.get_by_role("link", name="Cancel the conference").click()
    convenor.get_by_role("button", name="Cancel the conference").click()
    convenor.get_by_text("Cancelled").first.wait_for()

    assert guest.reload().status == 404
