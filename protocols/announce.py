"""Who is told about a protocol's steps and agreed actions (through ``notifications.notify``).

Notifications name the case reference only; never an item's text or an action's title.
"""
from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from cases.models import CaseTeamMember
from conferences.models import Invitation
from notifications.models import Kind
from notifications.services import notify
from participants.models import Membership, User
from protocols import policy
from protocols.models import AgreedAction, CorrectionProposal, Protocol


def _invited(protocol: Protocol, *, professionals_only: bool) -> list[User]:
    invitations = Invitation.objects.filter(conference_id=protocol.conference_id, removed_at__isnull=True)
    ids = set(invitations.filter(user__isnull=False).values_list("user_id", flat=True))
    if protocol.minute_taker_id:
        ids.add(protocol.minute_taker_id)
    if not professionals_only:
        ids |= set(invitations.filter(family_member__user__isnull=False).values_list("family_member__user_id", flat=True))
    return list(User.objects.filter(pk__in=ids))


def draft_released(actor, protocol: Protocol) -> None:
    """The professionals who took part may now propose corrections (parents read the final text)."""
    notify(recipients=_invited(protocol, professionals_only=True), kind=Kind.DRAFT_RELEASED,
           case=protocol.conference.case, url=reverse("protocols:protocol_detail", args=[protocol.pk]),
           due_on=protocol.corrections_until, exclude=actor)


def finalised(actor, protocol: Protocol) -> None:
    """Everyone invited, parents included: please read and acknowledge."""
    notify(recipients=_invited(protocol, professionals_only=False), kind=Kind.PROTOCOL_FINALISED,
           case=protocol.conference.case, url=reverse("protocols:protocol_detail", args=[protocol.pk]), exclude=actor)


def correction_proposed(actor, proposal: CorrectionProposal, *, deciders: list[User]) -> None:
    """Whoever decides the proposal (``protocols.rules.correction_deciders``: the organisation
    holding a restricted item, else the convenor)."""
    protocol = proposal.item.protocol
    notify(recipients=deciders, kind=Kind.CORRECTION_PROPOSED, case=protocol.conference.case,
           url=reverse("protocols:protocol_detail", args=[protocol.pk]) + "#corrections",
           due_on=protocol.corrections_until, event_key=f"correction:{proposal.pk}:proposed", exclude=actor)


def correction_decided(actor, proposal: CorrectionProposal) -> None:
    """The proposer learns that her proposal was decided (the page says how and why)."""
    protocol = proposal.item.protocol
    notify(recipients=[proposal.author], kind=Kind.CORRECTION_DECIDED, case=protocol.conference.case,
           url=reverse("protocols:protocol_detail", args=[protocol.pk]) + "#my-proposals-heading",
           event_key=f"correction:{proposal.pk}:decided", exclude=actor)


def responsible_users(action: AgreedAction) -> list[User]:
    """The accounts an action falls to: the responsible professional; else the responsible
    organisation's people on the case team (the whole organisation when it is on the team as
    such); else the responsible parent's own account."""
    users = responsible_candidates(action)
    # Only those who may see it now (``policy.responsible_actions_for_user``): not after the consent
    # that let her read its item (restricted, or widened after it was) was revoked, nor when its
    # item's person's processing is restricted (Art. 18). A reminder names no content, but tells her
    # an action exists in the case. One query per recipient, so the count grows with an organisation
    # on the team as such (known: closing note 2026-12-06). Every recipient's policy statement in ONE
    # statement (a CASE, OR or UNION of them, ~28 KB of SQL each) was measured and is no way out:
    # SQLite prepares it in time that grows with the square of the recipients (50: 0.5 s, 200: 7 s),
    # PostgreSQL took 55-95 s for 100 with its default JIT and 3 s without (the 100 queries: 2 s).
    # A rule for many users at once, written beside the policy, would be a second copy of it.
    return [user for user in users if policy.responsible_actions_for_user(user).filter(pk=action.pk).exists()]


