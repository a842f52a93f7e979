"""Writes for calendar answers that arrive by e-mail (iMIP REPLY / COUNTER).

``calendar_reply_receive`` is the one entry point for both mail commands (``receive_mail`` for
an MTA pipe, ``fetch_mail`` for an IMAP mailbox). A REPLY changes an invitation's answer only
through ``services._rsvp_apply`` — the function behind the web and API answer, with the same
audit event and live update — and only when every one of these holds:

- the address it was sent to carries a valid signed tag for exactly this invitation,
- the event's UID is that invitation's conference,
- the invitee's own address is an ATTENDEE of the answer and is its From: address,
- the invitation is active, the conference scheduled, and the answer is to its current version
  (SEQUENCE: not older than the conference's current one or the last one queued or sent to her,
  nor newer than the conference's) and not older than her last answer to that version (DTSTAMP,
  which may not lie more than a day in the future).

An answer Outlook or Exchange sent as TNEF (``winmail.dat``, read by ``mailgate``/``tnef``) meets
the same checks, with what TNEF carries: its send time stands for DTSTAMP, and the meeting time it
names must be the conference's current one; when it names no SEQUENCE, that time alone tells the
version (it is then taken as the conference's current SEQUENCE).

The cheap checks come first (``mailgate.read_message``): mail without a valid tag in its
recipient headers, with a sender that is not the tagged invitee, or too large, is refused from
its header, without its calendar part being parsed. Refusals that name no invitation (junk,
untagged mail) get no ``CalendarReply`` row; a caller that reads many messages in one run passes
a ``RefusalTally`` and writes one audit event for all of them (``calendar_refusals_record``).
A COUNTER is kept only for the current version, and the convenor sees each invitee's newest.

Anything else is refused: logged and audited with a reason code, nothing changed, no e-mail
sent back (a bounce would quote the message, and a forged sender would receive it). A
COUNTER is kept as a suggestion for the convenor and never applied.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from permissions import audit

from . import imip, mail_quarantine, mailgate
from conferences.models import CalendarReply, Conference, Invitation
from .services import _rsvp_apply

logger = logging.getLogger(__name__)
GATEWAY = "mail-gateway"


@dataclass(frozen=True)
class ReplyOutcome:
    outcome: str          # CalendarReply.Outcome value, or "duplicate"
    reason: str = ""
    invitation_id: int | None = None


@dataclass
class RefusalTally:
    """Refusals that name no invitation, counted over one run instead of one audit event each."""
    reasons: Counter = field(default_factory=Counter)


def _current_sequence(invitation: Invitation) -> int:
    """The version of the conference an answer must be to: the conference's current SEQUENCE,
    or the one last queued or sent to her if that is later (it never is, but is not trusted)."""
    return max(invitation.conference.sequence, invitation.sequence_queued or 0, invitation.sequence_sent or 0)


def _admit(invitation_id: int, sender: str) -> mailgate.Admission:
    """The cheap check before the calendar part is parsed: the tagged invitation exists and the
    From: address is its invitee's (``_judge`` checks again, with the lock, after parsing)."""
    invitation = (Invitation.objects.select_related("conference__case__network", "user", "organisation", "family_member__user")
                  .filter(pk=invitation_id).first())
    if invitation is None:
        return mailgate.Admission("token_mismatch")
    address = (imip.recipient_address(invitation) or "").strip().lower()
    if not address or sender != address:
        return mailgate.Admission("sender_mismatch")
    return mailgate.Admission("", invitation.conference.case.network.time_zone, invitation.conference_id)


def _judge(answer: mailgate.CalendarAnswer) -> tuple[str, Invitation | None]:
    """A refusal reason ("" when the answer may be applied) and the invitation it concerns."""
    invitation = (Invitation.objects.select_for_update(of=("self",))
                  .select_related("conference__case", "user", "organisation", "family_member__user")
                  .filter(pk=answer.invitation_id).first())
    if invitation is None or invitation.conference_id != answer.conference_id:
        return "token_mismatch", None
    address = (imip.recipient_address(invitation) or "").strip().lower()
    if not address or address not in answer.attendees:
        return "attendee_mismatch", invitation
    if answer.sender != address:
        return "sender_mismatch", invitation
    if invitation.removed_at is not None:
        return "withdrawn", invitation
    conference = invitation.conference
    if conference.status != Conference.Status.SCHEDULED:
        return "not_scheduled", invitation
    # A move raises the conference's SEQUENCE at once; the new REQUEST is sent later by the
    # worker. An answer to the old time is stale from the moment of the move.
    if answer.sequence is not None and answer.sequence < _current_sequence(invitation):
        return "stale_sequence", invitation
    if answer.sequence is not None and answer.sequence > conference.sequence:  # a version that was never sent
        return "unknown_sequence", invitation
    if answer.meeting_start is not None and (answer.meeting_start != conference.starts_at or (
            answer.meeting_end is not None and answer.meeting_end != conference.ends_at)):
        return "stale_time", invitation
    if answer.method == "COUNTER":
        if answer.proposed_start is None or answer.proposed_start <= timezone.now():
            return "malformed_counter", invitation
        return "", invitation
    if answer.partstat not in mailgate.PARTSTATS:
        return "unsupported_partstat", invitation
    if answer.stamp is not None:
        # Stamps are compared only among answers to the same version: a clock that was wrong
        # for one answer cannot lock out the answers to the next version.
        newest = (CalendarReply.objects.filter(invitation=invitation, outcome=CalendarReply.Outcome.APPLIED,
                                               sequence=_version(answer, invitation))
                  .aggregate(newest=Max("stamp"))["newest"])
        if (invitation.rsvp_at and answer.stamp < invitation.rsvp_at.replace(microsecond=0)) or (newest and answer.stamp <= newest):
            return "stale_reply", invitation
    return "", invitation


