"""Review h3 (2026-12-06): probes of the paths that change WHO MAY READ something, as a malicious
or careless insider would walk them: consents and legal bases, case team changes, substitute
grants, conference guests, parents' accounts, Art. 18 restrictions, board figures, feeds.

A probe asserts what SHOULD hold (ARCHITECTURE.md, "Who may see what"). A probe marked
``xfail(strict=True)`` is a finding: it fails today; the reason names the fault. Plain tests are
paths that were probed and held.
"""
from __future__ import annotations

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from access import grant_services
from board import services as board_services
from board.figures import Period, compute_figures, raw_figures
from board.suppression import is_hidden
from calendars import services as calendar_services
from calendars.models import FeedToken
from cases import access_services, consent_services
from cases import policy as cases_policy
from cases import services as case_services
from cases.models import Case, CaseTeamMember, Consent, FamilyMember, InformationCategory
from offers import referral_case_services as rcs
from offers import referral_services as rs
from participants.models import Membership, ProfessionalRole, User
from permissions.models import SubstituteGrant
from privacy import services as privacy_services
from privacy.models import DataSubjectRequest
from protocols import policy as protocols_policy
from protocols.models import AgreedAction
from tests.board.crafted import build_crafted
from tests.offers.offer_world import build_offer_world
from tests.world import make_professional, make_user

pytestmark = pytest.mark.django_db


def _today() -> dt.date:
    return timezone.localdate()


def _can_read_item(user, item) -> bool:
    return protocols_policy.protocol_items_for_user(user).filter(pk=item.pk).exists()


# --- substitute grants ------------------------------------------------------------------------

@pytest.fixture
def foreign_case(world):
    """A case of the OTHER network, on whose team a professional who works in both networks is
    personally, for the other network's organisation."""
    dual = make_professional("dual", world.youth_welfare, ProfessionalRole.CASEWORKER)
    Membership.objects.create(user=dual, organisation=world.foreign_org, role=ProfessionalRole.CASEWORKER)
    case = Case.objects.create(network=world.other_network, reference="RA-2026-001", lead_organisation=world.foreign_org,
                               lead_caseworker=dual, status=Case.Status.ACTIVE, opened_on=_today())
    CaseTeamMember.objects.create(case=case, organisation=world.foreign_org, user=dual, case_role=CaseTeamMember.CaseRole.LEAD)
    return dual, case


def test_a_coordinator_cannot_hand_out_another_networks_cases(world, foreign_case):
    dual, case = foreign_case
    stranger = make_professional("strangerdk", world.foreign_org, ProfessionalRole.CASEWORKER)
    today = _today()
    try:
        grant_services.substitute_appoint(world.coordinator, colleague=dual, substitute=stranger,
                                          valid_from=today, valid_until=today + dt.timedelta(days=30))
    except (PermissionDenied, ValidationError):
        pass
    # Whatever the service answered, the coordinator of ``world.network`` must not have opened a
    # case of ``world.other_network`` to anybody.
    assert not cases_policy.is_professional_on_case(stranger, case)


def test_a_coordinator_cannot_appoint_herself_a_substitute(world):
    Membership.objects.create(user=world.coordinator, organisation=world.counselling, role=ProfessionalRole.COUNSELLOR)
    today = _today()
    with pytest.raises((PermissionDenied, ValidationError)):
        grant_services.substitute_appoint(world.coordinator, colleague=world.counsellor, substitute=world.coordinator,
                                          valid_from=today, valid_until=today + dt.timedelta(days=30))


def test_a_colleague_cannot_appoint_herself_nor_someone_of_another_organisation(world):
    today = _today()
    with pytest.raises(ValidationError):
        grant_services.substitute_appoint(world.counsellor, colleague=world.counsellor, substitute=world.counsellor,
                                          valid_from=today, valid_until=today + dt.timedelta(days=30))
    with pytest.raises(ValidationError):
        grant_services.substitute_appoint(world.counsellor, colleague=world.counsellor, substitute=world.midwife,
                                          valid_from=today, valid_until=today + dt.timedelta(days=30))
    # and nobody appoints a substitute for somebody else
    colleague = make_professional("counsellor2", world.counselling, ProfessionalRole.COUNSELLOR)
    with pytest.raises(PermissionDenied):
        grant_services.substitute_appoint(colleague, colleague=world.counsellor, substitute=colleague,
                                          valid_from=today, valid_until=today + dt.timedelta(days=30))


