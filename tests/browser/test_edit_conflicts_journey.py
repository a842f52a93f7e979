"""Browser: two people, each in a browser of her own, change the same thing at once through the
real pages. Each starts on her dashboard and only clicks what she sees. The second save does not
silently overwrite the first: she is told, her input stays in the form beside the values as they
are now, and saving again is her decision, which then succeeds."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import formats, timezone, translation
from playwright.sync_api import expect

from access import grant_services
from board.models import BoardMeeting, HalfYearSummary
from conferences.models import Conference
from offers.models import Offer
from participants.models import NetworkRole
from protocols.models import Protocol
from tests.browser.test_accessibility import _serious_violations
from tests.offers.offer_world import build_offer_world
from tests.world import hold_conference, make_professional, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONFLICT = "Someone else changed this meanwhile"
PHONE = re.compile(r"^Phone\b")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def dashboard(browser, live_server, user):
    """A browser context of its own for ``user``, on her dashboard (the only ``goto``)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="en-GB")
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": live_server.url}])
    context.set_default_timeout(5000)
    page = context.new_page()
    page.goto(live_server.url + "/")
    return page


def open_case(page, case) -> None:
    """From anywhere: the navigation's case list, then the case."""
    nav(page, "Cases")
    page.get_by_role("link", name=case.reference, exact=True).click()


def open_protocol(page, case) -> None:
    open_case(page, case)
    steps = page.get_by_role("region", name="Protocols")
    steps.get_by_role("link", name=re.compile("protocol", re.I)).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Protocol")


def nav(page, name: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=name, exact=True).first.click()


def refused(page):
    """The refused page: the message, and the values as they are now in a region of their own.
    The page must itself pass axe's serious and critical WCAG rules."""
    expect(page.get_by_text(CONFLICT).first).to_be_visible()
    assert _serious_violations(page, "409") == []
    return page.get_by_role("region", name="As it is now")


def _day(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def _shown(day: dt.date) -> str:
    with translation.override("en"):
        return formats.date_format(day, "DATE_FORMAT")


# --- 1. The protocol's next review date --------------------------------------------------------

def test_convenor_and_minute_taker_setting_the_next_review_at_once(live_server, browser, world):
    grant_services.minute_taker_delegate(world.convenor, protocol=world.protocol, delegate=world.counsellor)
    convenor = dashboard(browser, live_server, world.convenor)
    minute_taker = dashboard(browser, live_server, world.counsellor)
    for page in (convenor, minute_taker):
        open_protocol(page, world.case)
        expect(page.get_by_label("Next review")).to_have_value("")

    minute_taker.get_by_label("Next review").fill(_day(90).isoformat())
    minute_taker.get_by_role("button", name="Set next review").click()
    expect(minute_taker.get_by_text(_shown(_day(90))).first).to_be_visible()

    convenor.get_by_label("Next review").fill(_day(120).isoformat())
    convenor.get_by_role("button", name="Set next review").click()
    expect(refused(convenor)).to_contain_text(_shown(_day(90)))
    expect(convenor.get_by_label("Next review")).to_have_value(_day(120).isoformat())
    assert Protocol.objects.get(pk=world.protocol.pk).next_review_on == _day(90)

    convenor.get_by_role("button", name="Set next review").click()
    expect(convenor.get_by_text(_shown(_day(120))).first).to_be_visible()
    assert Protocol.objects.get(pk=world.protocol.pk).next_review_on == _day(120)


# --- 2. Attendance at a conference -------------------------------------------------------------

def test_two_convenors_recording_the_same_attendance_at_once(live_server, browser, world):
    hold_conference(world.conference)
    first = dashboard(browser, live_server, world.convenor)
    second = dashboard(browser, live_server, world.lead_colleague)
    for page in (first, second):
        open_protocol(page, world.case)
        page.get_by_role("link", name="Record attendance").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Attendance")

    mother = str(world.mother)
    first.get_by_role("group", name=mother).get_by_label("present").check()
    first.get_by_role("button", name="Save attendance").click()
    expect(first.get_by_role("heading", level=1)).not_to_contain_text("Attendance")

    second.get_by_role("group", name=mother).get_by_label("absent").check()
    second.get_by_role("button", name="Save attendance").click()
    expect(refused(second)).to_contain_text("present")
    expect(second.get_by_role("group", name=mother).get_by_label("absent")).to_be_checked()

    second.get_by_role("button", name="Save attendance").click()
    expect(second.get_by_role("heading", level=1)).not_to_contain_text("Attendance")
    world.invitation_parent.refresh_from_db()
    assert world.invitation_parent.attendance == "absent"


# --- 3. An offer's availability ----------------------------------------------------------------

def offer_row(page, offer):
    nav(page, "Our offers")
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=offer.name, exact=True))


