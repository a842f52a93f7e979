"""Programme tracks: enrolments from referrals or directly, sessions in the staff's calendar
(personal feed and iMIP), attendance, reminders to the family, ending with a reason."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from calendars import services as calendar_services
from offers import referral_services as rs
from offers import track_services as ts
from offers.models import Offer, Referral
from permissions.models import AuditEvent
from tests.world import make_professional

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def track(offers):
    Offer.objects.filter(pk=offers.network_offer.pk).update(capacity=1, capacity_unit="concurrent")
    offers.network_offer.refresh_from_db()
    return offers.network_offer  # early help (world.outsider works there), two sessions


def accepted_referral(world, offers, track) -> Referral:
    referral = rs.referral_create(offers.case_manager, offer=track, client_label="K.", municipality="Teststadt")
    return rs.referral_accept(world.outsider, referral=referral)


def feed_uids(client, user) -> list[str]:
    _token, raw = calendar_services.feed_token_create(user)
    response = client.get(reverse("calendars:feed", args=[raw]))
    assert response.status_code == 200
    cal = Calendar.from_ical(response.content)
    return sorted(str(e["UID"]) for e in cal.walk("VEVENT"))


def test_an_accepted_referral_is_enrolled_and_its_help_begins(world, offers, track):
    referral = accepted_referral(world, offers, track)
    enrolment = ts.enrolment_create(world.outsider, offer=track, referral=referral)
    referral.refresh_from_db()
    assert referral.status == "in_progress" and enrolment.family_label == "K." and enrolment.municipality == "Teststadt"


def test_a_full_track_refuses_a_direct_enrolment(world, offers, track):
    ts.enrolment_create(world.outsider, offer=track, family_label="A.")
    with pytest.raises(ValidationError):
        ts.enrolment_create(world.outsider, offer=track, family_label="B.")


def test_staff_of_another_organisation_cannot_enrol(world, offers, track):
    with pytest.raises(PermissionDenied):
        ts.enrolment_create(world.counsellor, offer=track, family_label="A.")


def test_the_two_sessions_land_in_the_staff_members_calendar(client, world, offers, track, django_capture_on_commit_callbacks):
    enrolment = ts.enrolment_create(world.outsider, offer=track, family_label="A.")
    start = timezone.now() + dt.timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        first = ts.session_schedule(world.outsider, enrolment=enrolment, staff=world.outsider, starts_at=start, topic="Wirtschaft")
        second = ts.session_schedule(world.outsider, enrolment=enrolment, staff=world.outsider, starts_at=start + dt.timedelta(days=7))
    assert feed_uids(client, world.outsider) == sorted([f"offer-session-{first.pk}@127.0.0.1", f"offer-session-{second.pk}@127.0.0.1"])
    assert feed_uids(client, world.counsellor) == [f"action-{world.action_counselling.pk}@127.0.0.1", f"conference-{world.conference.pk}@127.0.0.1"]
    invitations = [m for m in mail.outbox if m.to == [world.outsider.email]]
    assert len(invitations) == 2
    calendar_part = invitations[0].message().as_string()
    assert "method=REQUEST" in calendar_part or 'method="REQUEST"' in calendar_part
    assert "A." not in invitations[0].subject  # the family is never named in calendars
    with pytest.raises(ValidationError):
        ts.session_schedule(world.outsider, enrolment=enrolment, staff=world.outsider, starts_at=start + dt.timedelta(days=14))


def test_a_session_with_a_deactivated_account_is_refused_by_the_service_itself(world, offers, track,
                                                                              django_capture_on_commit_callbacks):
    """The pages and the API offer only active accounts; the service refuses one on its own, so that
    no other caller puts an appointment into a closed account's calendar and mails it an invitation."""
    colleague = make_professional("lotsin2", world.early_help)
    colleague.is_active = False
    colleague.save(update_fields=["is_active"])
    enrolment = ts.enrolment_create(world.outsider, offer=track, family_label="A.")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied) as refused:
        ts.session_schedule(world.outsider, enrolment=enrolment, staff=colleague, starts_at=timezone.now() + dt.timedelta(days=2))
    assert "active account" in str(refused.value)
    assert not enrolment.sessions.exists() and mail.outbox == []
    assert not AuditEvent.objects.filter(action="session.schedule").exists()