def test_substitutes_do_not_chain(world):
    """B stands in for the counsellor, C for B: C reads nothing of the counsellor's cases."""
    b = make_professional("subb", world.counselling, ProfessionalRole.COUNSELLOR)
    c = make_professional("subc", world.counselling, ProfessionalRole.COUNSELLOR)
    today = _today()
    grant_services.substitute_appoint(world.counsellor, colleague=world.counsellor, substitute=b,
                                      valid_from=today, valid_until=today + dt.timedelta(days=30))
    grant_services.substitute_appoint(b, colleague=b, substitute=c, valid_from=today, valid_until=today + dt.timedelta(days=30))
    assert cases_policy.is_professional_on_case(b, world.case)
    assert not cases_policy.is_professional_on_case(c, world.case)
    assert not _can_read_item(c, world.item_restricted)


def test_a_substitute_appointed_for_the_future_reads_nothing_today(world):
    b = make_professional("subf", world.counselling, ProfessionalRole.COUNSELLOR)
    today = _today()
    grant_services.substitute_appoint(world.counsellor, colleague=world.counsellor, substitute=b,
                                      valid_from=today + dt.timedelta(days=5), valid_until=today + dt.timedelta(days=30))
    assert not cases_policy.is_professional_on_case(b, world.case)


def test_a_substitute_cannot_turn_her_stand_in_into_a_seat_of_her_own(world, client):
    standin = make_professional("standin", world.youth_welfare, ProfessionalRole.CASEWORKER)
    today = _today()
    grant = grant_services.substitute_appoint(world.convenor, colleague=world.convenor, substitute=standin,
                                              valid_from=today, valid_until=today + dt.timedelta(days=14))
    client.force_login(standin)
    client.post(reverse("cases:case_team_add", args=[world.case.pk]),
                {"member": f"m{Membership.objects.get(user=standin, organisation=world.youth_welfare).pk}", "case_role": ""})
    assert CaseTeamMember.objects.filter(case=world.case, user=standin, removed_at__isnull=True).exists() is False, \
        "the substitute put herself on the team"
    # the colleague comes back and withdraws the grant
    grant_services.grant_withdraw(world.convenor, grant=SubstituteGrant.objects.get(pk=grant.pk))
    assert not cases_policy.is_professional_on_case(standin, world.case)


# --- conference guests -----------------------------------------------------------------------

def test_a_guest_cannot_be_someone_of_another_network_nor_a_parent(world):
    with pytest.raises(ValidationError):
        grant_services.guest_invite(world.convenor, conference=world.conference, guest=world.foreign_professional)
    with pytest.raises(ValidationError):
        grant_services.guest_invite(world.convenor, conference=world.conference, guest=world.other_parent)
    with pytest.raises(ValidationError):
        grant_services.guest_invite(world.convenor, conference=world.conference, guest=world.board_member)
    with pytest.raises(PermissionDenied):
        grant_services.guest_invite(world.counsellor, conference=world.conference, guest=world.outsider)


def test_a_guest_reads_no_restricted_item_and_nothing_after_her_grant(world):
    grant = grant_services.guest_invite(world.convenor, conference=world.conference, guest=world.outsider)
    assert _can_read_item(world.outsider, world.item_everyone)
    assert not _can_read_item(world.outsider, world.item_professionals)
    assert not _can_read_item(world.outsider, world.item_restricted)
    assert not cases_policy.is_professional_on_case(world.outsider, world.case)
    type(grant).objects.filter(pk=grant.pk).update(valid_until=_today() - dt.timedelta(days=1))
    assert not _can_read_item(world.outsider, world.item_everyone)


