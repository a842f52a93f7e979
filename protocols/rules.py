"""When a protocol may be opened, released and finalised, and who decides a correction.

Pure reads: the services enforce these rules and the pages show them beforehand, so that a
button is only offered when it will work and every refusal names why and what to do next.

- **Open**: from one hour before the conference starts (the convenor sets up the agenda while
  people arrive), for a scheduled or held conference; never for one weeks ahead.
- **Release**: once the conference is over (its end time has passed, or the convenor recorded
  the attendance, which marks it held).
- **Finalise**: after the correction window (``corrections_until``, working days after the
  release). Earlier only with an explicit confirmation, which the audit trail records.
- **Corrections**: on an item that carries the information of a holding organisation (restricted
  to named organisations, or widened after it was), that organisation decides (it knows what was
  entrusted, and the convenor may not be allowed to read it); on an item that is not restricted
  (never restricted, or widened) the convenor decides as well, where she reads it. So every
  proposal has a decider who reads the item. Undecided corrections on items the convenor cannot
  read never block her for good: once the window has ended she may finalise with an explicit
  confirmation, and those proposals are closed as "not decided in time".
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _, ngettext

from cases import policy as cases_policy
from cases.models import CaseTeamMember
from conferences.models import Conference
from participants import working_days
from participants.models import Membership, User
from protocols import policy as protocols_policy
from protocols.models import Audience, CorrectionProposal, Protocol


def conference_day(protocol: Protocol) -> dt.date:
    starts = protocol.conference.starts_at
    return timezone.localdate(starts) if starts else timezone.localdate(protocol.created_at)


def draft_release_due_on(protocol: Protocol) -> dt.date:
    """The last day to release the draft: the network's working days after the conference."""
    network = protocol.conference.case.network
    return working_days.add_working_days(conference_day(protocol), network.draft_release_working_days, network=network)


OPEN_BEFORE_START = dt.timedelta(hours=1)


