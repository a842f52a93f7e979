"""Widening a restricted written report follows the rule of the protocol items (README, rules 4
and 5; ``protocols.services._check_disclosure``): the Suchtberatung may open to the whole case
team what the mother entrusted to it only where her consent (or a recorded legal basis) covers
every other organisation on the team; the report keeps its labels afterwards, so a revoked consent
hides it again at once and an organisation that joins the team later does not read it; a relabel
keeps the labels it was first entrusted under. Art. 18: what a restricted person entrusted is read
only with a reason (``privacy.services.restricted_read``), on the page and in the API."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cases import consent_services
from cases.models import CaseTeamMember, Consent, ConsentScope, DisclosureBasis, FamilyMember, InformationCategory, LegalBasis
from conferences import services
from conferences.models import WrittenReport
from participants.models import ProfessionalRole
from permissions.models import AuditEvent
from privacy import services as privacy_services
from privacy.models import DataSubjectRequest
from tests.world import make_professional

pytestmark = pytest.mark.django_db

SECRET = "Frau M. hatte im Mai einen Rückfall und nimmt seither wieder Substitution."
ADDICTION = InformationCategory.ADDICTION_TREATMENT
PARENTING = InformationCategory.PARENTING_CHILD_WELFARE
RESTRICTED = WrittenReport.Audience.RESTRICTED
TEAM = WrittenReport.Audience.PROFESSIONALS


def restricted_report(world, *, named=None) -> WrittenReport:
    report = WrittenReport.objects.create(conference=world.conference, organisation=world.counselling,
                                          due_on=timezone.localdate() + dt.timedelta(days=3))
    return services.report_submit(
        world.counsellor, report=report, text=SECRET, shareable_with_parents=False, audience=RESTRICTED,
        restricted_to=named or [world.youth_welfare], category=ADDICTION, entrusted_by=world.mother)


def consent_of(world, *, to, category=ADDICTION, given_by=None) -> Consent:
    today = timezone.localdate()
    consent = Consent.objects.create(case=world.case, given_by=given_by or world.mother, from_organisation=world.counselling,
                                     valid_from=today, valid_until=today + dt.timedelta(days=30),
                                     form_reference="SB-2026-5", recorded_by=world.counsellor)
    consent.to_organisations.set(to)
    ConsentScope.objects.create(consent=consent, category=category)
    return consent


def widen(world, report, **kwargs) -> WrittenReport:
    report.refresh_from_db()
    return services.report_submit(world.counsellor, report=report, text=SECRET, shareable_with_parents=False,
                                  audience=TEAM, version=report.version, **kwargs)


def reads(user, report) -> bool:
    return WrittenReport.objects.visible_to(user).filter(pk=report.pk).exists()


def pages_show(client, user, report) -> bool:
    """Whether the conference page and the protocol page show her the report's text (both agree)."""
    client.force_login(user)
    conference = SECRET in client.get(reverse("conferences:conference_detail", args=[report.conference_id])).content.decode()
    protocol = SECRET in client.get(reverse("protocols:protocol_detail", args=[report.conference.protocol.pk])).content.decode()
    assert conference == protocol
    return conference


# --- widening to the team needs a consent or legal basis for every organisation of the team --------

def test_widening_without_a_consent_for_every_team_organisation_is_refused_at_the_audience_field(client, world):
    report = restricted_report(world)
    consent_of(world, to=[world.youth_welfare])  # the Jugendamt is covered, the Hebammenpraxis is not
    client.force_login(world.counsellor)
    response = client.post(reverse("conferences:report_submit", args=[world.conference.pk, report.pk]),
                           {"text": SECRET, "audience": TEAM, "version": report.version})
    assert response.status_code == 400
    content = response.content.decode()
    assert 'id="id_audience_error"' in content
    assert "covers passing the report on to: Hebammenpraxis Test" in content
    report.refresh_from_db()
    assert report.audience == RESTRICTED and list(report.restricted_to.all()) == [world.youth_welfare]
    assert not reads(world.midwife, report)
    assert not AuditEvent.objects.filter(action__in=["report.disclose", "report.audience"]).exists()


