"""Writes of the scheduling journey: convene, poll, vote, pick, RSVP, move, cancel, reports and
poll links (feed tokens: ``calendars.services``).

Every function takes the acting user first, checks permission through ``cases.policy``,
changes state atomically, writes an audit event with the caller's channel, and queues e-mails
and live events with ``transaction.on_commit``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Callable
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cases import policy as cases_policy
from cases import services as case_services
from conferences import policy as conferences_policy
from notifications.models import Kind
from notifications.services import notifications_redate, notify
from cases.models import Case, CaseTeamMember, FamilyMember, InformationCategory
from participants.models import Organisation, User
from participants.working_days import is_working_day
from permissions import audit, conflicts, dates, events, grants, jobs

from . import ical
from .consumers import notify_invitation_answered, notify_poll_changed
from conferences.models import Conference, Invitation, PollLink, PollSlot, SlotPoll, SlotVote, WrittenReport

Channel = audit.Channel
REPORT_DAYS_BEFORE = 3
POLL_LINK_DAYS = 21
# Tasks (conferences/tasks.py) import this module; it names them instead of importing them.
SEND_CONFERENCE_MAIL = "conferences.tasks.send_conference_mail"
SEND_POLL_INVITATION = "conferences.tasks.send_poll_invitation"
OPEN_STATES = (Conference.Status.DRAFT, Conference.Status.POLLING, Conference.Status.SCHEDULED)


# --- helpers ------------------------------------------------------------------------------------

def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """A URL-safe secret of 32 random bytes and its SHA-256 hex digest (only the digest is stored)."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_token(raw)


def tokens_match(stored_hash: str, raw: str) -> bool:
    return hmac.compare_digest(stored_hash.encode(), hash_token(raw).encode())


def _require_convenor(actor, case: Case) -> None:
    if not cases_policy.can_convene(actor, case):
        raise PermissionDenied(_("Only the convenor of this case may do this."))


def _notify_poll_changed(conference: Conference) -> None:
    transaction.on_commit(lambda: notify_poll_changed(conference.pk))


def _mail(conference: Conference, invitations, method: str) -> None:
    """Queue one iMIP message per invitee, tagged with the SEQUENCE it announces (the task drops
    a REQUEST that a later change superseded before the worker ran)."""
    invitations = list(invitations)
    Invitation.objects.filter(pk__in=[i.pk for i in invitations]).update(sequence_queued=conference.sequence)
    for invitation in invitations:
        jobs.enqueue_on_commit(SEND_CONFERENCE_MAIL, conference.pk, invitation.pk, method, conference.sequence)


def _active_invitations(conference: Conference):
    return conference.invitations.filter(removed_at__isnull=True)


def _invitee_users(invitations) -> list[User]:
    """The accounts behind invitations: the professional, or the parent's own account."""
    ids = set()
    for invitation in invitations:
        if invitation.user_id:
            ids.add(invitation.user_id)
        elif invitation.family_member_id and invitation.family_member.user_id:
            ids.add(invitation.family_member.user_id)
    return list(User.objects.filter(pk__in=ids))


def _conference_day(conference: Conference) -> dt.date | None:
    if conference.starts_at is None:
        return None
    return timezone.localtime(conference.starts_at, ZoneInfo(conference.case.network.time_zone)).date()


def _announce(actor, conference: Conference, invitations, kind: str) -> None:
    """In-app notification for the invitees (their e-mail is the iMIP/poll message itself)."""
    invitations = [i for i in invitations if i.removed_at is None]
    if kind == Kind.POLL_OPENED:
        url = reverse("conferences:conference_poll", args=[conference.pk])
        poll = getattr(conference, "poll", None)
        due = timezone.localdate(poll.closes_at) if poll is not None and poll.closes_at else None
    else:
        url = reverse("conferences:conference_detail", args=[conference.pk])
        due = _conference_day(conference)
    notify(recipients=_invitee_users(invitations), kind=kind, case=conference.case, url=url, due_on=due,
           exclude=actor, email=False)


def _announce_reports(actor, conference: Conference, reports) -> None:
    """Tell the invited people of each organisation asked for a written report (e-mail by preference)."""
    by_org: dict[int, dt.date] = {r.organisation_id: r.due_on for r in reports}
    invitations = _active_invitations(conference).filter(organisation_id__in=by_org, user__isnull=False)
    for org_id, due in by_org.items():
        users = [i.user for i in invitations if i.organisation_id == org_id]
        notify(recipients=users, kind=Kind.REPORT_REQUESTED, case=conference.case,
               url=reverse("conferences:conference_detail", args=[conference.pk]), due_on=due, exclude=actor)


def report_due_on(starts_at: dt.datetime, zone, network=None) -> dt.date:
    """The rule for a written report's due date: ``REPORT_DAYS_BEFORE`` days before the conference
    day, counted in the network's time zone; a day that falls on a weekend or on a public holiday
    of the network's country and state (``participants.working_days``) moves to the working day
    before it, so that nobody is asked for a report on a Sunday or Easter Monday.

    Never before tomorrow: a request that arrives due today (or already past) cannot be met by
    anyone, so a conference close at hand gives at least one day. Never after the conference day:
    reports can be submitted until the conference begins (``reports_closed_reason``), so a report
    due on the conference day itself is still one that can be written."""
    conference_day = timezone.localtime(starts_at, zone).date()
    due = conference_day - dt.timedelta(days=REPORT_DAYS_BEFORE)
    country, region = getattr(network, "country", "") or "", getattr(network, "holiday_region", "") or ""
    for _step in range(14):  # at most two weeks back: no calendar has longer runs of days off
        if is_working_day(due, country=country, region=region):
            break
        due -= dt.timedelta(days=1)
    tomorrow = timezone.localdate(timezone=zone) + dt.timedelta(days=1)
    return min(conference_day, max(tomorrow, due))


def _reports_follow(conference: Conference, starts_at: dt.datetime) -> dt.date:
    """Every report request of the conference keeps its distance to the (new) conference time."""
    due = report_due_on(starts_at, ical.zone_of(conference.case.network), conference.case.network)
    if conference.reports.exclude(due_on=due).update(due_on=due):
        # The requests already in their overviews name the new date too.
        notifications_redate(kind=Kind.REPORT_REQUESTED, url=reverse("conferences:conference_detail", args=[conference.pk]),
                             due_on=due)
    return due


def reports_closed_reason(conference: Conference) -> str:
    """Why written reports of ``conference`` can no longer be submitted, or "" while they can.
    The one rule for the service and for the pages that offer (or stop offering) the form."""
    if conference.status == Conference.Status.CANCELLED:
        return _("Reports can no longer be submitted: the conference was cancelled.")
    # A conference whose start has passed stays "scheduled" until its attendance is recorded:
    # what was read at the table must not be rewritten afterwards.
    begun = conference.starts_at is not None and conference.starts_at <= timezone.now()
    if conference.status in OPEN_STATES and not begun:
        return ""
    return _("Reports can no longer be submitted: the conference has begun.")


def _locked(conference: Conference) -> Conference:
    return Conference.objects.select_for_update(of=("self",)).select_related("case__network").get(pk=conference.pk)


# --- convening ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Invitee:
    """Someone to invite: an active case-team row, or a family member of the case."""

    team_member: CaseTeamMember | None = None
    family_member: FamilyMember | None = None
    required: bool = True


