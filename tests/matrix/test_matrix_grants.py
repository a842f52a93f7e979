"""Matrix cells for explicit grants: people who see something only because someone granted it
(a substitute, a conference guest), with the grant in force, ended or misapplied; and the grant
pages for every role.

Y = may see, . = may not (columns as in test_matrix_policy). Page cells: 200 allowed, 404
invisible, 302 to login for anonymous.
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from conferences import policy as conferences_policy
from conferences.models import Conference
from participants import admin_services
from participants.models import Membership, ProfessionalRole
from access import grant_services
from cases import services as case_services
from permissions import audit, grants
from permissions.models import ConferenceGuestGrant, MinuteTakerGrant, SubstituteGrant
from protocols import services as protocol_services
from protocols.models import Protocol
from tests.matrix.roles import ROLES, client_for, user_for
from tests.matrix.test_matrix_policy import KINDS, visible_by_policy
from tests.world import hold_conference, make_professional, make_user

pytestmark = pytest.mark.django_db

URL_NAMES = {"access:grants", "access:grant_create", "access:grant_withdraw", "access:dpo_grants"}

#                          case fm conf inv prot i_ev i_pro i_res a_co a_pa cons audit faud summ
GRANT_TABLE = """
substitute                  Y   Y   Y    Y   Y    Y    Y     Y     Y    Y    Y    .     .    .
substitute_ended            .   .   .    .   .    .    .     .     .    .    .    .     .    .
substitute_not_yet          .   .   .    .   .    .    .     .     .    .    .    .     .    .
substitute_other_org        .   .   .    .   .    .    .     .     .    .    .    .     .    .
substitute_colleague_left   .   .   .    .   .    .    .     .     .    .    .    .     .    .
substitute_colleague_back   .   .   .    .   .    .    .     .     .    .    .    .     .    .
guest                       .   .   Y    Y   Y    Y    .     .     .    Y    .    .     .    .
guest_ended                 .   .   .    .   .    .    .     .     .    .    .    .     .    .
guest_of_other_conference   .   .   .    .   .    .    .     .     .    .    .    .     .    .
guest_outside_network       .   .   .    .   .    .    .     .     .    .    .    .     .    .
guest_cancelled_conference  .   .   .    .   .    .    .     .     .    .    .    .     .    .
"""
GRANT_ROLES = [line.split()[0] for line in GRANT_TABLE.strip().splitlines()]
EXPECTED = {
    (role, kind): cell == "Y"
    for role, *cells in (line.split() for line in GRANT_TABLE.strip().splitlines())
    for kind, cell in zip(KINDS, cells, strict=True)
}


def _grant(model, *, user, obj, granted_by, start: dt.date, end: dt.date):
    return model.objects.create(user=user, content_object=obj, valid_from=start, valid_until=end, granted_by=granted_by,
                                granted_at=timezone.now(), permission=grants.permission(model))


def grant_holder(world, role: str):
    """A fresh account holding the grant that ``role`` names (rows written directly, so that ended
    and misapplied grants, which the services refuse to create, can be tested too)."""
    today = timezone.localdate()
    day = dt.timedelta(days=1)
    if role.startswith("substitute"):
        org = world.midwifery if role == "substitute_other_org" else world.counselling
        user = make_professional(f"m-{role}", org, ProfessionalRole.COUNSELLOR)
        start, end = {"substitute_ended": (today - 9 * day, today - day),
                      "substitute_not_yet": (today + day, today + 9 * day)}.get(role, (today, today + 9 * day))
        _grant(SubstituteGrant, user=user, obj=world.counsellor, granted_by=world.counsellor, start=start, end=end)
        if role in ("substitute_colleague_left", "substitute_colleague_back"):
            # the colleague's membership ends (in the admin, through its service): she reads nothing
            # of the case, so neither does her substitute; rejoining gives neither of them the case back
            membership = Membership.objects.get(user=world.counsellor, organisation=world.counselling)
            membership.is_active = False
            membership.save(update_fields=["is_active"])
            admin_services.admin_change_record(world.admin, obj=membership, verb="change", message="is_active")
            if role == "substitute_colleague_back":
                Membership.objects.filter(pk=membership.pk).update(is_active=True)
        return user
    # A guest works for an organisation of the case's network; a grant row to anyone else (given
    # before that rule) reads nothing.
    user = make_user(f"m-{role}") if role == "guest_outside_network" else make_professional(f"m-{role}", world.early_help)
    if role == "guest_cancelled_conference":
        Conference.objects.filter(pk=world.conference.pk).update(status=Conference.Status.CANCELLED)
    if role == "guest_of_other_conference":
        other = Conference.objects.create(case=world.other_case, convenor=world.lead_colleague, status=Conference.Status.DRAFT)
        _grant(ConferenceGuestGrant, user=user, obj=other, granted_by=world.lead_colleague, start=today, end=today + day)
        return user
    start, end = (today - 9 * day, today - day) if role == "guest_ended" else (today, today + 9 * day)
    _grant(ConferenceGuestGrant, user=user, obj=world.conference, granted_by=world.convenor, start=start, end=end)
    return user


@pytest.mark.parametrize("role", GRANT_ROLES)
def test_grant_holder_cells(world, role):
    world.matrix_audit_event = audit.record(world.convenor, action="case.read", obj=world.case, case_id=world.case.pk)
    user = grant_holder(world, role)
    wrong = [f"{kind}: expected {'allowed' if EXPECTED[(role, kind)] else 'denied'}"
             for kind in KINDS if visible_by_policy(world, user, kind) != EXPECTED[(role, kind)]]
    assert not wrong, f"{role}: " + "; ".join(wrong)


@pytest.mark.parametrize("role", GRANT_ROLES)
def test_grant_holder_pages(world, client, role):
    user = grant_holder(world, role)
    client.force_login(user)
    sees_case, sees_conference = EXPECTED[(role, "case")], EXPECTED[(role, "conference")]
    assert client.get(reverse("cases:case_detail", args=[world.case.pk])).status_code == (200 if sees_case else 404)
    assert client.get(reverse("conferences:conference_detail", args=[world.conference.pk])).status_code == (200 if sees_conference else 404)
    protocol = client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk]))
    assert protocol.status_code == (200 if sees_conference else 404)
    items = client.get("/api/protocol-items/").json()["results"]
    expected = [getattr(world, k).pk for k in ("item_everyone", "item_professionals", "item_restricted") if EXPECTED[(role, k)]]
    assert sorted(row["id"] for row in items) == sorted(expected)


def expect(role: str, allowed: set[str], *, ok: int = 200) -> int:
    if role == "anonymous":
        return 302
    return ok if role in allowed else 404


LOGGED_IN = set(ROLES) - {"anonymous"}


@pytest.mark.parametrize("role", ROLES)
def test_grant_pages(world, client, role):
    c = client_for(client, world, role)
    assert c.get(reverse("access:grants")).status_code == expect(role, LOGGED_IN)
    assert c.get(reverse("access:dpo_grants")).status_code == expect(role, {"dpo"})


@pytest.mark.parametrize("role", ROLES)
def test_inviting_a_guest(world, client, role):
    guest = make_professional("m-invitee", world.early_help)
    c = client_for(client, world, role)
    response = c.post(reverse("access:grant_create", args=["guest"]), {"conference": world.conference.pk, "guest": guest.username})
    # Only the convenor's form offers the conference; for anyone else the choice is invalid (400).
    assert response.status_code == (302 if role in {"convenor", "lead_colleague", "anonymous"} else 400)
    invited = conferences_policy.conferences_for_user(guest).filter(pk=world.conference.pk).exists()
    assert invited == (role in {"convenor", "lead_colleague"})


@pytest.mark.parametrize("role", ROLES)
def test_withdrawing_a_guest(world, client, role):
    guest = make_professional("m-withdrawn", world.early_help)
    grant = grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest)
    c = client_for(client, world, role)
    response = c.post(reverse("access:grant_withdraw", args=["guest", grant.pk]))
    may = {"convenor", "lead_colleague"}  # the one who gave it, and whoever convenes the case
    assert response.status_code == (302 if role in may | {"anonymous"} else 404)
    assert ConferenceGuestGrant.objects.filter(pk=grant.pk).exists() == (role not in may)
    assert user_for(world, role) is None or conferences_policy.conferences_for_user(guest).exists() == (role not in may)


# --- who appoints a substitute, and what a substitute convenor may do (review h3) -------------------

APPOINTERS = {"counsellor", "coordinator"}  # the colleague herself, a coordinator of her network


@pytest.mark.parametrize("role", ROLES)
def test_appointing_a_substitute_for_the_counsellor(world, role):
    """A stand-in of the counsellor's organisation: the counsellor herself or the coordinator of
    her network appoints her; nobody appoints herself (H3-2), and the coordinator does not appoint
    someone of another network (H3-1)."""
    user = user_for(world, role)
    if user is None:
        return
    today = timezone.localdate()
    until = today + dt.timedelta(days=7)
    stand_in = make_professional("m-standin", world.counselling, ProfessionalRole.COUNSELLOR)
    foreign = make_professional("m-foreign-sub", world.foreign_org, ProfessionalRole.COUNSELLOR)
    Membership.objects.create(user=world.counsellor, organisation=world.foreign_org, role=ProfessionalRole.COUNSELLOR)
    for substitute, may in ((stand_in, role in APPOINTERS), (user, False), (foreign, role == "counsellor")):
        if role != "counsellor" and substitute == user:
            Membership.objects.get_or_create(user=user, organisation=world.counselling,
                                             defaults={"role": ProfessionalRole.COUNSELLOR})
        try:
            grant_services.substitute_appoint(user, colleague=world.counsellor, substitute=substitute,
                                              valid_from=today, valid_until=until)
        except (PermissionDenied, ValidationError):
            pass
        given = SubstituteGrant.objects.filter(user=substitute, content_object=world.counsellor).exists()
        assert given == may, f"{role} appointing {substitute.username}: expected {'given' if may else 'refused'}"


@pytest.fixture
def standin_convenor(world):
    """A caseworker of the lead organisation who convenes world.case only as the convenor's substitute (H3-3)."""
    user = make_professional("m-standin-convenor", world.youth_welfare, ProfessionalRole.CASEWORKER)
    today = timezone.localdate()
    grant_services.substitute_appoint(world.convenor, colleague=world.convenor, substitute=user,
                                      valid_from=today, valid_until=today + dt.timedelta(days=9))
    return user


