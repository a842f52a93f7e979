"""Browser: the main page of every journey passes axe-core's WCAG 2.0/2.1 A and AA rules, logged in
as the role that uses it; the pages people use on a phone reflow at 320 CSS pixels (WCAG 1.4.10).

Each case names the page, the user (an attribute of the ``world``, or None for an anonymous
visitor) and a function that creates what the page needs and returns its path. Serious and
critical violations fail the test; moderate and minor ones are printed so that they are seen.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.test_live_protocol import asgi_server  # noqa: F401  (Daphne serving pages and websockets)
from tests.world import ended_first_half_year

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
NARROW = {"width": 320, "height": 640}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-GB"}


# --- what each page needs --------------------------------------------------------------------

def _convened(world):
    from tests.conferences.helpers import convene

    return convene(world)


def _poll(world) -> str:
    return reverse("conferences:conference_poll", args=[_convened(world).pk])


def _poll_link(world) -> str:
    from conferences import services
    from tests.conferences.helpers import without_account

    conference = _convened(world)
    invitation = conference.invitations.get(family_member=without_account(world.mother))
    _link, raw = services.poll_link_create(world.convenor, invitation=invitation)
    return reverse("conferences:poll_link_vote", args=[raw])


def _parent_protocol(world) -> str:
    from protocols import services

    services.parent_summary_set(world.convenor, protocol=world.protocol, text="We meet again in May.")
    return reverse("protocols:protocol_detail", args=[world.protocol.pk])


def _summary_detail(world) -> str:
    from board import services

    summary = services.summary_publish(world.coordinator, summary=services.summary_compute(
        world.coordinator, network=world.network, year=ended_first_half_year(), half=1))
    return reverse("board:summary_detail", args=[summary.pk])


def _board_meeting(world) -> str:
    import zoneinfo

    from board import services

    start = dt.datetime(2031, 3, 31, 16, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    meetings = services.board_meeting_schedule_series(world.coordinator, network=world.network, starts_at=start,
                                                      ends_at=start + dt.timedelta(hours=2), location="Kreishaus",
                                                      count=1, summary=world.summary)
    return reverse("board:board_meeting_detail", args=[meetings[0].pk])


def _submit_empty(button_name: str) -> Callable:
    """Empty the text fields of the button's form and send it past the browser's own checks, so
    that axe sees the server's error summary and the messages tied to their fields."""

    def act(page):
        button = page.get_by_role("button", name=button_name, exact=True)
        button.evaluate("""b => { b.form.noValidate = true;
          b.form.querySelectorAll('input[type=text], input[type=date], input[type=datetime-local], textarea')
            .forEach(f => { f.value = ''; }); }""")
        with page.expect_navigation():
            button.click()
        assert page.locator(".errorlist, .field-error").count() >= 1, "no field error shown"
        assert page.locator("[aria-invalid=true]").count() >= 1, "no field marked invalid"

    return act



def _offers(world):
    from tests.offers.offer_world import build_offer_world

    return build_offer_world(world)


def _offer_public(world) -> str:
    return reverse("offers:offer_public", args=[_offers(world).public_offer.pk])


def _referral_detail(world) -> str:
    return reverse("offers:referral_detail", args=[_offers(world).referral.pk])


def _accepted_referral(world) -> str:
    from offers import referral_services as rs

    referral = rs.referral_accept(world.counsellor, referral=_offers(world).referral)
    return reverse("offers:referral_detail", args=[referral.pk])


def _request_form(world) -> str:
    _offers(world)
    return reverse("offers:request_create")


@dataclass(frozen=True)
class Page:
    id: str
    user: str | None
    path: Callable
    reflow: bool = True        # also checked at 320 CSS pixels (WCAG 1.4.10)
    keyboard: bool = False     # tab through every control and check that focus is visible
    act: Callable | None = None
    language: str | None = None  # the product's other languages: long German words, Danish names


