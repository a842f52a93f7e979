"""Browser, in German: the counsellor answers a referral (newcomer walk: after an error the form
fell back to "Eingang bestätigen" and lost her note, so saving again recorded the wrong decision;
and it offered all seven steps whatever the state). The form offers only the steps the
referral's state allows; after an error the chosen step and the note stay, and a step that is no
longer possible is refused naming what is."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from offers import referral_services
from offers.models import Referral
from tests.browser.test_accessibility import _serious_violations
from tests.browser.test_refused_pages_journey import dashboard
from tests.offers.offer_world import build_offer_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_STEPS = ["Eingang bestätigen", "Annehmen", "Auf die Warteliste setzen", "Ablehnen", "Abbrechen"]


@pytest.fixture(autouse=True)
def german(settings):
    settings.LANGUAGE_CODE = "de"


def _open(browser, live_server, world, referral):
    page = dashboard(browser, live_server, world.counsellor)
    page.goto(f"{live_server.url}/referrals/{referral.pk}/")
    return page


def _offered(page) -> list[str]:
    return [text.strip() for text in page.get_by_label("Entscheidung").locator("option").all_inner_texts()]


def test_the_decision_and_note_survive_an_error_and_only_possible_steps_are_offered(world, browser, live_server):
    referral = build_offer_world(world).referral
    page = _open(browser, live_server, world, referral)
    assert _offered(page) == NEW_STEPS

    # declining without a reason: refused, "Ablehnen" stays chosen
    page.get_by_label("Entscheidung").select_option(label="Ablehnen")
    page.get_by_role("button", name="Entscheidung speichern").click()
    expect(page.get_by_text("Bitte geben Sie einen Grund für die Ablehnung an.")).to_be_visible()
    expect(page.get_by_label("Entscheidung")).to_have_value("decline")
    assert _serious_violations(page, "referral decision error") == []
    page.get_by_label("Antwort oder Begründung").fill("Kein Platz in ihrer Sprache.")
    page.get_by_role("button", name="Entscheidung speichern").click()
    expect(page.get_by_text("Status jetzt: Abgelehnt.")).to_be_visible()
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DECLINED
    assert referral.decline_reason == "Kein Platz in ihrer Sprache."
    expect(page.get_by_label("Entscheidung")).to_have_count(0)


def test_a_step_no_longer_possible_is_refused_naming_the_possible_ones(world, browser, live_server):
    referral = build_offer_world(world).referral
    page = _open(browser, live_server, world, referral)
    page.get_by_label("Entscheidung").select_option(label="Auf die Warteliste setzen")
    page.get_by_label("Antwort oder Begründung").fill("Wir melden uns in zwei Wochen.")
    referral_services.referral_accept(world.counsellor, referral=referral)  # meanwhile, a colleague accepted
    page.get_by_role("button", name="Entscheidung speichern").click()

    expect(page.get_by_text("Im jetzigen Zustand (Angenommen) ist bei dieser Vermittlung möglich: "
                            "Hilfe hat begonnen, Abgeschlossen, Abbrechen.")).to_be_visible()
    expect(page.get_by_label("Antwort oder Begründung")).to_have_value("Wir melden uns in zwei Wochen.")
    assert _offered(page) == ["Hilfe hat begonnen", "Abgeschlossen", "Abbrechen"]
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
