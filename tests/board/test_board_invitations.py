"""Board meeting invitations: one per invited board member, her answer from the meeting page,
and iMIP e-mails (REQUEST on scheduling and moving, CANCEL on cancelling, SEQUENCE rising)."""
from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from icalendar import Calendar

from participants.models import NetworkRole
from board import services
from board.models import BoardMeetingInvitation

pytestmark = pytest.mark.django_db
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def schedule(world, count=1):
    start = dt.datetime(2031, 3, 31, 16, 0, tzinfo=BERLIN)
    return services.board_meeting_schedule_series(world.coordinator, network=world.network, starts_at=start,
                                                  ends_at=start + dt.timedelta(hours=2), location="Kreishaus", count=count)


def _calendar(message):
    (content, mimetype), = [alt for alt in message.alternatives if alt[1] == "text/calendar"]
    cal = Calendar.from_ical(content)
    assert not cal.errors
    return cal, message.message()


def _event(cal):
    return next(component for component in cal.walk("VEVENT"))


def test_scheduling_invites_each_board_member_of_the_network_once_per_meeting(world):
    second = world.outsider
    NetworkRole.objects.create(user=second, network=world.network, role=NetworkRole.Role.BOARD_MEMBER)
    meetings = schedule(world, count=2)
    invited = set(BoardMeetingInvitation.objects.values_list("meeting_id", "user_id"))
    assert invited == {(m.pk, u.pk) for m in meetings for u in (world.board_member, second)}
    assert set(BoardMeetingInvitation.objects.values_list("response", flat=True)) == {"pending"}


