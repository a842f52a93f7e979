"""Permission matrix for the offers API beyond the directory: requests to the central case
manager (consultations and referrals of clients), the case managers one may write to,
enrolments, sessions and contact requests. Every role against each object, reading and writing;
an object the role may not see answers 404, and the anonymous visitor gets nothing."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from offers.models import CentralCaseManager, ContactRequest, Enrolment, Session, SupportMessage, SupportRequest
from participants.models import Membership, ProfessionalRole
from permissions.models import AuditEvent
from tests.matrix.roles import ROLES, client_for
from tests.offers.offer_world import build_offer_world
from tests.world import make_professional

URL_NAMES = {
    "support-request-list", "support-request-detail", "support-request-close", "support-request-messages",
    "support-request-send-on",
    "case-manager-list", "enrolment-list", "enrolment-detail", "enrolment-end", "offer-session-list",
    "offer-session-detail", "offer-session-attendance", "offer-session-cancel", "contact-request-list",
    "contact-request-detail", "contact-request-handle",
}

pytestmark = pytest.mark.django_db

ALL_ROLES = [*ROLES, "case_manager"]
CONVERSATION = {"midwife", "case_manager"}          # the sender and her case manager, nobody else
TRACK_STAFF = {"outsider"}                           # works for the early-help organisation that runs the track
COUNSELLING_STAFF = {"counsellor"}                   # works for the counselling service (contact requests)
NETWORK_PROFESSIONALS = {"convenor", "lead_colleague", "counsellor", "midwife", "outsider", "case_manager"}


@pytest.fixture
def offers(world):
    o = build_offer_world(world)
    o.enrolment = Enrolment.objects.create(offer=o.network_offer, family_label="Familie Z.", family_email="z@example.org",
                                           municipality="Teststadt", enrolled_by=world.outsider)
    start = timezone.now() + dt.timedelta(days=3)
    o.session = Session.objects.create(enrolment=o.enrolment, staff=world.outsider, topic="Wirtschaftliche Fragen",
                                       starts_at=start, ends_at=start + dt.timedelta(hours=1))
    o.contact = ContactRequest.objects.create(offer=o.public_offer, reach_by="0171 555", preferred_time="vormittags")
    return o


def login(client, world, offers, role):
    if role == "case_manager":
        client.force_login(offers.case_manager)
        return client
    return client_for(client, world, role)


def _ids(response):
    return {row["id"] for row in response.json()["results"]}


def _denied(response, role, allowed: set[str], ok: int = 200) -> bool:
    """Anonymous: 403 (not signed in); a role without access: 404; else ``ok``."""
    if role == "anonymous":
        assert response.status_code == 403
        return True
    if role not in allowed:
        assert response.status_code == 404
        return True
    assert response.status_code == ok, response.content
    return False


# --- requests to the central case manager -----------------------------------------------------------

@pytest.mark.parametrize("role", ALL_ROLES)
def test_support_request_list(client, world, offers, role):
    response = login(client, world, offers, role).get(reverse("support-request-list"))
    if role == "anonymous":
        assert response.status_code == 403
        return
    assert response.status_code == 200
    expected = {offers.consultation.pk, offers.support_request.pk} if role in CONVERSATION else set()
    assert _ids(response) == expected
    consultations = login(client, world, offers, role).get(reverse("support-request-list"), {"kind": "consultation"})
    assert _ids(consultations) == ({offers.consultation.pk} if role in CONVERSATION else set())


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("which", ["consultation", "support_request"])
def test_support_request_detail(client, world, offers, role, which):
    target = getattr(offers, which)
    response = login(client, world, offers, role).get(reverse("support-request-detail", args=[target.pk]))
    if _denied(response, role, CONVERSATION):
        assert target.situation not in response.content.decode()
        return
    data = response.json()
    assert data["situation"] == target.situation
    assert [m["text"] for m in data["messages"]] == list(target.messages.values_list("text", flat=True))
    assert "case" not in data
    assert AuditEvent.objects.filter(action="support_request.read", object_id=str(target.pk), channel="api").exists()


@pytest.mark.parametrize("role", ALL_ROLES)
def test_support_request_message(client, world, offers, role):
    before = SupportMessage.objects.filter(request=offers.consultation).count()
    response = login(client, world, offers, role).post(reverse("support-request-messages", args=[offers.consultation.pk]),
                                                       {"text": "Antwort im Gespräch"}, content_type="application/json")
    if _denied(response, role, CONVERSATION, ok=201):
        assert SupportMessage.objects.filter(request=offers.consultation).count() == before
        return
    assert response.json()["messages"][-1]["text"] == "Antwort im Gespräch"
    offers.consultation.refresh_from_db()
    assert offers.consultation.status == (SupportRequest.Status.ANSWERED if role == "case_manager" else SupportRequest.Status.OPEN)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_support_request_close(client, world, offers, role):
    response = login(client, world, offers, role).post(reverse("support-request-close", args=[offers.support_request.pk]))
    _denied(response, role, CONVERSATION)
    offers.support_request.refresh_from_db()
    assert (offers.support_request.status == SupportRequest.Status.CLOSED) == (role in CONVERSATION)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_support_request_send_on_after_the_case_manager_left(client, world, offers, role):
    """Only its sender sends a request on whose case manager left; she herself reads it no more."""
    other = make_professional("casemanager2", offers.perinatal, ProfessionalRole.CASE_MANAGER)
    second = CentralCaseManager.objects.create(network=world.network, organisation=offers.perinatal, user=other)
    Membership.objects.filter(user=offers.case_manager).update(is_active=False)
    response = login(client, world, offers, role).post(reverse("support-request-send-on", args=[offers.consultation.pk]),
                                                       {"case_manager": second.pk}, content_type="application/json")
    _denied(response, role, {"midwife"}, ok=201)
    assert SupportRequest.objects.filter(case_manager=other).count() == (1 if role == "midwife" else 0)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_support_request_send(client, world, offers, role):
    """Only a professional of the case manager's network may ask her; others learn nothing."""
    from offers.models import CentralCaseManager
    role_obj = CentralCaseManager.objects.get(user=offers.case_manager)
    c = login(client, world, offers, role)
    user = offers.case_manager if role == "case_manager" else (None if role == "anonymous" else getattr(world, role))
    organisation = user.memberships.filter(is_active=True).first() if user else None
    before = SupportRequest.objects.count()
    response = c.post(reverse("support-request-list"), {
        "case_manager": role_obj.pk, "sender_organisation": organisation.organisation_id if organisation else 1,
        "kind": "consultation", "situation": "Eine Frage ohne Namen.",
    }, content_type="application/json")
    if role == "anonymous":
        assert response.status_code == 403
    elif role in NETWORK_PROFESSIONALS - {"case_manager"}:
        assert response.status_code == 201, response.content
        assert response.json()["kind"] == "consultation" and response.json()["client_label"] == ""
        return
    else:  # not of the network (or the case manager herself): no such case manager to choose
        assert response.status_code == 400
        assert "case_manager" in response.json() or "sender_organisation" in response.json()
    assert SupportRequest.objects.count() == before


