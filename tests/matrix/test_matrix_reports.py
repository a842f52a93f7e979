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
}
ROLES_AND_GUEST = [*ROLES, "guest"]


def _consent(world) -> Consent:
    today = timezone.localdate()
    consent = Consent.objects.create(case=world.case, given_by=world.mother, from_organisation=world.counselling,
                                     valid_from=today, valid_until=today + dt.timedelta(days=30),
                                     form_reference="SB-2026-9", recorded_by=world.counsellor)
    consent.to_organisations.set([world.youth_welfare])
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
    if cell in ("consent", "revoked"):
        consent = _consent(world)
        if cell == "revoked":
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
                reverse("dashboard"), reverse("notifications:list")):
        assert TEXT not in c.get(url).content.decode(), url


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_only_the_reports_organisation_changes_who_reads_it(client, world, role):
    """Changing the audience is a revision: the Suchtberatung's, through the service, audited. The
    Jugendamt reads the report under the consent, and may not widen it (403); who does not read it
    does not find it (404)."""
    report = report_for(world, "consent")
    c = client_for(client, world, role)
    response = c.post(reverse("conferences:report_submit", args=[world.conference.pk, report.pk]),
                      {"text": TEXT, "audience": WrittenReport.Audience.PROFESSIONALS, "version": report.version})
    allowed = role in COUNSELLING
    assert response.status_code == (302 if allowed else 403 if role in READERS["consent"] else 404)
    report.refresh_from_db()
    assert (report.audience == WrittenReport.Audience.PROFESSIONALS) == allowed
    assert AuditEvent.objects.filter(action="report.audience", object_id=str(report.pk)).exists() == allowed
