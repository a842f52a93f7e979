"""Browser, in German: recording who came, through the real pages, by people who only click what
they see after signing in.

1. The staff of a programme track record per session whether the family came: from "Unsere
   Angebote" to the track's enrolments, to the family, to the attendance form. Two of them at once:
   a session both recorded differently refuses the second save (409) with her choice beside the
   record as it is now, and saving again is her decision; a session she left untouched keeps what
   her colleague recorded.
2. A conference's attendance: a person invited after the convenor opened her form does not stand in
   the way of her save, and keeps what a colleague recorded for her."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from conferences.models import Invitation
from offers import track_services
from offers.models import Enrolment, Session
from tests.browser.test_accessibility import _serious_violations
from tests.offers.offer_world import build_offer_world
from tests.world import hold_conference, make_professional

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONFLICT = "Jemand anderes hat dies inzwischen geändert"
SAVED = "Die Anwesenheit ist erfasst."
FIRST, SECOND = re.compile(r"^1\. "), re.compile(r"^2\. ")


@pytest.fixture(autouse=True)
def german(settings):
    settings.LANGUAGE_CODE = "de"


def dashboard(browser, live_server, user):
    """A browser context of its own for ``user``, in German, on her dashboard (the only ``goto``)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="de-DE")
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": live_server.url}])
    context.set_default_timeout(5000)
    page = context.new_page()
    page.goto(live_server.url + "/")
    return page


def nav(page, name: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=name, exact=True).first.click()


def refused(page):
    """The refused page: the message, and the record as it is now in a region of its own. The page
    must itself pass axe's serious and critical WCAG rules."""
    expect(page.get_by_text(CONFLICT).first).to_be_visible()
    assert _serious_violations(page, "409") == []
    return page.get_by_role("region", name="So ist es jetzt")


# --- 1. The sessions of a programme track ------------------------------------------------------

@pytest.fixture
def track(world):
    """The early-help track of the offer world, a family enrolled, two sessions held last week and
    the week before (nothing recorded yet); run by world.outsider and a colleague."""
    offer = build_offer_world(world).network_offer
    colleague = make_professional("earlyhelp2", world.early_help)
    enrolment = Enrolment.objects.create(offer=offer, family_label="Familie A.", enrolled_by=world.outsider)
    sessions = []
    for days in (14, 7):
        start = timezone.now() - dt.timedelta(days=days)
        sessions.append(Session.objects.create(enrolment=enrolment, staff=world.outsider, starts_at=start,
                                               ends_at=start + dt.timedelta(hours=1)))
    return enrolment, sessions, colleague


