"""Browser, in German, clicking only: the midwife's request waits with a case manager who has left
the network. Her list says so, the request tells her what happened and lets her send it, as she
wrote it, to the other case manager; she lands on the new conversation. The pages pass axe's
serious and critical WCAG rules."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from offers.models import CentralCaseManager, SupportRequest
from participants.models import Membership, ProfessionalRole
from tests.browser.test_accessibility import _serious_violations
from tests.browser.test_refused_pages_journey import dashboard
from tests.offers.offer_world import build_offer_world
from tests.world import make_professional

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def german(settings):
    settings.LANGUAGE_CODE = "de"


def test_a_request_whose_case_manager_left_is_sent_on_to_another(live_server, browser, world):
    offers = build_offer_world(world)
    other = make_professional("casemanager2", offers.perinatal, ProfessionalRole.CASE_MANAGER)
    other.first_name, other.last_name = "Dora", "Neumann"
    other.save(update_fields=["first_name", "last_name"])
    CentralCaseManager.objects.create(network=world.network, organisation=offers.perinatal, user=other)
    Membership.objects.filter(user=offers.case_manager).update(is_active=False)  # she left the perinatal centre

    page = dashboard(browser, live_server, world.midwife)  # a German browser
    page.get_by_role("link", name="Zentrale Case Managerin").click()
    expect(page.get_by_text("Die Case Managerin ist nicht mehr im Verbund tätig").first).to_be_visible()
    assert _serious_violations(page, "request list, case manager left") == []
    page.get_by_role("link", name=f"Anonyme Fallberatung #{offers.consultation.pk}").click()
    expect(page.get_by_role("heading", name="Ihre Case Managerin ist nicht mehr im Verbund tätig")).to_be_visible()
    assert _serious_violations(page, "request, case manager left") == []
    page.get_by_label("Senden an").select_option(label=f"Dora Neumann – {offers.perinatal}")
    page.get_by_role("button", name="An diese Case Managerin senden").click()

    expect(page.get_by_text("Ihre Anfrage wurde an Dora Neumann gesendet")).to_be_visible()
    sent = SupportRequest.objects.get(case_manager=other)
    assert page.url.endswith(f"/requests/{sent.pk}/")
    expect(page.get_by_text(offers.consultation.situation)).to_be_visible()
    offers.consultation.refresh_from_db()
    assert offers.consultation.status == SupportRequest.Status.CLOSED
