"""Permission matrix: who reads a written report, per audience, through every channel that shows
reports (README, rules 3-5, as for a protocol item).

The report is the Suchtberatung's, for the world's conference (which has the protocol). Cells:

* ``team``: for the professionals on the case team (what every report was before audiences).
* ``shared``: for the team and shared with the parents.
* ``restricted``: restricted to the Jugendamt and the Hebammenpraxis, addiction treatment,
  entrusted by the mother; no consent: only the Suchtberatung reads it.
* ``consent``: the same, with the mother's consent Suchtberatung -> Jugendamt for that category.
* ``revoked``: that consent, revoked by the mother: only the Suchtberatung again, at once.
* ``legal_basis``: a recorded legal basis (§ 4 KKG) Suchtberatung -> Hebammenpraxis instead.
* ``team_consent``: restricted, with the mother's consent to the Jugendamt and the Hebammenpraxis
  (every other organisation of the team).
* ``widened``: that report widened to the team (allowed: the consent covers the whole team); it
  keeps its labels.
* ``widened_revoked``: the widened report once the mother revoked that consent: only the
  Suchtberatung again, at once, as for a restricted one.
* ``art18``: ``consent``, and the mother's processing restricted (Art. 18): nobody reads it in a
  normal read, not even the Suchtberatung (``privacy.services.restricted_read`` only).

Channels: the conference page, the report page (the team's; 404 for a report she may not read),
the protocol page, and ``WrittenReport.objects.visible_to``. The print of the protocol, the
conference API, the overview and the notifications never carry a report's text (checked for every
role and cell). A guest of the conference (an explicit grant) reads no report.
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from access import grant_services
from cases import consent_services
from cases.models import Consent, ConsentScope, DisclosureBasis, InformationCategory, LegalBasis
from conferences import services
from conferences.models import WrittenReport
from permissions.models import AuditEvent
from privacy import services as privacy_services
from privacy.models import DataSubjectRequest
from tests.matrix.roles import ROLES, client_for, user_for
from tests.world import make_professional

pytestmark = pytest.mark.django_db

URL_NAMES: set[str] = set()  # the pages are in test_matrix_scheduling and test_matrix_protocols; these are their report cells

TEXT = "Bericht der Suchtberatung: Rückfall im Mai, seither wieder in Substitution."
COUNSELLING = {"counsellor"}
TEAM = {"convenor", "lead_colleague", "counsellor", "midwife"}
READERS = {
    "team": TEAM,
    "shared": TEAM | {"parent"},
    "restricted": COUNSELLING,
    "consent": COUNSELLING | {"convenor", "lead_colleague"},
    "revoked": COUNSELLING,
    "legal_basis": COUNSELLING | {"midwife"},
    "team_consent": TEAM,
    "widened": TEAM,
    "widened_revoked": COUNSELLING,
    "art18": set(),
}
ROLES_AND_GUEST = [*ROLES, "guest"]


def _consent(world, to=None) -> Consent:
    today = timezone.localdate()
    consent = Consent.objects.create(case=world.case, given_by=world.mother, from_organisation=world.counselling,
                                     valid_from=today, valid_until=today + dt.timedelta(days=30),
                                     form_reference="SB-2026-9", recorded_by=world.counsellor)
    consent.to_organisations.set(to or [world.youth_welfare])
    ConsentScope.objects.create(consent=consent, category=InformationCategory.ADDICTION_TREATMENT)
    return consent


def report_for(world, cell: str) -> WrittenReport:
    report = WrittenReport.objects.create(conference=world.conference, organisation=world.counselling,
                                          due_on=timezone.localdate() + dt.timedelta(days=3))
    if cell in ("team", "shared"):
        return services.report_submit(world.counsellor, report=report, text=TEXT, shareable_with_parents=cell == "shared")
    report = services.report_submit(
        world.counsellor, report=report, text=TEXT, shareable_with_parents=False, audience=WrittenReport.Audience.RESTRICTED,
        restricted_to=[world.youth_welfare, world.midwifery], category=InformationCategory.ADDICTION_TREATMENT,
        entrusted_by=world.mother)
    if cell in ("consent", "revoked", "art18"):
        consent = _consent(world)
        if cell == "revoked":
            consent_services.consent_revoke(world.parent, consent=consent)
    if cell == "art18":
        request = privacy_services.request_record(world.dpo, case=world.case, family_member=world.mother,
                                                  kind=DataSubjectRequest.Kind.RESTRICTION, received_on=timezone.localdate(),
                                                  identity_check="account")
        privacy_services.restriction_set(world.dpo, request=request, grounds="Bis die Richtigkeit geprüft ist")
    if cell in ("team_consent", "widened", "widened_revoked"):
        consent = _consent(world, to=[world.youth_welfare, world.midwifery])
        if cell != "team_consent":
            report = services.report_submit(world.counsellor, report=report, text=TEXT, shareable_with_parents=False,
                                            audience=WrittenReport.Audience.PROFESSIONALS, version=report.version)
        if cell == "widened_revoked":
            consent_services.consent_revoke(world.parent, consent=consent)
    if cell == "legal_basis":
        basis = DisclosureBasis.objects.create(
            case=world.case, basis=LegalBasis.DE_KKG_4, from_organisation=world.counselling, invoked_by=world.counsellor,
            justification="Gefährdung des Kindes", valid_until=timezone.localdate() + dt.timedelta(days=10),
            parents_informed=True)
        basis.to_organisations.set([world.midwifery])
    return report


def reader(client, world, role: str):
    """The client and user of ``role``; a guest is a professional of the network invited to the
    world's conference by an explicit grant."""
    if role != "guest":
        return client_for(client, world, role), user_for(world, role)
    guest = make_professional("matrix-report-guest", world.early_help)
    grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest)
    client.force_login(guest)
    return client, guest


