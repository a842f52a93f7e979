"""Permission matrix for the case pages and the case API, every role against world.case."""
from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from cases import access_services
from cases.models import AccessOffer, Case, CaseTeamMember, FamilyMember
from tests.matrix.roles import ROLES, client_for

URL_NAMES = {
    "cases:case_list",
    "cases:case_create",
    "cases:case_detail",
    "cases:case_team_add",
    "cases:case_team_remove",
    "cases:case_family_add",
    "cases:case_family_account",
    "cases:case_family_access_withdraw",
    "cases:access_code_enter",
    "cases:case_close",
    "cases:case_reopen",
    "cases:case_family_edit",
    "case-list",
    "case-detail",
}

pytestmark = pytest.mark.django_db

ON_TEAM_OR_FAMILY = {"convenor", "lead_colleague", "counsellor", "midwife", "parent"}
CONVENORS = {"convenor", "lead_colleague"}  # caseworkers of the lead organisation on the team
CASEWORKERS = {"convenor", "lead_colleague", "foreign_professional"}
# Neither a professional of an organisation nor a member of a family: no list of cases or actions.
WITHOUT_CASE_PAGES = {"board_member", "coordinator", "dpo", "admin"}


def expected_for_case_page(role: str, *, allowed: set[str]) -> int:
    """Anonymous → login redirect; invisible case → 404; visible but not allowed → 403."""
    if role == "anonymous":
        return 302
    if role not in ON_TEAM_OR_FAMILY:
        return 404
    return 200 if role in allowed else 403


@pytest.mark.parametrize("role", ROLES)
def test_case_list_shows_the_case_only_to_its_team_and_family(client, world, role):
    response = client_for(client, world, role).get(reverse("cases:case_list"))
    if role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        return
    if role in WITHOUT_CASE_PAGES:  # refused with a reason, not an empty list that looks like missing cases
        assert response.status_code == 403 and world.case.reference not in response.content.decode()
        return
    assert response.status_code == 200
    assert (world.case.reference in response.content.decode()) == (role in ON_TEAM_OR_FAMILY)


@pytest.mark.parametrize("role", ROLES)
def test_case_detail(client, world, role):
    response = client_for(client, world, role).get(reverse("cases:case_detail", args=[world.case.pk]))
    assert response.status_code == expected_for_case_page(role, allowed=ON_TEAM_OR_FAMILY)
    if response.status_code == 200:
        assert world.case.reference in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_case_create_page_is_for_caseworkers(client, world, role):
    response = client_for(client, world, role).get(reverse("cases:case_create"))
    if role == "anonymous":
        assert response.status_code == 302
    else:
        assert response.status_code == (200 if role in CASEWORKERS else 403)


@pytest.mark.parametrize("role", ROLES)
def test_case_create_post(client, world, role):
    before = Case.objects.count()
    data = {"lead_organisation": world.youth_welfare.pk, "reference": "KT-2026-099"}
    response = client_for(client, world, role).post(reverse("cases:case_create"), data)
    if role in {"convenor", "lead_colleague"}:
        assert response.status_code == 302
        assert Case.objects.count() == before + 1
        return
    if role == "anonymous":
        assert response.status_code == 302
    elif role == "foreign_professional":
        assert response.status_code == 400  # not a caseworker of that organisation: not a valid choice
    else:
        assert response.status_code == 403
    assert Case.objects.count() == before


@pytest.mark.parametrize("role", ROLES)
def test_case_team_add_page(client, world, role):
    response = client_for(client, world, role).get(reverse("cases:case_team_add", args=[world.case.pk]))
    assert response.status_code == expected_for_case_page(role, allowed=CONVENORS)


@pytest.mark.parametrize("role", ROLES)
def test_case_team_add_post(client, world, role):
    data = {"member": f"o{world.early_help.pk}", "case_role": CaseTeamMember.CaseRole.EARLY_HELP}
    response = client_for(client, world, role).post(reverse("cases:case_team_add", args=[world.case.pk]), data)
    expected = expected_for_case_page(role, allowed=CONVENORS)
    assert response.status_code == (302 if expected == 200 else expected)
    joined = world.case.team.filter(organisation=world.early_help, removed_at__isnull=True).exists()
    assert joined == (role in CONVENORS)