@transaction.atomic
def conference_create(
    actor,
    *,
    case: Case,
    kind: str,
    invitees: list[Invitee],
    slots: list[dt.datetime],
    duration_minutes: int = 90,
    location: str = "",
    video_link: str = "",
    interpreter_language: str = "",
    access_needs: str = "",
    report_organisation_ids: list[int] | None = None,
    closes_at: dt.datetime | None = None,
    channel: str = Channel.PAGE,
) -> Conference:
    """Create a conference in the polling state with its candidate slots and invitations.

    Checks: the actor may convene this case; every invitee belongs to this case (active team
    row, or an adult family member whose record was not erased); slots lie in the future and are distinct. Parents of the
    case not in ``invitees`` are not added silently — the form proposes them as required.
    Written-report requests go to ``report_organisation_ids`` (default: every invited
    organisation other than the lead organisation), due a few days before the first slot.
    ``closes_at`` (optional) is the deadline for answers: it must lie in the future and before
    the first candidate time; later answers are refused, and the convenor is reminded
    (``send_reminders``) when it passes without a pick.
    ``access_needs``: the conference's own note, read by everyone invited; the invited family
    members' own needs are not copied into it (they may be health information, and one parent must
    not read the other's): they stay on each member's record, where the team reads them with the
    conference and each parent only her own (``policy.access_needs_for_user``, review h9).
    A new case becomes active (``cases.services.case_activate``): its first conference is planned.
    Sends, after commit: every invitee the poll (a parent without an account her personal poll
    link, by e-mail in her language) with an in-app notification, and each organisation asked
    for a report a notification; calendar invitations go out when a slot is picked.
    """
    _require_convenor(actor, case)
    if kind not in Conference.Kind.values:
        raise ValidationError({"kind": _("Choose a kind of conference.")})
    if not 15 <= duration_minutes <= 480:
        raise ValidationError({"duration_minutes": _("A conference lasts between 15 minutes and 8 hours.")})
    now = timezone.now()
    # In UTC: adding a duration to a zone-aware time adds wall-clock time, which is an hour off
    # across a daylight-saving change.
    starts = sorted({s.astimezone(dt.timezone.utc) for s in slots})
    if not starts:
        raise ValidationError({"slots": _("Propose at least one candidate time.")})
    if any(s <= now for s in starts):
        raise ValidationError({"slots": _("Candidate times must lie in the future.")})
    dates.refuse_too_far_ahead(slots=starts[-1], closes_at=closes_at)
    if closes_at is not None and closes_at <= now:
        raise ValidationError({"closes_at": _("The deadline for answers must lie in the future.")})
    if closes_at is not None and closes_at > starts[0]:
        raise ValidationError({"closes_at": _("The deadline for answers must come before the first candidate time.")})
    zone = ical.zone_of(case.network)
    for start in starts:
        ical.check_unambiguous(start, zone, field="slots")
        ical.check_unambiguous(start + dt.timedelta(minutes=duration_minutes), zone, field="slots")
    if not invitees:
        raise ValidationError({"invitees": _("Invite at least one person.")})
    team_ids = {i.team_member.pk for i in invitees if i.team_member}
    family_ids = {i.family_member.pk for i in invitees if i.family_member}
    active_team = {m.pk: m for m in CaseTeamMember.objects.filter(case=case, removed_at__isnull=True, pk__in=team_ids)
                   .select_related("organisation", "user")}
    family = {f.pk: f for f in FamilyMember.objects.filter(case=case, pk__in=family_ids)
              .exclude(relation__in=[FamilyMember.Relation.CHILD, FamilyMember.Relation.EXPECTED_CHILD])}
    if any(f.is_erased for f in family.values()):
        raise ValidationError({"invitees": _erased_not_invited()})
    if set(active_team) != team_ids or set(family) != family_ids:
        raise ValidationError({"invitees": _("Invite only members of this case's team and adults of the family.")})

    if not interpreter_language:
        interpreter_language = interpreter_language_taken_over(actor, family.values())
    conference = Conference(
        case=case, kind=kind, status=Conference.Status.POLLING, convenor=actor, duration_minutes=duration_minutes,
        location=location.strip(), video_link=video_link.strip(), interpreter_language=interpreter_language.strip(),
        access_needs=access_needs.strip(),
    )
    conference.full_clean(exclude=["case", "convenor"])
    conference.save()
    poll = SlotPoll.objects.create(conference=conference, closes_at=closes_at)
    PollSlot.objects.bulk_create(
        [PollSlot(poll=poll, starts_at=s, ends_at=s + dt.timedelta(minutes=duration_minutes)) for s in starts]
    )
    seen_users: set[int] = set()
    rows = []
    for invitee in invitees:
        if invitee.team_member:
            member = active_team[invitee.team_member.pk]
            if member.user_id in seen_users and member.user_id:
                continue
            seen_users.add(member.user_id)
            rows.append(Invitation(conference=conference, user=member.user, organisation=member.organisation,
                                   required=invitee.required))
        else:
            rows.append(Invitation(conference=conference, family_member=family[invitee.family_member.pk],
                                   required=invitee.required))
    Invitation.objects.bulk_create(rows)

    invited_orgs = {m.organisation_id for m in active_team.values()}
    if report_organisation_ids is None:
        report_organisation_ids = sorted(invited_orgs - {case.lead_organisation_id})
    elif not set(report_organisation_ids) <= invited_orgs:
        raise ValidationError({"report_organisations": _("Ask only invited organisations for a written report.")})
    due = report_due_on(starts[0], zone, case.network)
    WrittenReport.objects.bulk_create(
        [WrittenReport(conference=conference, organisation_id=org_id, due_on=due) for org_id in report_organisation_ids]
    )
    audit.record(actor, action="conference.create", obj=conference, case_id=case.pk, channel=channel,
                 detail={"slots": len(starts), "invitations": len(rows), "reports": len(report_organisation_ids)})
    case_services.case_activate(actor, case=case, reason="conference.create", channel=channel)
    invitations = list(conference.invitations.select_related("user", "family_member__user"))
    for invitation in invitations:
        jobs.enqueue_on_commit(SEND_POLL_INVITATION, invitation.pk)
    _announce(actor, conference, invitations, Kind.POLL_OPENED)
    _announce_reports(actor, conference, conference.reports.all())
    return conference


def poll_is_open(poll: SlotPoll) -> bool:
    return (poll.closed_at is None and poll.conference.status == Conference.Status.POLLING
            and (poll.closes_at is None or poll.closes_at > timezone.now()))


def poll_deadline_passed(poll: SlotPoll) -> bool:
    """The poll's deadline for answers has passed while it was still open (no pick yet)."""
    return (poll.closed_at is None and poll.closes_at is not None and poll.closes_at <= timezone.now()
            and poll.conference.status == Conference.Status.POLLING)