@pytest.mark.parametrize("role", ALL_ROLES)
def test_case_manager_list(client, world, offers, role):
    response = login(client, world, offers, role).get(reverse("case-manager-list"))
    if role == "anonymous":
        assert response.status_code == 403
        return
    names = {row["name"] for row in response.json()["results"]}
    assert bool(names) == (role in NETWORK_PROFESSIONALS - {"case_manager"})


# --- enrolments and sessions ----------------------------------------------------------------------

@pytest.mark.parametrize("role", ALL_ROLES)
def test_enrolment_list_and_detail(client, world, offers, role):
    c = login(client, world, offers, role)
    listed = c.get(reverse("enrolment-list"))
    detail = c.get(reverse("enrolment-detail", args=[offers.enrolment.pk]))
    if role == "anonymous":
        assert listed.status_code == detail.status_code == 403
        return
    assert _ids(listed) == ({offers.enrolment.pk} if role in TRACK_STAFF else set())
    if not _denied(detail, role, TRACK_STAFF):
        assert detail.json()["family_label"] == "Familie Z."
        assert AuditEvent.objects.filter(action="enrolment.read", object_id=str(offers.enrolment.pk), channel="api").exists()
    else:
        assert "Familie Z." not in detail.content.decode()


@pytest.mark.parametrize("role", ALL_ROLES)
def test_enrolment_end(client, world, offers, role):
    response = login(client, world, offers, role).post(reverse("enrolment-end", args=[offers.enrolment.pk]),
                                                       {"outcome": "completed"}, content_type="application/json")
    _denied(response, role, TRACK_STAFF)
    offers.enrolment.refresh_from_db()
    assert (offers.enrolment.status == Enrolment.Status.COMPLETED) == (role in TRACK_STAFF)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_enrolment_create(client, world, offers, role):
    before = Enrolment.objects.count()
    response = login(client, world, offers, role).post(reverse("enrolment-list"), {
        "offer": offers.network_offer.pk, "family_label": "Familie Y.",
    }, content_type="application/json")
    if role == "anonymous":
        assert response.status_code == 403
    elif role in TRACK_STAFF:
        assert response.status_code == 201, response.content
        assert Enrolment.objects.count() == before + 1
        return
    else:
        assert response.status_code == 400 and "offer" in response.json()
    assert Enrolment.objects.count() == before