@pytest.mark.parametrize("role", ROLES)
def test_case_team_remove(client, world, role):
    member = world.case.team.get(user=world.midwife)
    url = reverse("cases:case_team_remove", args=[world.case.pk, member.pk])
    response = client_for(client, world, role).post(url)
    expected = expected_for_case_page(role, allowed=CONVENORS)
    assert response.status_code == (302 if expected == 200 else expected)
    member.refresh_from_db()
    assert (member.removed_at is not None) == (role in CONVENORS)


@pytest.mark.parametrize("role", ROLES)
def test_case_family_add(client, world, role):
    url = reverse("cases:case_family_add", args=[world.case.pk])
    c = client_for(client, world, role)
    assert c.get(url).status_code == expected_for_case_page(role, allowed=CONVENORS)
    response = c.post(url, {"relation": FamilyMember.Relation.FATHER, "display_name": "P."})
    expected = expected_for_case_page(role, allowed=CONVENORS)
    assert response.status_code == (302 if expected == 200 else expected)
    assert world.case.family_members.filter(display_name="P.").exists() == (role in CONVENORS)


@pytest.mark.parametrize("role", ROLES)
def test_case_family_account(client, world, role):
    """Offering access: only the convenors (their answer is the case page showing the code); the
    record stays unlinked until the parent acts."""
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="J.",
                                         email="father@example.org")
    url = reverse("cases:case_family_account", args=[world.case.pk, father.pk])
    response = client_for(client, world, role).post(url)
    assert response.status_code == expected_for_case_page(role, allowed=CONVENORS)
    father.refresh_from_db()
    assert father.user_id is None
    assert AccessOffer.objects.filter(member=father).exists() == (role in CONVENORS)


@pytest.mark.parametrize("role", ROLES)
def test_case_family_access_withdraw(client, world, role):
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="J.",
                                         email="father@example.org")
    access_services.family_member_access_offer(world.convenor, member=father)
    url = reverse("cases:case_family_access_withdraw", args=[world.case.pk, father.pk])
    response = client_for(client, world, role).post(url)
    expected = expected_for_case_page(role, allowed=CONVENORS)
    assert response.status_code == (302 if expected == 200 else expected)
    assert AccessOffer.objects.get(member=father).revoked_at is not None if role in CONVENORS else \
        AccessOffer.objects.get(member=father).revoked_at is None


# Accounts a family record may join: no professional, network role or admin (participants.policy.may_join_a_family).
MAY_LINK_A_CASE = {"parent", "other_parent"}


@pytest.mark.parametrize("role", ROLES)
def test_access_code_enter(client, world, role):
    """Every role against "Link another case", with a valid code for a record of the other case at
    the mother's address (the code links only an account that receives mail there, review h8-1)."""
    member = FamilyMember.objects.create(case=world.other_case, relation=FamilyMember.Relation.MOTHER, display_name="A.",
                                         email=world.parent.email)
    code = access_services.family_member_access_offer(world.lead_colleague, member=member).code
    url = reverse("cases:access_code_enter")
    page = client_for(client, world, role).get(url)
    response = client.post(url, {"code": code})
    member.refresh_from_db()
    if role == "anonymous":
        assert page.status_code == response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert member.user_id is None
    elif role in MAY_LINK_A_CASE:
        assert page.status_code == 200
        if role == "other_parent":  # already the father of that case, not at her address: refused, nothing changes
            assert response.status_code == 400 and member.user_id is None
        else:
            assert response.status_code == 302 and member.user_id == world.parent.pk
    else:
        assert page.status_code == response.status_code == 403
        assert member.user_id is None


@pytest.mark.parametrize("role", ROLES)
def test_api_case_list(client, world, role):
    response = client_for(client, world, role).get("/api/cases/")
    if role == "anonymous":
        assert response.status_code in (401, 403)
        return
    assert response.status_code == 200
    references = {row["reference"] for row in response.json()["results"]}
    assert (world.case.reference in references) == (role in ON_TEAM_OR_FAMILY)
    assert world.other_case.reference in references if role in {"lead_colleague", "outsider", "other_parent"} else True


@pytest.mark.parametrize("role", ROLES)
def test_api_case_detail(client, world, role):
    response = client_for(client, world, role).get(f"/api/cases/{world.case.pk}/")
    if role == "anonymous":
        assert response.status_code in (401, 403)
    elif role in ON_TEAM_OR_FAMILY:
        assert response.status_code == 200
        assert response.json()["reference"] == world.case.reference
    else:
        assert response.status_code == 404