# --- consents and legal bases ----------------------------------------------------------------

def _consent_payload(world, **extra):
    today = _today()
    return {"case": world.case.pk, "given_by": world.mother.pk, "from_organisation": world.midwifery.pk,
            "to_organisations": [world.counselling.pk], "categories": [InformationCategory.PARENTING_CHILD_WELFARE],
            "valid_from": today.isoformat(), "valid_until": (today + dt.timedelta(days=30)).isoformat(),
            "form_reference": "SE-1", **extra}


def test_a_professional_records_a_consent_only_for_an_organisation_she_is_on_the_team_for(world, client):
    client.force_login(world.counsellor)  # counselling, not midwifery
    response = client.post("/api/consents/", _consent_payload(world), content_type="application/json")
    assert response.status_code == 400
    # nor on a case she is not on, nor as an outsider
    client.force_login(world.outsider)
    payload = _consent_payload(world, from_organisation=world.early_help.pk)
    assert client.post("/api/consents/", payload, content_type="application/json").status_code in (400, 403, 404)
    assert not Consent.objects.filter(from_organisation=world.midwifery).exists()
    assert not Consent.objects.filter(from_organisation=world.early_help).exists()


def test_a_parent_cannot_record_a_consent_in_the_other_parents_name(world, client):
    father_user = make_user("father")
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="F.",
                                         user=father_user)
    client.force_login(father_user)
    payload = _consent_payload(world, given_by=world.mother.pk, from_organisation=world.youth_welfare.pk,
                               to_organisations=[world.midwifery.pk], form_reference="")
    assert client.post("/api/consents/", payload, content_type="application/json").status_code in (400, 403)
    # his own consent he gives; the mother's he neither sees nor revokes
    assert client.get(f"/api/consents/{world.consent.pk}/").status_code == 404
    assert client.post(f"/api/consents/{world.consent.pk}/revoke/").status_code == 404
    assert client.post(reverse("cases:consent_revoke", args=[world.consent.pk])).status_code == 404
    assert client.post(f"/api/consents/{world.consent.pk}/object/").status_code == 404
    world.consent.refresh_from_db()
    assert world.consent.revoked_at is None
    assert father.pk


def test_a_parent_does_not_see_the_legal_bases(world, client):
    consent_services.disclosure_basis_record(
        world.convenor, case=world.case, basis="de_kkg_4", from_organisation=world.youth_welfare,
        to_organisations=[world.midwifery], justification="Gefährdung", invoked_on=_today(),
        valid_until=_today() + dt.timedelta(days=30), parents_informed=False, not_informed_reason="Gefährdet das Kind")
    client.force_login(world.parent)
    assert client.get("/api/legal-bases/").json().get("results", client.get("/api/legal-bases/").json()) in ([], {})
    page = client.get(reverse("cases:case_consents", args=[world.case.pk])).content.decode()
    assert "Gefährdung" not in page


def test_a_guest_cannot_record_nor_revoke_a_consent(world, client):
    grant_services.guest_invite(world.convenor, conference=world.conference, guest=world.outsider)
    client.force_login(world.outsider)
    payload = _consent_payload(world, from_organisation=world.early_help.pk)
    assert client.post("/api/consents/", payload, content_type="application/json").status_code in (400, 403, 404)
    assert client.post(f"/api/consents/{world.consent.pk}/revoke/").status_code == 404


# --- case team through referrals ---------------------------------------------------------------

