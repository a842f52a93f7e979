"""Browser, in German: a caseworker of the disclosing organisation ends a legal basis recorded in
error (review h3-8: nobody could end one before its time limit). From the dashboard she opens the
case, its consents and legal bases, ends the basis on its confirmation page (axe: no serious or
critical WCAG violation) and is back on the list, where it shows as ended; the organisation it
released the item to no longer reads it. A professional of that organisation is offered no such step."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases import consent_services
from protocols import policy as protocols_policy
from tests.browser.test_accessibility import _serious_violations
from tests.browser.test_refused_pages_journey import dashboard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def german(settings):
    settings.LANGUAGE_CODE = "de"


def _reads(user, item) -> bool:
    return protocols_policy.protocol_items_for_user(user).filter(pk=item.pk).exists()


def _open_consents(page, world) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Fälle", exact=True).first.click()
    page.get_by_role("link", name=world.case.reference, exact=True).click()
    page.get_by_role("link", name="Schweigepflichtentbindungen und Rechtsgrundlagen dieses Falls").click()


def test_a_caseworker_ends_a_legal_basis_recorded_in_error(world, browser, live_server):
    record = consent_services.disclosure_basis_record(
        world.convenor, case=world.case, basis="de_kkg_4", from_organisation=world.youth_welfare,
        to_organisations=[world.midwifery], justification="Gewichtige Anhaltspunkte", invoked_on=timezone.localdate(),
        valid_until=timezone.localdate() + dt.timedelta(days=3650), parents_informed=True)
    assert _reads(world.midwife, world.item_restricted)

    # the midwife sees the basis but is offered no step to end it
    page = dashboard(browser, live_server, world.midwife)
    _open_consents(page, world)
    bases = page.get_by_role("table", name="Rechtsgrundlagen für die Weitergabe ohne Schweigepflichtentbindung")
    expect(bases.get_by_role("row")).to_have_count(2)
    expect(bases.get_by_role("link", name="Beenden")).to_have_count(0)

    page = dashboard(browser, live_server, world.convenor)
    _open_consents(page, world)
    bases = page.get_by_role("table", name="Rechtsgrundlagen für die Weitergabe ohne Schweigepflichtentbindung")
    bases.get_by_role("link", name="Beenden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rechtsgrundlage beenden")
    expect(page.get_by_text("Das Beenden wirkt sofort")).to_be_visible()
    assert _serious_violations(page, "legal basis end") == []
    page.get_by_role("button", name="Jetzt beenden").click()

    expect(page.get_by_text("Die Rechtsgrundlage wurde beendet. Sie erlaubt keine Weitergabe mehr.")).to_be_visible()
    bases = page.get_by_role("table", name="Rechtsgrundlagen für die Weitergabe ohne Schweigepflichtentbindung")
    expect(bases).to_contain_text("beendet")
    expect(bases.get_by_role("link", name="Beenden")).to_have_count(0)
    record.refresh_from_db()
    assert record.ended_at is not None
    assert not _reads(world.midwife, world.item_restricted)