def test_the_refusal_is_worded_in_german_for_a_german_reader(client, world):
    report = restricted_report(world)
    client.force_login(world.counsellor)
    response = client.post(reverse("conferences:report_submit", args=[world.conference.pk, report.pk]),
                           {"text": SECRET, "audience": TEAM, "version": report.version}, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 400
    assert "Weitergabe des Berichts an: Hebammenpraxis Test, Jugendamt Test" in response.content.decode()


def test_widening_covered_for_the_whole_team_is_allowed_and_audited_under_the_consent(world):
    report = restricted_report(world)
    consent = consent_of(world, to=[world.youth_welfare, world.midwifery])
    widen(world, report)
    report.refresh_from_db()
    assert report.audience == TEAM
    assert reads(world.convenor, report) and reads(world.midwife, report)
    event = AuditEvent.objects.get(action="report.disclose")
    assert event.legal_basis == f"consent:{consent.pk}" and event.actor == world.counsellor
    assert event.detail["bases"] == {str(world.youth_welfare.pk): f"consent:{consent.pk}",
                                     str(world.midwifery.pk): f"consent:{consent.pk}"}


def test_a_legal_basis_covers_a_widening_as_a_consent_does(world):
    report = restricted_report(world)
    consent_of(world, to=[world.youth_welfare])
    basis = DisclosureBasis.objects.create(
        case=world.case, basis=LegalBasis.DE_KKG_4, from_organisation=world.counselling, invoked_by=world.counsellor,
        justification="Gefährdung des Kindes", valid_until=timezone.localdate() + dt.timedelta(days=10), parents_informed=True)
    basis.to_organisations.set([world.midwifery])
    widen(world, report)
    assert AuditEvent.objects.get(action="report.disclose").detail["bases"][str(world.midwifery.pk)] == f"de_kkg_4:{basis.pk}"


# --- a widened report keeps its labels ---------------------------------------------------------------

def test_a_widened_report_keeps_its_labels_and_a_revoked_consent_hides_it_again_at_once(client, world):
    report = restricted_report(world)
    consent = consent_of(world, to=[world.youth_welfare, world.midwifery])
    widen(world, report)
    report.refresh_from_db()
    assert (report.category, report.entrusted_by) == (ADDICTION, world.mother)
    assert pages_show(client, world.midwife, report)
    consent_services.consent_revoke(world.parent, consent=consent)
    assert not pages_show(client, world.midwife, report) and not pages_show(client, world.convenor, report)
    assert pages_show(client, world.counsellor, report)  # its organisation always reads it


def test_an_organisation_that_joins_the_team_after_the_widening_does_not_read_it(world):
    report = restricted_report(world)
    consent_of(world, to=[world.youth_welfare, world.midwifery])
    widen(world, report)
    newcomer = make_professional("fruehe-hilfen", world.early_help, ProfessionalRole.OTHER)
    CaseTeamMember.objects.create(case=world.case, organisation=world.early_help, user=newcomer)
    assert reads(world.midwife, report) and not reads(newcomer, report)


def test_each_read_of_a_widened_report_is_audited_under_the_consent_that_admits_it(client, world):
    report = restricted_report(world)
    consent = consent_of(world, to=[world.youth_welfare, world.midwifery])
    widen(world, report)
    client.force_login(world.midwife)
    client.get(reverse("conferences:report_submit", args=[world.conference.pk, report.pk]))
    assert AuditEvent.objects.get(action="report.read", actor=world.midwife).legal_basis == f"consent:{consent.pk}"


def test_the_author_is_told_which_team_organisations_read_the_widened_report(client, world):
    report = restricted_report(world)
    consent = consent_of(world, to=[world.youth_welfare, world.midwifery])
    widen(world, report)
    consent.to_organisations.set([world.youth_welfare])
    client.force_login(world.counsellor)
    page = client.get(reverse("conferences:report_submit", args=[world.conference.pk, report.pk])).content.decode()
    assert "Jugendamt Test: a consent or another legal basis covers passing it on" in page
    assert "On the case team, but not reading it at present" in page and "Hebammenpraxis Test" in page


def test_a_widened_report_is_shared_only_with_the_parent_who_entrusted_it(client, world):
    report = restricted_report(world)
    consent_of(world, to=[world.youth_welfare, world.midwifery])
    widen(world, report)
    report.refresh_from_db()
    services.report_submit(world.counsellor, report=report, text=SECRET, shareable_with_parents=True, version=report.version)
    assert pages_show(client, world.parent, report)  # the mother, the only parent, entrusted it
    # a father joins the case: he would read what the mother entrusted
    FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.")
    report.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        services.report_submit(world.counsellor, report=report, text=SECRET + " Nachtrag.", shareable_with_parents=True,
                               version=report.version)
    assert "shareable_with_parents" in refused.value.message_dict


# --- a relabel keeps the labels it was first entrusted under ------------------------------------------

def test_a_relabelled_report_is_read_only_where_its_first_labels_are_covered_too(world):
    report = restricted_report(world)
    consent_of(world, to=[world.youth_welfare], category=PARENTING)
    report.refresh_from_db()
    services.report_submit(world.counsellor, report=report, text=SECRET, shareable_with_parents=False, audience=RESTRICTED,
                           restricted_to=[world.youth_welfare], category=PARENTING, entrusted_by=world.mother,
                           version=report.version)
    assert not reads(world.convenor, report)  # the mother never released her addiction treatment
    consent_of(world, to=[world.youth_welfare], category=ADDICTION)
    assert reads(world.convenor, report)
    report.refresh_from_db()
    assert (report.first_category, report.first_entrusted_by) == (ADDICTION, world.mother)


# --- Art. 18 ------------------------------------------------------------------------------------------

@pytest.fixture
def restricted_mother(world):
    request = privacy_services.request_record(world.dpo, case=world.case, family_member=world.mother,
                                              kind=DataSubjectRequest.Kind.RESTRICTION, received_on=timezone.localdate(),
                                              identity_check="account")
    return privacy_services.restriction_set(world.dpo, request=request, grounds="Bis die Richtigkeit geprüft ist")


def test_a_widened_report_she_entrusted_is_withheld_once_her_processing_is_restricted(client, world):
    report = restricted_report(world)
    consent_of(world, to=[world.youth_welfare, world.midwifery])
    widen(world, report)
    request = privacy_services.request_record(world.dpo, case=world.case, family_member=world.mother,
                                              kind=DataSubjectRequest.Kind.RESTRICTION, received_on=timezone.localdate(),
                                              identity_check="account")
    privacy_services.restriction_set(world.dpo, request=request, grounds="Bis die Richtigkeit geprüft ist")
    assert not pages_show(client, world.midwife, report) and not pages_show(client, world.counsellor, report)


def test_a_read_with_a_reason_shows_the_reports_she_entrusted_on_the_page_and_in_the_api(client, world, restricted_mother):
    report = restricted_report(world)
    client.force_login(world.counsellor)
    page = client.post(reverse("privacy:restricted_read", args=[restricted_mother.pk]), {"reason": "Prüfung der Richtigkeit"})
    assert page.status_code == 200 and SECRET in page.content.decode()
    api = client.post("/api/restricted-reads/", {"restriction": restricted_mother.pk, "reason": "Prüfung"},
                      content_type="application/json")
    assert [r["id"] for r in api.json()["reports"]] == [report.pk] and api.json()["reports"][0]["text"] == SECRET
    events = AuditEvent.objects.filter(action="restriction.read", actor=world.counsellor)
    assert [e.detail["reports"] for e in events] == [[report.pk], [report.pk]]


def test_a_read_with_a_reason_shows_no_report_she_could_not_read_without_the_restriction(client, world, restricted_mother):
    restricted_report(world)  # named for the Jugendamt, but no consent covers it
    client.force_login(world.convenor)
    page = client.post(reverse("privacy:restricted_read", args=[restricted_mother.pk]), {"reason": "Prüfung der Richtigkeit"})
    assert page.status_code == 200 and SECRET not in page.content.decode()
