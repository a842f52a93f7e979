"""Permission matrix for requests to the central case manager, referrals and waiting lists.

Roles: the standing ones plus the network's central case manager. The request of
``offer_world`` is the midwife's to the case manager; its referral goes to the counselling
organisation's public offer (the counsellor is its staff)."""
from __future__ import annotations

import pytest
from django.urls import reverse

from offers.models import CentralCaseManager, Referral, SupportMessage, SupportRequest
from participants.models import Membership, ProfessionalRole
from tests.matrix.roles import ROLES, client_for
from tests.offers.offer_world import build_offer_world
from tests.world import make_professional

URL_NAMES = {
    "offers:request_list",
    "offers:request_create",
    "offers:request_detail",
    "offers:request_close",
    "offers:request_send_on",
    "offers:request_refer",
    "offers:request_attach_case",
    "offers:request_open_case",
    "offers:referral_list",
    "offers:referral_detail",
    "offers:referral_decide",
    "offers:referral_open_case",
    "offers:referral_attach_case",
    "offers:referral_join_case_team",
    "offers:waiting_list",
}

pytestmark = pytest.mark.django_db

ALL_ROLES = [*ROLES, "case_manager"]
NETWORK_PROFESSIONALS = {"convenor", "lead_colleague", "counsellor", "midwife", "outsider", "case_manager"}
PROFESSIONALS = NETWORK_PROFESSIONALS | {"foreign_professional"}
CONVERSATION = {"midwife", "case_manager"}
OFFER_STAFF = {"counsellor"}


@pytest.fixture
def offers(world):
    return build_offer_world(world)


def login(client, world, offers, role):
    if role == "case_manager":
        client.force_login(offers.case_manager)
        return client
    return client_for(client, world, role)


def expected(role, allowed, *, hidden=404):
    if role == "anonymous":
        return 302
    return 200 if role in allowed else hidden


@pytest.mark.parametrize("role", ALL_ROLES)
def test_request_list(client, world, offers, role):
    response = login(client, world, offers, role).get(reverse("offers:request_list"))
    assert response.status_code == expected(role, PROFESSIONALS, hidden=403)
    if response.status_code == 200:
        assert (f"#{offers.consultation.pk}" in response.content.decode()) == (role in CONVERSATION)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_request_create_page_needs_a_case_manager_in_the_network(client, world, offers, role):
    response = login(client, world, offers, role).get(reverse("offers:request_create"))
    # the case manager herself has nobody else to ask; another network has no case manager
    assert response.status_code == expected(role, NETWORK_PROFESSIONALS - {"case_manager"}, hidden=403)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_request_detail(client, world, offers, role):
    response = login(client, world, offers, role).get(reverse("offers:request_detail", args=[offers.consultation.pk]))
    assert response.status_code == expected(role, CONVERSATION)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_request_reply(client, world, offers, role):
    before = SupportMessage.objects.filter(request=offers.consultation).count()
    response = login(client, world, offers, role).post(reverse("offers:request_detail", args=[offers.consultation.pk]), {"text": "Hallo"})
    after = SupportMessage.objects.filter(request=offers.consultation).count()
    if role in CONVERSATION:
        assert response.status_code == 302 and after == before + 1
    else:
        assert response.status_code in {302, 404} and after == before


@pytest.mark.parametrize("role", ALL_ROLES)
def test_request_close(client, world, offers, role):
    response = login(client, world, offers, role).post(reverse("offers:request_close", args=[offers.consultation.pk]))
    offers.consultation.refresh_from_db()
    assert (offers.consultation.status == "closed") == (role in CONVERSATION)
    assert response.status_code == (302 if role in CONVERSATION | {"anonymous"} else 404)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_request_send_on_after_the_case_manager_left(client, world, offers, role):
    """Only its sender sends a request on whose case manager left (she herself reads it no more)."""
    other = make_professional("casemanager2", offers.perinatal, ProfessionalRole.CASE_MANAGER)
    second = CentralCaseManager.objects.create(network=world.network, organisation=offers.perinatal, user=other)
    Membership.objects.filter(user=offers.case_manager).update(is_active=False)
    response = login(client, world, offers, role).post(reverse("offers:request_send_on", args=[offers.consultation.pk]),
                                                      {"case_manager": second.pk})
    sent = SupportRequest.objects.filter(case_manager=other).count()
    assert sent == (1 if role == "midwife" else 0)
    assert response.status_code == (302 if role in {"midwife", "anonymous"} else 404)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_request_refer(client, world, offers, role):
    before = Referral.objects.count()
    response = login(client, world, offers, role).post(reverse("offers:request_refer", args=[offers.support_request.pk]),
                                                      {"offer": offers.network_offer.pk})
    created = Referral.objects.count() - before
    assert created == (1 if role == "case_manager" else 0)
    assert response.status_code == {"case_manager": 302, "midwife": 403, "anonymous": 302}.get(role, 404)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_referral_list(client, world, offers, role):
    response = login(client, world, offers, role).get(reverse("offers:referral_list"))
    assert response.status_code == expected(role, PROFESSIONALS, hidden=403)
    if response.status_code == 200:
        shown = reverse("offers:referral_detail", args=[offers.referral.pk]) in response.content.decode()
        assert shown == (role in OFFER_STAFF | CONVERSATION)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_referral_detail(client, world, offers, role):
    response = login(client, world, offers, role).get(reverse("offers:referral_detail", args=[offers.referral.pk]))
    assert response.status_code == expected(role, OFFER_STAFF | CONVERSATION)
    if response.status_code == 200:
        assert ("vertraulicher Hinweis" in response.content.decode()) == (role in OFFER_STAFF | {"case_manager"})