def test_a_line_break_in_the_tracks_name_does_not_reach_the_calendar_summary(client, world, offers, track):
    """An offer's name from an HSDS import may hold a line break: the session's SUMMARY stays one line
    and the feed parses without complaint."""
    Offer.objects.filter(pk=track.pk).update(name="Elternkurs\nTeil 2\r\nAbend")
    track.refresh_from_db()
    enrolment = ts.enrolment_create(world.outsider, offer=track, family_label="A.")
    ts.session_schedule(world.outsider, enrolment=enrolment, staff=world.outsider, starts_at=timezone.now() + dt.timedelta(days=2))
    _token, raw = calendar_services.feed_token_create(world.outsider)
    body = client.get(reverse("calendars:feed", args=[raw])).content
    cal = Calendar.from_ical(body)
    (event,) = [e for e in cal.walk("VEVENT") if str(e["UID"]).startswith("offer-session-")]
    assert event.errors == [] and cal.errors == []
    summary = str(event["SUMMARY"])
    assert "\n" not in summary and "\r" not in summary and summary.startswith("Elternkurs Teil 2 Abend")
    assert b"\\n" not in body.split(b"SUMMARY", 1)[1].split(b"\r\n", 1)[0]  # no escaped line break in the line either


def test_a_session_leaves_the_feed_of_someone_who_left_the_organisation(client, world, offers, track):
    enrolment = ts.enrolment_create(world.outsider, offer=track, family_label="A.")
    ts.session_schedule(world.outsider, enrolment=enrolment, staff=world.outsider, starts_at=timezone.now() + dt.timedelta(days=2))
    world.outsider.memberships.update(is_active=False)
    assert not any(uid.startswith("offer-session-") for uid in feed_uids(client, world.outsider))


def test_a_cancelled_session_stays_in_the_feed_as_cancelled_with_a_higher_sequence(client, world, offers, track):
    enrolment = ts.enrolment_create(world.outsider, offer=track, family_label="A.")
    session = ts.session_schedule(world.outsider, enrolment=enrolment, staff=world.outsider, starts_at=timezone.now() + dt.timedelta(days=2))
    ts.session_cancel(world.outsider, session=session)
    _token, raw = calendar_services.feed_token_create(world.outsider)
    cal = Calendar.from_ical(client.get(reverse("calendars:feed", args=[raw])).content)
    (event,) = [e for e in cal.walk("VEVENT") if str(e["UID"]).startswith("offer-session-")]
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1


def test_attendance_is_recorded_and_the_family_is_reminded_once(world, offers, track):
    enrolment = ts.enrolment_create(world.outsider, offer=track, family_label="A.", family_email="family@example.org")
    session = ts.session_schedule(world.outsider, enrolment=enrolment, staff=world.outsider, starts_at=timezone.now() + dt.timedelta(hours=20),
                                  location="Familienzentrum")
    mail.outbox.clear()
    assert ts.sessions_remind() == 1 and ts.sessions_remind() == 0
    assert mail.outbox[0].to == ["family@example.org"] and "Familienzentrum" in mail.outbox[0].body
    ts.session_attendance(world.outsider, enrolment=enrolment, attendance={session.pk: True})
    session.refresh_from_db()
    assert session.attended is True


