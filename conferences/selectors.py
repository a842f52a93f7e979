"""Reads of the scheduling journey, built on ``conferences.policy`` querysets.

``get_<entity>_for_user`` answers 404 for missing and invisible objects alike. Every list costs
a fixed number of queries, whatever the number of rows.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone

from cases import policy as cases_policy
from conferences import policy as conferences_policy
from outbox.models import OutboxMessage
from cases.models import Case, FamilyMember
from participants.models import Organisation
from permissions.audit import record, record_read

from conferences.models import CalendarReply, Conference, Invitation, PollSlot, SlotPoll, SlotVote, WrittenReport


# --- single objects -----------------------------------------------------------------------------

def get_case_for_user(user, pk: int) -> Case:
    case = cases_policy.cases_for_user(user).filter(pk=pk).select_related("network", "lead_organisation").first()
    if case is None:
        raise Http404
    return case


def get_conference_for_user(user, pk: int) -> Conference:
    conference = (
        conferences_policy.conferences_for_user(user).filter(pk=pk)
        .select_related("case__network", "case__lead_organisation", "convenor").first()
    )
    if conference is None:
        raise Http404
    return conference


def get_invitation_for_user(user, conference: Conference, invitation_pk: int) -> Invitation:
    invitation = conference.invitations.filter(pk=invitation_pk).select_related("user", "organisation", "family_member").first()
    if invitation is None:
        raise Http404
    return invitation


def my_invitation(user, conference: Conference) -> Invitation | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        conference.invitations.filter(removed_at__isnull=True)
        .filter(Q(user=user) | Q(family_member__user=user))
        .select_related("organisation", "family_member").first()
    )


def is_team_professional(user, conference: Conference) -> bool:
    return cases_policy.is_professional_on_case(user, conference.case)


# --- conference page ----------------------------------------------------------------------------

def invitee_label(invitation: Invitation) -> str:
    if invitation.family_member_id:
        return str(invitation.family_member)
    if invitation.user_id:
        return f"{invitation.user} ({invitation.organisation})"
    return str(invitation.organisation)


@dataclass
class Quorum:
    organisations: int
    minimum: int

    @property
    def met(self) -> bool:
        return self.organisations >= self.minimum


def quorum_for(conference: Conference) -> Quorum:
    count = (conference.invitations.filter(removed_at__isnull=True, required=True, organisation__isnull=False)
             .values("organisation_id").distinct().count())
    return Quorum(organisations=count, minimum=conference.case.network.quorum_min_organisations)


def invitations_of(conference: Conference) -> list[Invitation]:
    """Active invitations, each marked whether the invitee answered the poll (``voted``) and
    whether she can be reached at all (``reachable``: an account or an e-mail address)."""
    chosen_slot_id = SlotPoll.objects.filter(conference=conference).values("chosen_slot_id")[:1]
    invitations = list(
        conference.invitations.filter(removed_at__isnull=True)
        .annotate(voted=Exists(SlotVote.objects.filter(invitation_id=OuterRef("pk"))),
                  chosen_slot_answer=Subquery(SlotVote.objects.filter(invitation_id=OuterRef("pk"), slot_id=Subquery(chosen_slot_id))
                                              .values("answer")[:1]))
        .select_related("user", "organisation", "family_member__user").order_by("family_member_id", "organisation__name", "pk")
    )
    for invitation in invitations:
        invitation.reachable = is_reachable(invitation)
        # What she said in the date poll about the time that was chosen, for an invitee who has
        # not answered the invitation itself yet (her "yes" in the poll is not "no answer").
        answer = invitation.chosen_slot_answer
        invitation.poll_answer_label = SlotVote.Answer(answer).label if answer in SlotVote.Answer.values else ""
    return invitations


def live_answer_for_viewer(user, *, conference_id: int, invitation_id: int) -> dict | None:
    """What the conference page's invitation table shows ``user`` of one invitation's answer, for
    the live channel: the same gate as the table (a professional on the case team of a conference
    she may see), re-checked now. Raises PermissionDenied when she may not see the table (any
    more); None when the invitation is not (or no longer) in the table."""
    conference = conferences_policy.conferences_for_user(user).filter(pk=conference_id).select_related("case").first()
    if conference is None or not cases_policy.is_professional_on_case(user, conference.case):
        raise PermissionDenied
    row = (conference.invitations.filter(pk=invitation_id, removed_at__isnull=True)
           .values("pk", "rsvp", "rsvp_comment", "required").first())
    if row is None:
        return None
    return {"invitation": row["pk"], "rsvp": row["rsvp"], "comment": row["rsvp_comment"], "required": row["required"]}


def is_reachable(invitation: Invitation) -> bool:
    """Whether anything we send reaches her: an account (notifications) or an e-mail address."""
    if invitation.family_member_id:
        member = invitation.family_member
        return bool(member.user_id or member.email)
    if invitation.user_id:
        return True
    return bool(invitation.organisation_id and invitation.organisation.email)


def counter_proposals(user, conference: Conference) -> list[CalendarReply]:
    """Other times invitees proposed from their calendars (iMIP COUNTER), for the convenor
    only: still in the future, from active invitations, about the conference's current time
    (SEQUENCE), and only each invitee's newest proposal (by DTSTAMP, then arrival)."""
    if conference.status != Conference.Status.SCHEDULED or not cases_policy.can_convene(user, conference.case):
        return []
    current = CalendarReply.objects.filter(outcome=CalendarReply.Outcome.COUNTER, sequence=conference.sequence)
    newest = (current.filter(invitation=OuterRef("invitation"))
              .order_by(F("stamp").desc(nulls_last=True), "-received_at", "-pk").values("pk")[:1])
    return list(
        current.filter(
            invitation__conference=conference, invitation__removed_at__isnull=True, pk=Subquery(newest),
            proposed_starts_at__gt=timezone.now(), dismissed_at__isnull=True,
        ).select_related("invitation__user", "invitation__organisation", "invitation__family_member").order_by("received_at")
    )


