"""Background mail of the scheduling journey: invitation e-mails, poll invitations and reminders.

``conferences.tasks`` runs these in the worker; services queue the tasks after commit through
``permissions.jobs``. Each reads the state as it is when it runs (arguments are ids) and audits
what it sent or why it sent nothing.

The e-mails go to the outbox (``outbox.services.mail_queue``), which sends them with retries, in
one transaction with each service's other effects. ``run_key`` names the task run that called the
service (``task:<result id>``): a task run again after its worker died (``operations.reaper``)
finds its mail queued under that key and does nothing twice.
"""
from __future__ import annotations

import uuid

from django.db import transaction
from django.urls import reverse

from outbox import services as outbox
from outbox.models import Kind
from permissions import audit

from . import ical, imip
from cases.models import Case
from conferences.models import Conference, Invitation
from .services import erased_invitee, new_poll_link


def _run(run_key: str | None) -> str:
    return run_key or f"run:{uuid.uuid4().hex}"


def _ran_before(run_key: str) -> bool:
    """This run already queued its mail and committed its other effects with it (each service
    is one transaction)."""
    return outbox.queued_under(f"{run_key}:")


def _superseded(conference, invitation, method: str, sequence: int | None) -> str:
    """Why a queued invitation e-mail must not go out any more ("" when it still should).

    The task runs later than the change that queued it (``TASK_BACKEND=database``): a REQUEST
    announces "scheduled, at this time, you are invited" and is dropped when that is no longer
    true — a later REQUEST or CANCEL, queued by the later change, announces the state that
    replaced it. A CANCEL always goes out once its cause (cancelled conference, withdrawn
    invitation) still holds."""
    if method == "REQUEST":
        if conference.status != Conference.Status.SCHEDULED:
            return "conference no longer scheduled"
        if invitation.removed_at is not None:
            return "invitation withdrawn"
        if sequence is not None and invitation.sequence_queued is not None and invitation.sequence_queued != sequence:
            return "superseded by a later update"
    elif conference.status != Conference.Status.CANCELLED and invitation.removed_at is None:
        return "nothing to cancel"
    return ""


@transaction.atomic
def conference_mail_send(*, conference_id: int, invitation_id: int, method: str, sequence: int | None = None,
                         run_key: str | None = None) -> bool:
    """Send one iMIP REQUEST or CANCEL, built from the state as it is now. ``sequence`` is the
    conference's SEQUENCE when the message was queued; a REQUEST for an older one is dropped."""
    run_key = _run(run_key)
    if _ran_before(run_key):
        return True
    conference = Conference.objects.select_related("case__network", "convenor").get(pk=conference_id)
    invitation = Invitation.objects.select_related("user", "organisation", "family_member__user").get(pk=invitation_id)
    reason = _superseded(conference, invitation, method, sequence)
    if not reason and imip.is_convenor_invitation(conference, invitation):
        reason = "convenor"
    if not reason and erased_invitee(invitation):
        reason = "erased"  # her record was erased: no e-mail, not even to an account she still has
    if reason:
        audit.record("task", action="conference.mail_skipped", obj=invitation, case_id=conference.case_id,
                     channel=audit.Channel.EMAIL, detail={"method": method, "reason": reason})
        return False
    # A CANCEL carries the SEQUENCE it was queued with: a re-invitation queued after it has a
    # higher one, so her calendar applies them in order whenever the worker runs.
    announced = sequence if method == "CANCEL" and sequence is not None else conference.sequence
    message = imip.build_message(conference, invitation, method=method, sequence=announced)
    if message is None:
        audit.record("task", action="conference.mail_skipped", obj=invitation, case_id=conference.case_id,
                     channel=audit.Channel.EMAIL, detail={"method": method, "reason": "no address"})
        return False
    outbox.mail_queue(message, key=f"{run_key}:", kind=Kind.CANCELLATION if method == "CANCEL" else Kind.INVITATION,
                      case_id=conference.case_id, conference_id=conference.pk)
    Invitation.objects.filter(pk=invitation.pk).update(sequence_sent=announced)
    audit.record("task", action="conference.mail_sent", obj=invitation, case_id=conference.case_id,
                 channel=audit.Channel.EMAIL, detail={"method": method, "sequence": announced})
    return True


