"""The caseworker's first steps: open a case, assemble the team, record the family."""
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, translation

from cases import access_services
from cases import services as case_services
from cases.models import AccessOffer, Case, CaseTeamMember, FamilyMember
from participants.models import Organisation, OrganisationKind, ProfessionalRole, User
from permissions.models import AuditEvent
from privacy.models import ProcessingRestriction
from tests.world import make_professional

pytestmark = pytest.mark.django_db


def test_caseworker_opens_a_case_and_leads_its_team(client, world):
    client.force_login(world.convenor)
    response = client.post(reverse("cases:case_create"),
                           {"lead_organisation": world.youth_welfare.pk, "reference": "kt-2026-050", "expected_child": "on"})
    case = Case.objects.get(reference="KT-2026-050")
    assert response["Location"] == reverse("cases:case_detail", args=[case.pk])
    assert case.status == Case.Status.NEW and case.lead_caseworker == world.convenor and case.expected_child_at_opening
    assert case.team.filter(user=world.convenor, case_role=CaseTeamMember.CaseRole.LEAD, removed_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="case.open", case=case, actor=world.convenor, channel="page").exists()
    page = client.get(response["Location"]).content.decode()
    assert "KT-2026-050" in page and world.convenor.get_full_name() in page


@pytest.mark.parametrize(("reference", "message"), [
    ("Müller 2026", "pseudonymous reference"),
    ("RA-2026-050", "start with KT-"),
    ("KT-2026-001", "already used in this network"),
])
def test_a_bad_reference_is_refused_at_the_field_and_nothing_is_created(client, world, reference, message):
    client.force_login(world.convenor)
    before = Case.objects.count()
    response = client.post(reverse("cases:case_create"), {"lead_organisation": world.youth_welfare.pk, "reference": reference})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["reference"])
    assert 'aria-invalid="true"' in response.content.decode()
    assert Case.objects.count() == before


def test_a_caseworker_of_another_network_opens_cases_with_her_network_prefix(world):
    case = case_services.case_open(world.foreign_professional, lead_organisation=world.foreign_org, reference="RA-2026-001")
    assert case.network == world.other_network


def test_a_closed_case_can_no_longer_be_changed(client, world):
    import datetime as dt

    Case.objects.filter(pk=world.case.pk).update(status=Case.Status.CLOSED, closed_on=world.case.opened_on + dt.timedelta(days=1))
    client.force_login(world.convenor)
    assert client.get(reverse("cases:case_detail", args=[world.case.pk])).status_code == 200
    assert client.get(reverse("cases:case_team_add", args=[world.case.pk])).status_code == 403


def test_a_professional_who_is_no_caseworker_cannot_open_a_case(world):
    with pytest.raises(PermissionDenied):
        case_services.case_open(world.counsellor, lead_organisation=world.counselling, reference="KT-2026-060")
    with pytest.raises(PermissionDenied):
        case_services.case_open(world.counsellor, lead_organisation=world.youth_welfare, reference="KT-2026-060")


def test_convenor_adds_a_professional_of_another_organisation(client, world):
    client.force_login(world.convenor)
    membership = world.outsider.memberships.get()
    response = client.post(reverse("cases:case_team_add", args=[world.case.pk]),
                           {"member": f"m{membership.pk}", "case_role": CaseTeamMember.CaseRole.EARLY_HELP})
    assert response.status_code == 302
    assert world.case.team.filter(user=world.outsider, organisation=world.early_help, removed_at__isnull=True).exists()
    # Now on the team, the professional sees the case.
    client.force_login(world.outsider)
    assert client.get(reverse("cases:case_detail", args=[world.case.pk])).status_code == 200


def test_someone_already_on_the_team_is_not_offered_again(client, world):
    client.force_login(world.convenor)
    membership = world.counsellor.memberships.get()
    assert f'value="m{membership.pk}"' not in client.get(reverse("cases:case_team_add", args=[world.case.pk])).content.decode()
    response = client.post(reverse("cases:case_team_add", args=[world.case.pk]),
                           {"member": f"m{membership.pk}", "case_role": CaseTeamMember.CaseRole.COUNSELLING})
    assert response.status_code == 400
    assert response.context["form"].errors["member"]
    assert world.case.team.filter(user=world.counsellor, removed_at__isnull=True).count() == 1


def test_adding_someone_already_on_the_team_is_refused_by_the_service(world):
    with pytest.raises(ValidationError, match="already on the case team"):
        case_services.case_team_member_add(world.convenor, case=world.case, organisation=world.counselling, user=world.counsellor)