def _visible_reports(user, conference: Conference) -> tuple[QuerySet, set[int]]:
    """The conference's reports the user may read (``conferences.policy.reports_for_user``: the
    audience each report's organisation chose, consent and legal bases read now), and the
    organisations whose reports she may submit (``conferences.policy.report_organisation_ids``)."""
    qs = (conferences_policy.reports_for_user(user).filter(conference=conference)
          .select_related("organisation", "submitted_by").order_by("organisation__name"))
    if is_team_professional(user, conference):
        return qs, conferences_policy.report_organisation_ids(user, conference)
    # "Shareable with the parents" is what its author agreed to: the parents of the case, not a
    # guest invited to this one conference (an interpreter, a school social worker), who reads the
    # conference page too. The policy lets a parent read only those (never a restricted one).
    return qs, set()


def reports_for_user(user, conference: Conference) -> list[WrittenReport]:
    """Professionals on the team see the reports for the team and those restricted to an
    organisation she may read them for; parents only submitted ones shared with them; guests none.
    Each report carries ``is_own``: her organisation was asked for it, so she may submit it."""
    qs, own = _visible_reports(user, conference)
    reports = list(qs)
    for report in reports:
        report.is_own = report.organisation_id in own
    return reports


def get_report_for_user(user, conference: Conference, report_pk: int) -> WrittenReport:
    """One report for the report page, which serves the case team only (parents read what is
    shared with them on the conference page): 404 for anyone else, for a missing report and for
    one she may not read (restricted, and no consent or legal basis covers it for her)."""
    if not is_team_professional(user, conference):
        raise Http404
    qs, own = _visible_reports(user, conference)
    report = qs.filter(pk=report_pk).first()
    if report is None:
        raise Http404
    report.is_own = report.organisation_id in own
    return report


def audit_reports_read(user, reports, *, case_id: int, channel: str) -> None:
    """One audit event for the submitted reports of one case whose text ``user`` just received (the
    conference page, the protocol page), naming their ids and the legal basis each was read under
    (``conferences.policy.report_bases``). Reports not submitted yet disclose nothing."""
    shown = [r for r in reports if r.submitted_at]
    if not shown:
        return
    record_read(user, action="report.list", object_type="conferences.writtenreport",
                rows=[(r.pk, case_id) for r in shown],
                bases=conferences_policy.report_bases(user, shown), channel=channel)


def audit_report_read(user, report: WrittenReport, *, case_id: int, channel: str) -> None:
    """The report page's read of one report, under the basis she reads it under (as above)."""
    record(user, action="report.read", obj=report, case_id=case_id, channel=channel,
           legal_basis=conferences_policy.report_bases(user, [report])[report.pk])


