"""What the protocols add to the rules of a conference's invitations (registered with
``conferences.services`` in ``ProtocolsConfig.ready``; the conferences know no protocol)."""
from __future__ import annotations

from django.utils.translation import ngettext

from conferences import services as conferences_services
from conferences.models import Invitation
from protocols.models import AgreedAction
from protocols.selectors import OPEN_STATES, actions_named_for


def open_actions_of_invitee(invitation: Invitation):
    """The open (or in progress) actions agreed at the invitation's conference that fall to its
    family member. She reads them only through this invitation (``conferences.policy.invited_conference_ids``)."""
    if not invitation.family_member_id:
        return AgreedAction.objects.none()
    return AgreedAction.objects.filter(item__protocol__conference_id=invitation.conference_id,
                                       responsible_family_member_id=invitation.family_member_id,
                                       status__in=OPEN_STATES).order_by("due_on", "pk")


def withdrawal_refusals(actor, invitation: Invitation) -> list[str]:
    """A parent's invitation is not withdrawn while she is responsible for an open action agreed at
    that conference: she would no longer see it anywhere (as ``services.action_create`` and
    ``services.action_reassign`` refuse an action for a parent who is not invited). Names the actions
    ``actor`` may read; the others by number."""
    actions = list(open_actions_of_invitee(invitation))
    if not actions:
        return []
    names = actions_named_for(actor, actions)
    return [ngettext(
        "%(name)s is responsible for an open action agreed at this conference: %(actions)s. Without her invitation "
        "she could no longer see it. Give it to someone else first: the convenor changes the responsible person on "
        "the action's page (“Give the action to someone else”). Or set it to “Done” or “Dropped” (with the reason).",
        "%(name)s is responsible for open actions agreed at this conference: %(actions)s. Without her invitation "
        "she could no longer see them. Give them to someone else first: the convenor changes the responsible person "
        "on each action's page (“Give the action to someone else”). Or set them to “Done” or “Dropped” (with the "
        "reason).",
        len(actions)) % {"name": invitation.family_member, "actions": "; ".join(names)}]


def subscribe() -> None:
    """Called from ``ProtocolsConfig.ready``."""
    conferences_services.register_withdrawal_refusal(withdrawal_refusals)
