"""A path that changes who may read, clicked as its people would: the convenor invites a guest
(an interpreter) to one conference from her dashboard, the guest reaches that conference from
her own dashboard, and after the convenor withdraws the grant the conference is gone for her."""
from __future__ import annotations

import pytest

from permissions.models import ConferenceGuestGrant
from tests.browser.test_caseworker_journey import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_guest_invited_from_the_dashboard_sees_the_conference_until_the_grant_is_withdrawn(live_server, browser, world):
    convenor = signed_in(browser, live_server, world.convenor)
    convenor.get_by_role("link", name="Substitutes and guests").click()
    convenor.get_by_role("heading", name="Invite a guest to one conference").wait_for()
    form = convenor.get_by_role("form", name="Invite a guest to one conference")
    form.get_by_label("Conference:", exact=True).select_option(str(world.conference.pk))
    form.get_by_label("Guest's user name").fill(world.outsider.get_username())
    form.get_by_label("Role (e.g. interpreter)").fill("Dolmetscherin")
    form.get_by_role("button", name="Invite").click()
    guests = convenor.locator("section[aria-labelledby=guests-heading]")
    guests.get_by_text("Dolmetscherin").wait_for()
    grant = ConferenceGuestGrant.objects.get(user=world.outsider, content_object=world.conference)
    assert grant.granted_by_id == world.convenor.pk

    guest = signed_in(browser, live_server, world.outsider)
    guest.get_by_role("link", name="Substitutes and guests").click()
    guest.get_by_role("link", name=world.case.reference + ",").first.click()
    guest.get_by_role("heading", level=1).first.wait_for()
    assert guest.url.endswith(f"/conferences/{world.conference.pk}/")
    assert "404" not in guest.title()

    convenor.reload()
    guests.get_by_role("button", name="Withdraw").click()
    guests.get_by_text("ended").or_(guests.get_by_text("None.")).first.wait_for()

    response = guest.goto(live_server.url + f"/conferences/{world.conference.pk}/")
    assert response.status == 404  # withdrawn: the conference is not hers to see any more