@pytest.mark.parametrize("role", ALL_ROLES)
def test_referral_decide(client, world, offers, role):
    response = login(client, world, offers, role).post(reverse("offers:referral_decide", args=[offers.referral.pk]),
                                                      {"decision": "accept"})
    offers.referral.refresh_from_db()
    assert (offers.referral.status == "accepted") == (role in OFFER_STAFF)
    if role in OFFER_STAFF | CONVERSATION:
        assert response.status_code in {302, 403}
    else:
        assert response.status_code == (302 if role == "anonymous" else 404)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_waiting_list(client, world, offers, role):
    response = login(client, world, offers, role).get(reverse("offers:waiting_list", args=[offers.public_offer.pk]))
    assert response.status_code == expected(role, OFFER_STAFF)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_request_attach_case(client, world, offers, role):
    from cases.models import CaseTeamMember

    CaseTeamMember.objects.create(case=world.case, organisation=offers.perinatal, user=offers.case_manager)
    response = login(client, world, offers, role).post(reverse("offers:request_attach_case", args=[offers.support_request.pk]),
                                                      {"case": world.case.pk})
    offers.support_request.refresh_from_db()
    assert (offers.support_request.case_id == world.case.pk) == (role == "case_manager")
    assert response.status_code == {"case_manager": 302, "midwife": 403, "anonymous": 302}.get(role, 404)


# --- an accepted referral becomes part of a case ----------------------------------------------------
# The referral goes to an offer of the youth-welfare office, so its caseworkers (convenor, colleague)
# are the receiving staff; the case manager referred it from the midwife's request.
YOUTH_STAFF = {"convenor", "lead_colleague"}
REFERRERS = {"case_manager", "midwife"}
CONSENT = {"consent_reference": "TEAM-1", "consent_given_on": "2026-01-05", "consent_confirmed": "on"}


@pytest.fixture
def youth_referral(world, offers):
    from offers import referral_services as rs
    from offers.models import Offer

    offer = Offer.objects.create(organisation=world.youth_welfare, name="Familienhilfe im Jugendamt", description="Hilfe.",
                                 visibility=Offer.Visibility.NETWORK, capacity=5)
    referral = rs.referral_create(offers.case_manager, offer=offer, support_request=offers.support_request)
    return rs.referral_accept(world.convenor, referral=referral)


def case_step_status(role, allowed):
    if role == "anonymous":
        return 302
    if role in allowed:
        return 302
    return 403 if role in REFERRERS else 404


def prefixed(prefix, data):
    return {f"{prefix}-{key}": value for key, value in data.items()}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_referral_open_case(client, world, offers, youth_referral, role):
    from cases.models import Case

    response = login(client, world, offers, role).post(reverse("offers:referral_open_case", args=[youth_referral.pk]),
                                                      prefixed("open", {"reference": "KT-2026-090", "client_relation": "mother", **CONSENT}))
    youth_referral.refresh_from_db()
    opened = Case.objects.filter(reference="KT-2026-090").first()
    assert (opened is not None) == (role in YOUTH_STAFF)
    assert (youth_referral.case_id is not None) == (role in YOUTH_STAFF)
    assert response.status_code == case_step_status(role, YOUTH_STAFF)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_referral_attach_case(client, world, offers, youth_referral, role):
    response = login(client, world, offers, role).post(reverse("offers:referral_attach_case", args=[youth_referral.pk]),
                                                      prefixed("attach", {"case": world.case.pk, **CONSENT}))
    youth_referral.refresh_from_db()
    assert (youth_referral.case_id == world.case.pk) == (role in YOUTH_STAFF)
    assert response.status_code == case_step_status(role, YOUTH_STAFF)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_referral_join_case_team(client, world, offers, youth_referral, role):
    from cases.models import CaseTeamMember
    from offers.models import Referral

    # the referral belongs to other_case, on which of the youth-welfare staff only the colleague is
    Referral.objects.filter(pk=youth_referral.pk).update(case=world.other_case)
    before = set(CaseTeamMember.objects.filter(case=world.other_case, removed_at__isnull=True).values_list("pk", flat=True))
    response = login(client, world, offers, role).post(reverse("offers:referral_join_case_team", args=[youth_referral.pk]),
                                                      prefixed("join", CONSENT))
    after = CaseTeamMember.objects.filter(case=world.other_case, removed_at__isnull=True).exclude(pk__in=before)
    # The youth-welfare office is on other_case already (through the colleague): a further colleague
    # joins only when the convenor adds her, never through the referral.
    assert [(m.user_id, m.organisation_id) for m in after] == []
    if role == "convenor":  # the page offers no join step; a post anyway is sent back with the reason
        assert response.status_code == 302
        assert "the convenor adds further colleagues" in client.get(response["Location"]).content.decode()
    else:  # the colleague is on the case already: nothing to join, she is sent back to the page
        assert response.status_code == case_step_status(role, YOUTH_STAFF)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_request_open_case(client, world, offers, role):
    from cases.models import Case

    response = login(client, world, offers, role).post(reverse("offers:request_open_case", args=[offers.support_request.pk]),
                                                      {"reference": "KT-2026-091", "client_relation": "mother"})
    offers.support_request.refresh_from_db()
    assert Case.objects.filter(reference="KT-2026-091").exists() == (role == "case_manager")
    assert (offers.support_request.case_id is not None) == (role == "case_manager")
    assert response.status_code == {"case_manager": 302, "midwife": 403, "anonymous": 302}.get(role, 404)
