"""Browser, clicking only: a midwife asks the central case manager anonymously, then refers a
client with consent; the case manager refers her on to a full track and she is waitlisted; a
place frees up; the track accepts her, enrols her and her two sessions land in the social
worker's calendar; the board's yearly figures show only ended years, so they do not show her
while the year of her enrolment runs (review h3-5c)."""
from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def journey_world(world):
    from offers import referral_services as rs
    from offers.models import Offer
    from tests.offers.offer_world import build_offer_world

    offers = build_offer_world(world)
    Offer.objects.filter(pk=offers.network_offer.pk).update(capacity=1, capacity_unit="concurrent")
    occupant = rs.referral_create(offers.case_manager, offer=offers.network_offer, client_label="Z.")
    rs.referral_accept(world.outsider, referral=occupant)
    return offers


def decide(page, decision: str) -> None:
    page.get_by_label("Decision").select_option(label=decision)
    page.get_by_role("button", name="Save the decision").click()


def test_from_anonymous_question_to_sessions_in_the_calendar(live_server, browser_login, world, journey_world, client):
    offers = journey_world
    # 1. The midwife asks anonymously.
    page = browser_login(world.midwife)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Central case manager").click()
    page.get_by_role("link", name="New request").click()
    page.get_by_label("Anonymous consultation: advice without any personal data").check()
    page.get_by_label("Situation").fill("Eine Schwangere trinkt abends Alkohol. Wie spreche ich es an?")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("Only you and the case manager can read it")).to_be_visible()
    # 2. ... then refers a client with her consent.
    page.get_by_role("link", name="All requests").click()
    page.get_by_role("link", name="New request").click()
    page.get_by_label("Referral of a client: with her documented consent").check()
    page.get_by_label("Situation").fill("Sie möchte Begleitung in der Schwangerschaft.")
    page.get_by_label("Client (first name or initials)").fill("S.")
    page.get_by_label("Reference of the signed consent form").fill("SE-2026-44")
    page.get_by_label("Consent given on").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_role("heading", name="Referral of a client (with consent)")).to_be_visible()

    # 3. The case manager refers her on to the full track.
    page = browser_login(offers.case_manager)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Central case manager").click()
    page.get_by_role("link", name="Referral of a client (with consent)").first.click()
    page.get_by_label("Offer:", exact=True).select_option(label=f"{offers.network_offer.name} ({world.early_help}) – Accepting new clients")
    page.get_by_role("button", name="Refer", exact=True).click()
    expect(page.get_by_text(f"Referred to “{offers.network_offer.name}”")).to_be_visible()

    # 4. The track's social worker accepts: the track is full, so she is waitlisted.
    page = browser_login(world.outsider)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Referrals", exact=True).click()
    page.get_by_role("link", name="S.", exact=True).click()
    decide(page, "Accept")
    expect(page.get_by_text("Status now: On the waiting list.")).to_be_visible()
    expect(page.get_by_text("Place 1 of 1 on the waiting list.")).to_be_visible()

    # 5. A place frees up: the family before her completes.
    page.get_by_role("link", name="All referrals").click()
    page.get_by_role("link", name="Z.", exact=True).click()
    decide(page, "Help has begun")
    decide(page, "Completed")
    expect(page.get_by_text("Status now: Completed.")).to_be_visible()

    # 6. The offer accepts her, enrols her and schedules the two sessions.
    page.get_by_role("link", name="All referrals").click()
    page.get_by_role("link", name="S.", exact=True).click()
    expect(page.get_by_text("a place has become free and is offered to her")).to_be_visible()
    decide(page, "Accept")
    expect(page.get_by_text("Status now: Accepted.")).to_be_visible()
    page.get_by_role("link", name="Enrol the family in the track").click()
    page.get_by_label("From the referral").select_option(index=1)
    page.get_by_role("button", name="Enrol", exact=True).click()
    expect(page.get_by_text("Enrolled. Now schedule the sessions.")).to_be_visible()
    for days in (3, 10):
        start = (timezone.localtime() + dt.timedelta(days=days)).replace(hour=10, minute=0)
        page.get_by_label("Starts at").fill(start.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_role("button", name="Schedule", exact=True).click()
        expect(page.get_by_text("Session scheduled")).to_be_visible()
    assert page.get_by_role("radio", name="did not come").count() == 2

    # The two sessions are in the social worker's calendar feed.
    from calendars import services as calendar_services

    _token, raw = calendar_services.feed_token_create(world.outsider)
    cal = Calendar.from_ical(client.get(reverse("calendars:feed", args=[raw])).content)
    assert len([e for e in cal.walk("VEVENT") if str(e["UID"]).startswith("offer-session-")]) == 2

    # 7. The board's yearly figures show the last ended year only: the running year, in which she
    # was enrolled, is neither shown nor offered, and asking for it is refused.
    page = browser_login(world.board_member)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Partnership figures").click()
    this_year = timezone.localdate().year
    expect(page.get_by_role("heading", level=1)).to_contain_text(str(this_year - 1))
    years = page.get_by_label("Year").locator("option").all_inner_texts()
    assert str(this_year) not in years and years[0] == str(this_year - 1)
    served = page.locator(f"#track-{offers.network_offer.pk} ~ dl dd.served")
    assert served.inner_text().strip().startswith("0")
    page.goto(live_server.url + reverse("offers:partnership_figures") + f"?year={this_year}")
    expect(page.get_by_role("alert")).to_contain_text("computed once it has ended")
    expect(page.locator(f"#track-{offers.network_offer.pk}")).to_have_count(0)