def test_two_staff_members_updating_an_offers_availability_at_once(live_server, browser, world):
    offer = build_offer_world(world).public_offer
    colleague = make_professional("counsellor2", world.counselling)
    first = dashboard(browser, live_server, world.counsellor)
    second = dashboard(browser, live_server, colleague)
    first_row, second_row = offer_row(first, offer), offer_row(second, offer)
    for row in (first_row, second_row):
        expect(row.get_by_label("Availability")).to_have_value("accepting")

    first_row.get_by_label("Availability").select_option("waitlist")
    first_row.get_by_label(re.compile("wait", re.I)).last.fill("6")
    first_row.get_by_role("button", name="Update").click()
    expect(offer_row(first, offer).get_by_label("Availability")).to_have_value("waitlist")

    second_row.get_by_label("Availability").select_option("not_accepting")
    second_row.get_by_role("button", name="Update").click()
    current = refused(second)
    expect(current).to_contain_text("Waiting list")
    expect(current).to_contain_text("6")
    expect(second.get_by_label("Availability")).to_have_value("not_accepting")
    assert Offer.objects.get(pk=offer.pk).availability == "waitlist"

    second.get_by_role("button", name="Update").click()
    expect(second.get_by_role("heading", level=1)).to_have_text("Our offers")
    expect(offer_row(second, offer).get_by_label("Availability")).to_have_value("not_accepting")
    assert Offer.objects.get(pk=offer.pk).availability == "not_accepting"


# --- 4. The board's commentary and a board meeting's minutes -----------------------------------

@pytest.fixture
def coordinators(world):
    colleague = make_user("coordinator2")
    NetworkRole.objects.create(user=colleague, network=world.network, role=NetworkRole.Role.COORDINATOR)
    return world.coordinator, colleague


def test_two_coordinators_writing_the_commentary_at_once(live_server, browser, world, coordinators):
    draft = HalfYearSummary.objects.create(network=world.network, year=2020, half=1, definitions_version="x",
                                           commentary="Erster Entwurf.")
    first, second = (dashboard(browser, live_server, user) for user in coordinators)
    for page in (first, second):
        nav(page, "Half-year summaries")
        page.get_by_role("link", name=draft.period_label).click()
        expect(page.get_by_label("Commentary for the board")).to_have_value("Erster Entwurf.")

    first.get_by_label("Commentary for the board").fill("Mehr Eltern einbeziehen.")
    first.get_by_role("button", name="Save commentary").click()
    expect(first.get_by_label("Commentary for the board")).to_have_value("Mehr Eltern einbeziehen.")

    second.get_by_label("Commentary for the board").fill("Hebammen fehlen.")
    second.get_by_role("button", name="Save commentary").click()
    expect(refused(second)).to_contain_text("Mehr Eltern einbeziehen.")
    expect(second.get_by_label("Commentary for the board")).to_have_value("Hebammen fehlen.")
    assert HalfYearSummary.objects.get(pk=draft.pk).commentary == "Mehr Eltern einbeziehen."

    second.get_by_label("Commentary for the board").fill("Mehr Eltern einbeziehen. Hebammen fehlen.")
    second.get_by_role("button", name="Save commentary").click()
    expect(second.get_by_label("Commentary for the board")).to_have_value("Mehr Eltern einbeziehen. Hebammen fehlen.")
    expect(second.get_by_text(CONFLICT)).to_have_count(0)
    assert HalfYearSummary.objects.get(pk=draft.pk).commentary == "Mehr Eltern einbeziehen. Hebammen fehlen."


def test_two_coordinators_recording_a_board_meetings_minutes_at_once(live_server, browser, world, coordinators):
    start = timezone.now() - dt.timedelta(hours=3)
    meeting = BoardMeeting.objects.create(network=world.network, starts_at=start, ends_at=start + dt.timedelta(hours=2),
                                          minutes="Stichpunkte.", location="Kreishaus")
    first, second = (dashboard(browser, live_server, user) for user in coordinators)
    for page in (first, second):
        nav(page, "Board meetings")  # in the main navigation since the coordinators' journey was clicked
        page.get_by_role("row").filter(has_text="Kreishaus").get_by_role("link").click()
        expect(page.get_by_label("Minutes", exact=True)).to_have_value("Stichpunkte.")

    first.get_by_label("Minutes", exact=True).fill("Stichpunkte. Haushalt beschlossen.")
    first.get_by_role("button", name="Save minutes").click()
    expect(first.get_by_label("Minutes", exact=True)).to_have_value("Stichpunkte. Haushalt beschlossen.")

    second.get_by_label("Minutes", exact=True).fill("Stichpunkte. Neue Mitglieder.")
    second.get_by_role("button", name="Save minutes").click()
    expect(refused(second)).to_contain_text("Haushalt beschlossen.")
    expect(second.get_by_label("Minutes", exact=True)).to_have_value("Stichpunkte. Neue Mitglieder.")
    assert BoardMeeting.objects.get(pk=meeting.pk).minutes == "Stichpunkte. Haushalt beschlossen."

    second.get_by_label("Minutes", exact=True).fill("Stichpunkte. Haushalt beschlossen. Neue Mitglieder.")
    second.get_by_role("button", name="Save minutes").click()
    expect(second.get_by_text("Haushalt beschlossen. Neue Mitglieder.").first).to_be_visible()
    expect(second.get_by_text(CONFLICT)).to_have_count(0)
    assert BoardMeeting.objects.get(pk=meeting.pk).minutes == "Stichpunkte. Haushalt beschlossen. Neue Mitglieder."