def test_api_is_read_only(client, world):
    client.force_login(world.convenor)
    assert client.post("/api/cases/", {"reference": "KT-2026-050"}).status_code == 405
    assert client.delete(f"/api/cases/{world.case.pk}/").status_code == 405


@pytest.mark.parametrize("role", ROLES)
def test_case_close(client, world, role):
    from conferences.models import Conference

    Conference.objects.filter(pk=world.conference.pk).update(status=Conference.Status.CANCELLED)
    url = reverse("cases:case_close", args=[world.case.pk])
    client = client_for(client, world, role)
    expected = expected_for_case_page(role, allowed=CONVENORS)
    asked = client.post(url, {"closed_on": ""})  # the first step only asks to confirm
    assert asked.status_code == expected
    world.case.refresh_from_db()
    assert world.case.status != Case.Status.CLOSED
    response = client.post(url, {"closed_on": "", "confirm": "True"})
    assert response.status_code == (302 if expected == 200 else expected)
    world.case.refresh_from_db()
    assert (world.case.status == Case.Status.CLOSED) == (role in CONVENORS)


@pytest.mark.parametrize("role", ROLES)
def test_case_reopen(client, world, role):
    Case.objects.filter(pk=world.case.pk).update(status=Case.Status.CLOSED, closed_on=world.case.opened_on)
    response = client_for(client, world, role).post(reverse("cases:case_reopen", args=[world.case.pk]),
                                                    {"reason": "Familie meldet sich wieder"})
    expected = expected_for_case_page(role, allowed=CONVENORS)
    assert response.status_code == (302 if expected == 200 else expected)
    world.case.refresh_from_db()
    assert (world.case.status == Case.Status.ACTIVE) == (role in CONVENORS)


@pytest.mark.parametrize("role", ROLES)
def test_case_family_edit(client, world, role):
    url = reverse("cases:case_family_edit", args=[world.case.pk, world.expected_child.pk])
    client = client_for(client, world, role)
    expected = expected_for_case_page(role, allowed=CONVENORS)
    assert client.get(url).status_code == expected
    response = client.post(url, {"relation": "expected_child", "display_name": "Kind",
                                 "due_date": world.expected_child.due_date.isoformat(), "version": world.expected_child.version})
    assert response.status_code == (302 if expected == 200 else expected)
    world.expected_child.refresh_from_db()
    assert (world.expected_child.display_name == "Kind") == (role in CONVENORS)


@pytest.mark.parametrize(("whose", "status", "recorded"), [
    ("her_own", 302, True),
    ("none", 302, True),
    ("an_account", 302, True),                       # known elsewhere: not compared (no oracle)
    ("an_allauth_address", 302, True),
    ("a_family_member_of_another_case", 302, True),
    ("the_other_parent_of_this_case", 400, False),
    ("the_other_parents_allauth_address", 400, False),
])
def test_case_family_add_address(client, world, whose, status, recorded):
    """The address a parent's poll links go to reaches no other person of her family (review h3
    follow-up of H3-9); addresses known outside the family are not compared (no oracle)."""
    EmailAddress.objects.create(user=world.midwife, email="m-zweit@example.org", primary=False, verified=True)
    EmailAddress.objects.create(user=world.parent, email="m-mutter@example.org", primary=False, verified=True)
    FamilyMember.objects.create(case=world.other_case, relation=FamilyMember.Relation.MOTHER, display_name="A.",
                                email="m-anna@example.org")
    email = {"her_own": "m-vater@example.org", "none": "", "an_account": world.counsellor.email.upper(),
             "an_allauth_address": "m-zweit@example.org", "a_family_member_of_another_case": "m-anna@example.org",
             "the_other_parent_of_this_case": world.mother.email, "the_other_parents_allauth_address": "M-Mutter@example.org"}[whose]
    response = client_for(client, world, "convenor").post(reverse("cases:case_family_add", args=[world.case.pk]),
                                                          {"relation": FamilyMember.Relation.FATHER, "display_name": "P.",
                                                           "email": email})
    assert response.status_code == status
    assert world.case.family_members.filter(display_name="P.").exists() == recorded
