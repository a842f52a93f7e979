"""Browser, in German: a mother who has an account for her first case gets access to her second.

The caseworker of the second case offers access on its case page. An account already receives
mail at the mother's address, which the page does not tell her: she reads a linking code, as she
would for anyone, and hands it over in person; reloading that page shows it no more and makes no
new one. The mother signs in, goes to "Mein Konto" by
clicking, chooses "Weiteren Fall verknüpfen", enters the code and finds both cases on her
dashboard, each with its own next conference, and both on her account page. Every page passes
axe's serious and critical WCAG rules."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import FamilyMember
from conferences.models import Conference, Invitation
from tests.browser.test_refused_pages_journey import new_page, usable

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def german(settings):
    settings.LANGUAGE_CODE = "de"


def dashboard(browser, live_server, user):
    """Her dashboard in a German context of her own. The first page a fresh server renders
    compiles its templates: that one load may take longer than the 5 s every later step gets."""
    page = new_page(browser, live_server, user)
    page.goto(live_server.url + "/", timeout=30000)
    return page


def test_a_caseworker_offers_access_and_the_mother_links_her_second_case(live_server, browser, world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    second = FamilyMember.objects.create(case=world.other_case, relation=FamilyMember.Relation.MOTHER, display_name="Mia",
                                         email=world.parent.email)
    start = timezone.now() + dt.timedelta(days=12)
    second_conference = Conference.objects.create(case=world.other_case, convenor=world.lead_colleague,
                                                  status=Conference.Status.SCHEDULED, starts_at=start,
                                                  ends_at=start + dt.timedelta(hours=1), location="Familienbüro, Raum 4")
    Invitation.objects.create(conference=second_conference, family_member=second)

    office = dashboard(browser, live_server, world.lead_colleague)
    office.get_by_role("navigation").get_by_role("link", name="Fälle", exact=True).first.click()
    office.get_by_role("link", name=world.other_case.reference, exact=True).click()
    office.get_by_role("button", name=re.compile(r"Zugang zu Fallkonferenz anbieten.*Mia")).click()
    expect(office.get_by_text("Der Zugang zu Fallkonferenz wurde Mia angeboten.")).to_be_visible()
    family = office.get_by_role("region", name="Familie")
    expect(family.get_by_role("heading", name="Verknüpfungscode für Mia")).to_be_visible()
    expect(family).to_contain_text("Zugang angeboten (bis")
    code = office.locator(".access-code strong").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    usable(office, "offer access")
    # Shown once, on the answer to the offer: a reload sends the offer again, which changes nothing
    # (the code she read stays the one that works, below) and shows no code
    office.reload()
    expect(office.get_by_text("Es wurde nichts geändert: Das Zugangsangebot für Mia hatte sich geändert")).to_be_visible()
    expect(office.locator(".access-code")).to_have_count(0)
    expect(family).to_contain_text("Verknüpfungscode verloren? Er wird nur einmal angezeigt")
    assert second.access_offers.count() == 1
    second.refresh_from_db()
    assert second.user_id is None

    mother = dashboard(browser, live_server, world.parent)
    expect(mother.get_by_role("main")).not_to_contain_text(world.other_case.reference)
    mother.get_by_title("Mein Konto").click()
    expect(mother.get_by_role("heading", level=1)).to_have_text("Mein Konto")
    mother.get_by_role("link", name="Weiteren Fall verknüpfen").click()
    expect(mother.get_by_role("heading", level=1)).to_have_text("Weiteren Fall verknüpfen")
    usable(mother, "link another case")

    mother.get_by_label("Verknüpfungscode").fill("ABCD-EFGH-JKLM" if code != "ABCD-EFGH-JKLM" else "ABCD-EFGH-JKLN")
    mother.get_by_role("button", name="Fall verknüpfen").click()
    expect(mother.get_by_text("Dieser Code ist für dieses Konto nicht (mehr) gültig.").first).to_be_visible()
    expect(mother.get_by_label("Verknüpfungscode")).to_have_attribute("aria-invalid", "true")
    usable(mother, "wrong code")

    mother.get_by_label("Verknüpfungscode").fill(code.lower())
    mother.get_by_role("button", name="Fall verknüpfen").click()
    expect(mother).to_have_url(re.compile(re.escape(live_server.url) + "/$"))
    expect(mother.get_by_text(f"Ihr Konto ist jetzt mit dem Fall {world.other_case.reference} verknüpft.")).to_be_visible()
    main = mother.get_by_role("main")
    family = main.get_by_role("region", name="Die Fälle Ihrer Familie")
    first_case = family.get_by_role("article", name=f"Fall {world.case.reference}")
    second_case = family.get_by_role("article", name=f"Fall {world.other_case.reference}")
    expect(first_case.get_by_role("link", name=world.case.reference)).to_be_visible()
    expect(second_case.get_by_role("link", name=world.other_case.reference)).to_be_visible()
    expect(first_case).to_contain_text("Nächste Konferenz")
    expect(first_case).to_contain_text(world.conference.location)
    expect(first_case).not_to_contain_text("Familienbüro, Raum 4")
    expect(second_case).to_contain_text("Familienbüro, Raum 4")
    expect(second_case).not_to_contain_text(world.conference.location)
    expect(second_case.locator(f'a[href="{reverse("conferences:conference_detail", args=[second_conference.pk])}"]')).to_be_visible()
    usable(mother, "dashboard with two cases")
    mother.get_by_title("Mein Konto").click()
    cases = mother.get_by_role("region", name="Ihre Fälle")
    expect(cases.get_by_role("link", name=f"Fall {world.case.reference}")).to_be_visible()
    expect(cases.get_by_role("link", name=f"Fall {world.other_case.reference}")).to_be_visible()
    usable(mother, "account page with two cases")
    mother.get_by_role("link", name="Fallkonferenz", exact=True).first.click()
    mother.get_by_role("main").get_by_role("article", name=f"Fall {world.other_case.reference}").get_by_role(
        "link", name=world.other_case.reference).click()
    expect(mother.get_by_role("heading", level=1)).to_have_text("Der Fall Ihrer Familie")
    assert mother.url.endswith(reverse("cases:case_detail", args=[world.other_case.pk]))
    second.refresh_from_db()
    assert second.user_id == world.parent.pk