@pytest.mark.parametrize("role", ALL_ROLES)
def test_session_list_and_detail(client, world, offers, role):
    c = login(client, world, offers, role)
    listed = c.get(reverse("offer-session-list"))
    detail = c.get(reverse("offer-session-detail", args=[offers.session.pk]))
    if role == "anonymous":
        assert listed.status_code == detail.status_code == 403
        return
    assert _ids(listed) == ({offers.session.pk} if role in TRACK_STAFF else set())
    if not _denied(detail, role, TRACK_STAFF):
        assert detail.json()["topic"] == "Wirtschaftliche Fragen"


@pytest.mark.parametrize("role", ALL_ROLES)
def test_session_attendance(client, world, offers, role):
    response = login(client, world, offers, role).post(reverse("offer-session-attendance", args=[offers.session.pk]),
                                                       {"attended": True, "based_on": None}, content_type="application/json")
    _denied(response, role, TRACK_STAFF)
    offers.session.refresh_from_db()
    assert (offers.session.attended is True) == (role in TRACK_STAFF)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_session_cancel(client, world, offers, role):
    response = login(client, world, offers, role).post(reverse("offer-session-cancel", args=[offers.session.pk]))
    _denied(response, role, TRACK_STAFF)
    offers.session.refresh_from_db()
    assert (offers.session.cancelled_at is not None) == (role in TRACK_STAFF)


# --- contact requests -------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ALL_ROLES)
def test_contact_request_list_and_detail(client, world, offers, role):
    c = login(client, world, offers, role)
    listed = c.get(reverse("contact-request-list"))
    detail = c.get(reverse("contact-request-detail", args=[offers.contact.pk]))
    if role == "anonymous":
        assert listed.status_code == detail.status_code == 403
        return
    assert _ids(listed) == ({offers.contact.pk} if role in COUNSELLING_STAFF else set())
    if not _denied(detail, role, COUNSELLING_STAFF):
        assert detail.json()["reach_by"] == "0171 555"
    else:
        assert "0171 555" not in detail.content.decode()


@pytest.mark.parametrize("role", ALL_ROLES)
def test_contact_request_handle(client, world, offers, role):
    response = login(client, world, offers, role).post(reverse("contact-request-handle", args=[offers.contact.pk]))
    _denied(response, role, COUNSELLING_STAFF)
    offers.contact.refresh_from_db()
    assert (offers.contact.handled_at is not None) == (role in COUNSELLING_STAFF)