def test_organisations_of_another_network_cannot_join(world):
    with pytest.raises(ValidationError):
        case_services.case_team_member_add(world.convenor, case=world.case, organisation=world.foreign_org)


def test_a_professional_must_work_for_the_organisation_she_joins_with(world):
    with pytest.raises(ValidationError):
        case_services.case_team_member_add(world.convenor, case=world.case, organisation=world.early_help, user=world.counsellor)


def test_the_team_select_offers_only_the_case_network(client, world):
    client.force_login(world.convenor)
    page = client.get(reverse("cases:case_team_add", args=[world.case.pk])).content.decode()
    assert world.early_help.name in page
    assert world.foreign_org.name not in page
    assert world.foreign_professional.first_name not in page


def test_removing_a_member_keeps_the_row_and_ends_her_access(client, world):
    member = world.case.team.get(user=world.midwife)
    client.force_login(world.convenor)
    client.post(reverse("cases:case_team_remove", args=[world.case.pk, member.pk]))
    member.refresh_from_db()
    assert member.removed_at is not None
    assert AuditEvent.objects.filter(action="case_team.remove", case=world.case).exists()
    client.force_login(world.midwife)
    assert client.get(reverse("cases:case_detail", args=[world.case.pk])).status_code == 404


def test_the_lead_caseworker_cannot_be_removed(world):
    lead = world.case.team.get(user=world.convenor)
    with pytest.raises(ValidationError):
        case_services.case_team_member_remove(world.lead_colleague, member=lead)
    lead.refresh_from_db()
    assert lead.removed_at is None


def test_convenor_records_an_expected_child_with_its_due_date(client, world):
    client.force_login(world.convenor)
    response = client.post(reverse("cases:case_family_add", args=[world.case.pk]),
                           {"relation": "expected_child", "display_name": "Zwilling", "due_date": "2026-12-24"})
    assert response.status_code == 302
    child = world.case.family_members.get(display_name="Zwilling")
    assert child.due_date.isoformat() == "2026-12-24"


def test_an_expected_child_without_due_date_is_refused_at_the_field(client, world):
    client.force_login(world.convenor)
    before = FamilyMember.objects.count()
    response = client.post(reverse("cases:case_family_add", args=[world.case.pk]),
                           {"relation": "expected_child", "display_name": "Zwilling"})
    assert response.status_code == 400
    assert response.context["form"].errors["due_date"]
    assert FamilyMember.objects.count() == before


def test_case_detail_is_audited_with_the_basis_of_access(client, world):
    client.force_login(world.parent)
    client.get(reverse("cases:case_detail", args=[world.case.pk]))
    client.force_login(world.counsellor)
    client.get(reverse("cases:case_detail", args=[world.case.pk]))
    events = AuditEvent.objects.filter(action="case.read", case=world.case, channel="page")
    assert {(e.actor_id, e.legal_basis) for e in events} == {(world.parent.pk, "family"), (world.counsellor.pk, "team")}


def test_parent_sees_the_team_but_no_team_controls(client, world):
    client.force_login(world.parent)
    page = client.get(reverse("cases:case_detail", args=[world.case.pk])).content.decode()
    assert world.counselling.name in page
    assert reverse("cases:case_team_add", args=[world.case.pk]) not in page


def test_case_list_query_count_does_not_grow_with_cases(client, world):
    client.force_login(world.lead_colleague)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("cases:case_list"))
    for number in range(10, 20):
        case = Case.objects.create(network=world.network, reference=f"KT-2026-{number:03d}", lead_organisation=world.youth_welfare,
                                   lead_caseworker=world.lead_colleague)
        CaseTeamMember.objects.create(case=case, organisation=world.youth_welfare, user=world.lead_colleague)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("cases:case_list")).content.decode()
    assert "KT-2026-019" in page
    assert len(many) == len(few)


def test_api_case_detail_lists_active_team_and_family(client, world):
    member = world.case.team.get(user=world.midwife)
    case_services.case_team_member_remove(world.convenor, member=member)
    client.force_login(world.convenor)
    data = client.get(f"/api/cases/{world.case.pk}/").json()
    assert world.midwifery.name not in {m["organisation"] for m in data["team"]}
    assert {f["display_name"] for f in data["family"]} == {"M.", "Baby"}
    assert AuditEvent.objects.filter(action="case.read", case=world.case, channel="api").exists()


