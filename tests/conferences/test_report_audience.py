"""Who reads a written report: its audience, as for a protocol item (README, rules 4 and 5).

The Suchtberatung writes what the mother entrusted to it about her addiction treatment, restricted
to the Jugendamt. Another organisation reads it only while a valid, unrevoked consent of the
mother (for that category, from the Suchtberatung to it), or a recorded legal basis, covers that;
the Suchtberatung always reads its own report; the parents never read a restricted one. The same
on the conference page, the report page and the protocol page."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cases import consent_services
from cases.models import CaseTeamMember, Consent, ConsentScope, DisclosureBasis, FamilyMember, InformationCategory, LegalBasis
from conferences import services
from conferences.models import WrittenReport
from participants.models import Membership, ProfessionalRole
from permissions import conflicts
from permissions.models import AuditEvent
from tests.world import make_professional

pytestmark = pytest.mark.django_db

SECRET = "Frau M. hatte im Mai einen Rückfall und nimmt seither wieder Substitution."
ADDICTION = InformationCategory.ADDICTION_TREATMENT
RESTRICTED = WrittenReport.Audience.RESTRICTED
TEAM = WrittenReport.Audience.PROFESSIONALS


def asked_report(world) -> WrittenReport:
    """The report the world's (scheduled, not yet begun) conference asks of the Suchtberatung."""
    return WrittenReport.objects.create(conference=world.conference, organisation=world.counselling,
                                        due_on=timezone.localdate() + dt.timedelta(days=3))


def restricted_report(world, *, named=None, category=ADDICTION, entrusted_by="mother") -> WrittenReport:
    report = asked_report(world)
    return services.report_submit(
        world.counsellor, report=report, text=SECRET, shareable_with_parents=False, audience=RESTRICTED,
        restricted_to=named if named is not None else [world.youth_welfare], category=category,
        entrusted_by=getattr(world, entrusted_by) if entrusted_by else None)


def consent_of(world, *, given_by=None, to=None, category=ADDICTION) -> Consent:
    today = timezone.localdate()
    consent = Consent.objects.create(case=world.case, given_by=given_by or world.mother, from_organisation=world.counselling,
                                     valid_from=today, valid_until=today + dt.timedelta(days=30),
                                     form_reference="SB-2026-3", recorded_by=world.counsellor)
    consent.to_organisations.set(to or [world.youth_welfare])
    ConsentScope.objects.create(consent=consent, category=category)
    return consent


def report_url(report) -> str:
    return reverse("conferences:report_submit", args=[report.conference_id, report.pk])


def reads(client, user, report) -> bool:
    """Whether ``user`` reads the report's text, asserting that every page that shows reports and
    the policy agree: the conference page, the protocol page and, for the team (the page is theirs
    alone), the report page, which answers 404 for a report she may not read."""
    client.force_login(user)
    conference = client.get(reverse("conferences:conference_detail", args=[report.conference_id])).content.decode()
    protocol = client.get(reverse("protocols:protocol_detail", args=[report.conference.protocol.pk])).content.decode()
    answers = {"conference page": SECRET in conference, "protocol page": SECRET in protocol,
               "policy": WrittenReport.objects.visible_to(user).filter(pk=report.pk).exists()}
    page = client.get(report_url(report))
    if CaseTeamMember.objects.filter(case=world_case(report), user=user, removed_at__isnull=True).exists():
        answers["report page"] = page.status_code == 200 and SECRET in page.content.decode()
        assert page.status_code in {200, 404}
    else:
        assert page.status_code == 404
    assert len(set(answers.values())) == 1, (user, answers)
    return answers["policy"]


def world_case(report):
    return report.conference.case


# --- restricted: consent decides ---------------------------------------------------------------

def test_a_restricted_report_is_not_read_by_a_named_organisation_without_consent(client, world):
    report = restricted_report(world)
    assert not reads(client, world.convenor, report)


def test_a_consent_of_the_person_who_entrusted_it_lets_the_named_organisation_read_it(client, world):
    report = restricted_report(world)
    consent_of(world)
    assert reads(client, world.convenor, report)
    assert reads(client, world.lead_colleague, report)


def test_revoking_the_consent_hides_the_report_at_once_on_every_page(client, world):
    report = restricted_report(world)
    consent = consent_of(world)
    assert reads(client, world.convenor, report)
    consent_services.consent_revoke(world.parent, consent=consent)
    assert not reads(client, world.convenor, report)


def test_a_consent_that_has_run_out_no_longer_covers_it(client, world):
    report = restricted_report(world)
    consent = consent_of(world)
    Consent.objects.filter(pk=consent.pk).update(valid_from=timezone.localdate() - dt.timedelta(days=20),
                                                 valid_until=timezone.localdate() - dt.timedelta(days=1))
    assert not reads(client, world.convenor, report)


