"""Browser: a parent answers the date poll on a phone through her link, the convenor sees the
grid and picks a time, and an invitee answers the invitation on the conference page."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from django.urls import reverse

from conferences import services
from conferences.models import Conference, Invitation, SlotVote
from tests.conferences.helpers import answer_all, convene, without_account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_parent_answers_on_a_phone_convenor_picks_and_counsellor_accepts(live_server, browser_login, context, world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.LANGUAGE_CODE = "en"
    conference = convene(world)
    slots = list(conference.poll.slots.order_by("starts_at"))
    services.poll_vote(world.counsellor, invitation=conference.invitations.get(user=world.counsellor),
                       answers=answer_all(conference, "yes"))
    _, raw = services.poll_link_create(world.convenor, invitation=conference.invitations.get(family_member=without_account(world.mother)))

    phone = context.new_page()
    phone.set_viewport_size({"width": 375, "height": 740})
    phone.goto(live_server.url + reverse("conferences:poll_link_vote", args=[raw]))
    groups = phone.locator("fieldset.vote-slot")
    assert groups.count() == 3
    # Every choice is reachable without horizontal scrolling on a narrow screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    for index in range(3):
        label = "No" if index == 0 else "Yes"
        groups.nth(index).get_by_label(label, exact=True).check()
    phone.get_by_role("button", name="Save my answers").click()
    phone.wait_for_selector("text=your answers were saved")
    mother = conference.invitations.get(family_member=world.mother)
    assert dict(SlotVote.objects.filter(invitation=mother).values_list("slot_id", "answer")) == {
        slots[0].pk: "no", slots[1].pk: "yes", slots[2].pk: "yes"}

    page = browser_login(world.convenor)
    page.goto(live_server.url + reverse("conferences:conference_poll", args=[conference.pk]))
    grid = page.get_by_role("table", name="Answers per candidate time")
    expect(grid).to_be_visible()
    assert grid.locator("td.answer-no").count() == 1
    page.get_by_role("group", name="Candidate time").get_by_role("radio").nth(2).check()
    page.get_by_role("button", name="Schedule and send invitations").click()
    # Only the counselling organisation among the required invitees said yes: a warning first.
    page.wait_for_selector("text=Quorum not met at this time")
    conference.refresh_from_db()
    assert conference.status == Conference.Status.POLLING
    page.get_by_role("button", name="Schedule anyway and send invitations").click()
    page.wait_for_selector("text=The conference is scheduled; invitations were sent.")
    conference.refresh_from_db()
    assert conference.status == Conference.Status.SCHEDULED and conference.starts_at == slots[2].starts_at

    counsellor = browser_login(world.counsellor)
    counsellor.goto(live_server.url + reverse("conferences:conference_detail", args=[conference.pk]))
    counsellor.get_by_label("Decline").check()
    counsellor.get_by_label("Comment (optional)").fill("Fortbildung, Vertretung kommt")
    counsellor.get_by_role("button", name="Send answer").click()
    counsellor.wait_for_selector("text=your answer was saved")
    invitation = conference.invitations.get(user=world.counsellor)
    assert invitation.rsvp == Invitation.Rsvp.DECLINED and invitation.rsvp_comment == "Fortbildung, Vertretung kommt"

    page = browser_login(world.convenor)  # the context's session cookie belongs to the convenor again
    page.goto(live_server.url + reverse("conferences:conference_detail", args=[conference.pk]))
    expect(page.get_by_text("A required invitee declined.")).to_be_visible()
    expect(page.get_by_role("link", name="Reschedule")).to_be_visible()