def _version(answer: mailgate.CalendarAnswer, invitation: Invitation) -> int:
    """The SEQUENCE the answer is to: its own, or (a TNEF answer without one, whose meeting time
    ``_judge`` found current) the conference's."""
    return answer.sequence if answer.sequence is not None else invitation.conference.sequence


def _refuse(row: CalendarReply, reason: str, *, invitation: Invitation | None, source: str) -> ReplyOutcome:
    row.outcome, row.reason, row.invitation = CalendarReply.Outcome.REFUSED, reason, invitation
    row.save(update_fields=["outcome", "reason", "invitation"])
    audit.record(GATEWAY, action="calendar_reply.refused", obj=invitation, case_id=invitation.conference.case_id if invitation else None,
                 channel=audit.Channel.EMAIL, detail={"reason": reason, "source": source})
    logger.info("Calendar reply %s refused: %s", row.message_digest[:12], reason)
    return ReplyOutcome(CalendarReply.Outcome.REFUSED, reason, invitation.pk if invitation else None)


def _refuse_unattributed(refusal: mailgate.Refusal, *, source: str, tally: RefusalTally | None) -> ReplyOutcome:
    """A refusal that names no invitation: no row (refusing it again changes nothing either);
    one audit event now, or a count in the run's tally."""
    logger.info("Calendar reply %s refused: %s", refusal.digest[:12], refusal.reason)
    if tally is not None:
        tally.reasons[refusal.reason] += 1
    else:
        audit.record(GATEWAY, action="calendar_reply.refused", channel=audit.Channel.EMAIL,
                     detail={"reason": refusal.reason, "source": source})
    return ReplyOutcome(CalendarReply.Outcome.REFUSED, refusal.reason)


def calendar_refusals_record(tally: RefusalTally, *, source: str) -> None:
    """One audit event for the refusals of one run that named no invitation, by reason."""
    if tally.reasons:
        audit.record(GATEWAY, action="calendar_reply.refused", channel=audit.Channel.EMAIL,
                     detail={"reasons": dict(sorted(tally.reasons.items())), "count": sum(tally.reasons.values()),
                             "source": source})
        tally.reasons.clear()


def _invitee(invitation: Invitation):
    """Who answered, for the audit trail: her account, or the invitation when she has none."""
    if invitation.user_id:
        return invitation.user
    if invitation.family_member_id and invitation.family_member.user_id:
        return invitation.family_member.user
    return f"calendar-reply:{invitation.pk}"


def calendar_reply_receive(*, raw: bytes, source: str, size: int | None = None, tally: RefusalTally | None = None,
                           load: Callable[[], bytes] | None = None) -> ReplyOutcome:
    """Handle one e-mail sent to the reply address. Never raises for anything in the message;
    database errors propagate (the caller leaves the message for the next run). With ``load``,
    ``raw`` is the message's header and ``load()`` fetches the whole message, only once the
    header passed the cheap checks; what ``load`` raises propagates too. The message is read
    outside the transaction (a download must not hold it open); ``_judge`` checks again inside."""
    answer = mailgate.read_message(
        raw, max_bytes=settings.INBOUND_MAIL_MAX_BYTES, size=size, max_calendar_bytes=settings.INBOUND_MAIL_MAX_CALENDAR_BYTES,
        admit=_admit, authserv_id=settings.INBOUND_MAIL_AUTHSERV_ID, load=load)
    return _answer_record(answer, source=source, tally=tally)