@pytest.mark.parametrize(("who", "status", "joins"), [
    ("herself", 400, False),
    ("her_organisation", 400, False),
    ("a_colleague", 302, True),
    ("another_organisation", 302, True),
])
def test_a_substitute_convenor_adding_to_the_team(world, client, standin_convenor, who, status, joins):
    colleague = make_professional("m-early", world.early_help)
    member = {
        "herself": lambda: f"m{Membership.objects.get(user=standin_convenor).pk}",
        "her_organisation": lambda: f"o{world.youth_welfare.pk}",
        "a_colleague": lambda: f"m{Membership.objects.get(user=colleague).pk}",
        "another_organisation": lambda: f"o{world.early_help.pk}",
    }[who]()
    client.force_login(standin_convenor)
    response = client.post(reverse("cases:case_team_add", args=[world.case.pk]), {"member": member, "case_role": ""})
    assert response.status_code == status
    added = world.case.team.filter(removed_at__isnull=True).exclude(user__in=[world.convenor, world.lead_colleague,
                                                                              world.counsellor, world.midwife])
    assert added.exists() == joins
    SubstituteGrant.objects.filter(user=standin_convenor).delete()
    assert not visible_by_policy(world, standin_convenor, "case")


@pytest.mark.parametrize("path", ["attendance", "delegation"])
@pytest.mark.parametrize(("who", "status", "named"), [
    ("herself", 400, False),
    ("a_colleague_on_the_team", 302, True),
])
def test_a_substitute_convenor_naming_the_minute_taker(world, client, standin_convenor, path, who, status, named):
    """Review h3 follow-up of H3-3: with a seat of her own for another organisation, a minute-taker
    role would keep her writing the minutes after the substitute grant ends."""
    Membership.objects.create(user=standin_convenor, organisation=world.early_help, role=ProfessionalRole.OTHER)
    case_services.case_team_member_add(world.convenor, case=world.case, organisation=world.early_help, user=standin_convenor)
    person = {"herself": standin_convenor, "a_colleague_on_the_team": world.counsellor}[who]
    hold_conference(world.conference)
    client.force_login(standin_convenor)
    if path == "attendance":
        response = client.post(reverse("protocols:attendance", args=[world.protocol.pk]),
                               {"minute_taker": person.pk, "based_on": protocol_services.attendance_based_on(world.protocol)})
        done = Protocol.objects.get(pk=world.protocol.pk).minute_taker_id == person.pk
    else:
        response = client.post(reverse("access:grant_create", args=["minute_taker"]),
                               {"protocol": world.protocol.pk, "delegate": person.username, "valid_until": ""})
        done = MinuteTakerGrant.objects.filter(user=person).exists()
    assert response.status_code == status
    assert done == named
