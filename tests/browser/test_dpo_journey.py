"""Browser: the data-protection officer's journey through her file, in German, by clicking.

After signing in, every step is reached by clicking a visible link or button (no ``goto`` to an
inner URL), so a dead end fails this test: the dashboard and its verification, a request for
access by a person without an account (export, extension, closing), a restriction that a
counsellor reads with a reason and the officer then sees with that reason, a legal hold set and
lifted, the record of processing activities with its three downloads, and a section of the
impact assessment edited and found in its revisions. Texts are looked up in the German catalogue,
so an untranslated string or a changed wording fails here as it would confuse the officer.
"""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.utils import timezone, translation

from cases.models import LegalHold
from permissions.models import AuditEvent
from privacy.models import DataSubjectRequest, ProcessingRestriction
from records.models import DpiaRevision

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def de(msgid: str, context: str | None = None) -> str:
    with translation.override("de"):
        text = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
    return text


def signed_in(browser, live_server, user):
    """A browser context of its own for ``user``, on the start page (the only ``goto``)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="de-DE", accept_downloads=True)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": live_server.url}])
    page = context.new_page()
    page.goto(live_server.url + "/")
    return page


def flash(page, text: str) -> None:
    page.get_by_text(text, exact=False).first.wait_for()


def choose(select, text: str) -> None:
    select.select_option(select.locator("option", has_text=text).first.get_attribute("value"))


def download(page, link_name: str) -> tuple[str, str]:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name, exact=True).first.click()
    return info.value.suggested_filename, open(info.value.path(), encoding="utf-8-sig").read()


def titled(text: str) -> re.Pattern:
    """A link text with any section title in place of ``%(title)s``."""
    return re.compile("^" + re.escape(text).replace(re.escape("%(title)s"), ".+") + "$")


def find_case(page, reference: str) -> None:
    page.locator("main input[name=reference]").fill(reference)
    page.get_by_role("button", name=de("Find the case")).click()


def test_the_officer_works_through_her_file_by_clicking(live_server, browser, world, settings, tmp_path):
    settings.LANGUAGE_CODE = "de"
    settings.AUDIT_ANCHOR_DIR = str(tmp_path)
    reference = world.case.reference
    page = signed_in(browser, live_server, world.dpo)

    # --- dashboard and the verification of the trail -----------------------------------------
    page.get_by_role("link", name=de("Your dashboard: requests by deadline, holds to review, what expires, the audit trail")).click()
    page.get_by_role("heading", name=de("Open requests by deadline")).wait_for()
    page.get_by_role("button", name=de("Verify the audit trail now")).click()
    flash(page, de("The audit trail is intact."))
    assert page.locator("#audit-broken").count() == 0

    # --- a request for access by a person without an account ---------------------------------
    page.get_by_role("link", name=de("Data-subject requests"), exact=True).first.click()
    find_case(page, reference.lower())
    choose(page.locator("select[name=family_member]"), "Baby")
    page.locator("select[name=kind]").select_option("access")
    page.locator("select[name=identity_check]").select_option("document")
    page.locator("input[name=identity_note]").fill("Geburtsurkunde vorgelegt")
    page.get_by_role("button", name=de("Record the request")).click()
    request = DataSubjectRequest.objects.get(family_member=world.expected_child)
    flash(page, de("no account"))
    name, body = download(page, de("Download as CSV"))
    assert name.endswith(".csv") and body.splitlines()[0].startswith("Zeitpunkt")
    page.locator("textarea[name=reason]").fill("Akten bei drei Stellen")
    page.get_by_role("button", name=de("Extend the deadline")).click()
    flash(page, "Akten bei drei Stellen")
    request.refresh_from_db()
    assert request.extended_due_on and request.extended_due_on.weekday() < 5
    page.get_by_text(request.extended_due_on.strftime("%d.%m.%Y")).first.wait_for()  # a German date, not ISO
    page.locator("select[name=outcome]").select_option("granted")
    page.get_by_role("button", name=de("Close the request", "data-subject request")).click()
    flash(page, de("The request is closed.", "data-subject request"))
    request.refresh_from_db()
    assert request.outcome == "granted" and request.closed_at is not None
    assert AuditEvent.objects.filter(action="dsr.access_export", object_id=str(request.pk)).exists()

    # --- restriction, a counsellor's read with a reason, the officer sees it ------------------
    page.get_by_role("link", name=de("All requests", "data-subject request")).click()
    find_case(page, reference)
    choose(page.locator("select[name=family_member]"), world.mother.display_name)
    page.locator("select[name=kind]").select_option("restriction")
    page.locator("select[name=identity_check]").select_option("account")
    page.get_by_role("button", name=de("Record the request")).click()
    page.locator("textarea[name=grounds]").fill("Schutz des Kindes")
    page.get_by_role("button", name=de("Restrict the processing of her data")).click()
    flash(page, de("Nobody has read her data under this restriction."))
    restriction = ProcessingRestriction.objects.get(family_member=world.mother, lifted_at__isnull=True)

    counsellor = signed_in(browser, live_server, world.counsellor)
    counsellor.get_by_role("link", name=de("Restricted data on your cases (Art. 18 GDPR)")).click()
    counsellor.get_by_role("link", name=de("Read with a reason")).click()
    counsellor.locator("textarea[name=reason]").fill("Vorbereitung der Konferenz zum Kinderschutz")
    counsellor.get_by_role("button", name=de("Read the restricted data")).click()
    counsellor.get_by_text(world.item_restricted.title).first.wait_for()
    event = AuditEvent.objects.get(action="restriction.read", object_id=str(restriction.pk))
    assert event.actor == world.counsellor and event.detail["reason"] == "Vorbereitung der Konferenz zum Kinderschutz"

    page.reload()
    flash(page, "Vorbereitung der Konferenz zum Kinderschutz")
    assert page.locator(".restricted-reads").get_by_text(world.counsellor.get_username()).count() == 1

    # --- a legal hold, set and lifted -----------------------------------------------------------
    page.get_by_role("link", name=de("All requests", "data-subject request")).click()
    page.get_by_role("link", name=de("Overview")).first.click()
    page.get_by_role("link", name=de("Legal holds: cases kept from erasure")).click()
    page.locator("main input[name=reference]").fill(reference)
    page.locator("select[name=ground]").select_option(index=0)
    page.locator("textarea[name=reason]").fill("Az. 12 F 345/26")
    page.locator("input[name=review_on]").fill((timezone.localdate() + dt.timedelta(days=90)).isoformat())
    page.get_by_role("button", name=de("Set the hold")).click()
    flash(page, de("Case %(reference)s is under a legal hold now.") % {"reference": reference})
    page.get_by_role("button", name=re.compile(re.escape(reference))).click()
    flash(page, de("The legal hold on case %(reference)s is lifted.") % {"reference": reference})
    assert LegalHold.objects.get(case=world.case).lifted_at is not None

    # --- the record of processing activities and its downloads ------------------------------
    page.get_by_role("link", name=de("Overview")).first.click()
    page.get_by_role("link", name=de("Record of processing activities and impact assessment")).click()
    page.get_by_role("link", name=de("Record of processing activities"), exact=True).first.click()
    name, body = download(page, de("Download for printing (HTML)"))
    assert name.endswith(".html") and world.network.name in body
    name, body = download(page, de("Download as CSV"))
    assert name.endswith(".csv") and body.splitlines()[0].startswith(de("Section")) and world.case.lead_organisation.name in body
    name, body = download(page, de("Download as JSON"))
    assert name.endswith(".json") and json.loads(body)

    # --- a section of the impact assessment, edited and found in its revisions --------------
    page.get_by_role("link", name=de("Impact assessment"), exact=True).click()
    page.get_by_role("link", name=titled(de("Edit “%(title)s”"))).first.click()
    page.locator("textarea").first.fill("DSFA-Team: Datenschutzbeauftragte, Jugendamt, IT-Dienstleister.")
    page.locator("main form button[type=submit]").last.click()
    flash(page, de("Revision %(number)d of the section was saved.") % {"number": 1})
    page.get_by_role("link", name=titled(de("Revisions of “%(title)s”"))).first.click()
    flash(page, "DSFA-Team: Datenschutzbeauftragte, Jugendamt, IT-Dienstleister.")
    assert DpiaRevision.objects.filter(edited_by=world.dpo).count() == 1