def test_the_organisation_that_wrote_it_always_reads_it(client, world):
    report = restricted_report(world)
    colleague = make_professional("kollegin-sucht", world.counselling, ProfessionalRole.COUNSELLOR)
    CaseTeamMember.objects.create(case=world.case, organisation=world.counselling, user=colleague)
    assert reads(client, world.counsellor, report)
    assert reads(client, colleague, report)


def test_an_organisation_not_named_does_not_read_it_even_with_a_consent_to_it(client, world):
    report = restricted_report(world)
    consent_of(world, to=[world.youth_welfare, world.midwifery])
    assert reads(client, world.convenor, report)
    assert not reads(client, world.midwife, report)


def test_a_consent_for_another_category_or_by_another_person_does_not_cover_it(client, world):
    report = restricted_report(world)
    consent_of(world, category=InformationCategory.PARENTING_CHILD_WELFARE)
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.")
    consent_of(world, given_by=father)
    assert not reads(client, world.convenor, report)


def test_a_recorded_legal_basis_opens_it_to_the_named_organisation(client, world):
    report = restricted_report(world, named=[world.midwifery])
    basis = DisclosureBasis.objects.create(
        case=world.case, basis=LegalBasis.DE_KKG_4, from_organisation=world.counselling, invoked_by=world.counsellor,
        justification="Gefährdung des Kindes", valid_until=timezone.localdate() + dt.timedelta(days=10), parents_informed=True)
    basis.to_organisations.set([world.midwifery])
    assert reads(client, world.midwife, report)
    assert not reads(client, world.convenor, report)


def test_a_second_membership_at_the_named_organisation_opens_nothing(client, world):
    """The midwife also works for the Jugendamt, but is on the case's team for the midwifery only."""
    report = restricted_report(world)
    consent_of(world)
    Membership.objects.create(user=world.midwife, organisation=world.youth_welfare, role=ProfessionalRole.OTHER)
    assert not reads(client, world.midwife, report)


# --- the parents and guests ---------------------------------------------------------------------

def test_a_parent_never_reads_a_restricted_report_and_cannot_be_given_one(client, world):
    report = restricted_report(world)
    consent_of(world)
    assert not reads(client, world.parent, report)
    with pytest.raises(ValidationError) as refused:
        services.report_submit(world.counsellor, report=report, text=SECRET, shareable_with_parents=True, version=report.version)
    assert "shareable_with_parents" in refused.value.message_dict
    report.refresh_from_db()
    assert report.audience == RESTRICTED and not report.shareable_with_parents
    assert not reads(client, world.parent, report)


def test_a_report_for_the_team_shared_with_the_parents_is_read_by_them_as_before(client, world):
    report = asked_report(world)
    services.report_submit(world.counsellor, report=report, text=SECRET, shareable_with_parents=True)
    assert reads(client, world.midwife, report) and reads(client, world.convenor, report)
    client.force_login(world.parent)
    assert SECRET in client.get(reverse("conferences:conference_detail", args=[world.conference.pk])).content.decode()
    assert SECRET in client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode()


# --- changing who reads it ----------------------------------------------------------------------

def test_widening_to_the_team_and_restricting_again_are_audited_with_the_former_and_new_readers(client, world):
    report = services.report_submit(world.counsellor, report=asked_report(world), text="Termine werden wahrgenommen.",
                                    shareable_with_parents=True)
    assert not AuditEvent.objects.filter(action="report.audience").exists()  # a first submission is no change
    services.report_submit(world.counsellor, report=report, text=SECRET, shareable_with_parents=False, audience=RESTRICTED,
                           restricted_to=[world.youth_welfare], category=ADDICTION, entrusted_by=world.mother,
                           version=report.version)
    assert not reads(client, world.midwife, report)
    event = AuditEvent.objects.get(action="report.audience")
    assert event.detail["from"]["audience"] == TEAM and event.detail["from"]["shareable_with_parents"] is True
    assert event.detail["to"] == {"audience": RESTRICTED, "shareable_with_parents": False, "restricted_to": [world.youth_welfare.pk],
                                  "category": ADDICTION, "entrusted_by": world.mother.pk}
    assert event.actor == world.counsellor and event.case_id == world.case.pk


def test_a_stale_revision_changes_neither_text_nor_readers(world):
    report = restricted_report(world)
    stale = report.version - 1
    with pytest.raises(conflicts.EditConflict):
        services.report_submit(world.counsellor, report=report, text="Für alle.", shareable_with_parents=False,
                               audience=TEAM, version=stale)
    report.refresh_from_db()
    assert report.audience == RESTRICTED and report.text == SECRET
    assert list(report.restricted_to.all()) == [world.youth_welfare]


def test_only_its_organisation_changes_who_reads_it(world):
    report = restricted_report(world)
    with pytest.raises(Exception):
        services.report_submit(world.convenor, report=report, text=SECRET, shareable_with_parents=False, audience=TEAM,
                               version=report.version)
    report.refresh_from_db()
    assert report.audience == RESTRICTED