def _zone(conference: Conference):
    try:
        return zoneinfo.ZoneInfo(conference.case.network.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_current_timezone()


def _when(conference: Conference, value: dt.datetime) -> str:
    return formats.date_format(timezone.localtime(value, _zone(conference)), "DATETIME_FORMAT")


def _day(value: dt.date) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def protocol_opens_at(conference: Conference) -> dt.datetime | None:
    return conference.starts_at - OPEN_BEFORE_START if conference.starts_at else None


def open_refusal(conference: Conference, *, now: dt.datetime | None = None) -> str | None:
    """Why the protocol of ``conference`` cannot be opened now (None: it can)."""
    now = now or timezone.now()
    if conference.status not in (Conference.Status.SCHEDULED, Conference.Status.HELD):
        return _("A protocol can only be opened for a scheduled or held conference. Fix the date first (date poll or move).")
    opens = protocol_opens_at(conference)
    if opens is not None and now < opens:
        return _("The protocol opens one hour before the conference, from %(when)s. Come back then; "
                 "until then you can prepare the conference on its page.") % {"when": _when(conference, opens)}
    return None


def conference_is_over(conference: Conference, *, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    if conference.status in (Conference.Status.HELD, Conference.Status.PROTOCOL_FINAL):
        return True
    return conference.ends_at is not None and conference.ends_at <= now


def conference_has_begun(conference: Conference, *, now: dt.datetime | None = None) -> bool:
    if conference.status in (Conference.Status.HELD, Conference.Status.PROTOCOL_FINAL):
        return True
    return conference.starts_at is not None and conference.starts_at <= (now or timezone.now())


def attendance_open(protocol: Protocol, *, now: dt.datetime | None = None) -> bool:
    """Attendance is recorded from the conference's start until the protocol is final."""
    conference = protocol.conference
    return conference.starts_at is not None and conference.starts_at <= (now or timezone.now()) and not protocol.is_final


def release_refusal(protocol: Protocol, *, now: dt.datetime | None = None) -> str | None:
    """Why the draft cannot be released now (None: it can)."""
    if protocol.status != Protocol.Status.DRAFT:
        return _("The draft has already been released.")
    conference = protocol.conference
    if not conference_has_begun(conference, now=now):
        # "Record attendance" is offered only from the start (``attendance_open``): no pointer to it yet.
        return _("The conference has not begun yet (it starts %(when)s). Release the draft after the "
                 "conference.") % {"when": _when(conference, conference.starts_at)}
    if not conference_is_over(conference, now=now):
        return _("The conference is not over yet (it ends %(when)s). Release the draft after the conference – "
                 "or, if it ended early, record the attendance first.") % {"when": _when(conference, conference.ends_at)}
    return None


def finalising_early(protocol: Protocol, *, today: dt.date | None = None) -> bool:
    """True while participants may still propose corrections."""
    today = today or timezone.localdate()
    return bool(protocol.corrections_until and today <= protocol.corrections_until)


# Who decides a correction: on an item that carries a holder (restricted to named organisations,
# or widened after it was), the holding organisation (its people on the case team for it: it knows
# what was entrusted, and the convenor may not be allowed to read it); on an item that is not
# restricted (never restricted, or widened), the convenor. A widened item is decided by both: the
# convenor where she reads it, and always by its holder, who reads it by holding it - otherwise a
# proposal on an item widened to organisations that exclude hers, or one whose consent to her
# organisation was revoked, had nobody who could decide it. Either way only someone who reads the
# item. ONE rule (``_decides``, on ``_HOLDER_DECIDES`` and ``_CONVENOR_DECIDES``) for the service
# (``can_decide_correction``), the protocol page (``decidable_pending``,
# ``selectors.corrections_for_decider``) and the overview's counts (``pending_counts``), so that a
# page never offers a decision the service refuses.
_HOLDER_DECIDES = Q(item__holding_organisation__isnull=False)
_CONVENOR_DECIDES = ~Q(item__audience=Audience.RESTRICTED)


def holder_decides(item) -> bool:
    """``_HOLDER_DECIDES`` for one item already read (who is told of a proposal, and who may amend)."""
    return item.holding_organisation_id is not None


def convenor_decides(item) -> bool:
    """``_CONVENOR_DECIDES`` for one item already read."""
    return item.audience != Audience.RESTRICTED


def _decides(user, *, convened_case_ids) -> "Q":
    """On a CorrectionProposal: ``user`` decides it, by ``_HOLDER_DECIDES`` / ``_CONVENOR_DECIDES``:
    on the case team FOR its item's holding organisation (not merely working for it as well), or,
    in the cases she convenes (``convened_case_ids``), for an item that is not restricted. Whether
    she reads the item is asked beside it."""
    on_team_for_holder = Exists(cases_policy.team_rows_of(user).filter(
        case_id=OuterRef("item__protocol__conference__case_id"), organisation_id=OuterRef("item__holding_organisation_id")))
    return (Q(_HOLDER_DECIDES & Q(on_team_for_holder))
            | Q(_CONVENOR_DECIDES & Q(item__protocol__conference__case_id__in=list(convened_case_ids))))


def _decider_name(row: dict) -> str:
    """Who to name for a proposal someone else decides: the holding organisation where the item
    carries one (it always reads it), else the convenor."""
    return row["item__holding_organisation__name"] or _("the convenor")


def proposals_decided_by(user, protocol: Protocol):
    """The proposals on ``protocol``, of any status, that ``user`` decides (or decided, or would
    have): on items she reads, by ``_decides``. A queryset; one query."""
    case = protocol.conference.case
    if not cases_policy.is_professional_on_case(user, case):
        return CorrectionProposal.objects.none()
    visible = protocols_policy.protocol_items_for_user(user).filter(protocol=protocol).values("pk")
    convened = [case.pk] if cases_policy.can_convene(user, case) else []
    return CorrectionProposal.objects.filter(item__protocol=protocol, item_id__in=visible).filter(
        _decides(user, convened_case_ids=convened))


def can_decide_correction(user, proposal: CorrectionProposal) -> bool:
    """The organisation holding the item's information decides on it (its professionals on the case
    team); the convenor decides on every item that is not restricted. Either way only someone who
    can read the item (``proposals_decided_by``: the page's rule)."""
    return proposals_decided_by(user, proposal.item.protocol).filter(pk=proposal.pk).exists()


@dataclass
class PendingElsewhere:
    organisation: str
    count: int


def pending_for_others(user, protocol: Protocol) -> list[PendingElsewhere]:
    """Pending proposals on ``protocol`` that ``user`` does not decide, per deciding organisation –
    counts only, never the item or the text (one query)."""
    mine = decidable_pending(user, protocol).values("pk")
    rows = (
        CorrectionProposal.objects.filter(item__protocol=protocol, status=CorrectionProposal.Status.PENDING)
        .exclude(pk__in=mine)
        .values("item__holding_organisation__name")
        .annotate(n=Count("pk"))
        .order_by("item__holding_organisation__name")
    )
    result = []
    for row in rows:
        result.append(PendingElsewhere(organisation=_decider_name(row), count=row["n"]))
    return result


def decidable_pending(user, protocol: Protocol):
    """Pending proposals on ``protocol`` that ``user`` decides (a queryset; one query)."""
    return proposals_decided_by(user, protocol).filter(status=CorrectionProposal.Status.PENDING)


def finalise_refusal(user, protocol: Protocol, *, confirm_early: bool, today: dt.date | None = None) -> tuple[str, str] | None:
    """Why ``user`` cannot finalise now, as (code, message); None when she can.

    Codes: ``not_released``, ``decide`` (she must decide pending corrections herself),
    ``others_pending`` (others must decide, the window still runs), ``confirm`` (an explicit
    confirmation is needed: the window still runs, or undecided corrections of others will lapse).
    """
    if protocol.status != Protocol.Status.RELEASED:
        return finalise_refusal_from(protocol, own=0, others=[], confirm_early=confirm_early, today=today)
    own = decidable_pending(user, protocol).count()
    others = pending_for_others(user, protocol) if not own else []
    return finalise_refusal_from(protocol, own=own, others=others, confirm_early=confirm_early, today=today)


def finalise_refusal_from(protocol: Protocol, *, own: int, others: list[PendingElsewhere], confirm_early: bool,
                          today: dt.date | None = None) -> tuple[str, str] | None:
    """``finalise_refusal`` from counts already read: ``own`` pending proposals she decides,
    ``others`` those that others decide (``pending_for_others``). No query."""
    today = today or timezone.localdate()
    if protocol.status != Protocol.Status.RELEASED:
        return "not_released", _("Release the draft to the participants before finalising.")
    if own:
        return "decide", ngettext(
            "%(n)s correction proposal awaits your decision: decide it first, under “Correction proposals”.",
            "%(n)s correction proposals await your decision: decide them first, under “Correction proposals”.",
            own,
        ) % {"n": own}
    early = finalising_early(protocol, today=today)
    if others and early:
        where = ", ".join(f"{p.organisation} ({p.count})" for p in others)
        return "others_pending", _(
            "Corrections on items you cannot read await a decision by: %(where)s. They have been told. "
            "Finalise once they have decided – or after the correction window ends on %(until)s."
        ) % {"where": where, "until": _day(protocol.corrections_until)}
    if confirm_early:
        return None
    if others:
        lapsing = sum(p.count for p in others)
        return "confirm", ngettext(
            "The correction window has ended, but %(n)s correction on an item you cannot read is still undecided. "
            "Confirm to finalise anyway: it is then closed as not decided in time, and the organisation "
            "holding the information can add an amendment.",
            "The correction window has ended, but %(n)s corrections on items you cannot read are still undecided. "
            "Confirm to finalise anyway: they are then closed as not decided in time, and the organisation "
            "holding the information can add an amendment.",
            lapsing,
        ) % {"n": lapsing}
    if early:
        return "confirm", _(
            "The correction window runs until %(until)s: participants may still propose corrections. "
            "Confirm that you end the correction window early and finalise now."
        ) % {"until": _day(protocol.corrections_until)}
    return None


def pending_counts(user, protocols, *, team_case_ids, convened_case_ids) -> tuple[dict[int, int], dict[int, list[PendingElsewhere]]]:
    """For many released protocols at once: per protocol, how many pending proposals ``user``
    decides, and those others decide per deciding organisation (counts only, never content).
    ``team_case_ids`` / ``convened_case_ids``: the cases she is on the team of / convenes, already
    read. Two queries, whatever the number of protocols."""
    ids = [p.pk for p in protocols]
    if not ids:
        return {}, {}
    pending = CorrectionProposal.objects.filter(item__protocol_id__in=ids, status=CorrectionProposal.Status.PENDING)
    visible = protocols_policy.protocol_items_for_user(user).filter(protocol_id__in=ids).values("pk")
    mine = (pending.filter(item_id__in=visible, item__protocol__conference__case_id__in=list(team_case_ids))
            .filter(_decides(user, convened_case_ids=convened_case_ids)))
    own = {row["item__protocol_id"]: row["n"] for row in mine.values("item__protocol_id").annotate(n=Count("pk")).order_by()}
    others: dict[int, list[PendingElsewhere]] = {}
    rows = (pending.exclude(pk__in=mine.values("pk"))
            .values("item__protocol_id", "item__holding_organisation__name")
            .annotate(n=Count("pk")).order_by("item__protocol_id", "item__holding_organisation__name"))
    for row in rows:
        others.setdefault(row["item__protocol_id"], []).append(PendingElsewhere(organisation=_decider_name(row), count=row["n"]))
    return own, others


def _convenors_deciding(proposal: CorrectionProposal) -> list:
    """The convenors (lead caseworker and the conference's convenor) who decide ``proposal``: on an
    item that is not restricted, where they read it."""
    item = proposal.item
    if not convenor_decides(item):
        return []
    case = item.protocol.conference.case
    convenors = User.objects.filter(pk__in=[case.lead_caseworker_id, item.protocol.conference.convenor_id])
    return [user for user in convenors.order_by("pk") if can_decide_correction(user, proposal)]


def holder_is_told(proposal: CorrectionProposal) -> bool:
    """Whether the holding organisation, not the convenor, is told of ``proposal`` and decides it:
    on a restricted item, and on a widened one that no convenor reads."""
    return holder_decides(proposal.item) and not _convenors_deciding(proposal)


def correction_deciders(proposal: CorrectionProposal) -> list:
    """The people who are told of ``proposal`` (the notification): the convenors, where they decide
    it (``_convenors_deciding``); else the professionals of the holding organisation on the case
    team (``holder_is_told``). Each is checked against ``can_decide_correction``."""
    item = proposal.item
    convenors = _convenors_deciding(proposal)
    if convenors or not holder_decides(item):
        return convenors
    case = item.protocol.conference.case
    team = CaseTeamMember.objects.filter(case=case, organisation_id=item.holding_organisation_id, removed_at__isnull=True)
    if team.filter(user__isnull=True).exists():
        candidates = User.objects.filter(pk__in=Membership.objects.filter(
            organisation_id=item.holding_organisation_id, is_active=True).values("user_id"))
    else:
        candidates = User.objects.filter(pk__in=team.values("user_id"))
    return [user for user in candidates.order_by("pk")[:50] if can_decide_correction(user, proposal)]