@transaction.atomic
def _answer_record(answer: mailgate.CalendarAnswer | mailgate.Refusal, *, source: str,
                   tally: RefusalTally | None) -> ReplyOutcome:
    invitation = None
    if isinstance(answer, mailgate.Refusal) and answer.invitation_id is not None:
        invitation = Invitation.objects.select_related("conference").filter(pk=answer.invitation_id).first()
    if isinstance(answer, mailgate.Refusal) and invitation is None:
        return _refuse_unattributed(answer, source=source, tally=tally)
    try:
        with transaction.atomic():
            row = CalendarReply.objects.create(message_digest=answer.digest, source=source[:8],
                                               outcome=CalendarReply.Outcome.REFUSED, reason="pending")
    except IntegrityError:
        audit.record(GATEWAY, action="calendar_reply.refused", channel=audit.Channel.EMAIL,
                     detail={"reason": "duplicate", "source": source})
        logger.info("Calendar reply %s refused: duplicate", answer.digest[:12])
        return ReplyOutcome("duplicate", "duplicate")
    if isinstance(answer, mailgate.Refusal):
        return _refuse(row, answer.reason, invitation=invitation, source=source)
    reason, invitation = _judge(answer)
    if reason:
        return _refuse(row, reason, invitation=invitation, source=source)
    row.invitation, row.partstat, row.stamp = invitation, answer.partstat[:16], answer.stamp
    row.sequence = _version(answer, invitation)
    if answer.method == "COUNTER":
        row.outcome, row.reason = CalendarReply.Outcome.COUNTER, ""
        row.proposed_starts_at = answer.proposed_start
        row.proposed_ends_at = answer.proposed_end if answer.proposed_end and answer.proposed_end > answer.proposed_start else None
        row.save()
        audit.record(_invitee(invitation), action="invitation.counter", obj=invitation,
                     case_id=invitation.conference.case_id, channel=audit.Channel.EMAIL,
                     detail={"source": source, **({"format": answer.via} if answer.via != "icalendar" else {})})
        return ReplyOutcome(CalendarReply.Outcome.COUNTER, "", invitation.pk)
    try:
        with transaction.atomic():
            _rsvp_apply(_invitee(invitation), invitation=invitation, rsvp=mailgate.PARTSTATS[answer.partstat],
                        comment=answer.comment, channel=audit.Channel.EMAIL, via="calendar-reply")
    except ValidationError:
        return _refuse(row, "invalid_answer", invitation=invitation, source=source)
    row.outcome, row.reason = CalendarReply.Outcome.APPLIED, ""
    row.save()
    return ReplyOutcome(CalendarReply.Outcome.APPLIED, "", invitation.pk)


def inbound_mail_purge_record(actor: str, *, source: str, before: str, deleted: dict[str, int],
                              channel: str = audit.Channel.COMMAND) -> None:
    """One ``retention.inbound_mail_purged`` audit event for one retention step over inbound mail
    (``fetch_mail``'s done and quarantine folders, ``apply_retention``'s quarantine directory):
    the cutoff and the number deleted by kind, never a message, a Message-ID or an address.
    Nothing when nothing was deleted. Database errors propagate (the caller decides)."""
    deleted = {kind: n for kind, n in sorted(deleted.items()) if n}
    if deleted:
        audit.record(actor, action="retention.inbound_mail_purged", object_type="conferences.calendarreply",
                     channel=channel, detail={"source": source, "before": before, "deleted": deleted,
                                              "count": sum(deleted.values())})


def calendar_reply_quarantined_record(*, raw: bytes, source: str, error: str, where: dict[str, str]) -> None:
    """The ``calendar_reply.quarantined`` audit event for a message kept aside: its digest, the
    kind of error and where it is kept (``file`` or IMAP ``folder``), never its content."""
    with transaction.atomic():
        audit.record(GATEWAY, action="calendar_reply.quarantined", channel=audit.Channel.EMAIL,
                     detail={"source": source, "error": error[:80], "digest": mailgate.message_digest(raw)[:12], **where})


def calendar_reply_quarantine(*, raw: bytes, source: str, error: str) -> Path:
    """Keep a message that could not be handled in ``INBOUND_MAIL_QUARANTINE_DIR`` (readable by
    the service's user only) and audit it with its digest and the kind of error, never its
    content. Raises (OSError, typically) only when the file was not written: the caller then
    asks the mail server to keep the message. Once the file is on disk nothing is raised: a
    failure to audit it (the database, or anything else) is logged, and the file is kept."""
    digest = mailgate.message_digest(raw)
    path = mail_quarantine.store(settings.INBOUND_MAIL_QUARANTINE_DIR, raw, digest=digest, now=timezone.now())
    mail_quarantine.retry_clear(settings.INBOUND_MAIL_QUARANTINE_DIR, digest)
    try:
        calendar_reply_quarantined_record(raw=raw, source=source, error=error, where={"file": path.name})
    except DatabaseError as exc:
        logger.warning("Quarantined calendar reply %s could not be audited: %s", digest[:12], type(exc).__name__)
    except Exception as exc:  # the message is safe on disk; the caller must not turn this into a bounce
        logger.error("Quarantined calendar reply %s (%s) could not be audited: %s", digest[:12], path.name,
                     type(exc).__name__)
    return path