def _save_votes(invitation: Invitation, answers: dict[int, str]) -> int:
    poll = getattr(invitation.conference, "poll", None)
    if poll is None:
        raise ValidationError({"answers": _("This conference has no date poll to answer.")})
    if poll_deadline_passed(poll):
        with timezone.override(poll.conference.case.network.time_zone):
            when = formats.date_format(timezone.localtime(poll.closes_at), "DATETIME_FORMAT")
        raise ValidationError(_("The deadline for answers passed on %(when)s; answers can no longer be changed.")
                              % {"when": when})
    if not poll_is_open(poll):
        raise ValidationError(_("This poll is closed; answers can no longer be changed."))
    slot_ids = set(poll.slots.values_list("pk", flat=True))
    if set(answers) != slot_ids:
        raise ValidationError({"answers": _("Answer every candidate time of this poll.")})
    if any(a not in SlotVote.Answer.values for a in answers.values()):
        raise ValidationError({"answers": _("Answer yes, if need be, or no.")})
    existing = {v.slot_id: v for v in SlotVote.objects.filter(invitation=invitation, slot_id__in=slot_ids)}
    for slot_id, answer in answers.items():
        vote = existing.get(slot_id)
        if vote is None:
            SlotVote.objects.create(slot_id=slot_id, invitation=invitation, answer=answer)
        elif vote.answer != answer:
            vote.answer = answer
            vote.save(update_fields=["answer", "updated_at"])
    return len(answers)


@transaction.atomic
def poll_vote(actor, *, invitation: Invitation, answers: dict[int, str], channel: str = Channel.PAGE) -> int:
    """Record the actor's answers (yes / if need be / no) for every slot of an open poll.

    Refused (nothing changes) when the poll is closed, the invitation was withdrawn, or the
    actor is not the invited person herself.
    """
    invitation = Invitation.objects.select_for_update(of=("self",)).select_related("conference__poll", "family_member").get(pk=invitation.pk)
    own = (invitation.user_id == getattr(actor, "pk", None) and invitation.user_id is not None) or (
        invitation.family_member_id and invitation.family_member.user_id == getattr(actor, "pk", None)
        and invitation.family_member.user_id is not None
    )
    if not own or invitation.removed_at is not None or not conferences_policy.conferences_for_user(actor).filter(pk=invitation.conference_id).exists():
        raise PermissionDenied(_("You are not invited to this conference."))
    count = _save_votes(invitation, answers)
    audit.record(actor, action="poll.vote", obj=invitation, case_id=invitation.conference.case_id, channel=channel)
    _notify_poll_changed(invitation.conference)
    return count


def _poll_link_in_force(raw: str, *, revoked: bool = False) -> PollLink | None:
    """The link behind a raw token while it is neither revoked nor expired nor withdrawn, or None.
    ``revoked``: a revoked link counts too (``poll_link_needs_sign_in``)."""
    if not raw or len(raw) > 100:
        return None
    link = (PollLink.objects.select_related("invitation__conference__poll", "invitation__conference__case__network",
                                            "invitation__family_member")
            .filter(token_hash=hash_token(raw)).first())
    if link is None or not tokens_match(link.token_hash, raw):
        return None
    if (link.revoked_at is not None and not revoked) or link.expires_at <= timezone.now() or link.invitation.removed_at is not None:
        return None
    member = link.invitation.family_member
    if member is not None and member.is_erased:  # Art. 17: nothing answers in her name any more
        return None
    return link


def poll_link_resolve(raw: str) -> PollLink | None:
    """The active link behind a raw token, or None (unknown, revoked, expired, withdrawn, or its
    parent has an account now: ``poll_link_needs_sign_in``)."""
    link = _poll_link_in_force(raw)
    if link is None or not link.invitation.answers_by_poll_link:
        return None  # with an account since the link was issued, she answers signed in
    return link


def poll_link_needs_sign_in(raw: str) -> bool:
    """Whether the raw token is a link in force whose parent has had an account since it was issued:
    it opens nothing any more, and the page tells her to sign in (a new link is refused to her too,
    so "ask for a new link" would lead nowhere). Her account revoked her links
    (``poll_links_end_on_account``); a revoked link of hers says the same, as any other link would
    lead her nowhere either. Says nothing else about the conference."""
    link = _poll_link_in_force(raw, revoked=True)
    return link is not None and not link.invitation.answers_by_poll_link


@transaction.atomic
def poll_vote_by_link(*, raw_token: str, answers: dict[int, str]) -> int:
    """A parent without an account answers through her personal link (scoped to one poll)."""
    link = poll_link_resolve(raw_token)
    if link is None:
        raise PermissionDenied(_("This link is not valid any more. Ask the convenor for a new one."))
    invitation = Invitation.objects.select_for_update(of=("self",)).select_related("conference__poll").get(pk=link.invitation_id)
    count = _save_votes(invitation, answers)
    audit.record(f"poll-link:{link.pk}", action="poll.vote", obj=invitation, case_id=invitation.conference.case_id,
                 channel=Channel.PAGE, detail={"via": "poll-link"})
    _notify_poll_changed(invitation.conference)
    return count


def _erased_not_invited() -> str:
    """Why a family member whose record was erased is not invited (``conference_create``,
    ``invitation_add``): nothing is offered to her any more."""
    return _("This person's data were erased (Art. 17 GDPR): she cannot be invited any more.")


def erased_invitee(invitation: Invitation) -> bool:
    """The invitation is a family member's whose record was erased (``FamilyMember.is_erased``):
    nothing is issued to her any more (poll links, letters, e-mails)."""
    return bool(invitation.family_member_id and invitation.family_member.is_erased)


def _refuse_erased(invitation: Invitation) -> None:
    if erased_invitee(invitation):
        raise ValidationError(_("This person's data were erased: she gets no poll link, letter or e-mail from "
                                "Fallkonferenz any more."))


@transaction.atomic
def poll_link_create(actor, *, invitation: Invitation, days: int = POLL_LINK_DAYS, channel: str = Channel.PAGE) -> tuple[PollLink, str]:
    """Issue a personal link for a family member's invitation; earlier links stop working.
    The raw token is returned once and never stored. Refused for a person whose record was erased."""
    conference = invitation.conference
    _require_convenor(actor, conference.case)
    # as it stands now: an account made for her since the page was opened counts
    invitation = Invitation.objects.select_related("family_member").get(pk=invitation.pk)
    if not invitation.family_member_id or invitation.removed_at is not None:
        raise ValidationError(_("Poll links are for invited family members."))
    _refuse_erased(invitation)
    if not invitation.answers_by_poll_link:
        raise ValidationError({"invitation": _(
            "%(name)s has an account and answers the poll signed in to Fallkonferenz. "
            "Personal poll links are only for parents without an account.") % {"name": invitation.family_member}})
    if conference.status != Conference.Status.POLLING:
        raise ValidationError(_("This conference has no open poll."))
    link, raw = new_poll_link(invitation, days=days)
    audit.record(actor, action="poll_link.create", obj=link, case_id=conference.case_id, channel=channel)
    return link, raw


def new_poll_link(invitation: Invitation, *, days: int = POLL_LINK_DAYS) -> tuple[PollLink, str]:
    """A new personal link for ``invitation`` (one that ``answers_by_poll_link``), the earlier ones
    revoked: the raw token, returned once and never stored. For ``poll_link_create`` and the task
    that mails it (``mail_services.poll_invitation_send``), which check and audit."""
    if not invitation.answers_by_poll_link:
        raise ValidationError(_("Poll links are for invited family members without an account."))
    _refuse_erased(invitation)
    now = timezone.now()
    PollLink.objects.filter(invitation=invitation, revoked_at__isnull=True).update(revoked_at=now)
    raw, digest = new_token()
    return PollLink.objects.create(invitation=invitation, token_hash=digest, expires_at=now + dt.timedelta(days=days)), raw