def report_readers(report: WrittenReport) -> "ReportReaders":
    """Who reads ``report`` as it is stored, for its author: the whole team (and the parents where
    shared), or its own organisation and, of those it names, which a consent or legal basis covers
    now and which it does not (they read it only once one does). Two queries."""
    case = report.conference.case
    if not report.is_restricted:
        team = list(Organisation.objects.filter(
            pk__in=case.team.filter(removed_at__isnull=True).values("organisation_id")).order_by("name"))
        if not report.is_governed:
            return ReportReaders(restricted=False, team=team, parents=report.shareable_with_parents)
        # Widened to the team after it was restricted: each other organisation of the team reads it
        # only while a consent or legal basis covers it (``conferences.policy._GOVERNED``).
        others = [o for o in team if o.pk != report.organisation_id]
        covering = conferences_policy.report_disclosures_covering(report, organisation_ids={o.pk for o in others})
        return ReportReaders(restricted=False, team=team, parents=report.shareable_with_parents, governed=True,
                             covered=[o for o in others if o.pk in covering],
                             uncovered=[o for o in others if o.pk not in covering])
    named = list(report.restricted_to.exclude(pk=report.organisation_id).order_by("name"))
    covering = conferences_policy.report_disclosures_covering(report, organisation_ids={o.pk for o in named})
    return ReportReaders(restricted=True, covered=[o for o in named if o.pk in covering],
                         uncovered=[o for o in named if o.pk not in covering])


@dataclass
class ReportReaders:
    restricted: bool
    team: list = field(default_factory=list)        # the team's organisations (a report for the team)
    parents: bool = False                           # shared with the parents
    covered: list = field(default_factory=list)     # named, and a consent or legal basis covers it now
    uncovered: list = field(default_factory=list)   # named, but nothing covers it now: they do not read it
    governed: bool = False                          # for the team, after it was restricted: read under consent only


# --- the poll grid ------------------------------------------------------------------------------

@dataclass
class SlotRow:
    slot: PollSlot
    cells: list[str] = field(default_factory=list)
    yes: int = 0
    if_need_be: int = 0
    no: int = 0
    required_no: int = 0  # required invitees who answered "no"
    all_required_can: bool = True
    rank: int = 0


@dataclass
class PollGrid:
    invitations: list[Invitation]
    rows: list[SlotRow]            # in time order
    ranking: list[SlotRow]         # best first

    @property
    def answered(self) -> int:
        return sum(1 for i, inv in enumerate(self.invitations) if any(r.cells[i] for r in self.rows))


def rank_key(row: SlotRow):
    """All required invitees can come first; then fewest required invitees who cannot ("no"),
    most "yes", fewest "no", fewest "if need be": a time someone said "no" to never ranks above
    one she could manage "if need be" at the same count of "yes" (fifth newcomer walk)."""
    return (not row.all_required_can, row.required_no, -row.yes, row.no, row.if_need_be, row.slot.starts_at)


def poll_grid(conference: Conference, *, only_invitation: Invitation | None = None) -> PollGrid:
    """Slots × invitees with answers and the ranking. Three queries, whatever the size."""
    invitations = invitations_of(conference) if only_invitation is None else [only_invitation]
    all_invitations = invitations if only_invitation is None else invitations_of(conference)
    slots = list(PollSlot.objects.filter(poll__conference=conference).order_by("starts_at"))
    votes = {(v.slot_id, v.invitation_id): v.answer for v in SlotVote.objects.filter(
        slot__poll__conference=conference, invitation__removed_at__isnull=True)}
    rows = []
    for slot in slots:
        row = SlotRow(slot=slot)
        for inv in all_invitations:
            answer = votes.get((slot.pk, inv.pk), "")
            if answer == SlotVote.Answer.YES:
                row.yes += 1
            elif answer == SlotVote.Answer.IF_NEED_BE:
                row.if_need_be += 1
            elif answer == SlotVote.Answer.NO:
                row.no += 1
                row.required_no += inv.required
            if inv.required and answer not in (SlotVote.Answer.YES, SlotVote.Answer.IF_NEED_BE):
                row.all_required_can = False
        row.cells = [votes.get((slot.pk, inv.pk), "") for inv in invitations]
        rows.append(row)
    ranking = sorted(rows, key=rank_key)
    for position, row in enumerate(ranking, start=1):
        row.rank = position
    return PollGrid(invitations=invitations, rows=rows, ranking=ranking)


def my_answers(invitation: Invitation) -> dict[int, str]:
    return dict(SlotVote.objects.filter(invitation=invitation).values_list("slot_id", "answer"))


def parent_case_family(user) -> QuerySet[FamilyMember]:
    return FamilyMember.objects.filter(user=user)


def latest(*values: dt.datetime | None) -> dt.datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def quorum_for_slot(conference: Conference, slot: PollSlot) -> Quorum:
    """Organisations among the required invitees that answered yes or "if need be" for ``slot``
    (one query): the quorum re-checked when the convenor picks a time."""
    count = (SlotVote.objects.filter(
        slot=slot, invitation__conference=conference, invitation__removed_at__isnull=True, invitation__required=True,
        invitation__organisation__isnull=False, answer__in=[SlotVote.Answer.YES, SlotVote.Answer.IF_NEED_BE],
    ).values("invitation__organisation_id").distinct().count())
    return Quorum(organisations=count, minimum=conference.case.network.quorum_min_organisations)


