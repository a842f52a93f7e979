"""Browser, in German: the pages that refuse, as a person meets them. Each says clearly in German
what happened and what to do, offers a way on, passes axe's serious and critical WCAG rules, leaks
nothing and changes nothing.

1. A page form from an old cached page, without what it started from (its hidden version or
   ``based_on``): 400, "out of date", her input still shown, nothing saved.
2. A poll link for a parent who has had an account since it was issued: she is told to sign in.
3. A reader who may not write reaching the next review's or the parents' summary's form address:
   403 in German with a link back, not the professionals' protocol page."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from conferences import services as conference_services
from offers.models import Enrolment, Session
from permissions.models import AuditEvent
from protocols.models import Protocol
from tests.access_offers import account_by_link
from tests.browser.test_accessibility import _serious_violations
from tests.browser.test_attendance_journeys import FIRST, open_enrolment, session_row
from tests.conferences.helpers import convene, without_account
from tests.offers.offer_world import build_offer_world
from tests.world import hold_conference

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STALE = "Dieses Formular ist veraltet oder unvollständig"


@pytest.fixture(autouse=True)
def german(settings):
    settings.LANGUAGE_CODE = "de"


def new_page(browser, live_server, user=None):
    """A German browser context of its own, signed in as ``user`` (None: nobody signed in)."""
    context = browser.new_context(locale="de-DE")
    if user is not None:
        client = Client()
        client.force_login(user)
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                              "url": live_server.url}])
    context.set_default_timeout(5000)
    return context.new_page()


def dashboard(browser, live_server, user):
    page = new_page(browser, live_server, user)
    page.goto(live_server.url + "/")
    return page


def open_protocol(page, world) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Fälle", exact=True).first.click()
    page.get_by_role("link", name=world.case.reference, exact=True).click()
    page.get_by_role("region", name="Protokolle").get_by_role("link", name=re.compile("protokoll", re.I)).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Protokoll")


def drop_started_from(page, form, name: str) -> None:
    """What an old cached page sends: the form without its hidden started-from field."""
    field = form.locator(f'input[type="hidden"][name="{name}"]')
    expect(field).to_have_count(1)
    field.evaluate("input => input.remove()")


def submit(page, button) -> int:
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        button.click()
    return answer.value.status


def usable(page, label: str) -> None:
    """German, passes axe, and a way on."""
    assert page.evaluate("document.documentElement.lang") == "de"
    assert _serious_violations(page, label) == []


# --- 1. A form from an old cached page ---------------------------------------------------------

def test_an_attendance_form_from_an_old_page_is_refused_and_saves_nothing(live_server, browser, world):
    offer = build_offer_world(world).network_offer
    enrolment = Enrolment.objects.create(offer=offer, family_label="Familie A.", enrolled_by=world.outsider)
    start = timezone.now() - dt.timedelta(days=7)
    session = Session.objects.create(enrolment=enrolment, staff=world.outsider, starts_at=start, ends_at=start + dt.timedelta(hours=1))
    page = dashboard(browser, live_server, world.outsider)
    open_enrolment(page, enrolment)
    session_row(page, FIRST).get_by_label("teilgenommen").check()
    drop_started_from(page, page.locator("form").filter(has=page.get_by_role("button", name="Anwesenheit speichern")), "based_on")

    assert submit(page, page.get_by_role("button", name="Anwesenheit speichern")) == 400
    expect(page.get_by_role("alert")).to_contain_text(STALE)
    expect(page.get_by_role("alert")).to_contain_text("Es wurde nichts gespeichert.")
    expect(session_row(page, FIRST).get_by_label("teilgenommen")).to_be_checked()  # what she entered
    usable(page, "400 attendance")
    assert Session.objects.get(pk=session.pk).attended is None
    assert not AuditEvent.objects.filter(action="session.attendance").exists()

    # She does as told: opens the page again and saves there.
    open_enrolment(page, enrolment)
    session_row(page, FIRST).get_by_label("teilgenommen").check()
    assert submit(page, page.get_by_role("button", name="Anwesenheit speichern")) == 302
    expect(page.get_by_text("Die Anwesenheit ist erfasst.")).to_be_visible()
    assert Session.objects.get(pk=session.pk).attended is True


def test_a_next_review_form_from_an_old_page_is_refused_and_saves_nothing(live_server, browser, world):
    day = timezone.localdate() + dt.timedelta(days=90)
    page = dashboard(browser, live_server, world.convenor)
    open_protocol(page, world)
    page.get_by_label("Nächste Überprüfung").fill(day.isoformat())
    button = page.get_by_role("button", name="Nächste Überprüfung festlegen")
    drop_started_from(page, page.locator("form").filter(has=button), "based_on")

    assert submit(page, button) == 400
    expect(page.get_by_text(STALE).first).to_be_visible()
    expect(page.get_by_label("Nächste Überprüfung")).to_have_value(day.isoformat())
    usable(page, "400 next review")
    assert Protocol.objects.get(pk=world.protocol.pk).next_review_on is None
    assert not AuditEvent.objects.filter(action__contains="next_review").exists()


# --- 2. A poll link of a parent who has an account now -----------------------------------------

def test_a_poll_link_of_a_parent_with_an_account_tells_her_to_sign_in_and_shows_nothing(live_server, browser, world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    conference = convene(world)
    invitation = conference.invitations.get(family_member=without_account(world.mother))
    _link, raw = conference_services.poll_link_create(world.convenor, invitation=invitation)
    account_by_link(world.convenor, world.mother)  # offered access, and she used her set-up link

    phone = new_page(browser, live_server)
    response = phone.goto(live_server.url + reverse("conferences:poll_link_vote", args=[raw]))
    assert response.status in (403, 404, 410)
    main = phone.get_by_role("main")
    expect(main).to_contain_text(re.compile("melden Sie sich .*an", re.I))
    usable(phone, "poll link with an account")
    # Nothing of the conference: no answers to give, no date, place, case or names.
    expect(phone.get_by_role("radio")).to_have_count(0)
    text = main.inner_text()
    for secret in (world.case.reference, "Rathaus", str(world.mother), world.convenor.get_full_name()):
        assert secret not in text, secret
    assert response.headers.get("referrer-policy") == "no-referrer"
    assert "no-store" in response.headers.get("cache-control", "")

    main.get_by_role("link", name=re.compile("anmelden", re.I)).click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Anmelden")


# --- 3. A reader reaching a writer's form address ----------------------------------------------

READER_FORMS = [
    ("midwife", "protocols:next_review", {"next_review_on": "2031-01-15", "based_on": ""},
     "Nur die einladende Fachkraft oder die Protokollführung schreibt das Protokoll."),
    ("parent", "protocols:next_review", {"next_review_on": "2031-01-15"},  # as an old page would
     "Nur die einladende Fachkraft oder die Protokollführung schreibt das Protokoll."),
    ("midwife", "protocols:parent_summary", {"parent_summary": "Wir treffen uns im Mai.", "based_on": ""},
     "Nur die einladende Fachkraft darf das tun."),
    ("parent", "protocols:parent_summary", {"parent_summary": "Wir treffen uns im Mai."},
     "Nur die einladende Fachkraft darf das tun."),
]

POST_FORM = """([action, fields]) => {
    const form = document.createElement("form");
    form.method = "post";
    form.action = action;
    const token = document.querySelector('input[name="csrfmiddlewaretoken"]');
    fields.csrfmiddlewaretoken = token ? token.value : document.cookie.replace(/(?:^|.*;\\s*)csrftoken=([^;]*).*$/, "$1");
    for (const [name, value] of Object.entries(fields)) {
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        input.value = value;
        form.append(input);
    }
    document.body.append(form);
    form.submit();
}"""


def refused_page(page, message: str, label: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Kein Zugriff")
    expect(page.get_by_role("main")).to_contain_text(message)
    # Not the professionals' protocol page with its forms.
    expect(page.get_by_label("Nächste Überprüfung")).to_have_count(0)
    expect(page.get_by_label("Zusammenfassung für die Eltern (einfache Sprache)")).to_have_count(0)
    usable(page, label)
    page.get_by_role("link", name="Zurück zur Übersicht").click()
    expect(page).to_have_url(live_url(page) + "/")


def live_url(page) -> str:
    return re.match(r"^https?://[^/]+", page.url).group(0)


@pytest.mark.parametrize("reader, name, data, message", READER_FORMS)
def test_a_reader_posting_a_writers_form_gets_a_german_403_with_a_way_back(live_server, browser, world, reader, name, data,
                                                                        message):
    hold_conference(world.conference)
    page = dashboard(browser, live_server, getattr(world, reader))
    if reader == "parent":  # from her overview, what was agreed, then the conference's minutes
        page.get_by_role("link", name=re.compile("^Was vereinbart wurde")).click()
        page.get_by_role("link", name=re.compile("^Konferenz")).first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Was wir vereinbart haben")
    else:
        open_protocol(page, world)
    # She sees no such form ...
    expect(page.get_by_role("button", name="Nächste Überprüfung festlegen")).to_have_count(0)
    expect(page.get_by_role("button", name="Zusammenfassung speichern")).to_have_count(0)
    # ... but an old or forwarded page posts it.
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.evaluate(POST_FORM, [reverse(name, args=[world.protocol.pk]), data])
    assert answer.value.status == 403
    refused_page(page, message, f"403 {reader} {name}")
    stored = Protocol.objects.get(pk=world.protocol.pk)
    assert (stored.next_review_on, stored.parent_summary) == (None, "")


@pytest.mark.parametrize("name", ["protocols:next_review", "protocols:parent_summary"])
def test_a_reader_opening_a_writers_form_address_gets_a_german_page_with_a_way_back(live_server, browser, world, name):
    """The address of a form that only takes a posted form, opened as a page (typed, from a
    bookmark, or reloaded after a refused save): a page in German with a way on, not a blank one."""
    page = dashboard(browser, live_server, world.midwife)
    response = page.goto(live_server.url + reverse(name, args=[world.protocol.pk]))
    assert response.status in (403, 405)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    usable(page, f"GET {name}")
    page.get_by_role("link", name="Zurück zur Übersicht").click()
    expect(page).to_have_url(live_url(page) + "/")


def test_a_form_address_opened_as_a_page_leads_back_to_the_page_of_its_form(live_server, browser, world):
    """After a refused save the address bar shows the form's address; opened again, her way back
    is the page the form belongs to, not only the overview."""
    hold_conference(world.conference)
    page = dashboard(browser, live_server, world.convenor)
    open_protocol(page, world)
    protocol_url = page.url.split("#")[0]
    response = page.goto(live_server.url + reverse("protocols:next_review", args=[world.protocol.pk]))
    assert response.status == 405
    expect(page.get_by_role("heading", level=1)).to_have_text("Diese Adresse nimmt nur ein abgeschicktes Formular an")
    usable(page, "GET next_review")
    page.get_by_role("link", name="Zurück zur Seite dieses Formulars").click()
    expect(page).to_have_url(protocol_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Protokoll")


def test_a_form_sent_to_a_page_that_takes_none_gets_a_german_page_with_the_way_to_that_page(live_server, browser, world):
    """A form from an old or forwarded page, sent to a page that takes none: not the browser's blank 'HTTP ERROR 405'."""
    page = dashboard(browser, live_server, world.convenor)
    address = reverse("conferences:conference_detail", args=[world.conference.pk])
    page.goto(live_server.url + address)
    heading = page.get_by_role("heading", level=1).inner_text()
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.evaluate(POST_FORM, [address, {"rsvp": "accepted"}])
    assert answer.value.status == 405
    expect(page.get_by_role("heading", level=1)).to_have_text("Diese Seite nimmt kein abgeschicktes Formular an")
    expect(page.get_by_role("main")).to_contain_text("Es wurde nichts gespeichert")
    usable(page, "POST conference_detail")
    page.get_by_role("link", name="Seite erneut öffnen").click()
    expect(page).to_have_url(live_server.url + address)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