def test_invitation_mail_carries_an_imip_request_and_the_cancel_a_higher_sequence(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = schedule(world)[0]
    request, = mail.outbox
    cal, mime = _calendar(request)
    assert str(cal["METHOD"]) == "REQUEST"
    part = next(p for p in mime.walk() if p.get_content_type() == "text/calendar")
    assert part.get_param("method") == "REQUEST"
    event = _event(cal)
    assert str(event["UID"]).startswith(f"board-meeting-{meeting.pk}@") and int(event["SEQUENCE"]) == 0
    assert str(event["ATTENDEE"]).lower() == f"mailto:{world.board_member.email}".lower()
    assert event["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    assert world.case.reference not in request.body

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        meeting = services.board_meeting_update(world.coordinator, meeting=meeting, starts_at=meeting.starts_at + dt.timedelta(days=1),
                                                ends_at=meeting.ends_at + dt.timedelta(days=1), location="Kreishaus", summary=None)
    moved, = mail.outbox
    cal, _ = _calendar(moved)
    assert str(cal["METHOD"]) == "REQUEST" and int(_event(cal)["SEQUENCE"]) == 1
    assert moved.subject.startswith("Changed")

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.board_meeting_cancel(world.coordinator, meeting=meeting)
    cancel, = mail.outbox
    cal, mime = _calendar(cancel)
    event = _event(cal)
    assert str(cal["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 2
    assert next(p for p in mime.walk() if p.get_content_type() == "text/calendar").get_param("method") == "CANCEL"


def test_board_member_accepts_and_then_declines_from_her_meeting_page(client, world, django_capture_on_commit_callbacks):
    meeting = schedule(world)[0]
    client.force_login(world.board_member)
    page = client.get(reverse("board:board_meeting_detail", args=[meeting.pk])).content.decode()
    assert "Your answer" in page and 'value="accepted"' in page
    client.post(reverse("board:board_meeting_respond", args=[meeting.pk]), {"response": "accepted"})
    invitation = BoardMeetingInvitation.objects.get(meeting=meeting, user=world.board_member)
    assert invitation.response == "accepted" and invitation.responded_at
    client.post(reverse("board:board_meeting_respond", args=[meeting.pk]), {"response": "declined"})
    invitation.refresh_from_db()
    assert invitation.response == "declined"
    # the coordinator sees who answered what; a moved meeting's new invitation carries her answer
    client.force_login(world.coordinator)
    page = client.get(reverse("board:board_meeting_detail", args=[meeting.pk])).content.decode()
    assert "Invited board members" in page and "Declined" in page
    with django_capture_on_commit_callbacks(execute=True):
        services.board_meeting_update(world.coordinator, meeting=meeting, starts_at=meeting.starts_at + dt.timedelta(hours=1),
                                      ends_at=meeting.ends_at + dt.timedelta(hours=1), location="", summary=None)
    cal, _ = _calendar(mail.outbox[-1])
    assert _event(cal)["ATTENDEE"].params["PARTSTAT"] == "DECLINED"


def test_a_bad_answer_changes_nothing_and_only_invitees_answer(client, world):
    meeting = schedule(world)[0]
    client.force_login(world.board_member)
    client.post(reverse("board:board_meeting_respond", args=[meeting.pk]), {"response": "maybe"})
    assert BoardMeetingInvitation.objects.get(meeting=meeting, user=world.board_member).response == "pending"
    with pytest.raises(PermissionDenied):
        services.board_meeting_respond(world.coordinator, meeting=meeting, response="accepted")


def test_no_answer_after_cancellation_or_once_the_meeting_has_begun(world):
    meeting = schedule(world)[0]
    services.board_meeting_cancel(world.coordinator, meeting=meeting)
    meeting.refresh_from_db()
    with pytest.raises(ValidationError):
        services.board_meeting_respond(world.board_member, meeting=meeting, response="accepted")
    begun = schedule(world)[0]
    begun.starts_at = dt.datetime(2020, 1, 1, tzinfo=BERLIN)
    with pytest.raises(ValidationError):
        services.board_meeting_respond(world.board_member, meeting=begun, response="accepted")


def test_changing_only_the_place_sends_an_update_with_a_higher_sequence(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = schedule(world)[0]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        meeting = services.board_meeting_update(world.coordinator, meeting=meeting, starts_at=meeting.starts_at,
                                                ends_at=meeting.ends_at, location="Rathaus, Saal 3", summary=None)
    update, = mail.outbox
    cal, _ = _calendar(update)
    event = _event(cal)
    assert int(event["SEQUENCE"]) == 1 and str(event["LOCATION"]) == "Rathaus, Saal 3"
    assert meeting.sequence == 1


def test_changing_only_the_summary_to_discuss_sends_nothing(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = schedule(world)[0]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        meeting = services.board_meeting_update(world.coordinator, meeting=meeting, starts_at=meeting.starts_at,
                                                ends_at=meeting.ends_at, location="Kreishaus", summary=None)
    assert mail.outbox == [] and meeting.sequence == 0


def test_a_danish_networks_board_is_invited_in_danish(world, django_capture_on_commit_callbacks):
    from tests.world import make_user

    coordinator, member = make_user("dk-coordinator"), make_user("dk-board")
    NetworkRole.objects.create(user=coordinator, network=world.other_network, role=NetworkRole.Role.COORDINATOR)
    NetworkRole.objects.create(user=member, network=world.other_network, role=NetworkRole.Role.BOARD_MEMBER)
    start = dt.datetime(2031, 3, 31, 16, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Copenhagen"))
    with django_capture_on_commit_callbacks(execute=True):
        services.board_meeting_schedule_series(coordinator, network=world.other_network, starts_at=start,
                                               ends_at=start + dt.timedelta(hours=2), location="Rådhuset", count=1)
    invitation, = [m for m in mail.outbox if m.to == [member.email]]
    assert invitation.subject.startswith("Invitation: møde i samarbejdsforum")
    cal, _ = _calendar(invitation)
    assert str(_event(cal)["SUMMARY"]).startswith("Møde i samarbejdsforum")


def test_a_danish_caseworker_on_the_board_without_a_language_setting_is_invited_in_danish(
        world, django_capture_on_commit_callbacks):
    """``participants.language``: no setting of her own, a meeting of a Danish network."""
    caseworker = world.foreign_professional
    assert caseworker.preferred_language == ""
    NetworkRole.objects.create(user=caseworker, network=world.other_network, role=NetworkRole.Role.BOARD_MEMBER)
    start = dt.datetime(2031, 3, 31, 16, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Copenhagen"))
    coordinator = world.coordinator
    NetworkRole.objects.create(user=coordinator, network=world.other_network, role=NetworkRole.Role.COORDINATOR)
    with django_capture_on_commit_callbacks(execute=True):
        services.board_meeting_schedule_series(coordinator, network=world.other_network, starts_at=start,
                                               ends_at=start + dt.timedelta(hours=2), location="Rådhuset", count=1)
    invitation, = [m for m in mail.outbox if m.to == [caseworker.email]]
    assert invitation.subject.startswith("Invitation: møde i samarbejdsforum")