def test_a_request_attached_to_one_case_cannot_be_moved_to_another_family(world):
    offers = build_offer_world(world)
    case_services.case_team_member_add(world.convenor, case=world.case, organisation=offers.perinatal, user=offers.case_manager)
    case_services.case_team_member_add(world.lead_colleague, case=world.other_case, organisation=offers.perinatal,
                                       user=offers.case_manager)
    rs.support_request_attach_case(offers.case_manager, request=offers.support_request, case=world.case)
    referral = rs.referral_accept(world.counsellor, referral=offers.referral)
    try:
        rs.support_request_attach_case(offers.case_manager, request=offers.support_request, case=world.other_case)
    except ValidationError:
        pass
    referral.refresh_from_db()
    moved = referral.case_id != world.case.pk
    newcomer = make_professional("counsellor3", world.counselling, ProfessionalRole.COUNSELLOR)
    try:
        rcs.referral_join_case_team(newcomer, referral=referral, consent_reference="SE-77", consent_given_on=_today())
    except (ValidationError, PermissionDenied):
        pass
    assert not cases_policy.is_professional_on_case(newcomer, world.other_case)
    assert not moved


# --- the board's anonymised figures ------------------------------------------------------------

def test_a_summary_does_not_give_back_a_small_count_by_subtraction(db):
    """H3-5 (mended): closed(previous) = active(previous) + new(current) - active(current) gave
    back a count shown as '< 5'; the suppression now knows the stock-and-flow identity."""
    crafted = build_crafted()
    figures = compute_figures(crafted.network, 2025, 2)
    rows = {row["key"]: row for row in figures["sections"][0]["rows"]}
    prev_active, prev_closed = rows["active"]["previous"], rows["closed"]["previous"]
    cur_active, cur_new = rows["active"]["current"], rows["new"]["current"]
    true_closed = raw_figures(crafted.network, Period(2025, 1))["cases"]["closed"]
    assert is_hidden(prev_closed) and 0 < true_closed < 5  # the figure was meant to be hidden
    shown = not any(is_hidden(v) for v in (prev_active, cur_active, cur_new))
    recovered = prev_active + cur_new - cur_active if shown else None
    assert recovered != true_closed, f"'< 5' closed cases recovered exactly: {recovered}"


# --- the admin -----------------------------------------------------------------------------------

def test_the_owner_hears_when_an_admin_adds_an_address_that_receives_reset_links(world, client, django_capture_on_commit_callbacks):
    EmailAddress.objects.create(user=world.counsellor, email=world.counsellor.email, primary=True, verified=True)
    client.force_login(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:account_emailaddress_add"), {
            "user": world.counsellor.pk, "email": "attacker@example.org", "verified": "on"})
    assert response.status_code == 302, response.content.decode()[:800]
    client.logout()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": "attacker@example.org"})
    reset_to_attacker = [m for m in mail.outbox if m.to == ["attacker@example.org"]]
    told_owner = [m for m in mail.outbox if m.to == [world.counsellor.email]]
    assert not reset_to_attacker or told_owner, "a reset link went to the added address, the owner was not told"
    assert len(told_owner) == 1 and "attacker@example.org" in told_owner[0].body
    assert told_owner[0].subject == "An e-mail address was added to your Fallkonferenz account"  # tests run in English

    # marking an unverified address verified in the admin tells her too
    mail.outbox.clear()
    unverified = EmailAddress.objects.create(user=world.counsellor, email="second@example.org", verified=False)
    client.force_login(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:account_emailaddress_changelist"),
                    {"action": "make_verified", "_selected_action": [unverified.pk]})
    assert sorted(m.to[0] for m in mail.outbox if "second@example.org" in m.body) == sorted(
        ["attacker@example.org", world.counsellor.email])


# --- Art. 18 restriction and the family's access log (Art. 15) --------------------------------------

@pytest.fixture
def father(world):
    user = make_user("father")
    member = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="F.", user=user)
    return user, member


