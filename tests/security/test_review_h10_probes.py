"""Review h10 (2026-12-07): a fresh reviewer's probes of the day's changes (4a5fc44..HEAD): written
reports with an audience bound to consent, a parent's reads bound to her invitations, access needs
per family member, poll links ended with an address, the directory's next steps and the odd input
of the new request form.

A probe asserts what SHOULD hold. A probe marked ``xfail(strict=True)`` is a finding that is not
mended yet: it fails today; its reason names the fault (H10-n). Plain tests are paths that were
probed and held.
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from access import grant_services
from cases.models import Consent, ConsentScope, FamilyMember, InformationCategory
from conferences import services as conference_services
from conferences.models import WrittenReport
from participants.models import ProfessionalRole
from privacy import services as privacy_services
from privacy.models import DataSubjectRequest, ProcessingRestriction
from protocols import policy as protocols_policy
from tests.conferences.helpers import convene, without_account
from tests.offers.offer_world import build_offer_world
from tests.world import make_professional

pytestmark = pytest.mark.django_db

SECRET = "Frau M. hatte im Mai einen Rückfall und nimmt seither wieder Substitution."
ADDICTION = InformationCategory.ADDICTION_TREATMENT
RESTRICTED = WrittenReport.Audience.RESTRICTED


def _restricted_report(world, *, category=ADDICTION) -> WrittenReport:
    """The Suchtberatung's report on the world's (scheduled) conference, entrusted by the mother,
    restricted to the Jugendamt."""
    report = WrittenReport.objects.create(conference=world.conference, organisation=world.counselling,
                                          due_on=timezone.localdate() + dt.timedelta(days=3))
    return conference_services.report_submit(
        world.counsellor, report=report, text=SECRET, shareable_with_parents=False, audience=RESTRICTED,
        restricted_to=[world.youth_welfare], category=category, entrusted_by=world.mother)


def _consent(world, *, from_organisation, to, category=ADDICTION, given_by=None) -> Consent:
    today = timezone.localdate()
    consent = Consent.objects.create(case=world.case, given_by=given_by or world.mother, from_organisation=from_organisation,
                                     valid_from=today, valid_until=today + dt.timedelta(days=30),
                                     form_reference="SB-2026-10", recorded_by=world.convenor)
    consent.to_organisations.set([to])
    ConsentScope.objects.create(consent=consent, category=category)
    return consent


def _reads_anywhere(client, user, report) -> dict:
    """Where ``user`` reads the report's text: the policy, the conference page, the protocol page
    and the report page."""
    client.force_login(user)
    conference = client.get(reverse("conferences:conference_detail", args=[report.conference_id]))
    protocol = client.get(reverse("protocols:protocol_detail", args=[report.conference.protocol.pk]))
    single = client.get(reverse("conferences:report_submit", args=[report.conference_id, report.pk]))
    return {
        "policy": WrittenReport.objects.visible_to(user).filter(pk=report.pk).exists(),
        "conference page": SECRET in conference.content.decode(),
        "protocol page": SECRET in protocol.content.decode(),
        "report page": single.status_code == 200 and SECRET in single.content.decode(),
    }


# --- H10-1: Art. 18 does not withhold a restricted written report --------------------------------

def _restrict_the_mothers_processing(world) -> None:
    ProcessingRestriction.objects.create(family_member=world.mother, grounds="Art. 18: Richtigkeit bestritten",
                                         set_by=world.dpo)


def test_h10_held_a_restricted_item_the_mother_entrusted_is_withheld_once_her_processing_is_restricted(world):
    """The control for H10-1: the protocol item she entrusted (held by the Jugendamt, named for the
    Suchtberatung under her consent) is read by neither once her processing is restricted."""
    assert protocols_policy.protocol_items_for_user(world.counsellor).filter(pk=world.item_restricted.pk).exists()
    _restrict_the_mothers_processing(world)
    for reader in (world.counsellor, world.convenor):
        assert not protocols_policy.protocol_items_for_user(reader).filter(pk=world.item_restricted.pk).exists()


def test_h10_1_a_report_the_mother_entrusted_is_withheld_once_her_processing_is_restricted(world, client):
    report = _restricted_report(world)
    _consent(world, from_organisation=world.counselling, to=world.youth_welfare)
    assert all(_reads_anywhere(client, world.convenor, report).values())  # the control: her consent covers it
    _restrict_the_mothers_processing(world)
    assert not any(_reads_anywhere(client, world.convenor, report).values())


# --- consents of the wrong direction; guests who work for a named or the writing organisation ------

def test_h10_held_a_consent_in_the_opposite_direction_does_not_open_a_restricted_report(world, client):
    """The world's consent of the mother goes from the Jugendamt to the Suchtberatung for this very
    category; the report goes from the Suchtberatung to the Jugendamt: not covered."""
    report = _restricted_report(world, category=InformationCategory.PARENTING_CHILD_WELFARE)
    assert world.consent.from_organisation_id == world.youth_welfare.pk
    assert not any(_reads_anywhere(client, world.convenor, report).values())
    # the control: the same consent, the right way round, opens it
    _consent(world, from_organisation=world.counselling, to=world.youth_welfare,
             category=InformationCategory.PARENTING_CHILD_WELFARE)
    assert all(_reads_anywhere(client, world.convenor, report).values())


def test_h10_held_a_guest_who_works_for_the_named_or_the_writing_organisation_reads_no_restricted_report(world, client):
    """Both organisations are on the team only through named people. A colleague of each, invited to
    this one conference as a guest, reads the conference page but not the report, although a consent
    covers its disclosure to the Jugendamt and the Suchtberatung wrote it."""
    report = _restricted_report(world)
    _consent(world, from_organisation=world.counselling, to=world.youth_welfare)
    for name, organisation in (("jugendamt3", world.youth_welfare), ("beratung2", world.counselling)):
        guest = make_professional(name, organisation, ProfessionalRole.SOCIAL_WORKER)
        grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest)
        client.force_login(guest)
        assert client.get(reverse("conferences:conference_detail", args=[world.conference.pk])).status_code == 200
        assert not any(_reads_anywhere(client, guest, report).values()), name


def test_h10_held_the_father_s_consent_does_not_open_what_the_mother_entrusted(world, client):
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.")
    report = _restricted_report(world)
    _consent(world, from_organisation=world.counselling, to=world.youth_welfare, given_by=father)
    assert not any(_reads_anywhere(client, world.convenor, report).values())


# --- H10-2: an erasure empties her address but leaves the poll links mailed there in force --------

def test_h10_2_an_erasure_of_her_record_ends_the_poll_links_mailed_to_her_address(world):
    member = without_account(world.mother)
    conference = convene(world)
    invitation = conference.invitations.get(family_member=member)
    _link, raw = conference_services.poll_link_create(world.convenor, invitation=invitation)
    assert conference_services.poll_link_resolve(raw) is not None  # the control
    request = privacy_services.request_record(world.dpo, case=world.case, family_member=member,
                                              kind=DataSubjectRequest.Kind.ERASURE,
                                              received_on=timezone.localdate(), identity_check="document")
    privacy_services.request_close(world.dpo, request=request, outcome=DataSubjectRequest.Outcome.GRANTED)
    member.refresh_from_db()
    assert member.email == ""  # her address is erased ...
    assert conference_services.poll_link_resolve(raw) is None  # ... and what was mailed there ends


# --- odd input on the request form from an offer's page ------------------------------------------

@pytest.mark.parametrize("offer", ["99999999999999999999999", "-1", "0", "abc", "1e3", ""])
def test_h10_held_the_request_form_takes_any_offer_parameter_without_an_error_or_a_prefill(world, client, offer):
    offers = build_offer_world(world)
    client.force_login(world.midwife)
    response = client.get(reverse("offers:request_create"), {"offer": offer, "kind": "referral'\"<x>"},
                          HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    page = response.content.decode()
    assert offers.public_offer.name not in page and offers.foreign_offer.name not in page