# --- the form ----------------------------------------------------------------------------------

def test_the_form_asks_who_may_read_it_in_a_fieldset_and_names_the_readers_in_german(client, world):
    report = asked_report(world)
    client.force_login(world.counsellor)
    content = client.get(report_url(report), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    fieldset = content[content.index('<fieldset class="field choices report-audience"'):content.index('name="shareable_with_parents"')]
    assert fieldset.count("<fieldset") == 2 and fieldset.count("</fieldset>") == 2  # the named organisations nested in it
    assert "<legend>Wer diesen Bericht lesen darf</legend>" in fieldset
    assert 'name="audience"' in fieldset and 'name="restricted_to"' in fieldset and 'name="category"' in fieldset
    # the choices name who reads it: the team's organisations, or hers and those she names
    assert "Alle Fachkräfte im Fallteam (Hebammenpraxis Test, Jugendamt Test, Suchtberatung Test)" in fieldset
    assert "Nur Ihre Einrichtung (Suchtberatung Test) und die Einrichtungen, die Sie unten nennen" in fieldset
    # her own organisation is not offered to be named: it always reads it
    assert f'value="{world.counselling.pk}"' not in re.search(r'<legend>Einrichtungen, die ihn.*?</fieldset>', fieldset, re.S).group(0)
    assert "Die Eltern lesen einen eingeschränkten Bericht nie." in fieldset


def test_she_restricts_the_report_on_the_page_and_is_told_who_does_not_read_it_yet(client, world):
    report = asked_report(world)
    client.force_login(world.counsellor)
    response = client.post(report_url(report), {
        "text": SECRET, "audience": RESTRICTED, "restricted_to": [world.youth_welfare.pk, world.midwifery.pk],
        "category": ADDICTION, "entrusted_by": world.mother.pk, "version": report.version}, follow=True)
    assert response.status_code == 200
    content = response.content.decode()
    assert "The report was submitted." in content
    assert "No consent or other legal basis covers passing the report on to Hebammenpraxis Test, Jugendamt Test" in content
    report.refresh_from_db()
    assert report.audience == RESTRICTED and report.category == ADDICTION and report.entrusted_by == world.mother
    consent_of(world)
    page = client.get(report_url(report)).content.decode()
    readers = re.search(r'<section aria-labelledby="readers-heading">.*?</section>', page, re.S).group(0)
    assert "Jugendamt Test: a consent or another legal basis covers passing it on" in readers
    assert "not reading it at present" in readers and "Hebammenpraxis Test" in readers


@pytest.mark.parametrize(("data", "field"), [
    ({"audience": RESTRICTED, "category": ADDICTION}, "restricted_to"),
    ({"audience": RESTRICTED, "restricted_to": ["youth_welfare"]}, "category"),
    ({"audience": RESTRICTED, "restricted_to": ["youth_welfare"], "category": ADDICTION, "shareable_with_parents": "on"},
     "shareable_with_parents"),
    ({"audience": "everyone"}, "audience"),
])
def test_bad_audience_input_is_refused_with_a_reason_and_nothing_changes(client, world, data, field):
    report = asked_report(world)
    services.report_submit(world.counsellor, report=report, text="Erste Fassung.", shareable_with_parents=False)
    report.refresh_from_db()
    data = {**data, "text": SECRET, "version": report.version}
    if "restricted_to" in data:
        data["restricted_to"] = [getattr(world, name).pk for name in data["restricted_to"]]
    client.force_login(world.counsellor)
    response = client.post(report_url(report), data)
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()  # the reason, at the field it is about
    report.refresh_from_db()
    assert report.text == "Erste Fassung." and report.audience == TEAM


def test_a_form_without_the_audience_keeps_a_restricted_report_restricted(client, world):
    report = restricted_report(world)
    client.force_login(world.counsellor)
    assert client.post(report_url(report), {"text": "Überarbeitet.", "version": report.version}).status_code == 302
    report.refresh_from_db()
    assert report.text == "Überarbeitet." and report.audience == RESTRICTED
    assert list(report.restricted_to.all()) == [world.youth_welfare]


# --- the audit trail names the basis of each read -----------------------------------------------

def test_each_read_is_audited_under_the_basis_that_admits_it(client, world):
    report = restricted_report(world)
    consent = consent_of(world)
    client.force_login(world.convenor)
    client.get(report_url(report))
    assert AuditEvent.objects.filter(action="report.read", actor=world.convenor).get().legal_basis == f"consent:{consent.pk}"
    client.get(reverse("conferences:conference_detail", args=[world.conference.pk]))
    listed = AuditEvent.objects.filter(action="report.list", actor=world.convenor).get()
    assert listed.legal_basis == f"consent:{consent.pk}" and listed.detail["ids"] == [report.pk]
    client.force_login(world.counsellor)
    client.get(report_url(report))
    assert AuditEvent.objects.filter(action="report.read", actor=world.counsellor).get().legal_basis == "holding-organisation"
