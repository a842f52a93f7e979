"""Permission matrix for what the offers app sends into calendars and notifications.

Feeds: a programme-track session appears only in the personal feed of the staff member it is
booked for (world.outsider, early help runs the track), never in a case feed, a task feed or
anyone else's feed, and never with the family's name. Notifications: every offers event (request,
reply, referral, status, freed place, unanswered, contact request) reaches exactly the people the
service names, carries no client content, and opens only for its recipient.
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from calendars import services as calendar_services
from calendars.models import FeedToken
from notifications.models import Kind, Notification
from offers import contact_services
from offers import referral_services as rs
from offers.models import CentralCaseManager, Enrolment, Referral, Session
from tests.matrix.roles import ROLES, client_for, user_for
from tests.offers.offer_world import build_offer_world

# The pages themselves are covered by the referral, track and notification modules; these cells
# cover the feed and notification channels of the offers app.
URL_NAMES: set[str] = set()

pytestmark = pytest.mark.django_db

ALL_ROLES = [*ROLES, "case_manager"]
SESSION_STAFF = {"outsider"}
FAMILY = "Familie Geheimname"


@pytest.fixture
def offers(world):
    return build_offer_world(world)


def person(world, offers, role):
    return offers.case_manager if role == "case_manager" else user_for(world, role)


@pytest.fixture
def session(world, offers) -> Session:
    enrolment = Enrolment.objects.create(offer=offers.network_offer, family_label=FAMILY, enrolled_by=world.outsider,
                                         municipality="Teststadt")
    start = timezone.now() + dt.timedelta(days=3)
    return Session.objects.create(enrolment=enrolment, staff=world.outsider, topic="Wirtschaftliche Lage", starts_at=start,
                                  ends_at=start + dt.timedelta(hours=1), location="Beratungsraum 2")


@pytest.mark.parametrize("role", ALL_ROLES)
def test_a_track_session_is_only_in_its_staff_members_personal_feed(client, world, offers, session, role):
    user = person(world, offers, role)
    if user is None:
        assert client.get(reverse("calendars:feed", args=["C" * 43])).status_code == 404
        return
    _token, raw = calendar_services.feed_token_create(user)
    feed = client.get(reverse("calendars:feed", args=[raw]))
    tasks = client.get(reverse("calendars:feed_tasks", args=[raw]))
    assert feed.status_code == 200 and tasks.status_code == 200
    uid = f"offer-session-{session.pk}@".encode()
    assert (uid in feed.content) == (role in SESSION_STAFF)
    assert uid not in tasks.content
    for body in (feed.content, tasks.content):
        assert FAMILY.encode() not in body and b"Wirtschaftliche Lage" not in body


@pytest.mark.parametrize("role", ["convenor", "lead_colleague", "counsellor", "midwife"])
def test_a_track_session_is_never_in_a_case_feed(client, world, offers, session, role):
    _token, raw = calendar_services.feed_token_create(user_for(world, role), kind=FeedToken.Kind.CASE, case=world.case)
    response = client.get(reverse("calendars:feed", args=[raw]))
    assert response.status_code == 200 and b"offer-session-" not in response.content


def test_a_track_session_leaves_the_feed_when_its_staff_member_leaves_the_organisation(client, world, offers, session):
    _token, raw = calendar_services.feed_token_create(world.outsider)
    world.outsider.memberships.update(is_active=False)
    assert b"offer-session-" not in client.get(reverse("calendars:feed", args=[raw])).content


def _every_offers_event(world, offers, capture):
    """Trigger each offers notification through its service, as the people who would."""
    cm_role = CentralCaseManager.objects.get(user=offers.case_manager)
    with capture(execute=True):
        request = rs.support_request_send(world.midwife, case_manager=cm_role, sender_organisation=world.midwifery,
                                          kind="referral", situation="Braucht Begleitung", client_label="Z.",
                                          consent_reference="SE-1", consent_given_on=timezone.localdate())
    with capture(execute=True):
        rs.support_message_add(offers.case_manager, request=request, text="Ich kümmere mich.")
    with capture(execute=True):
        first = rs.referral_create(offers.case_manager, offer=offers.public_offer, support_request=request)
    with capture(execute=True):
        rs.referral_accept(world.counsellor, referral=first)                      # status, takes the only place
    second = rs.referral_create(offers.case_manager, offer=offers.public_offer, support_request=request)
    rs.referral_accept(world.counsellor, referral=second)                         # full: waitlisted
    Notification.objects.all().delete()
    mail.outbox.clear()
    with capture(execute=True):
        rs.referral_close(world.counsellor, referral=first, outcome=Referral.Status.COMPLETED)  # frees the place
    Referral.objects.filter(pk=offers.referral.pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    with capture(execute=True):
        rs.referrals_flag_unanswered()
    with capture(execute=True):
        contact_services.contact_request_create(offer=offers.public_offer, reach_by="0170 123456", name="Geheim")


RECEIVES = {
    # before the reset above: request, reply, referral received, accepted (status)
    "case_manager": {Kind.REFERRAL_STATUS, Kind.PLACE_FREED, Kind.REFERRAL_UNANSWERED},
    "midwife": {Kind.REFERRAL_STATUS, Kind.PLACE_FREED, Kind.REFERRAL_UNANSWERED},
    "counsellor": {Kind.PLACE_FREED, Kind.CONTACT_REQUEST},
}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_offers_notifications_reach_exactly_the_people_involved(client, world, offers, role, settings,
                                                                 django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _every_offers_event(world, offers, django_capture_on_commit_callbacks)
    user = person(world, offers, role)
    kinds = set(Notification.objects.filter(recipient=user).values_list("kind", flat=True)) if user else set()
    assert kinds == RECEIVES.get(role, set())
    if user is None:
        assert client.get(reverse("notifications:list")).status_code == 302
        return
    client.force_login(user)
    listing = client.get(reverse("notifications:list"))
    assert listing.status_code == 200
    body = listing.content.decode()
    for secret in ("Z.", "Braucht Begleitung", "0170 123456", "Geheim", "Bitte um Erstgespräch"):
        assert secret not in body
    for message in mail.outbox:
        assert not any(secret in message.body for secret in ("Braucht Begleitung", "0170 123456", "Geheim"))


@pytest.mark.parametrize("role", ALL_ROLES)
def test_an_offers_notification_opens_only_for_its_recipient_and_leads_to_a_page_she_may_read(
        client, world, offers, role, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rs.referral_receive(world.counsellor, referral=offers.referral)
    notes = list(Notification.objects.filter(kind=Kind.REFERRAL_STATUS))
    assert {n.recipient for n in notes} == {offers.case_manager, world.midwife}
    user = person(world, offers, role)
    if user is not None:
        client.force_login(user)
    for note in notes:
        opened = client.get(reverse("notifications:open", args=[note.pk]))
        if user is None:
            assert opened.status_code == 302 and "/accounts/login/" in opened["Location"]
        elif note.recipient == user:
            assert opened.status_code == 302 and opened["Location"] == note.url
            assert client.get(opened["Location"]).status_code == 200
        else:
            assert opened.status_code == 404


# --- an organisation joins a case through a referral -------------------------------------------------

@pytest.mark.parametrize("role", ALL_ROLES)
def test_the_lead_caseworker_alone_learns_that_an_organisation_joined_her_case_through_a_referral(
        client, world, offers, role, django_capture_on_commit_callbacks):
    """Early help (world.outsider) joins world.case through the referral the case manager attached
    to it: the lead caseworker (convenor) is told, with the case reference only, and the
    notification opens the case page for her and for nobody else."""
    from cases.models import CaseTeamMember
    from offers import referral_case_services as rcs

    CaseTeamMember.objects.create(case=world.case, organisation=offers.perinatal, user=offers.case_manager)
    rs.support_request_attach_case(offers.case_manager, request=offers.support_request, case=world.case)
    referral = rs.referral_create(offers.case_manager, offer=offers.network_offer, support_request=offers.support_request)
    rs.referral_accept(world.outsider, referral=referral)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        rcs.referral_join_case_team(world.outsider, referral=referral, consent_reference="TEAM-9", consent_given_on=timezone.localdate())
    note = Notification.objects.get(kind=Kind.TEAM_JOINED_BY_REFERRAL)
    assert note.recipient == world.convenor and note.case == world.case
    user = person(world, offers, role)
    if user is not None:
        client.force_login(user)
    opened = client.get(reverse("notifications:open", args=[note.pk]))
    if user is None:
        assert opened.status_code == 302 and "/accounts/login/" in opened["Location"]
        return
    if role != "convenor":
        assert opened.status_code == 404
        assert not Notification.objects.filter(recipient=user, kind=Kind.TEAM_JOINED_BY_REFERRAL).exists()
        return
    assert opened.status_code == 302 and opened["Location"] == reverse("cases:case_detail", args=[world.case.pk])
    assert client.get(opened["Location"]).status_code == 200
    body = client.get(reverse("notifications:list")).content.decode()
    assert world.case.reference in body
    for secret in ("Braucht Suchtberatung", "Beratung vermitteln", "SE-77", "TEAM-9", offers.network_offer.name):
        assert secret not in body