def open_enrolment(page, enrolment) -> None:
    """From anywhere: "Unsere Angebote", the track's enrolments, the family."""
    nav(page, "Unsere Angebote")
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsere Angebote")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=enrolment.offer.name, exact=True))
    row.get_by_role("link", name="Teilnahmen", exact=True).click()
    page.get_by_role("link", name=enrolment.family_label, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(enrolment.family_label)
    expect(page.get_by_role("heading", name="Teilnahme", exact=True)).to_be_visible()


def session_row(page, name):
    return page.get_by_role("group", name=name)


def _attended(session) -> bool | None:
    return Session.objects.get(pk=session.pk).attended


def test_a_staff_member_records_attendance_from_our_offers(live_server, browser, world, track):
    enrolment, (first, second), _colleague = track
    page = dashboard(browser, live_server, world.outsider)
    open_enrolment(page, enrolment)
    expect(session_row(page, FIRST).get_by_label("nicht erfasst")).to_be_checked()

    session_row(page, FIRST).get_by_label("teilgenommen").check()
    session_row(page, SECOND).get_by_label("nicht erschienen").check()
    page.get_by_role("button", name="Anwesenheit speichern").click()
    expect(page.get_by_text(SAVED)).to_be_visible()
    expect(session_row(page, FIRST).get_by_label("teilgenommen")).to_be_checked()
    expect(session_row(page, SECOND).get_by_label("nicht erschienen")).to_be_checked()
    assert (_attended(first), _attended(second)) == (True, False)


def test_two_staff_members_recording_the_same_session_differently_at_once(live_server, browser, world, track):
    enrolment, (first, second), colleague_user = track
    colleague = dashboard(browser, live_server, colleague_user)
    staff = dashboard(browser, live_server, world.outsider)
    for page in (colleague, staff):
        open_enrolment(page, enrolment)

    # The colleague records both sessions; she then records only the first, differently.
    session_row(colleague, FIRST).get_by_label("teilgenommen").check()
    session_row(colleague, SECOND).get_by_label("nicht erschienen").check()
    colleague.get_by_role("button", name="Anwesenheit speichern").click()
    expect(colleague.get_by_text(SAVED)).to_be_visible()

    session_row(staff, FIRST).get_by_label("nicht erschienen").check()
    staff.get_by_role("button", name="Anwesenheit speichern").click()
    now = refused(staff)
    expect(now).to_contain_text("teilgenommen")
    expect(now).to_contain_text("nicht erschienen")
    # Her choice stays; the session she left untouched now shows her colleague's record.
    expect(session_row(staff, FIRST).get_by_label("nicht erschienen")).to_be_checked()
    expect(session_row(staff, SECOND).get_by_label("nicht erschienen")).to_be_checked()
    assert (_attended(first), _attended(second)) == (True, False)

    staff.get_by_role("button", name="Anwesenheit speichern").click()
    expect(staff.get_by_text(SAVED)).to_be_visible()
    expect(staff.get_by_text(CONFLICT)).to_have_count(0)
    assert (_attended(first), _attended(second)) == (False, False)


def test_a_session_she_left_untouched_keeps_what_a_colleague_recorded_meanwhile(live_server, browser, world, track):
    enrolment, (first, second), colleague_user = track
    colleague = dashboard(browser, live_server, colleague_user)
    staff = dashboard(browser, live_server, world.outsider)
    for page in (colleague, staff):
        open_enrolment(page, enrolment)

    session_row(colleague, SECOND).get_by_label("teilgenommen").check()
    colleague.get_by_role("button", name="Anwesenheit speichern").click()
    expect(colleague.get_by_text(SAVED)).to_be_visible()

    # Her page still shows the second session as not recorded; she records only the first.
    expect(session_row(staff, SECOND).get_by_label("nicht erfasst")).to_be_checked()
    session_row(staff, FIRST).get_by_label("nicht erschienen").check()
    staff.get_by_role("button", name="Anwesenheit speichern").click()
    expect(staff.get_by_text(SAVED)).to_be_visible()
    expect(session_row(staff, SECOND).get_by_label("teilgenommen")).to_be_checked()
    assert (_attended(first), _attended(second)) == (False, True)


def test_a_session_cancelled_while_her_page_was_open_is_named_and_the_rest_saved(live_server, browser, world, track):
    """Her colleague cancels the second session while her page is open; she records both and
    saves: the first is kept, and the page names the second as not saved, and why."""
    enrolment, (first, second), colleague_user = track
    staff = dashboard(browser, live_server, world.outsider)
    open_enrolment(staff, enrolment)
    track_services.session_cancel(colleague_user, session=second)

    session_row(staff, FIRST).get_by_label("teilgenommen").check()
    session_row(staff, SECOND).get_by_label("nicht erschienen").check()
    staff.get_by_role("button", name="Anwesenheit speichern").click()
    expect(staff.get_by_text("Nicht gespeichert: Der Termin")).to_be_visible()
    expect(staff.get_by_text("wurde inzwischen abgesagt, daher wurde Ihre Angabe dazu nicht übernommen")).to_be_visible()
    expect(staff.get_by_text(SAVED)).to_be_visible()
    assert _serious_violations(staff, "attendance, a session cancelled meanwhile") == []
    assert (_attended(first), _attended(second)) == (True, None)


# --- 2. A conference's attendance, with a person invited after the form was opened -------------

def open_attendance(page, world) -> None:
    """From anywhere: "Fälle", the case, its protocol, "Anwesenheit erfassen"."""
    nav(page, "Fälle")
    page.get_by_role("link", name=world.case.reference, exact=True).click()
    page.get_by_role("region", name="Protokolle").get_by_role("link", name=re.compile("protokoll", re.I)).first.click()
    page.get_by_role("link", name="Anwesenheit erfassen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Anwesenheit")


def test_a_person_invited_after_the_form_was_opened_keeps_her_record(live_server, browser, world):
    hold_conference(world.conference)
    convenor = dashboard(browser, live_server, world.convenor)
    open_attendance(convenor, world)
    late_name = str(world.lead_colleague.get_full_name() or world.lead_colleague)
    expect(convenor.get_by_role("group", name=re.compile(re.escape(late_name)))).to_have_count(0)

    # Meanwhile the colleague joins (no page invites anyone once a conference has begun: the record
    # is made as an import or a script would), and she records herself present on a page of her own.
    late = Invitation.objects.create(conference=world.conference, user=world.lead_colleague,
                                     organisation=world.youth_welfare, required=False)
    colleague = dashboard(browser, live_server, world.lead_colleague)
    open_attendance(colleague, world)
    colleague.get_by_role("group", name=re.compile(re.escape(late_name))).get_by_label("anwesend", exact=True).check()
    colleague.get_by_role("button", name="Anwesenheit speichern").click()
    expect(colleague.get_by_text(SAVED)).to_be_visible()

    convenor.get_by_role("group", name=str(world.mother)).get_by_label("anwesend", exact=True).check()
    convenor.get_by_role("button", name="Anwesenheit speichern").click()
    expect(convenor.get_by_text(SAVED)).to_be_visible()
    expect(convenor.get_by_text(CONFLICT)).to_have_count(0)
    world.invitation_parent.refresh_from_db()
    late.refresh_from_db()
    assert (world.invitation_parent.attendance, late.attendance) == ("present", "present")

    # Opened again, the form shows both records.
    convenor.get_by_role("link", name="Anwesenheit erfassen").click()
    expect(convenor.get_by_role("group", name=str(world.mother)).get_by_label("anwesend", exact=True)).to_be_checked()
    expect(convenor.get_by_role("group", name=re.compile(re.escape(late_name))).get_by_label("anwesend", exact=True)).to_be_checked()