def invitation_letter_issue(actor, *, invitation: Invitation, channel: str = Channel.PAGE) -> Invitation:
    """The printable letter for an invited family member (date and place, or the proposed times):
    only the convenor, only for a family member's invitation still in force, never for a person
    whose record was erased. Audits ``invitation.letter``; the page renders it."""
    _require_convenor(actor, invitation.conference.case)
    invitation = Invitation.objects.select_related("family_member", "conference__case__network").get(pk=invitation.pk)
    if not invitation.family_member_id or invitation.removed_at is not None:
        raise ValidationError(_("Letters are for invited family members."))
    _refuse_erased(invitation)
    audit.record(actor, action="invitation.letter", obj=invitation, case_id=invitation.conference.case_id, channel=channel)
    return invitation


def poll_links_end_on_account(linked: events.AccountLinked) -> int:
    """A family member's record was linked to an account (``cases.access_services``: she used her
    set-up link or her linking code; inside that transaction): she answers polls signed in from now on, so her personal links still in force are
    revoked, one ``poll_link.revoke`` event per invitation naming the reason. Until now they were
    only refused when used (``poll_link_resolve``), and nothing recorded their end. Returns how many
    links ended."""
    return _revoke_poll_links(linked.family_member_id, actor=linked.actor, channel=linked.channel,
                              detail={"reason": "account_created", "user": linked.user_id})


def _revoke_poll_links(family_member_id: int, *, actor, channel: str, detail: dict) -> int:
    """End a family member's personal poll links still in force, one ``poll_link.revoke`` event
    per invitation with ``detail`` (the reason). Returns how many links ended."""
    now = timezone.now()
    links = PollLink.objects.filter(invitation__family_member_id=family_member_id, revoked_at__isnull=True,
                                    expires_at__gt=now)
    invitations = list(Invitation.objects.filter(pk__in=links.values("invitation_id")).select_related("conference")
                       .order_by("pk"))
    count = links.update(revoked_at=now)
    for invitation in invitations:
        audit.record(actor, action="poll_link.revoke", obj=invitation, case_id=invitation.conference.case_id,
                     channel=channel, detail=detail)
    return count


def poll_links_renew_on_address_change(changed: events.AddressChanged) -> int:
    """A family member's e-mail address was corrected (``cases.services.family_member_update``,
    inside that transaction): whoever reads the old mailbox (perhaps a wrong one) must not answer
    a date poll in her name, so her personal links still in force are revoked, one
    ``poll_link.revoke`` event per invitation naming the reason. Where she is invited to a
    conference whose poll is open and answers it by link, a fresh link goes to the new address
    after commit, through the task that mails every poll invitation and audits it
    (``mail_services.poll_invitation_send``). Returns how many links ended."""
    count = _revoke_poll_links(changed.family_member_id, actor=changed.actor, channel=changed.channel,
                               detail={"reason": "address_changed"})
    polling = (Invitation.objects.filter(family_member_id=changed.family_member_id, removed_at__isnull=True,
                                         conference__status=Conference.Status.POLLING, conference__poll__isnull=False,
                                         conference__poll__closed_at__isnull=True)
               .exclude(family_member__email="").select_related("conference__poll", "family_member").order_by("pk"))
    for invitation in polling:
        if invitation.answers_by_poll_link and poll_is_open(invitation.conference.poll):
            jobs.enqueue_on_commit(SEND_POLL_INVITATION, invitation.pk)
    return count


def interpreter_language_taken_over(actor, family_members) -> str:
    """The interpreter language a new conference takes over when the convenor names none: the
    first invited family member's who needs one, leaving out anyone whose processing is restricted
    (GDPR Art. 18): everyone invited reads the conference's language, as her access needs are left
    out of the conference page (``conferences.policy.access_needs_for_user``). The convening
    form's first value and ``conference_create`` both ask here."""
    members = [f for f in family_members if f.interpreter_language]
    if not members:
        return ""
    restricted = set(cases_policy.restricted_member_ids(actor).filter(pk__in=[f.pk for f in members])
                     .values_list("pk", flat=True))
    return next((f.interpreter_language for f in members if f.pk not in restricted), "")


def interpreter_language_follow(changed: events.InterpreterLanguageChanged) -> int:
    """A family member's interpreter language was corrected (``cases.services.family_member_update``)
    or erased (``privacy.services._erase_person``), inside that transaction. ``conference_create``
    takes the first invited family member's language over when the convenor names none, so a
    coming conference (draft, finding a date, or scheduled and not yet begun) she is invited to,
    whose interpreter language is still her old one, gets the corrected one, unless another family
    member invited to it still needs the old one; one with no interpreter language yet gets a
    newly noted one, as at its creation. A language the convenor typed herself (another than the
    record's) stays, and so does that of a conference held or cancelled: it is what was booked.
    One ``conference.interpreter_language`` event per conference with the change's reason
    (``family_member_update``, or ``erased`` after an Art. 17 erasure; without the languages: the
    trail is read more widely than the case), and the convenor is notified to check the
    interpreter booking (the notification names no language either), unless she made the change
    herself; its calendar entries show the new language at the next refresh (``updated_at``).
    Returns how many conferences changed."""
    old, new = (changed.old or "").strip(), (changed.new or "").strip()
    if old.casefold() == new.casefold():
        return 0
    now = timezone.now()
    invited = Invitation.objects.filter(conference=OuterRef("pk"), removed_at__isnull=True)
    conferences = (
        Conference.objects.select_for_update(of=("self",))
        .filter(case_id=changed.case_id, interpreter_language__iexact=old,
                status__in=[Conference.Status.DRAFT, Conference.Status.POLLING, Conference.Status.SCHEDULED])
        .filter(Q(starts_at__isnull=True) | Q(starts_at__gt=now))
        .filter(Exists(invited.filter(family_member_id=changed.family_member_id)))
        .select_related("case__network", "convenor")
        .order_by("pk"))
    if old:  # nobody "needs" no interpreter: an empty language is only ever filled
        conferences = conferences.exclude(Exists(invited.exclude(family_member_id=changed.family_member_id).filter(
            family_member__interpreter_language__iexact=old)))
    conferences = list(conferences)
    for conference in conferences:
        conference.interpreter_language = new
        conference.save(update_fields=["interpreter_language", "updated_at"])
        audit.record(changed.actor, action="conference.interpreter_language", obj=conference,
                     case_id=conference.case_id, channel=changed.channel,
                     detail={"reason": changed.reason, "family_member": changed.family_member_id})
        # Not the convenor who corrected the record herself: she knows what she did. (The actor is
        # a user wherever the event is sent; ``actor: object`` in the event allows a process name.)
        notify(recipients=[conference.convenor], kind=Kind.INTERPRETER_CHANGED, case=conference.case,
               url=reverse("conferences:conference_detail", args=[conference.pk]),
               due_on=_conference_day(conference),
               exclude=changed.actor if isinstance(changed.actor, User) else None)
    return len(conferences)


