"""Shared helpers for the scheduling tests: convene a conference over the world's case."""
from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone

from conferences import services
from cases.models import CaseTeamMember, FamilyMember
from conferences.models import Conference
from participants.models import Network, User
from protocols.models import AgreedAction
from tests.icaljs import LANGUAGES, PLACE, next_dst_sunday

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def local(days: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def convene(world, *, slots=None, **extra) -> Conference:
    team = CaseTeamMember.objects.filter(case=world.case, removed_at__isnull=True).order_by("pk")
    invitees = [services.Invitee(team_member=m, required=m.user_id != world.midwife.pk) for m in team]
    invitees.append(services.Invitee(family_member=world.mother, required=True))
    return services.conference_create(
        world.convenor, case=world.case, kind=Conference.Kind.FOLLOW_UP, invitees=invitees,
        slots=slots or [local(10), local(11, 14), local(12, 9)], **{"location": "Rathaus, Raum 2", **extra},
    )


def answer_all(conference, answer: str) -> dict[int, str]:
    return {slot.pk: answer for slot in conference.poll.slots.all()}


def without_account(member: FamilyMember) -> FamilyMember:
    """The family member as a parent without an account (her e-mail address kept): she answers a
    poll through a personal link; one with an account answers it signed in. The account she had
    no longer receives mail at her address either, so that an offer of access makes her a new
    account and mails its set-up link there (``cases.access_services``; where an account receives
    mail at the address, only a code handed over in person links the record: review h3, H3-9)."""
    User.objects.filter(pk=member.user_id).update(email="")
    FamilyMember.objects.filter(pk=member.pk).update(user=None)
    member.refresh_from_db()
    return member


def schedule_across_dst(world, committed, tzid: str, *, language: str = "en"):
    """A conference from 01:30 to 04:30 local time on the night the clocks change (so DTSTART and
    DTEND lie on either side of the change), in a place with every hard character."""
    Network.objects.filter(pk=world.network.pk).update(time_zone=tzid)
    User.objects.filter(pk=world.counsellor.pk).update(preferred_language=language)
    world.network.refresh_from_db()
    zone = zoneinfo.ZoneInfo(tzid)
    night = next_dst_sunday(zone)
    start = dt.datetime(night.year, night.month, night.day, 1, 30, tzinfo=zone)
    with committed():
        conference = convene(world, slots=[start], duration_minutes=180, location=PLACE,
                             interpreter_language=LANGUAGES, access_needs="Rollstuhl, Aufzug; Gebärdensprache")
        services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.get())
    conference.refresh_from_db()
    assert conference.starts_at.astimezone(zone).utcoffset() != conference.ends_at.astimezone(zone).utcoffset()
    return conference


def uninvite_mother(world) -> None:
    """The convenor withdraws the mother's invitation to the world's conference, whose protocol
    holds an open action of hers: the service refuses that while the action is open
    (``protocols.invitations``), so it is closed for the withdrawal and reopened afterwards (the
    convenor may set its status back). The reads must hold in that order of events too, and for
    invitations withdrawn before the rule."""
    action = AgreedAction.objects.get(pk=world.action_parent.pk)
    AgreedAction.objects.filter(pk=action.pk).update(status=AgreedAction.Status.DONE, completed_on=timezone.localdate())
    services.invitation_remove(world.convenor, invitation=world.invitation_parent)
    AgreedAction.objects.filter(pk=action.pk).update(status=action.status, completed_on=action.completed_on)