@pytest.mark.parametrize("cell", READERS)
@pytest.mark.parametrize("role", ROLES_AND_GUEST)
def test_who_reads_the_report_on_every_channel(client, world, role, cell):
    report = report_for(world, cell)
    c, user = reader(client, world, role)
    allowed = role in READERS[cell]
    conference = c.get(reverse("conferences:conference_detail", args=[world.conference.pk]))
    assert (TEXT in conference.content.decode()) == allowed, "conference page"
    protocol = c.get(reverse("protocols:protocol_detail", args=[world.protocol.pk]))
    assert (TEXT in protocol.content.decode()) == allowed, "protocol page"
    page = c.get(reverse("conferences:report_submit", args=[world.conference.pk, report.pk]))
    if role == "anonymous":
        assert page.status_code == 302
    else:
        # the report page is the team's: the parents read what is shared with them on the others
        assert page.status_code == (200 if allowed and role in TEAM else 404), "report page"
        assert (TEXT in page.content.decode()) == (allowed and role in TEAM)
    assert WrittenReport.objects.visible_to(user).filter(pk=report.pk).exists() == allowed, "visible_to"


@pytest.mark.parametrize("cell", READERS)
@pytest.mark.parametrize("role", ROLES_AND_GUEST)
def test_no_other_channel_carries_a_reports_text(client, world, role, cell):
    report_for(world, cell)
    c, _user = reader(client, world, role)
    for url in (reverse("protocols:protocol_print", args=[world.protocol.pk]),
                reverse("conference-detail", args=[world.conference.pk]), reverse("conference-list"),
                reverse("case-detail", args=[world.case.pk]), reverse("protocol-item-list"), reverse("protocol-detail", args=[world.protocol.pk]),
                reverse("dashboard"), reverse("notifications:list")):
        assert TEXT not in c.get(url).content.decode(), url


@pytest.mark.parametrize("cell", ["consent", "team_consent"])
@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_only_the_reports_organisation_changes_who_reads_it(client, world, role, cell):
    """Changing the audience is a revision: the Suchtberatung's, through the service, audited. The
    Jugendamt reads the report under the consent, and may not widen it (403); who does not read it
    does not find it (404). The Suchtberatung widens it to the team only where a consent covers
    every other organisation of the team (``team_consent``); otherwise the form refuses it at the
    audience (400), as for a protocol item."""
    report = report_for(world, cell)
    c = client_for(client, world, role)
    response = c.post(reverse("conferences:report_submit", args=[world.conference.pk, report.pk]),
                      {"text": TEXT, "audience": WrittenReport.Audience.PROFESSIONALS, "version": report.version})
    allowed = role in COUNSELLING and cell == "team_consent"
    expected = (302 if cell == "team_consent" else 400) if role in COUNSELLING else 403 if role in READERS[cell] else 404
    assert response.status_code == expected
    report.refresh_from_db()
    assert (report.audience == WrittenReport.Audience.PROFESSIONALS) == allowed
    assert AuditEvent.objects.filter(action="report.audience", object_id=str(report.pk)).exists() == allowed
    assert AuditEvent.objects.filter(action="report.disclose", object_id=str(report.pk)).exists() == allowed