def responsible_candidates(action: AgreedAction) -> list[User]:
    """``responsible_users`` before the policy is asked: the accounts the action's responsible
    fields name (for ``action_handed_over``: who keeps it after a hand-over is not told she lost it)."""
    if action.responsible_family_member_id:
        member = action.responsible_family_member
        users = [member.user] if member.user_id else []
    elif action.responsible_user_id:
        users = [action.responsible_user]
    else:
        team = CaseTeamMember.objects.filter(case_id=action.case_id, organisation_id=action.responsible_organisation_id,
                                             removed_at__isnull=True)
        if team.filter(user__isnull=True).exists():
            ids = Membership.objects.filter(organisation_id=action.responsible_organisation_id, is_active=True).values("user_id")
        else:
            ids = team.filter(user__isnull=False).values("user_id")
        users = list(User.objects.filter(pk__in=ids))
    return users


def action_assigned(actor, action: AgreedAction, *, version: int | None = None) -> None:
    """A new action, or one handed over (``version``: the action's version after the hand-over, so
    that each hand-over is told, also to one who gets it back; only ``action_reassign`` passes it).
    A handed-over action is told as such ("has been handed over to you"), not as one just agreed."""
    # Her colleagues on the team read "for your organisation", not "for you": nobody of them was named.
    to_organisation = not (action.responsible_user_id or action.responsible_family_member_id)
    if version is not None:
        kind = Kind.ACTION_RECEIVED_ORGANISATION if to_organisation else Kind.ACTION_RECEIVED
    else:
        kind = Kind.ACTION_ASSIGNED_ORGANISATION if to_organisation else Kind.ACTION_ASSIGNED
    key = f"action:{action.pk}:assigned" + (f":v{version}" if version is not None else "")
    notify(recipients=responsible_users(action), kind=kind, case=action.case,
           url=reverse("protocols:action_detail", args=[action.pk]), due_on=action.due_on,
           event_key=key, exclude=actor)


def action_handed_over(actor, action: AgreedAction, *, user_ids: list[int], to_organisation: bool,
                       version: int) -> None:
    """The people an action fell to before a hand-over (``user_ids``: ``responsible_users`` as it
    stood before, without those it still falls to) learn that it is no longer theirs: the case
    reference and the due date, never the title, the new responsible or the reason (a
    notification's e-mail passes mail servers outside the case). The reason stands in the action's
    history, which she reads on the action's page where the policy still shows her the action;
    where it does not (a parent whose action was in an item for professionals), the link opens
    her list of actions instead. ``to_organisation``: it fell to her organisation, not to her."""
    kind = Kind.ACTION_HANDED_OVER_ORGANISATION if to_organisation else Kind.ACTION_HANDED_OVER
    users = list(User.objects.filter(pk__in=user_ids).order_by("pk"))
    sees = [u for u in users if policy.actions_for_user(u).filter(pk=action.pk).exists()]
    key = f"action:{action.pk}:handed_over:v{version}"
    for recipients, url in ((sees, reverse("protocols:action_detail", args=[action.pk])),
                            ([u for u in users if u not in sees], reverse("protocols:my_actions"))):
        notify(recipients=recipients, kind=kind, case=action.case, url=url, due_on=action.due_on, event_key=key,
               exclude=actor)


def actions_erased(user: User, *, family_member_id: int, case, action_ids: list[int]) -> None:
    """``user`` (who may hand them over) learns that ``action_ids``, open actions she sees, fell to
    a family member whose record was erased: how many, in which case, never who nor what. The link
    opens the one action's page (where she hands it over), or her list of the case's open actions
    (``scope=convened``). Once per erasure and person (event key)."""
    if len(action_ids) == 1:
        url = reverse("protocols:action_detail", args=[action_ids[0]])
    else:
        url = reverse("protocols:my_actions") + "?" + urlencode({"scope": "convened", "case": case.pk, "status": "open_any"})
    notify(recipients=[user], kind=Kind.ACTIONS_ERASED, case=case, url=url, count=len(action_ids),
           event_key=erased_actions_event_key(family_member_id))


def erased_actions_event_key(family_member_id: int) -> str:
    return f"family_member:{family_member_id}:erased:actions"


def action_overdue(action: AgreedAction, *, today) -> list[User]:
    """Tell the people the action falls to (once per reminder day); returns them."""
    users = responsible_users(action)
    notify(recipients=users, kind=Kind.ACTION_OVERDUE, case=action.case,
           url=reverse("protocols:action_detail", args=[action.pk]), due_on=action.due_on,
           event_key=f"action:{action.pk}:overdue:{today.isoformat()}")
    return users