def test_the_other_parents_restriction_does_not_show_in_her_access_log(world, client, father):
    _user, member = father
    item = world.item_restricted
    type(item).objects.filter(pk=item.pk).update(entrusted_by=member)
    request = privacy_services.request_record(world.dpo, case=world.case, family_member=member,
                                              kind=DataSubjectRequest.Kind.RESTRICTION, received_on=_today(),
                                              identity_check="account")
    restriction = privacy_services.restriction_set(world.dpo, request=request, grounds="Prüfung seiner Angaben")
    privacy_services.restricted_read(world.convenor, restriction=restriction, reason="Hilfeplan")
    assert cases_policy.family_audit_events_for_user(world.parent).filter(action="restriction.set").count() == 0
    shown = cases_policy.family_audit_events_for_user(world.parent).filter(legal_basis__startswith="restriction:")
    assert not shown.exists()
    assert not cases_policy.family_audit_events_for_member(world.mother).filter(action="restriction.read").exists()
    # the father's own answer (the DPO's export for him) shows the read of his data
    assert cases_policy.family_audit_events_for_member(member).filter(action="restriction.read").count() == 1

    # a read despite HER restriction stays in her log, and in the DPO's export for her
    own = privacy_services.request_record(world.dpo, case=world.case, family_member=world.mother,
                                          kind=DataSubjectRequest.Kind.RESTRICTION, received_on=_today(),
                                          identity_check="account")
    hers = privacy_services.restriction_set(world.dpo, request=own, grounds="Prüfung ihrer Angaben")
    privacy_services.restricted_read(world.convenor, restriction=hers, reason="Hilfeplan")
    assert list(cases_policy.family_audit_events_for_user(world.parent).filter(action="restriction.read")
                .values_list("legal_basis", flat=True)) == [f"restriction:{hers.pk}"]
    assert cases_policy.family_audit_events_for_member(world.mother).filter(action="restriction.read").count() == 1


def test_a_restricted_read_gives_no_more_than_she_could_read_before(world, father):
    """The midwife has no consent for the restricted item: a read under the restriction with a
    reason does not give it to her."""
    request = privacy_services.request_record(world.dpo, case=world.case, family_member=world.mother,
                                              kind=DataSubjectRequest.Kind.RESTRICTION, received_on=_today(),
                                              identity_check="account")
    restriction = privacy_services.restriction_set(world.dpo, request=request, grounds="Prüfung")
    read = privacy_services.restricted_read(world.midwife, restriction=restriction, reason="Nachsorge")
    assert world.item_restricted.pk not in [i.pk for i in read["items"]]
    assert world.consent.pk in [c.pk for c in read["consents"]]  # the team sees consents of its case
    # and nobody off the team reads under it
    with pytest.raises(PermissionDenied):
        privacy_services.restricted_read(world.outsider, restriction=restriction, reason="Neugier")
    # a guest of the conference is not on the team either
    grant_services.guest_invite(world.convenor, conference=world.conference, guest=world.outsider)
    with pytest.raises(PermissionDenied):
        privacy_services.restricted_read(world.outsider, restriction=restriction, reason="Neugier")


# --- feeds -----------------------------------------------------------------------------------------

def test_a_case_feed_stops_when_she_leaves_the_team_and_a_revoked_link_is_dead(world, client):
    token, raw = calendar_services.feed_token_create(world.counsellor, kind=FeedToken.Kind.CASE, case=world.case)
    assert client.get(f"/feeds/{raw}.ics").status_code == 200
    member = world.case.team.get(user=world.counsellor, removed_at__isnull=True)
    case_services.case_team_member_remove(world.convenor, member=member)
    assert client.get(f"/feeds/{raw}.ics").status_code == 404
    _token, personal = calendar_services.feed_token_create(world.counsellor)
    assert client.get(f"/feeds/{personal}.ics").status_code == 200
    assert "Beratungstermin anbieten" not in client.get(f"/feeds/{personal}.ics").content.decode()
    calendar_services.feed_token_revoke(world.counsellor, token=_token)
    assert client.get(f"/feeds/{personal}.ics").status_code == 404
    # a case feed cannot be taken out by a parent, a guest or a board member
    for user in (world.parent, world.board_member):
        with pytest.raises(PermissionDenied):
            calendar_services.feed_token_create(user, kind=FeedToken.Kind.CASE, case=world.case)
    grant_services.guest_invite(world.convenor, conference=world.conference, guest=world.outsider)
    with pytest.raises(PermissionDenied):
        calendar_services.feed_token_create(world.outsider, kind=FeedToken.Kind.CASE, case=world.case)