def test_ending_early_needs_a_reason_and_frees_the_place_for_the_next(world, offers, track, django_capture_on_commit_callbacks):
    referral = accepted_referral(world, offers, track)
    enrolment = ts.enrolment_create(world.outsider, offer=track, referral=referral)
    waiting = rs.referral_accept(world.outsider, referral=rs.referral_create(offers.case_manager, offer=track, client_label="L."))
    assert waiting.status == "waitlisted"
    with pytest.raises(ValidationError):
        ts.enrolment_end(world.outsider, enrolment=enrolment, completed=False, reason="")
    ts.enrolment_end(world.outsider, enrolment=enrolment, completed=False, reason="Umgezogen")
    referral.refresh_from_db(); waiting.refresh_from_db()
    assert referral.status == "cancelled" and waiting.place_offered_at is not None
    assert AuditEvent.objects.filter(action="enrolment.end_early", actor=world.outsider).exists()


def test_the_enrolment_pages_work_for_staff(client, world, offers, track):
    client.force_login(world.outsider)
    response = client.post(reverse("offers:track_enrolments", args=[track.pk]), {"family_label": "P.", "municipality": "Teststadt"})
    assert response.status_code == 302
    detail = response["Location"]
    start = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(detail, {"staff": world.outsider.pk, "starts_at": start, "minutes": 60})
    assert response.status_code == 302
    page = client.get(detail).content.decode()
    assert "Save attendance" in page and "did not come" in page


def test_a_session_in_the_past_or_before_the_enrolment_began_is_refused(world, offers, track):
    """Newcomer walk: a session could be scheduled last week, before the family was enrolled; it
    became "Termin 1" and a calendar invitation went out."""
    enrolment = ts.enrolment_create(world.outsider, offer=track, family_label="P.")
    with pytest.raises(ValidationError) as refused:
        ts.session_schedule(world.outsider, enrolment=enrolment, staff=world.outsider,
                            starts_at=timezone.now() - dt.timedelta(days=7))
    assert "before the enrolment began" in refused.value.message_dict["starts_at"][0]
    enrolment.enrolled_on = timezone.localdate() - dt.timedelta(days=30)
    enrolment.save(update_fields=["enrolled_on"])
    with pytest.raises(ValidationError) as refused:
        ts.session_schedule(world.outsider, enrolment=enrolment, staff=world.outsider,
                            starts_at=timezone.now() - dt.timedelta(hours=2))
    assert refused.value.message_dict == {"starts_at": ["A session cannot start in the past."]}
    assert not enrolment.sessions.exists() and not mail.outbox


def test_the_session_form_and_the_api_refuse_a_past_start_at_the_field(client, world, offers, track):
    enrolment = ts.enrolment_create(world.outsider, offer=track, family_label="P.")
    # Enrolled a month ago: two hours ago is "in the past" at every time of day (shortly after
    # midnight it would otherwise fall before the enrolment began, a different refusal).
    enrolment.enrolled_on = timezone.localdate() - dt.timedelta(days=30)
    enrolment.save(update_fields=["enrolled_on"])
    client.force_login(world.outsider)
    past = (timezone.localtime() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("offers:enrolment_detail", args=[enrolment.pk]),
                           {"staff": world.outsider.pk, "starts_at": past, "minutes": 60})
    assert response.status_code == 400
    assert response.context["form"].errors["starts_at"] == ["A session cannot start in the past."]
    for language, text in (("de", "Ein Termin kann nicht in der Vergangenheit liegen."),
                           ("da", "En samtale kan ikke ligge i fortiden.")):
        page = client.post(reverse("offers:enrolment_detail", args=[enrolment.pk]),
                           {"staff": world.outsider.pk, "starts_at": past, "minutes": 60}, HTTP_ACCEPT_LANGUAGE=language)
        assert text in page.content.decode()
    api = client.post("/api/sessions/", {"enrolment": enrolment.pk, "staff": world.outsider.pk,
                                         "starts_at": (timezone.now() - dt.timedelta(hours=2)).isoformat(), "minutes": 60},
                      content_type="application/json")
    assert api.status_code == 400 and "starts_at" in api.json()
    assert not enrolment.sessions.exists()