PAGES = [
    Page("dashboard-caseworker", "convenor", lambda w: reverse("dashboard"), reflow=True, keyboard=True),
    Page("dashboard-counsellor", "counsellor", lambda w: reverse("dashboard"), reflow=True),
    Page("dashboard-parent", "parent", lambda w: reverse("dashboard"), reflow=True),
    Page("dashboard-board-member", "board_member", lambda w: reverse("dashboard")),
    Page("dashboard-dpo", "dpo", lambda w: reverse("dashboard")),
    Page("case-list", "convenor", lambda w: reverse("cases:case_list")),
    Page("case-detail", "convenor", lambda w: reverse("cases:case_detail", args=[w.case.pk])),
    Page("conference-detail", "convenor", lambda w: reverse("conferences:conference_detail", args=[w.conference.pk])),
    Page("convene-form", "convenor", lambda w: reverse("conferences:conference_create", args=[w.case.pk]), keyboard=True),
    Page("convene-form-errors", "convenor", lambda w: reverse("conferences:conference_create", args=[w.case.pk]),
         act=_submit_empty("Open the date poll")),
    Page("poll", "counsellor", _poll),
    Page("poll-convenor", "convenor", _poll),
    Page("poll-link-parent", None, _poll_link, reflow=True, keyboard=True),
    Page("calendar", "counsellor", lambda w: reverse("calendars:calendar")),
    Page("protocol-convenor", "convenor", lambda w: reverse("protocols:protocol_detail", args=[w.protocol.pk]),
         keyboard=True),
    Page("protocol-parent", "parent", _parent_protocol, reflow=True),
    Page("protocol-print", "convenor", lambda w: reverse("protocols:protocol_print", args=[w.protocol.pk])),
    Page("my-actions", "counsellor", lambda w: reverse("protocols:my_actions"), reflow=True, keyboard=True),
    Page("action-detail", "counsellor", lambda w: reverse("protocols:action_detail", args=[w.action_counselling.pk])),
    Page("action-convenor", "convenor", lambda w: reverse("protocols:action_detail", args=[w.action_counselling.pk]),
         keyboard=True),
    Page("action-reassign-errors", "convenor", lambda w: reverse("protocols:action_detail", args=[w.action_counselling.pk]),
         act=_submit_empty("Change the responsible person")),
    Page("consent-list", "convenor", lambda w: reverse("cases:case_consents", args=[w.case.pk])),
    Page("consent-form", "convenor", lambda w: reverse("cases:consent_create", args=[w.case.pk])),
    Page("consent-form-errors", "convenor", lambda w: reverse("cases:consent_create", args=[w.case.pk]),
         act=_submit_empty("Record consent")),
    Page("audit-log", "dpo", lambda w: reverse("access:audit_log")),
    Page("processing-record", "dpo", lambda w: reverse("records:record", args=[w.network.slug])),
    Page("dpia-german", "dpo", lambda w: reverse("records:dpia", args=[w.network.slug, "dsk"]), language="de"),
    Page("dpia-section-edit", "dpo", lambda w: reverse("records:dpia_edit", args=[w.network.slug, "datatilsynet", "risks"]),
         keyboard=True),
    Page("summary-list", "board_member", lambda w: reverse("board:summary_list")),
    Page("summary-detail", "board_member", _summary_detail),
    Page("board-meeting", "board_member", _board_meeting),
    Page("partnership-figures-german", "board_member", lambda w: (_offers(w), reverse("offers:partnership_figures"))[1],
         language="de"),
    Page("board-meeting-schedule-errors", "coordinator", lambda w: reverse("board:board_meeting_list"),
         act=_submit_empty("Schedule and invite")),
    Page("protocol-new-item-errors", "convenor", lambda w: reverse("protocols:protocol_detail", args=[w.protocol.pk]),
         act=_submit_empty("Add item")),
    Page("directory-public", None, lambda w: (_offers(w), reverse("offers:directory"))[1], reflow=True, keyboard=True),
    Page("offer-public-contact", None, _offer_public, reflow=True, keyboard=True),
    Page("offer-public-contact-da", None, _offer_public, reflow=True, language="da"),
    Page("request-form-midwife", "midwife", _request_form, reflow=True),
    Page("referral-detail-staff", "counsellor", _referral_detail, reflow=True),
    Page("referral-detail-case-steps", "counsellor", _accepted_referral, reflow=True, keyboard=True),
    Page("referral-detail-case-steps-errors", "counsellor", _accepted_referral, act=_submit_empty("Attach")),
    Page("action-form-errors", "convenor", lambda w: reverse("protocols:action_create", args=[w.item_everyone.pk]),
         act=_submit_empty("Record action")),
    Page("login", None, lambda w: reverse("account_login"), reflow=True),
    Page("dashboard-caseworker-german", "convenor", lambda w: reverse("dashboard"), language="de"),
    Page("my-actions-german", "counsellor", lambda w: reverse("protocols:my_actions"), language="de"),
    Page("poll-link-parent-danish", None, _poll_link, language="da"),
    Page("protocol-parent-german", "parent", _parent_protocol, language="de"),
    Page("accessibility-statement", None, lambda w: reverse("accessibility")),
]


DUPLICATE_IDS = """() => {
  const seen = {}, twice = [];
  for (const el of document.querySelectorAll('[id]')) { if (seen[el.id]) { twice.push(el.id); } seen[el.id] = true; }
  return twice;
}"""

BROKEN_REFERENCES = """() => {
  const broken = [];
  for (const attr of ['aria-describedby', 'aria-labelledby', 'aria-controls']) {
    for (const el of document.querySelectorAll('[' + attr + ']')) {
      for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) { broken.push(attr + '=' + id); }
      }
    }
  }
  for (const label of document.querySelectorAll('label[for]')) {
    if (!document.getElementById(label.htmlFor)) { broken.push('label for=' + label.htmlFor); }
  }
  return broken;
}"""

MARK_TABBABLE = """() => {
  const groups = new Set(), expected = [];
  const all = document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])');
  all.forEach((el, i) => {
    if (el.disabled || el.getClientRects().length === 0 || el.closest('[inert]')) { return; }
    const key = el.type === 'radio' ? 'radio:' + el.name : 'el:' + i;
    el.dataset.a11yStop = key;
    if (!groups.has(key)) { groups.add(key); expected.push(key); }
  });
  return expected;
}"""