# --- legal bases: ending one ------------------------------------------------------------------------

def test_a_legal_basis_can_be_ended_through_the_api(world, client):
    record = consent_services.disclosure_basis_record(
        world.convenor, case=world.case, basis="de_kkg_4", from_organisation=world.youth_welfare,
        to_organisations=[world.midwifery], justification="Gefährdung", invoked_on=_today(),
        valid_until=_today() + dt.timedelta(days=3650), parents_informed=True)
    assert _can_read_item(world.midwife, world.item_restricted)
    client.force_login(world.midwife)  # she reads by it, but her organisation does not disclose
    assert client.post(f"/api/legal-bases/{record.pk}/end/").status_code == 403
    client.force_login(world.convenor)
    response = client.post(f"/api/legal-bases/{record.pk}/end/")
    assert response.status_code == 200 and response.json()["ended_at"]
    assert client.post(f"/api/legal-bases/{record.pk}/end/").status_code == 400  # ended already
    record.refresh_from_db()
    assert record.ended_at is not None
    assert not _can_read_item(world.midwife, world.item_restricted)


# --- parents' accounts ------------------------------------------------------------------------------

def test_no_account_and_no_set_up_link_on_another_persons_address(world, django_capture_on_commit_callbacks):
    """H3-9 as the offer of access answers it: no refusal (that was an oracle), but no account made
    and no link mailed that would hand the record to whoever reads that mailbox."""
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="F.",
                                         email=world.counsellor.email)
    users = User.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        access_services.family_member_access_offer(world.convenor, member=father)
    assert User.objects.count() == users
    assert all("/accounts/password/reset/" not in message.body for message in mail.outbox)
    access_services.access_offer_take_by_link(world.counsellor)
    father.refresh_from_db()
    assert father.user_id is None