def invitations_withdraw_on_erasure(actor, *, family_member: FamilyMember, channel: str) -> list[Invitation]:
    """A family member's record was erased (Art. 17, ``privacy.services.request_close``, which checked
    that ``actor`` may grant the erasure; inside that transaction, after her record was erased).
    Her invitations to coming conferences (draft, finding a date, or scheduled and not yet begun)
    are withdrawn as ``invitation_remove`` withdraws one, so that their scheduling no longer waits
    for her (she counted as invited and, where required, blocked "all required can come"): the
    convenor's refusals (an open action of hers agreed there) do not apply, as she reads nothing
    any more. She gets no CANCEL (nothing is sent to her, ``erased_invitee``), so SEQUENCE stays.
    One ``invitation.remove`` event each with the reason ``erased``; the poll page is refreshed
    live, and the convenor of each conference is notified (the notification names no person).
    Invitations to conferences held, begun or cancelled stay as the record. Returns the withdrawn."""
    if not family_member.is_erased:
        raise ValueError("invitations_withdraw_on_erasure: the family member's record is not erased")
    now = timezone.now()
    invitations = list(
        Invitation.objects.select_for_update(of=("self",))
        .filter(family_member_id=family_member.pk, removed_at__isnull=True, conference__status__in=OPEN_STATES)
        .filter(Q(conference__starts_at__isnull=True) | Q(conference__starts_at__gt=now))
        .select_related("conference__case__network", "conference__convenor")
        .order_by("conference_id", "pk"))
    for invitation in invitations:
        conference = invitation.conference
        _withdraw(invitation, now)
        audit.record(actor, action="invitation.remove", obj=invitation, case_id=conference.case_id, channel=channel,
                     detail={"reason": "erased", "family_member": family_member.pk})
        _notify_poll_changed(conference)
        notify(recipients=[conference.convenor], kind=Kind.INVITATION_ERASED, case=conference.case,
               url=reverse("conferences:conference_detail", args=[conference.pk]), due_on=_conference_day(conference),
               event_key=f"invitation:{invitation.pk}:erased")
    if invitations:
        events.access_changed_on_commit([family_member.case_id])
    return invitations