# The last Tab stop of a date or time field is its own picker button inside the browser's shadow
# tree: the input then no longer matches :focus, and Chromium draws its own ring round the button
# (checked by screenshot), so that stop counts as visibly focused.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) { return null; }
  const box = el.getBoundingClientRect(), style = getComputedStyle(el);
  const pickerButton = !el.matches(':focus') && /^(date|time|datetime-local|month|week)$/.test(el.type);
  const outline = pickerButton || (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2);
  return {key: el.dataset.a11yStop || null, tag: el.tagName, text: (el.innerText || el.name || '').trim().slice(0, 40),
          outline: outline, visible: box.width > 0 && box.height > 0};
}"""


def _describe(violation) -> str:
    targets = ", ".join(" ".join(node["target"]) if isinstance(node["target"], list) else str(node["target"])
                        for node in violation["nodes"][:5])
    return f"{violation['impact']}: {violation['id']} ({violation['help']}) at {targets}"


def _serious_violations(page, label: str) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    # a test may call this right after a click that navigates: axe must not run on the document
    # being replaced (CI once: "Cannot read properties of null (reading 'documentElement')")
    page.wait_for_load_state("load")
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    for violation in violations:
        print(f"[{label}] {_describe(violation)}")
    return [_describe(v) for v in violations if v.get("impact") in {"serious", "critical"}]


def _tab_through(page) -> list[str]:
    """Press Tab until focus leaves the page or comes round again; every control (one stop per
    radio group) must be reached, and every stop must show a focus indicator."""
    problems = []
    expected = page.evaluate(MARK_TABBABLE)
    page.locator("body").focus()
    visited, first = set(), None
    for _ in range(4 * len(expected) + 10):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None or (first is not None and focused["key"] == first):
            break
        first = first or focused["key"]
        visited.add(focused["key"])
        if not (focused["outline"] and focused["visible"]):
            problems.append(f"{focused['tag']} '{focused['text']}' has no visible focus")
    missed = [key for key in expected if key not in visited]
    if missed:
        problems.append(f"{len(missed)} of {len(expected)} controls not reached with Tab")
    return problems


@pytest.mark.parametrize("spec", PAGES, ids=[p.id for p in PAGES])
def test_the_page_has_no_serious_wcag_violations_and_reflows(spec, live_server, browser_login, context, world):
    path = spec.path(world)
    page = browser_login(getattr(world, spec.user)) if spec.user else context.new_page()
    if spec.language:
        from django.conf import settings

        context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": spec.language, "url": live_server.url}])
    response = page.goto(live_server.url + path)
    assert response is not None and response.status == 200, f"{path} answered {response and response.status}"
    assert page.evaluate("document.documentElement.lang") == (spec.language or "en")
    if spec.act:
        spec.act(page)

    serious = _serious_violations(page, spec.id)
    assert serious == [], f"{spec.id}: " + "; ".join(serious)
    assert page.evaluate(DUPLICATE_IDS) == [], f"{spec.id}: duplicate ids"
    assert page.evaluate(BROKEN_REFERENCES) == [], f"{spec.id}: references to missing ids"

    if spec.keyboard:
        assert _tab_through(page) == [], f"{spec.id}: keyboard"

    if spec.reflow:
        page.set_viewport_size(NARROW)
        # table-scroll.js re-marks the scrolling tables in the next animation frame after a resize
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{spec.id} scrolls sideways by {overflow}px at 320px width"
        narrow = _serious_violations(page, f"{spec.id}@320px")
        assert narrow == [], f"{spec.id} at 320px: " + "; ".join(narrow)


def test_a_live_protocol_update_is_announced_politely_and_the_updated_page_stays_accessible(browser, asgi_server, world):
    """The websocket channel: an item the convenor adds is read out to the counsellor through the
    polite live region, and the markup the script builds passes axe as well."""
    from tests.browser.test_live_protocol import open_as

    base = asgi_server
    url = f"{base}/protocols/{world.protocol.pk}/"
    writer_context, writer = open_as(browser, base, world.convenor)
    reader_context, reader = open_as(browser, base, world.counsellor)
    try:
        writer.goto(url)
        reader.goto(url)
        reader.wait_for_selector("#live-protocol[data-live='connected']", state="attached", timeout=10000)
        assert reader.get_attribute("#live-status", "aria-live") == "polite"
        writer.fill("#new_title", "Live announced")
        writer.fill("#new_text", "Text")
        writer.select_option("#new_audience", "professionals")
        writer.click("#new-item-form button[type=submit]")
        expect(reader.locator("#live-status")).to_contain_text("Live announced", timeout=10000)  # not eval in the page (CSP)
        assert reader.text_content("#live-status") == "New item: Live announced"
        serious = _serious_violations(reader, "live-protocol-after-update")
        assert serious == []
    finally:
        writer_context.close()
        reader_context.close()