def test_access_is_offered_only_to_an_adult_parent_of_this_case_without_one(world):
    with pytest.raises(ValidationError):
        access_services.family_member_access_offer(world.convenor, member=world.expected_child)
    with pytest.raises(ValidationError):
        access_services.family_member_access_offer(world.convenor, member=world.mother)  # has one
    stranger = FamilyMember.objects.create(case=world.other_case, relation=FamilyMember.Relation.MOTHER, display_name="S.",
                                           email="s@example.org")
    with pytest.raises(PermissionDenied):
        access_services.family_member_access_offer(world.convenor, member=stranger)
    with pytest.raises(PermissionDenied):
        access_services.family_member_access_offer(world.counsellor, member=FamilyMember.objects.create(
            case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.", email="v@example.org"))


# --- consent windows, back-dating, revocation -----------------------------------------------------

def test_a_consent_opens_only_inside_its_window_and_revocation_acts_at_once(world, client):
    today = _today()
    Consent.objects.filter(pk=world.consent.pk).update(valid_from=today + dt.timedelta(days=1))
    assert not _can_read_item(world.counsellor, world.item_restricted)
    Consent.objects.filter(pk=world.consent.pk).update(valid_from=today - dt.timedelta(days=400),
                                                       valid_until=today - dt.timedelta(days=1))
    assert not _can_read_item(world.counsellor, world.item_restricted)
    Consent.objects.filter(pk=world.consent.pk).update(valid_until=today)
    assert _can_read_item(world.counsellor, world.item_restricted)
    client.force_login(world.parent)
    assert client.post(f"/api/consents/{world.consent.pk}/revoke/").status_code == 200
    assert not _can_read_item(world.counsellor, world.item_restricted)


def test_a_back_dated_consent_from_another_organisation_opens_nothing_of_the_holders(world):
    """The midwife records (for her own organisation) a consent of the mother, back-dated, to the
    counselling: it does not cover what the youth-welfare office holds."""
    today = _today()
    consent_services.consent_record(
        world.midwife, case=world.case, given_by=world.mother, from_organisation=world.midwifery,
        to_organisations=[world.counselling], categories=[InformationCategory.PARENTING_CHILD_WELFARE],
        valid_from=today - dt.timedelta(days=3650), valid_until=today + dt.timedelta(days=3650), form_reference="X")
    Consent.objects.filter(pk=world.consent.pk).update(revoked_at=timezone.now())
    assert not _can_read_item(world.counsellor, world.item_restricted)
    # nor can she record one in the youth-welfare office's name
    with pytest.raises(ValidationError):
        consent_services.consent_record(
            world.midwife, case=world.case, given_by=world.mother, from_organisation=world.youth_welfare,
            to_organisations=[world.midwifery], categories=[InformationCategory.PARENTING_CHILD_WELFARE],
            valid_from=today, valid_until=today + dt.timedelta(days=30), form_reference="X")
    assert not _can_read_item(world.midwife, world.item_restricted)


def test_the_actions_table_does_not_give_back_a_small_count_by_subtraction(world):
    """H3-5b (mended): open = open(previous) + agreed - done - dropped per kind of organisation
    gave back a hidden '< 5'; the suppression now holds that identity per row."""
    year = _today().year - 1
    tz = dt.timezone.utc

    def at(month: int, day: int = 15) -> dt.datetime:
        return dt.datetime(year, month, day, 10, tzinfo=tz)

    def action(created: dt.datetime, **extra) -> AgreedAction:
        return AgreedAction.objects.create(case=world.case, item=world.item_professionals, title="Hausbesuch",
                                           responsible_organisation=world.midwifery, due_on=dt.date(year + 5, 1, 1),
                                           created_at=created, **extra)

    for _ in range(4):
        action(at(2))                                   # agreed in H1, still open
    for _ in range(2):                                  # agreed in H1, done in H2: the small cell
        action(at(2), status=AgreedAction.Status.DONE, completed_on=dt.date(year, 9, 1))
    for _ in range(10):
        action(at(8))                                   # agreed in H2, open
    figures = compute_figures(world.network, year, 2)
    row = next(r for r in figures["actions"]["rows"] if r["key"] == "midwifery")
    cur, prev = row["current"], row["previous"]
    true_done = raw_figures(world.network, Period(year, 2))["actions"]["by_group"]["midwifery"]["done"]
    assert is_hidden(cur["done"]) and 0 < true_done < 5
    others = (prev["open"], cur["agreed"], cur["dropped"], cur["open"])
    recovered = (prev["open"] + cur["agreed"] - cur["dropped"] - cur["open"]) if not any(is_hidden(v) for v in others) else None
    assert recovered != true_done, f"'< 5' done actions of the midwives recovered exactly: {recovered}"


def test_two_drafts_of_the_running_half_year_do_not_single_out_one_new_case(world):
    """H3-5c (mended): drafts of the RUNNING half year, recomputed at will, differed by exactly
    the one case opened in between (time-stamped by computed_at). A half year's figures are now
    computed only once it has ended: the drafts are refused."""
    today = _today()
    for n in range(5):
        Case.objects.create(network=world.network, reference=f"KT-{today.year}-1{n:02d}", lead_organisation=world.youth_welfare,
                            lead_caseworker=world.convenor, status=Case.Status.ACTIVE, opened_on=today)
    half = 1 if today.month <= 6 else 2

    def draft():
        try:
            return board_services.summary_compute(world.coordinator, network=world.network, year=today.year, half=half)
        except ValidationError:
            return None

    first = draft()
    case_services.case_open(world.convenor, lead_organisation=world.youth_welfare, reference=f"KT-{today.year}-200")
    second = draft()

    def new_cases(summary):
        if summary is None:
            return None
        rows = {row["key"]: row for row in summary.figures["sections"][0]["rows"]}
        return rows["new"]["current"]

    a, b = new_cases(first), new_cases(second)
    assert not (isinstance(a, int) and isinstance(b, int) and b - a == 1), f"drafts show {a} then {b} new cases"