# --- 5. An offer's details, a conference's move, the summary for the parents ------------------

def test_two_staff_members_editing_an_offer_at_once(live_server, browser, world):
    offer = build_offer_world(world).public_offer
    colleague = make_professional("counsellor2", world.counselling)
    first = dashboard(browser, live_server, world.counsellor)
    second = dashboard(browser, live_server, colleague)
    for page in (first, second):
        nav(page, "Our offers")
        page.get_by_role("link", name=offer.name, exact=True).click()
        expect(page.get_by_label("Opening times")).to_have_value("Mo–Fr 9–16 Uhr")

    first.get_by_label("Opening times").fill("Mo–Do 9–12 Uhr")
    first.get_by_role("button", name="Save the offer").click()
    expect(first.get_by_role("heading", level=1)).to_have_text("Our offers")

    second.get_by_label(PHONE).fill("+49 123 9999")
    second.get_by_role("button", name="Save the offer").click()
    current = refused(second)
    expect(current).to_contain_text("Mo–Do 9–12 Uhr")
    expect(current.get_by_role("term").filter(has_text="changed meanwhile")).to_have_text("Opening times (changed meanwhile)")
    expect(second.get_by_label(PHONE)).to_have_value("+49 123 9999")
    assert Offer.objects.get(pk=offer.pk).contact_phone == "+49 123 4567"

    second.get_by_label("Opening times").fill("Mo–Do 9–12 Uhr")
    second.get_by_role("button", name="Save the offer").click()
    expect(second.get_by_role("heading", level=1)).to_have_text("Our offers")
    second.get_by_role("link", name=offer.name, exact=True).click()
    expect(second.get_by_label(PHONE)).to_have_value("+49 123 9999")
    expect(second.get_by_label("Opening times")).to_have_value("Mo–Do 9–12 Uhr")


def test_two_convenors_moving_the_conference_at_once(live_server, browser, world):
    first = dashboard(browser, live_server, world.convenor)
    second = dashboard(browser, live_server, world.lead_colleague)
    for page in (first, second):
        open_case(page, world.case)
        page.get_by_role("link", name=re.compile(str(world.conference.starts_at.year))).first.click()
        page.get_by_role("link", name="Move", exact=True).first.click()
        expect(page.get_by_label("Place")).to_have_value("Rathaus, Raum 2")

    first.get_by_label("Place").fill("Rathaus, Raum 7")
    first.get_by_role("button", name="Move and send updates").click()
    expect(first.get_by_text("Rathaus, Raum 7").first).to_be_visible()

    second.get_by_label("Place").fill("Jugendamt, Raum 5")
    second.get_by_role("button", name="Move and send updates").click()
    expect(refused(second)).to_contain_text("Rathaus, Raum 7")
    expect(second.get_by_label("Place")).to_have_value("Jugendamt, Raum 5")
    assert Conference.objects.get(pk=world.conference.pk).location == "Rathaus, Raum 7"

    second.get_by_role("button", name="Move and send updates").click()
    expect(second.get_by_text("Jugendamt, Raum 5").first).to_be_visible()
    expect(second.get_by_text(CONFLICT)).to_have_count(0)
    assert Conference.objects.get(pk=world.conference.pk).location == "Jugendamt, Raum 5"


def test_two_convenors_writing_the_summary_for_the_parents_at_once(live_server, browser, world):
    hold_conference(world.conference)
    label = "Summary for the parents (plain language)"
    convenor = dashboard(browser, live_server, world.convenor)
    colleague = dashboard(browser, live_server, world.lead_colleague)
    for page in (convenor, colleague):
        open_protocol(page, world.case)
        expect(page.get_by_label(label)).to_have_value("")

    colleague.get_by_label(label).fill("Wir treffen uns im Mai wieder.")
    colleague.get_by_role("button", name="Save summary").click()
    expect(colleague.get_by_text("The summary for the parents is saved.")).to_be_visible()

    convenor.get_by_label(label).fill("Die Hebamme besucht Sie jede Woche.")
    convenor.get_by_role("button", name="Save summary").click()
    expect(convenor.get_by_role("alert").filter(has_text=CONFLICT)).to_be_visible()
    expect(refused(convenor)).to_contain_text("Wir treffen uns im Mai wieder.")
    expect(convenor.get_by_label(label)).to_have_value("Die Hebamme besucht Sie jede Woche.")
    assert Protocol.objects.get(pk=world.protocol.pk).parent_summary == "Wir treffen uns im Mai wieder."

    convenor.get_by_label(label).fill("Wir treffen uns im Mai wieder. Die Hebamme besucht Sie jede Woche.")
    convenor.get_by_role("button", name="Save summary").click()
    expect(convenor.get_by_text("The summary for the parents is saved.")).to_be_visible()
    expect(convenor.get_by_label(label)).to_have_value("Wir treffen uns im Mai wieder. Die Hebamme besucht Sie jede Woche.")
    assert Protocol.objects.get(pk=world.protocol.pk).parent_summary == (
        "Wir treffen uns im Mai wieder. Die Hebamme besucht Sie jede Woche.")