class AnswersWaiting(NamedTuple):
    polls: list[Conference]        # open date polls she is invited to and has not answered
    invitations: list[Conference]  # scheduled conferences whose invitation she has not answered
    reports: list[WrittenReport]   # written reports asked of her organisation, not submitted


def answers_waiting_for(user, *, limit: int = 20, reports: bool = True) -> AnswersWaiting:
    """For a dashboard: what waits for ``user``'s answer. The open date polls she is invited to
    (as a professional, or as a parent with an account) and has not answered; the scheduled
    conferences ahead whose invitation she has not answered yet ("no answer yet"), except those
    she convenes herself; and, with ``reports``, the written reports asked of her organisation that
    are not submitted yet (conference still ahead). Two queries (one without ``reports``)."""
    now = timezone.now()
    own = Q(user=user) | Q(family_member__user=user)
    mine = Invitation.objects.filter(own, conference_id=OuterRef("pk"), removed_at__isnull=True)
    voted = SlotVote.objects.filter(Q(invitation__user=user) | Q(invitation__family_member__user=user),
                                    invitation__conference_id=OuterRef("pk"), invitation__removed_at__isnull=True)
    open_poll = (Q(status=Conference.Status.POLLING, poll__closed_at__isnull=True)
                 & (Q(poll__closes_at__isnull=True) | Q(poll__closes_at__gt=now)) & Q(Exists(mine)) & ~Q(Exists(voted)))
    unanswered = (Q(status=Conference.Status.SCHEDULED, starts_at__gt=now) & ~Q(convenor=user)
                  & Q(Exists(mine.filter(rsvp=Invitation.Rsvp.NEEDS_ACTION))))
    # One query for both, at most ``limit`` of each kind (numbered within its kind, so that many
    # open polls never crowd out the invitations): polls by the soonest deadline, invitations by
    # the soonest conference.
    soonest = [F("starts_at").asc(nulls_last=True), F("poll__closes_at").asc(nulls_last=True), F("pk").asc()]
    waiting = list(
        conferences_policy.conferences_for_user(user).filter(open_poll | unanswered)
        .annotate(place=Window(RowNumber(), partition_by=[F("status")], order_by=soonest))
        .filter(place__lte=limit)
        .select_related("case", "poll").order_by(*soonest)
    )
    polls = [c for c in waiting if c.status == Conference.Status.POLLING]
    invitations = [c for c in waiting if c.status == Conference.Status.SCHEDULED]
    if not reports:
        return AnswersWaiting(polls, invitations, [])
    # The reports she may submit (``conferences.policy.report_organisation_ids``): asked of an
    # organisation for which she is on the case team, while reports are still open.
    on_the_team_for_it = cases_policy.team_rows_of(user).filter(
        case_id=OuterRef("conference__case_id"), organisation_id=OuterRef("organisation_id"))
    open_reports = list(
        WrittenReport.objects.filter(
            Exists(on_the_team_for_it), submitted_at__isnull=True,
            conference__status__in=[Conference.Status.POLLING, Conference.Status.SCHEDULED],
        ).exclude(conference__starts_at__lte=now)
        .select_related("conference__case", "organisation").order_by("due_on", "pk")[:limit]
    )
    today = timezone.localdate()
    for report in open_reports:
        report.overdue = report.due_on < today
    return AnswersWaiting(polls, invitations, open_reports)


# --- outgoing e-mail ----------------------------------------------------------------------------

def outbox_of(conference: Conference) -> list:
    """The e-mails of this conference still waiting or failed, then the latest sent ones (the
    caller checked that the user convenes it). Addresses only; the message itself is not shown."""
    rows = OutboxMessage.objects.filter(conference=conference).defer("raw")
    open_rows = list(rows.exclude(status=OutboxMessage.Status.SENT).order_by("created_at", "pk"))
    sent = list(rows.filter(status=OutboxMessage.Status.SENT).order_by("-sent_at", "-pk")[:50])
    return open_rows + sent


def outbox_open_count(conference: Conference) -> dict[str, int]:
    counts = (OutboxMessage.objects.filter(conference=conference).exclude(status=OutboxMessage.Status.SENT)
              .values("status").annotate(n=Count("pk")))
    return {row["status"]: row["n"] for row in counts}