def test_a_family_member_whose_processing_is_restricted_shows_only_name_and_relation(client, world):
    # Review h11, H11-3 (Art. 18): the case page and the case API read one flag of the case selector.
    FamilyMember.objects.filter(pk=world.mother.pk).update(birth_year=1990)
    client.force_login(world.convenor)
    response = client.get(reverse("cases:case_detail", args=[world.case.pk]))
    with translation.override(response["Content-Language"]):
        due = formats.date_format(world.expected_child.due_date, "DATE_FORMAT")
        note = translation.gettext("processing restricted (Art. 18 GDPR)")
    page = response.content.decode()
    assert "1990" in page and due in page and note not in page  # the control
    for member in (world.mother, world.expected_child):
        ProcessingRestriction.objects.create(family_member=member, grounds="Art. 18: Widerspruch", set_by=world.dpo)
    page = client.get(reverse("cases:case_detail", args=[world.case.pk])).content.decode()
    assert page.count(note) == 2 and "1990" not in page and due not in page
    assert "M." in page and "Baby" in page
    family = {m["id"]: m for m in client.get(f"/api/cases/{world.case.pk}/").json()["family"]}
    assert family[world.mother.pk] == {**family[world.mother.pk], "display_name": "M.", "relation": "mother",
                                       "birth_year": None, "due_date": None}
    assert (family[world.expected_child.pk]["display_name"], family[world.expected_child.pk]["due_date"]) == ("Baby", None)
    client.force_login(world.parent)  # she reads her own record as it is
    family = {m["id"]: m for m in client.get(f"/api/cases/{world.case.pk}/").json()["family"]}
    assert family[world.mother.pk]["birth_year"] == 1990


def test_api_detail_of_a_non_number_is_404(client, world):
    client.force_login(world.convenor)
    assert client.get("/api/cases/abc/").status_code == 404


def test_convenor_offers_a_parent_access_and_she_sets_her_own_password(client, world, django_capture_on_commit_callbacks, settings):
    import re

    from django.core import mail

    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="Jan",
                                         email="jan@example.org")
    client.force_login(world.convenor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cases:case_family_account", args=[world.case.pk, father.pk]), follow=True)
    assert "Access offered (until" in response.content.decode()
    father.refresh_from_db()
    assert father.user_id is None  # offered; linked only when she uses the link
    assert AuditEvent.objects.filter(action="family_member.access_offer", case=world.case).exists()
    account = User.objects.get(email="jan@example.org")
    assert not account.has_usable_password()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["jan@example.org"]
    body = mail.outbox[0].body
    assert world.case.reference in body and account.username in body
    link = re.search(re.escape(settings.SITE_URL) + r"(/accounts/password/reset/key/\S+/)", body).group(1)

    client.logout()
    form_page = client.get(link, follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    client.post(action, {"password1": "vater-passwort-2026", "password2": "vater-passwort-2026"})
    father.refresh_from_db()
    assert father.user_id == account.pk
    assert AuditEvent.objects.get(action="family_member.account_link", case=world.case).actor_id == account.pk
    assert client.login(username=account.username, password="vater-passwort-2026")
    assert world.case.reference in client.get(reverse("dashboard")).content.decode()
    client.force_login(world.convenor)
    assert "Account linked" in client.get(reverse("cases:case_detail", args=[world.case.pk])).content.decode()


def test_a_child_or_a_parent_without_e_mail_is_offered_no_access(world):
    with pytest.raises(ValidationError):
        access_services.family_member_access_offer(world.convenor, member=world.expected_child)
    no_mail = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="O.")
    with pytest.raises(ValidationError):
        access_services.family_member_access_offer(world.convenor, member=no_mail)
    with pytest.raises(ValidationError):
        access_services.family_member_access_offer(world.convenor, member=world.mother)  # linked already
    assert not AccessOffer.objects.exists()


def test_no_set_up_link_goes_to_an_address_another_account_receives_mail_at(world, client, django_capture_on_commit_callbacks):
    """Review h3, H3-9: the father recorded at the mother's address. The set-up link would have
    handed her his record; the offer makes no account and mails no link there, and only the code
    handed to him in person links it. (Recorded like this before the family's address rule.)"""
    from allauth.account.models import EmailAddress
    from django.core import mail

    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.",
                                         email="parent-shared@example.org")
    EmailAddress.objects.create(user=world.other_parent, email="parent-shared@example.org", primary=False, verified=True)
    users = User.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        offered = access_services.family_member_access_offer(world.convenor, member=father)
    assert User.objects.count() == users
    assert [m.to for m in mail.outbox] == [["parent-shared@example.org"]]
    body = mail.outbox[0].body
    assert "/accounts/password/reset/" not in body and offered.code not in body
    assert world.case.reference not in body and "V." not in body
    # whoever reads that mailbox, signed in, cannot take the record without the code
    with pytest.raises(ValidationError):
        access_services.access_offer_take(world.other_parent, code="ABCD-EFGH-JKLM")
    # nor by choosing a new password through "Forgot your password?" at that address
    access_services.access_offer_take_by_link(world.other_parent)
    father.refresh_from_db()
    assert father.user_id is None
    assert not AuditEvent.objects.filter(action="family_member.account_link").exists()


