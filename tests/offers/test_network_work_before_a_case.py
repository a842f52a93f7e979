"""The network's work before a case exists, as a newcomer walks it (walk 3) and a reviewer read it:
the request page shows what is asked, the directory's offer page leads a professional on, the
referral form chooses no offer for her, an enrolment takes the referral's family and the track's
page stays one size, a case opened from a request starts with the request's client and gives the
referring midwife the role she gets by hand, a substitute ties no request to a colleague's case,
and a step the request can no longer take is not offered."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from access import grant_services
from cases.models import Case, CaseTeamMember
from offers import referral_case_services as rcs
from offers import referral_services as rs
from offers import track_services as ts
from offers.models import Enrolment, Offer, Referral, SupportRequest
from participants.models import Membership, ProfessionalRole
from tests.matrix.roles import ROLES, client_for
from tests.world import make_professional

pytestmark = pytest.mark.django_db

CONSENT = {"consent_reference": "TEAM-4711", "consent_given_on": dt.date(2026, 1, 5)}


def _page(client, url, **extra) -> str:
    response = client.get(url, **extra)
    assert response.status_code == 200, url
    return response.content.decode()


# --- 1. what an anonymous consultation asks for -------------------------------------------------------


def test_an_anonymous_consultation_shows_what_is_asked_to_the_sender_and_to_the_case_manager(client, world, offers):
    SupportRequest.objects.filter(pk=offers.consultation.pk).update(asked_for="Wie spreche ich <b>es</b> an?\nUnd wann?")
    url = reverse("offers:request_detail", args=[offers.consultation.pk])
    for person in (world.midwife, offers.case_manager):
        client.force_login(person)
        page = _page(client, url, HTTP_ACCEPT_LANGUAGE="de")
        assert "Erbeten" in page
        # sanitised as the conversation is: escaped, line breaks kept
        assert "Wie spreche ich &lt;b&gt;es&lt;/b&gt; an?<br>Und wann?" in page and "<b>es</b>" not in page
    client.force_login(world.outsider)  # nobody else reads it
    assert client.get(url).status_code == 404


def test_what_a_consultation_asks_for_is_shown_after_sending_it(client, world, offers):
    client.force_login(world.midwife)
    response = client.post(reverse("offers:request_create"), {
        "kind": "consultation", "case_manager": offers.case_manager.central_case_manager_roles.get().pk,
        "sender_organisation": world.midwifery.pk, "situation": "Schwangere, trinkt täglich.",
        "asked_for": "Welche Beratung passt?"}, follow=True, HTTP_ACCEPT_LANGUAGE="da")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ønsket" in page and "Welche Beratung passt?" in page


# --- 2. the offer's page leads a professional on -------------------------------------------------------


def test_a_professional_is_offered_her_next_steps_from_an_offer_and_the_request_form_is_filled_in(client, world, offers):
    client.force_login(world.midwife)
    page = _page(client, reverse("offers:offer_public", args=[offers.public_offer.pk]), HTTP_ACCEPT_LANGUAGE="de")
    ask = f'{reverse("offers:request_create")}?offer={offers.public_offer.pk}&amp;kind=consultation'
    refer = f'{reverse("offers:request_create")}?offer={offers.public_offer.pk}&amp;kind=referral'
    assert ask in page and refer in page
    assert "Die zentrale Case Managerin zu diesem Angebot fragen (anonym)" in page
    form = _page(client, refer.replace("&amp;", "&"))
    assert "Beratung für Schwangere" in form  # the page says which offer it is about
    assert re.search(r'<input type="radio" name="kind" value="referral"[^>]*checked', form)
    asked = re.search(r'<textarea name="asked_for"[^>]*>\s*([^<]*)</textarea>', form).group(1)
    assert "Beratung für Schwangere" in asked and "Suchtberatung Test" in asked
    consultation = _page(client, ask.replace("&amp;", "&"))
    assert re.search(r'<input type="radio" name="kind" value="consultation"[^>]*checked', consultation)
    # through the existing service: what she sends is a request to the case manager like any other
    client.post(reverse("offers:request_create"), {
        "kind": "referral", "case_manager": offers.case_manager.central_case_manager_roles.get().pk,
        "sender_organisation": world.midwifery.pk, "situation": "Braucht Beratung.", "asked_for": asked,
        "client_label": "S.K.", "consent_reference": "SE-1", "consent_given_on": "2026-01-05"})
    sent = SupportRequest.objects.get(client_label="S.K.")
    assert sent.asked_for == asked.strip() and sent.case_manager == offers.case_manager


def test_the_request_form_is_not_filled_in_for_an_offer_she_may_not_ask_about(client, world, offers):
    client.force_login(world.midwife)
    form = _page(client, f'{reverse("offers:request_create")}?offer={offers.foreign_offer.pk}&kind=referral')
    assert "Familierådgivning" not in form
    assert not re.search(r'<input type="radio" name="kind" value="referral"[^>]*checked', form)


def test_a_visitor_keeps_the_public_offer_page_with_its_contact_wish(client, offers):
    page = _page(client, reverse("offers:offer_public", args=[offers.public_offer.pk]), HTTP_ACCEPT_LANGUAGE="de")
    assert reverse("offers:request_create") not in page
    assert reverse("offers:contact_request_create", args=[offers.public_offer.pk]) in page


ASKERS = {"convenor", "lead_colleague", "counsellor", "midwife", "outsider"}  # professionals of the case manager's network


@pytest.mark.parametrize("role", ROLES)
def test_the_next_steps_are_shown_only_to_whom_the_request_form_takes_them_from(client, world, offers, role):
    page = client_for(client, world, role).get(reverse("offers:offer_public", args=[offers.public_offer.pk])).content.decode()
    shown = f'{reverse("offers:request_create")}?offer={offers.public_offer.pk}' in page
    assert shown == (role in ASKERS)
    if role != "anonymous":
        target = client.get(f'{reverse("offers:request_create")}?offer={offers.public_offer.pk}&kind=referral')
        assert (target.status_code == 200) == shown


def test_the_case_manager_herself_and_another_network_get_no_step_they_could_not_take(client, world, offers):
    for person in (offers.case_manager, world.foreign_professional):
        client.force_login(person)
        page = _page(client, reverse("offers:offer_public", args=[offers.public_offer.pk]))
        assert reverse("offers:request_create") not in page


# --- 3. the referral form chooses no offer for her ------------------------------------------------------


def test_the_referral_form_preselects_no_offer_and_requires_one_at_the_field(client, world, offers):
    client.force_login(offers.case_manager)
    url = reverse("offers:request_detail", args=[offers.support_request.pk])
    page = _page(client, url, HTTP_ACCEPT_LANGUAGE="de")
    select = re.search(r'<select name="offer"[^>]*>(.*?)</select>', page, re.S).group(1)
    first = re.search(r"<option[^>]*>", select).group(0)
    assert 'value=""' in first and "selected" in first
    before = Referral.objects.count()
    response = client.post(reverse("offers:request_refer", args=[offers.support_request.pk]), {"note": "Bitte"},
                           HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 400
    assert response.context["refer_form"].errors["offer"] == ["Wählen Sie das Angebot, an das Sie sie vermitteln."]
    assert "Wählen Sie das Angebot, an das Sie sie vermitteln." in response.content.decode()
    assert Referral.objects.count() == before


# --- 4. an enrolment takes the referral's family; the track's page stays one size ---------------------


@pytest.fixture
def track_referral(world, offers) -> Referral:
    referral = rs.referral_create(offers.case_manager, offer=offers.network_offer, client_label="S.K.", municipality="Kolding")
    return rs.referral_accept(world.outsider, referral=referral)


def test_coming_from_the_referral_the_enrolment_form_is_filled_in_with_its_family(client, world, offers, track_referral):
    client.force_login(world.outsider)
    referral_page = _page(client, reverse("offers:referral_detail", args=[track_referral.pk]))
    link = f'{reverse("offers:track_enrolments", args=[offers.network_offer.pk])}?referral={track_referral.pk}'
    assert link in referral_page
    page = _page(client, link)
    assert re.search(rf'<option value="{track_referral.pk}" selected>', page)
    assert re.search(r'<input type="text" name="family_label" value="S.K."', page)
    assert re.search(r'<input type="text" name="municipality" value="Kolding"', page)
    assert 'id="referral-clients"' in page and "enrol_prefill.js" in page  # the script fills it in on a choice


def test_without_a_script_the_server_takes_the_referral_s_family_when_the_field_is_left_empty(client, world, offers,
                                                                                              track_referral):
    client.force_login(world.outsider)
    response = client.post(reverse("offers:track_enrolments", args=[offers.network_offer.pk]),
                           {"referral": track_referral.pk, "family_label": "", "municipality": ""})
    assert response.status_code == 302
    enrolment = Enrolment.objects.get(referral=track_referral)
    assert (enrolment.family_label, enrolment.municipality) == ("S.K.", "Kolding")


FAMILY_ROW = re.compile(r'<th scope="row"><a href="/enrolments/\d+/">')


def _enrol_many(offer: Offer, count: int, staff) -> None:
    today = timezone.localdate()
    Enrolment.objects.bulk_create([
        Enrolment(offer=offer, family_label=f"F{n}.", enrolled_on=today - dt.timedelta(days=n), enrolled_by=staff)
        for n in range(len(Enrolment.objects.filter(offer=offer)), count)])


def test_the_track_s_page_lists_its_families_a_page_at_a_time_with_the_same_queries(client, world, offers):
    client.force_login(world.outsider)
    url = reverse("offers:track_enrolments", args=[offers.network_offer.pk])
    _page(client, url)  # what a first request caches (the session, the policy's statements)
    sizes = []
    for count in (3, 60):
        _enrol_many(offers.network_offer, count, world.outsider)
        with CaptureQueriesContext(connection) as queries:
            page = _page(client, url)
        sizes.append((len(queries), len(FAMILY_ROW.findall(page))))
    assert sizes[0][0] == sizes[1][0]  # the queries do not grow with the track
    assert sizes[1][1] == 25  # the first page of 60 families
    second = _page(client, url + "?page=3")
    assert len(FAMILY_ROW.findall(second)) == 10 and 'rel="prev"' in second


# --- 5. and 6. a case opened from a request -----------------------------------------------------------


def test_a_case_opened_from_a_request_starts_with_the_request_s_client_in_its_family(client, world, offers):
    client.force_login(offers.case_manager)
    url = reverse("offers:request_detail", args=[offers.support_request.pk])
    assert "Wer ist K. in der Familie?" in _page(client, url, HTTP_ACCEPT_LANGUAGE="de")
    response = client.post(reverse("offers:request_open_case", args=[offers.support_request.pk]),
                           {"reference": "KT-2026-081", "client_relation": "father"}, follow=True, HTTP_ACCEPT_LANGUAGE="de")
    case = Case.objects.get(reference="KT-2026-081")
    assert [(m.display_name, m.relation, m.email, m.birth_year, m.user_id) for m in case.family_members.all()] == [
        ("K.", "father", "", None, None)]  # what the request holds, nothing more
    page = response.content.decode()
    assert "K." in page and "Die Person aus der Anfrage, K., ist in der Familie des Falls eingetragen." in page


def test_the_service_records_the_client_as_the_mother_unless_told_otherwise(world, offers):
    case = rs.support_request_open_case(offers.case_manager, request=offers.support_request, reference="KT-2026-082")
    assert list(case.family_members.values_list("display_name", "relation")) == [("K.", "mother")]


def test_a_midwife_gets_the_same_case_role_from_a_request_as_by_hand(client, world, offers):
    clinic_midwife = make_professional("clinicmidwife", offers.perinatal, ProfessionalRole.MIDWIFE)  # at a clinic
    request = rs.support_request_send(
        clinic_midwife, case_manager=offers.case_manager.central_case_manager_roles.get(),
        sender_organisation=offers.perinatal, kind="referral", situation="Braucht Hilfe.", client_label="S.K.",
        consent_reference="SE-9", consent_given_on=dt.date(2026, 1, 5), consent_sender_on_team=True)
    case = rs.support_request_open_case(offers.case_manager, request=request, reference="KT-2026-083")
    from_request = case.team.get(user=clinic_midwife).case_role
    client.force_login(world.convenor)  # by hand, choosing no role: the team form's default
    membership = Membership.objects.get(user=clinic_midwife)
    client.post(reverse("cases:case_team_add", args=[world.case.pk]), {"member": f"m{membership.pk}", "case_role": ""})
    by_hand = world.case.team.get(user=clinic_midwife).case_role
    assert from_request == by_hand == CaseTeamMember.CaseRole.MIDWIFERY


# --- 7. a substitute ties no request to her colleague's case ------------------------------------------


def test_a_substitute_cannot_attach_a_request_to_a_case_she_reads_only_for_her_colleague(client, world, offers):
    colleague = make_professional("cmcolleague", offers.perinatal, ProfessionalRole.CASE_MANAGER)
    CaseTeamMember.objects.create(case=world.case, organisation=offers.perinatal, user=colleague)
    grant_services.substitute_appoint(colleague, colleague=colleague, substitute=offers.case_manager,
                                      valid_from=timezone.localdate(), valid_until=timezone.localdate() + dt.timedelta(days=14))
    CaseTeamMember.objects.create(case=world.other_case, organisation=offers.perinatal, user=offers.case_manager)
    assert not rs.request_attachable_cases(offers.case_manager, offers.support_request).filter(pk=world.case.pk).exists()
    client.force_login(offers.case_manager)
    page = _page(client, reverse("offers:request_detail", args=[offers.support_request.pk]))
    assert world.other_case.reference in page and world.case.reference not in page
    response = client.post(reverse("offers:request_attach_case", args=[offers.support_request.pk]), {"case": world.case.pk})
    assert response.status_code == 400
    offers.support_request.refresh_from_db()
    assert offers.support_request.case_id is None
    with pytest.raises(ValidationError):
        rs.support_request_attach_case(offers.case_manager, request=offers.support_request, case=world.case)
    assert not Referral.objects.filter(case=world.case).exists()


# --- 8. a request whose referral a receiving organisation put into a case -----------------------------


def test_the_request_page_says_why_instead_of_offering_steps_that_would_be_refused(client, world, offers):
    youth = Offer.objects.create(organisation=world.youth_welfare, name="Familienhilfe im Jugendamt", description="Hilfe.",
                                 visibility=Offer.Visibility.NETWORK, capacity=5)
    referral = rs.referral_accept(world.convenor, referral=rs.referral_create(
        offers.case_manager, offer=youth, support_request=offers.support_request))
    rcs.referral_attach_case(world.convenor, referral=referral, case=world.case, **CONSENT)
    CaseTeamMember.objects.create(case=world.other_case, organisation=offers.perinatal, user=offers.case_manager)
    client.force_login(offers.case_manager)
    page = _page(client, reverse("offers:request_detail", args=[offers.support_request.pk]), HTTP_ACCEPT_LANGUAGE="de")
    assert reverse("offers:request_attach_case", args=[offers.support_request.pk]) not in page
    assert reverse("offers:request_open_case", args=[offers.support_request.pk]) not in page
    assert 'id="case-refusal"' in page and "Eine Vermittlung dieser Anfrage gehört bereits zu einem Fall." in page
    assert world.case.reference not in page  # the case she is not on is not named