@transaction.atomic
def conference_reminder_send(*, conference_id: int, run_key: str | None = None) -> int:
    """Remind everyone still invited (and not declined) of a scheduled conference; returns how many."""
    run_key = _run(run_key)
    if _ran_before(run_key):
        return 0
    conference = Conference.objects.select_related("case__network").get(pk=conference_id)
    if conference.status != Conference.Status.SCHEDULED:
        return 0
    sent = 0
    invitations = (conference.invitations.filter(removed_at__isnull=True).exclude(rsvp=Invitation.Rsvp.DECLINED)
                   .select_related("user", "organisation", "family_member__user"))
    for invitation in invitations:
        message = imip.build_reminder(conference, invitation)
        if message is not None:
            outbox.mail_queue(message, key=f"{run_key}:{invitation.pk}", kind=Kind.REMINDER,
                              case_id=conference.case_id, conference_id=conference.pk)
            sent += 1
    audit.record("task", action="conference.reminder_sent", obj=conference, case_id=conference.case_id,
                 channel=audit.Channel.EMAIL, detail={"recipients": sent})
    return sent


@transaction.atomic
def review_reminder_send(*, case_id: int, run_key: str | None = None) -> bool:
    """Remind the lead caseworker that the case's review is due."""
    run_key = _run(run_key)
    if _ran_before(run_key):
        return True
    case = Case.objects.select_related("lead_caseworker").get(pk=case_id)
    message = imip.build_review_reminder(case, case.lead_caseworker)
    if message is None:
        return False
    outbox.mail_queue(message, key=f"{run_key}:", kind=Kind.REVIEW_REMINDER, case_id=case.pk)
    audit.record("task", action="case.review_reminder_sent", obj=case, case_id=case.pk, channel=audit.Channel.EMAIL)
    return True


@transaction.atomic
def poll_invitation_send(*, invitation_id: int, run_key: str | None = None) -> bool:
    """Tell someone invited while the poll is open how to answer it. A parent without an account
    gets a personal poll link, made here (not in the service) so that the raw secret exists only
    in this process and in her e-mail."""
    run_key = _run(run_key)
    if _ran_before(run_key):
        return True  # a second run would revoke the link the queued e-mail carries
    invitation = Invitation.objects.select_related("conference__case__network", "user", "organisation",
                                                   "family_member__user").get(pk=invitation_id)
    conference = invitation.conference
    if invitation.removed_at is not None or conference.status != Conference.Status.POLLING:
        return False
    if erased_invitee(invitation):
        # Her record was erased: no new poll link, and no e-mail (``FamilyMember.is_erased``).
        audit.record("task", action="poll.invitation_skipped", obj=invitation, case_id=conference.case_id,
                     channel=audit.Channel.EMAIL, detail={"reason": "erased"})
        return False
    link = None
    if invitation.answers_by_poll_link:
        if not imip.recipient_address(invitation):
            audit.record("task", action="poll.invitation_skipped", obj=invitation, case_id=conference.case_id,
                         channel=audit.Channel.EMAIL, detail={"reason": "no address"})
            return False

        link, raw = new_poll_link(invitation)
        url = ical.absolute_url(reverse("conferences:poll_link_vote", args=[raw]))
        audit.record("task", action="poll_link.create", obj=link, case_id=conference.case_id, channel=audit.Channel.EMAIL)
    else:
        url = ical.reverse_or_root("conferences:conference_poll", conference.pk)
    message = imip.build_poll_invitation(conference, invitation, url=url, personal_link=link is not None)
    if message is None:
        audit.record("task", action="poll.invitation_skipped", obj=invitation, case_id=conference.case_id,
                     channel=audit.Channel.EMAIL, detail={"reason": "no address"})
        return False
    outbox.mail_queue(message, key=f"{run_key}:", kind=Kind.POLL_INVITATION, case_id=conference.case_id,
                      conference_id=conference.pk)
    audit.record("task", action="poll.invitation_sent", obj=invitation, case_id=conference.case_id,
                 channel=audit.Channel.EMAIL, detail={"personal_link": link is not None})
    return True


@transaction.atomic
def poll_deadline_reminder_send(*, conference_id: int, run_key: str | None = None) -> bool:
    """Remind the convenor that the poll's deadline passed and no date has been picked."""
    run_key = _run(run_key)
    if _ran_before(run_key):
        return True
    conference = Conference.objects.select_related("case__network", "convenor", "poll").get(pk=conference_id)
    if conference.status != Conference.Status.POLLING or conference.poll.chosen_slot_id is not None:
        return False
    message = imip.build_poll_deadline_reminder(conference)
    if message is None:
        return False
    outbox.mail_queue(message, key=f"{run_key}:", kind=Kind.POLL_DEADLINE, case_id=conference.case_id,
                      conference_id=conference.pk)
    audit.record("task", action="poll.deadline_reminder_sent", obj=conference, case_id=conference.case_id,
                 channel=audit.Channel.EMAIL)
    return True