@pytest.mark.parametrize(("language", "message"), [
    ("de", "Der Zugang zu Fallkonferenz wurde V. angeboten."),
    ("da", "V. har fået tilbudt adgang til Fallkonferenz."),
    ("en", "Access to Fallkonferenz was offered to V."),
])
def test_the_page_offers_access_at_an_address_an_account_has_and_says_only_that(client, world, language, message):
    """The page once refused here, naming the reason: whether an account receives mail at the address."""
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.",
                                         email=world.counsellor.email)
    client.force_login(world.convenor)
    response = client.post(reverse("cases:case_family_account", args=[world.case.pk, father.pk]), follow=True,
                           HTTP_ACCEPT_LANGUAGE=language)
    page = response.content.decode()
    assert response.status_code == 200 and message in page
    assert "account" not in page.split(message)[1].split("</")[0]
    father.refresh_from_db()
    assert father.user_id is None


def test_case_page_links_conferences_consents_and_planning(client, world):
    client.force_login(world.convenor)
    page = client.get(reverse("cases:case_detail", args=[world.case.pk])).content.decode()
    assert reverse("conferences:conference_detail", args=[world.conference.pk]) in page
    assert reverse("cases:case_consents", args=[world.case.pk]) in page
    assert reverse("conferences:conference_create", args=[world.case.pk]) in page
    client.force_login(world.counsellor)
    page = client.get(reverse("cases:case_detail", args=[world.case.pk])).content.decode()
    assert reverse("conferences:conference_create", args=[world.case.pk]) not in page


def test_a_long_case_list_is_paginated(client, world):
    for number in range(60):
        case = Case.objects.create(network=world.network, reference=f"KT-2025-{number:03d}", lead_organisation=world.youth_welfare,
                                   lead_caseworker=world.lead_colleague)
        CaseTeamMember.objects.create(case=case, organisation=world.youth_welfare, user=world.lead_colleague)
    client.force_login(world.lead_colleague)
    first = client.get(reverse("cases:case_list"))
    assert len(first.context["cases"]) == 50
    assert "62 cases you may open" in first.content.decode()
    second = client.get(reverse("cases:case_list"), {"page": 2})
    assert len(second.context["cases"]) == 12


def test_the_open_form_suggests_the_next_free_reference_of_the_year(client, world):
    from django.utils import timezone

    year = timezone.localdate().year
    Case.objects.create(network=world.network, reference=f"KT-{year}-041", lead_organisation=world.youth_welfare,
                        lead_caseworker=world.convenor)
    client.force_login(world.convenor)
    page = client.get(reverse("cases:case_create")).content.decode()
    assert f'value="KT-{year}-042"' in page


def test_the_default_role_follows_the_professionals_role_before_the_organisations_kind(client, world):
    """A case manager of a perinatal centre (a clinic) manages the case; she gives no medical care."""
    perinatal = Organisation.objects.create(network=world.network, name="Perinatalzentrum", kind=OrganisationKind.CLINIC)
    manager = make_professional("perinatal-cm", perinatal, ProfessionalRole.CASE_MANAGER)
    nurse = make_professional("perinatal-other", perinatal, ProfessionalRole.OTHER)
    client.force_login(world.convenor)
    for user in (manager, nurse):
        membership = user.memberships.get()
        assert client.post(reverse("cases:case_team_add", args=[world.case.pk]),
                           {"member": f"m{membership.pk}", "case_role": ""}).status_code == 302
    roles = dict(world.case.team.filter(organisation=perinatal).values_list("user__username", "case_role"))
    assert roles == {"perinatal-cm": CaseTeamMember.CaseRole.CASE_MANAGEMENT, "perinatal-other": CaseTeamMember.CaseRole.MEDICAL}
