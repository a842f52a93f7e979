"""Writes of the calendar subscriptions: issuing and revoking feed tokens. The acting user comes
first; each checks permission through the policy (``cases.policy``) and writes its audit event."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import policy as cases_policy
from cases.models import Case
from conferences.services import new_token
from participants import policy as participants_policy
from permissions import audit

from .models import FeedToken

Channel = audit.Channel


@transaction.atomic
def feed_token_create(actor, *, kind: str = FeedToken.Kind.PERSONAL, case: Case | None = None, network=None,
                      expires_at: dt.datetime | None = None, channel: str = Channel.PAGE) -> tuple[FeedToken, str]:
    """Issue a subscription token; the raw value is returned once and only its hash is kept.
    An earlier active token of the same scope is revoked (regenerate)."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied
    if kind == FeedToken.Kind.PERSONAL:
        case = network = None
    elif kind == FeedToken.Kind.CASE:
        network = None
        if case is None or not cases_policy.is_professional_on_case(actor, case):
            raise PermissionDenied(_("Only the case team can subscribe to a case calendar."))
    elif kind == FeedToken.Kind.BOARD:
        case = None
        if network is None or not participants_policy.board_network_ids(actor).filter(network_id=network.pk).exists():
            raise PermissionDenied(_("Only board members can subscribe to the board calendar."))
    else:
        raise ValidationError({"kind": _("Unknown calendar.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must lie in the future.")})
    FeedToken.objects.filter(user=actor, kind=kind, case=case, network=network, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    raw, digest = new_token()
    token = FeedToken.objects.create(user=actor, kind=kind, case=case, network=network, token_hash=digest, expires_at=expires_at)
    audit.record(actor, action="feed_token.create", obj=token, case_id=case.pk if case else None, channel=channel,
                 detail={"kind": kind})
    return token, raw


@transaction.atomic
def feed_token_revoke(actor, *, token: FeedToken, channel: str = Channel.PAGE) -> FeedToken:
    if token.user_id != getattr(actor, "pk", None):
        raise PermissionDenied
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    audit.record(actor, action="feed_token.revoke", obj=token, case_id=token.case_id, channel=channel)
    return token