@transaction.atomic
def poll_link_revoke(actor, *, invitation: Invitation, channel: str = Channel.PAGE) -> int:
    _require_convenor(actor, invitation.conference.case)
    count = PollLink.objects.filter(invitation=invitation, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit.record(actor, action="poll_link.revoke", obj=invitation, case_id=invitation.conference.case_id, channel=channel)
    return count


@transaction.atomic
def poll_close(actor, *, conference: Conference, channel: str = Channel.PAGE) -> SlotPoll:
    conference = _locked(conference)
    _require_convenor(actor, conference.case)
    poll = conference.poll
    if conference.status != Conference.Status.POLLING or poll.closed_at is not None:
        raise ValidationError(_("This poll is already closed."))
    poll.closed_at = timezone.now()
    poll.save(update_fields=["closed_at"])
    audit.record(actor, action="poll.close", obj=conference, case_id=conference.case_id, channel=channel)
    _notify_poll_changed(conference)
    return poll


@transaction.atomic
def poll_pick(actor, *, conference: Conference, slot: PollSlot, channel: str = Channel.PAGE) -> Conference:
    """Close the poll (if still open), schedule the conference at ``slot`` (any slot, not
    necessarily the top-ranked one) and send every invitee an iMIP REQUEST."""
    conference = _locked(conference)
    _require_convenor(actor, conference.case)
    if conference.status != Conference.Status.POLLING:
        raise ValidationError(_("This conference is not looking for a date."))
    poll = conference.poll
    if slot.poll_id != poll.pk:
        raise ValidationError({"slot": _("Pick one of this poll's candidate times.")})
    if slot.starts_at <= timezone.now():
        raise ValidationError({"slot": _("This candidate time has passed.")})
    now = timezone.now()
    poll.closed_at = poll.closed_at or now
    poll.chosen_slot = slot
    poll.save(update_fields=["closed_at", "chosen_slot"])
    conference.starts_at, conference.ends_at = slot.starts_at, slot.ends_at
    conference.status = Conference.Status.SCHEDULED
    conference.save(update_fields=["starts_at", "ends_at", "status", "updated_at"])
    due = _reports_follow(conference, slot.starts_at)
    audit.record(actor, action="conference.schedule", obj=conference, case_id=conference.case_id, channel=channel,
                 detail={"slot": slot.pk, "reports_due_on": due.isoformat()})
    invitations = list(_active_invitations(conference).select_related("user", "family_member__user"))
    _mail(conference, invitations, "REQUEST")
    _announce(actor, conference, invitations, Kind.INVITED)
    _notify_poll_changed(conference)
    return conference


# --- after scheduling ---------------------------------------------------------------------------

def _rsvp_apply(actor, *, invitation: Invitation, rsvp: str, comment: str, channel: str, via: str = "") -> Invitation:
    """The one place an answer is written, for the web page, the API and calendar replies alike:
    same checks, same audit event, same live update."""
    if invitation.conference.status != Conference.Status.SCHEDULED:
        raise ValidationError(_("Answers are possible once the conference is scheduled and until it is held or cancelled."))
    if rsvp not in (Invitation.Rsvp.ACCEPTED, Invitation.Rsvp.TENTATIVE, Invitation.Rsvp.DECLINED):
        raise ValidationError({"rsvp": _("Choose accept, tentative or decline.")})
    comment = (comment or "").strip()
    if len(comment) > 300:
        raise ValidationError({"comment": _("Keep the comment under 300 characters.")})
    invitation.rsvp, invitation.rsvp_comment, invitation.rsvp_at = rsvp, comment, timezone.now()
    invitation.save(update_fields=["rsvp", "rsvp_comment", "rsvp_at"])
    detail = {"rsvp": rsvp, **({"via": via} if via else {})}
    audit.record(actor, action="invitation.rsvp", obj=invitation, case_id=invitation.conference.case_id, channel=channel,
                 detail=detail)
    _notify_poll_changed(invitation.conference)
    conference_id, invitation_id = invitation.conference_id, invitation.pk
    transaction.on_commit(lambda: notify_invitation_answered(conference_id, invitation_id))
    return invitation


@transaction.atomic
def invitation_rsvp(actor, *, invitation: Invitation, rsvp: str, comment: str = "", channel: str = Channel.PAGE) -> Invitation:
    """The invited person accepts, tentatively accepts or declines, with an optional comment."""
    invitation = Invitation.objects.select_for_update(of=("self",)).select_related("conference", "family_member").get(pk=invitation.pk)
    is_own = (invitation.user_id is not None and invitation.user_id == getattr(actor, "pk", None)) or (
        invitation.family_member_id is not None and invitation.family_member.user_id is not None
        and invitation.family_member.user_id == getattr(actor, "pk", None)
    )
    if not is_own or invitation.removed_at is not None or not conferences_policy.conferences_for_user(actor).filter(pk=invitation.conference_id).exists():
        raise PermissionDenied(_("You are not invited to this conference."))
    return _rsvp_apply(actor, invitation=invitation, rsvp=rsvp, comment=comment, channel=channel)


@transaction.atomic
def conference_move(actor, *, conference: Conference, starts_at: dt.datetime, location: str | None = None,
                    sequence: int | None = None, channel: str = Channel.PAGE) -> Conference:
    """Move a scheduled, future conference: SEQUENCE+1, answers reset, updated REQUEST to all.
    ``sequence``: the conference's SEQUENCE the move started from (the page and the API always
    send it); when it changed meanwhile (another convenor moved it, or changed its invitations),
    ``EditConflict`` with the conference as it stands, and nothing changes.
    The written reports asked for it fall due by the same rule as when it was convened
    (``report_due_on``), so a deadline never lies after the new date. Its guests' grants and its
    delegated minute-takers' grants are re-dated by the rule they were given under
    (``permissions.grants.conference_grants_redate``, audited)."""
    conference = _locked(conference)
    _require_convenor(actor, conference.case)
    now = timezone.now()
    if conference.status != Conference.Status.SCHEDULED:
        raise ValidationError(_("Only a scheduled conference can be moved."))
    if conference.starts_at <= now:
        raise ValidationError(_("A conference that has begun or is past cannot be moved."))
    conflicts.check_version(conference, sequence, field="sequence")
    if starts_at <= now:
        raise ValidationError({"starts_at": _("The new time must lie in the future.")})
    dates.refuse_too_far_ahead(starts_at=starts_at)
    zone = ical.zone_of(conference.case.network)
    starts_at = starts_at.astimezone(dt.timezone.utc)
    ical.check_unambiguous(starts_at, zone, field="starts_at")
    ical.check_unambiguous(starts_at + dt.timedelta(minutes=conference.duration_minutes), zone, field="starts_at")
    old_starts_at = conference.starts_at
    conference.starts_at = starts_at
    conference.ends_at = starts_at + dt.timedelta(minutes=conference.duration_minutes)
    if location is not None:
        conference.location = location.strip()[:200]
    conference.sequence = F("sequence") + 1
    conference.reschedule_count = F("reschedule_count") + 1
    conference.save(update_fields=["starts_at", "ends_at", "location", "sequence", "reschedule_count", "updated_at"])
    conference.refresh_from_db()
    _active_invitations(conference).update(rsvp=Invitation.Rsvp.NEEDS_ACTION, rsvp_at=None)
    due = _reports_follow(conference, conference.starts_at)
    audit.record(actor, action="conference.move", obj=conference, case_id=conference.case_id, channel=channel,
                 detail={"sequence": conference.sequence, "reports_due_on": due.isoformat()})
    grants.conference_grants_redate(actor, conference=conference, old_starts_at=old_starts_at, channel=channel)
    invitations = list(_active_invitations(conference).select_related("user", "family_member__user"))
    _mail(conference, invitations, "REQUEST")
    _announce(actor, conference, invitations, Kind.CONFERENCE_CHANGED)
    return conference


@transaction.atomic
def conference_cancel(actor, *, conference: Conference, channel: str = Channel.PAGE) -> Conference:
    """Cancel a conference that has not begun: STATUS:CANCELLED, SEQUENCE+1, and a METHOD:CANCEL
    with the same UID to every invitee who received a REQUEST. Its guests' grants and the grants
    of its protocol's delegated minute-takers end with it (``permissions.grants.conference_grants_end``,
    audited)."""
    conference = _locked(conference)
    _require_convenor(actor, conference.case)
    if conference.status not in OPEN_STATES:
        raise ValidationError(_("This conference can no longer be cancelled."))
    if conference.starts_at and conference.starts_at <= timezone.now():
        raise ValidationError(_("A conference that has begun or is past cannot be cancelled."))
    was_scheduled = conference.status == Conference.Status.SCHEDULED
    conference.status = Conference.Status.CANCELLED
    conference.sequence = F("sequence") + 1
    conference.save(update_fields=["status", "sequence", "updated_at"])
    conference.refresh_from_db()
    if hasattr(conference, "poll") and conference.poll.closed_at is None:
        conference.poll.closed_at = timezone.now()
        conference.poll.save(update_fields=["closed_at"])
    audit.record(actor, action="conference.cancel", obj=conference, case_id=conference.case_id, channel=channel)
    grants.conference_grants_end(actor, conference=conference, channel=channel)
    invitations = list(_active_invitations(conference).select_related("user", "family_member__user"))
    if was_scheduled:
        _mail(conference, invitations, "CANCEL")
    _announce(actor, conference, invitations, Kind.CONFERENCE_CANCELLED)
    return conference


# Why an invitation cannot be withdrawn, as the apps above see it (``protocols``: open actions
# agreed at the conference that fall to her, which she reads only through her invitation). They
# register in their ``AppConfig.ready``; this app knows no protocol.
_withdrawal_refusals: list[Callable[..., list[str]]] = []


def register_withdrawal_refusal(check: Callable[..., list[str]]) -> None:
    """``check(actor, invitation)`` returns the reasons (translated sentences, told to ``actor``)
    why the invitation may not be withdrawn now."""
    if check not in _withdrawal_refusals:
        _withdrawal_refusals.append(check)


def invitation_remove_refusals(actor, invitation: Invitation) -> list[str]:
    """Why ``invitation`` cannot be withdrawn now ([] while it can): the one rule of the service and
    of the confirmation page that offers (or does not offer) the withdrawal."""
    conference = invitation.conference
    if invitation.removed_at is not None:
        return [_("This invitation was already withdrawn.")]
    if conference.status not in OPEN_STATES:
        return [_("Invitations of this conference can no longer be changed.")]
    return [reason for check in _withdrawal_refusals for reason in check(actor, invitation)]


@transaction.atomic
def invitation_remove(actor, *, invitation: Invitation, channel: str = Channel.PAGE) -> Invitation:
    """Withdraw one invitation; if the conference is scheduled she receives a CANCEL (addressed to
    her alone: her calendar drops the event, the others' copies stay, and its text says that her
    invitation was withdrawn, not that the conference was cancelled).

    Refused (``invitation_remove_refusals``) when it was withdrawn already, the conference is past
    changing, or an app above refuses: a parent responsible for an open action agreed at this
    conference would no longer see it (``protocols``)."""
    conference = _locked(invitation.conference)
    _require_convenor(actor, conference.case)
    invitation = Invitation.objects.select_for_update(of=("self",)).select_related("family_member").get(
        pk=invitation.pk, conference=conference)
    invitation.conference = conference
    refusals = invitation_remove_refusals(actor, invitation)
    if refusals:
        raise ValidationError(refusals)
    _withdraw(invitation, timezone.now())
    if conference.status == Conference.Status.SCHEDULED:
        conference.sequence = F("sequence") + 1
        conference.save(update_fields=["sequence", "updated_at"])
        conference.refresh_from_db()
        _mail(conference, [invitation], "CANCEL")
    audit.record(actor, action="invitation.remove", obj=invitation, case_id=conference.case_id, channel=channel)
    _notify_poll_changed(conference)
    events.access_changed_on_commit([conference.case_id])  # a parent's view hangs on her invitation
    return invitation


def _withdraw(invitation: Invitation, now) -> None:
    """The rows of a withdrawal (``invitation_remove``, ``invitations_withdraw_on_erasure``): the
    invitation ends and so do its poll links."""
    invitation.removed_at = now
    invitation.save(update_fields=["removed_at"])
    PollLink.objects.filter(invitation=invitation, revoked_at__isnull=True).update(revoked_at=now)


def _report_conflict(report: WrittenReport) -> conflicts.EditConflict:
    """``EditConflict`` for a revision based on a version of the report that someone else submitted
    over meanwhile, carrying ``report`` as it now stands; the reason, on the text, names who and when."""
    when = formats.date_format(timezone.localtime(report.submitted_at), "DATETIME_FORMAT") if report.submitted_at else "–"
    return conflicts.EditConflict(report, {"text": _(
        "Meanwhile %(name)s submitted this report (%(when)s). Your text was not saved: compare it with "
        "the report as it stands now, shown above the form, and submit again."
    ) % {"name": report.submitted_by or "–", "when": when}})


_UNCHANGED = object()


@transaction.atomic
def report_submit(actor, *, report: WrittenReport, text: str, shareable_with_parents: bool,
                  audience: str | None = None, restricted_to=None, category: str | None = None,
                  entrusted_by=_UNCHANGED, version: int | None = None, channel: str = Channel.PAGE) -> WrittenReport:
    """A member of the asked organisation on the case team submits (or revises) the written report
    (``conferences.policy.can_submit_report``), while the conference has not begun and was not
    cancelled (``reports_closed_reason``). ``version``: the report's version the text was written
    on (the form sends it); when a colleague of the same organisation submitted in between,
    ``EditConflict`` and nothing changes -- two people revising at once never silently
    overwrite each other. Without ``version`` (a first submission by a script), no such check.

    Who reads it (``audience``; None keeps the stored one, so a form without the field never
    widens a restricted report): the professionals on the case team, or only the organisation
    that writes it and the team organisations it names (``restricted_to``), each of them only
    while a consent or legal basis covers the disclosure of information of ``category``
    (entrusted by ``entrusted_by``, a parent of the case, or by nobody named) to it
    (``conferences.policy``). A restricted report is never shared with the parents. Writing the
    report decides who reads it, so this is its organisation's decision alone.

    Widening a restricted report to the team is a disclosure (§ 65 SGB VIII, the rule of the
    protocol items, ``protocols.services._check_disclosure``): refused at the audience unless a
    valid consent of the person who entrusted it, or a recorded legal basis, covers every other
    organisation on the case team; the report keeps its labels, so each of them reads it only
    while one still does. One that was restricted is shared with the parents only where no other
    family member would read what one person entrusted (``cases_policy.other_parents_would_read``).
    Naming more organisations on a restricted report discloses nothing by itself: each reads it
    only under a consent or legal basis. A relabel (another category or person) keeps the labels
    it had before, which every reader needs to be covered under too.

    Audits ``report.submit``, ``report.audience`` with the former and the new readers when a
    submitted report's audience changes, and ``report.disclose`` under the consents and legal
    bases that cover a widening."""
    report = WrittenReport.objects.select_for_update(of=("self",)).select_related("conference__case", "submitted_by").get(pk=report.pk)
    case = report.conference.case
    if not conferences_policy.can_submit_report(actor, report):
        raise PermissionDenied(_("Only the organisation asked for this report can submit it."))
    closed = reports_closed_reason(report.conference)
    if closed:
        raise ValidationError(closed)
    if version is not None and int(version) != report.version:
        raise _report_conflict(report)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the report.")})
    if len(text) > 10000:
        raise ValidationError({"text": _("Keep the report under 10,000 characters.")})
    before = _report_readers(report) if report.submitted_at else None
    readers = _report_audience(report, shareable_with_parents=bool(shareable_with_parents), audience=audience,
                               restricted_to=restricted_to, category=category, entrusted_by=entrusted_by)
    first = _report_first_labels(report, readers)
    disclosure = _check_report_widening(report, readers, first)
    report.text, report.shareable_with_parents = text, readers["shareable_with_parents"]
    report.audience, report.category, report.entrusted_by_id = readers["audience"], readers["category"], readers["entrusted_by"]
    report.first_category, report.first_entrusted_by_id = first
    report.submitted_by, report.submitted_at = actor, timezone.now()
    report.version += 1
    report.save(update_fields=["text", "shareable_with_parents", "audience", "category", "entrusted_by",
                               "first_category", "first_entrusted_by", "submitted_by", "submitted_at", "version"])
    report.restricted_to.set(readers["restricted_to"])
    audit.record(actor, action="report.submit", obj=report, case_id=case.pk, channel=channel,
                 detail={"shareable_with_parents": report.shareable_with_parents, "audience": report.audience,
                         "restricted_to": readers["restricted_to"], "category": report.category})
    if before is not None and before != readers:
        audit.record(actor, action="report.audience", obj=report, case_id=case.pk, channel=channel,
                     legal_basis="holding-organisation", detail={"from": before, "to": readers})
    if disclosure is not None:
        audit.record(actor, action="report.disclose", obj=report, case_id=case.pk, channel=channel,
                     legal_basis=audit.joined_bases(disclosure.values()) or "holding-organisation",
                     detail={"from": before, "to": readers,
                             "bases": {str(org): basis for org, basis in sorted(disclosure.items())}})
    return report


def _report_first_labels(report: WrittenReport, readers: dict) -> tuple[str, int | None]:
    """(first category, first entrusting person) the report keeps: set once, when a report that
    carries labels (restricted, or widened after it was) gets another category or person, as a
    protocol item keeps them (``protocols.services._first_labels``)."""
    if report.first_category or not report.category:
        return report.first_category, report.first_entrusted_by_id
    if (readers["category"], readers["entrusted_by"]) == (report.category, report.entrusted_by_id):
        return "", None
    return report.category, report.entrusted_by_id


def _check_report_widening(report: WrittenReport, readers: dict, first: tuple[str, int | None]) -> dict[int, str] | None:
    """A restricted report widened to the case team: every other organisation on the team would
    newly read what was entrusted to the report's organisation. Allowed only where a valid consent
    of the person who entrusted it (or a recorded legal basis) from that organisation covers each of
    them, under the labels it will carry and the first ones (``conferences_policy.report_disclosures_covering``,
    the read filter's definition): the rule of the protocol items. Returns the basis per
    organisation for the audit trail, or None when nothing is widened."""
    if report.audience != WrittenReport.Audience.RESTRICTED or readers["audience"] == WrittenReport.Audience.RESTRICTED:
        return None
    team = set(CaseTeamMember.objects.filter(case_id=report.conference.case_id, removed_at__isnull=True)
               .values_list("organisation_id", flat=True)) - {report.organisation_id}
    covering = conferences_policy.report_disclosures_covering(
        report, organisation_ids=team, labels=(readers["entrusted_by"], readers["category"]), first=first)
    uncovered = team - set(covering)
    if uncovered:
        names = ", ".join(Organisation.objects.filter(pk__in=uncovered).order_by("name").values_list("name", flat=True))
        raise ValidationError({"audience": _(
            "No valid consent of the person who entrusted the information, nor a legal basis, covers passing the report "
            "on to: %(names)s. Keep the report restricted to the organisations that may read it, or widen it once a "
            "consent or legal basis covers every organisation on the case team.") % {"names": names}})
    return covering


def _report_readers(report: WrittenReport) -> dict:
    """Who reads the report as it is stored, as the audit trail records it."""
    return {"audience": report.audience, "shareable_with_parents": report.shareable_with_parents,
            "restricted_to": sorted(report.restricted_to.values_list("pk", flat=True)),
            "category": report.category, "entrusted_by": report.entrusted_by_id}


def _report_audience(report: WrittenReport, *, shareable_with_parents: bool, audience: str | None, restricted_to,
                     category: str | None, entrusted_by) -> dict:
    """The readers a submission asks for, checked (field errors, nothing saved on any): named
    organisations on the case team, a category of the fixed list, the person who entrusted it a
    parent of this case, and no parents for a restricted report. What is not given stays as stored."""
    audience = report.audience if audience in (None, "") else audience
    if audience not in WrittenReport.Audience.values:
        raise ValidationError({"audience": _("Choose who may read the report.")})
    if audience != WrittenReport.Audience.RESTRICTED:
        # For the team: one that was restricted keeps its labels (the information is still what was
        # entrusted to its organisation, ``conferences.policy._GOVERNED``); a report for the team
        # names no other ones.
        category, entruster = report.category, report.entrusted_by_id
        if shareable_with_parents and category and cases_policy.other_parents_would_read(
                case_id=report.conference.case_id, entrusted_by_id=entruster, first_category=report.first_category,
                first_entrusted_by_id=report.first_entrusted_by_id):
            raise ValidationError({"shareable_with_parents": _(
                "This report was restricted: shared with the parents, it would be read by family members who did not "
                "entrust its information to your organisation, and no consent can cover that. Untick the box.")})
        return {"audience": audience, "shareable_with_parents": shareable_with_parents, "restricted_to": [],
                "category": category, "entrusted_by": entruster}
    named = (set(report.restricted_to.values_list("pk", flat=True)) if restricted_to is None
             else {getattr(o, "pk", o) for o in restricted_to})
    named.discard(report.organisation_id)  # the organisation that writes it always reads it
    category = report.category if category is None else category
    entruster = report.entrusted_by_id if entrusted_by is _UNCHANGED else getattr(entrusted_by, "pk", entrusted_by)
    errors = {}
    case_id = report.conference.case_id
    team = set(CaseTeamMember.objects.filter(case_id=case_id, removed_at__isnull=True).values_list("organisation_id", flat=True))
    if not named:
        errors["restricted_to"] = _("Name at least one other organisation that may read the report.")
    elif not named <= team:
        errors["restricted_to"] = _("Only organisations on the case team can be named.")
    if not category:
        errors["category"] = _("Choose the information category.")
    elif category not in InformationCategory.values:
        errors["category"] = _("Choose one of the information categories.")
    if entruster is not None and not FamilyMember.objects.filter(
            pk=entruster, case_id=case_id, relation__in=FamilyMember.PARENT_RELATIONS).exists():
        errors["entrusted_by"] = _("The person who entrusted the information must be a parent in this case.")
    if shareable_with_parents:
        errors["shareable_with_parents"] = _("A report restricted to named organisations is not shared with the parents. "
                                             "Choose the professionals on the case team as its readers, or untick the box.")
    if errors:
        raise ValidationError(errors)
    return {"audience": audience, "shareable_with_parents": False, "restricted_to": sorted(named),
            "category": category, "entrusted_by": entruster}


# --- adding an invitee after convening ----------------------------------------------------------

def invitee_candidates(conference: Conference) -> tuple[list[CaseTeamMember], list[FamilyMember]]:
    """Active team rows and adult family members of the case not (or no longer) invited; never a
    family member whose record was erased (``FamilyMember.is_erased``)."""
    active = Invitation.objects.filter(conference=conference, removed_at__isnull=True)
    invited_users = set(active.filter(user__isnull=False).values_list("user_id", flat=True))
    invited_orgs = set(active.filter(user__isnull=True, family_member__isnull=True).values_list("organisation_id", flat=True))
    invited_family = set(active.filter(family_member__isnull=False).values_list("family_member_id", flat=True))
    team = [m for m in CaseTeamMember.objects.filter(case_id=conference.case_id, removed_at__isnull=True)
            .select_related("user", "organisation").order_by("organisation__name", "pk")
            if (m.user_id and m.user_id not in invited_users) or (not m.user_id and m.organisation_id not in invited_orgs)]
    family = list(FamilyMember.objects.filter(case_id=conference.case_id, erased_at__isnull=True).exclude(pk__in=invited_family)
                  .exclude(relation__in=[FamilyMember.Relation.CHILD, FamilyMember.Relation.EXPECTED_CHILD]).order_by("pk"))
    return team, family


@transaction.atomic
def invitation_add(actor, *, conference: Conference, team_member: CaseTeamMember | None = None,
                   family_member: FamilyMember | None = None, required: bool = True,
                   channel: str = Channel.PAGE) -> Invitation:
    """Invite one more person to a conference that is polling or scheduled and has not begun.

    Checks: the actor may convene the case; exactly one invitee, an active team row or an adult
    family member of this case whose record was not erased, not already invited. Sends: while polling, her poll access (the
    poll page, or for a parent without an account a personal poll link, made in the task so the
    secret never sits in the task queue); once scheduled, an iMIP REQUEST with the same UID and
    the current SEQUENCE (the others' copies do not change, so SEQUENCE stays).
    """
    conference = _locked(conference)
    _require_convenor(actor, conference.case)
    if conference.status not in (Conference.Status.POLLING, Conference.Status.SCHEDULED):
        raise ValidationError(_("Invitations of this conference can no longer be changed."))
    if conference.starts_at and conference.starts_at <= timezone.now():
        raise ValidationError(_("A conference that has begun or is past cannot be changed."))
    if (team_member is None) == (family_member is None):
        raise ValidationError({"invitee": _("Choose one person to invite.")})
    if family_member is not None and FamilyMember.objects.filter(pk=family_member.pk, erased_at__isnull=False).exists():
        raise ValidationError({"invitee": _erased_not_invited()})
    team, family = invitee_candidates(conference)
    if team_member is not None:
        member = next((m for m in team if m.pk == team_member.pk), None)
        if member is None:
            raise ValidationError({"invitee": _("Invite a member of this case's team who is not invited yet.")})
        invitation = Invitation.objects.create(conference=conference, user=member.user, organisation=member.organisation,
                                               required=bool(required))
    else:
        person = next((f for f in family if f.pk == family_member.pk), None)
        if person is None:
            raise ValidationError({"invitee": _("Invite an adult of this case's family who is not invited yet.")})
        invitation = Invitation.objects.create(conference=conference, family_member=person, required=bool(required))
    if conference.status == Conference.Status.SCHEDULED:
        withdrawn_before = Invitation.objects.filter(conference=conference, removed_at__isnull=False).filter(
            Q(user_id=invitation.user_id) if invitation.user_id else
            (Q(family_member_id=invitation.family_member_id) if invitation.family_member_id
             else Q(user__isnull=True, family_member__isnull=True, organisation_id=invitation.organisation_id))
        ).exists()
        if withdrawn_before:
            # She holds a CANCEL with the current SEQUENCE: a REQUEST with the same one would be
            # ignored (or lose against the CANCEL), so the re-invitation gets a higher one.
            conference.sequence = F("sequence") + 1
            conference.save(update_fields=["sequence", "updated_at"])
            conference.refresh_from_db()
        _mail(conference, [invitation], "REQUEST")
        _announce(actor, conference, [invitation], Kind.INVITED)
    else:
        jobs.enqueue_on_commit(SEND_POLL_INVITATION, invitation.pk)
        _announce(actor, conference, [invitation], Kind.POLL_OPENED)
        _notify_poll_changed(conference)
    audit.record(actor, action="invitation.add", obj=invitation, case_id=conference.case_id, channel=channel,
                 detail={"required": invitation.required, "status": conference.status})
    events.access_changed_on_commit([conference.case_id])
    return invitation
