"""The convenor's page of her conference's outgoing e-mail: what still waits, what failed."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from cases import policy as cases_policy
from outbox.models import OutboxMessage
from permissions import audit

from . import ical, selectors


@login_required
@require_safe
def conference_outbox(request, pk: int):
    conference = selectors.get_conference_for_user(request.user, pk)
    if not cases_policy.can_convene(request.user, conference.case):
        raise PermissionDenied
    messages = selectors.outbox_of(conference)
    audit.record(request.user, action="conference.outbox_read", obj=conference, case_id=conference.case_id,
                 channel=audit.Channel.PAGE)
    with timezone.override(ical.zone_of(conference.case.network)):
        return render(request, "conferences/conference_outbox.html", {
            "conference": conference, "case": conference.case, "messages_out": messages,
            "pending": [m for m in messages if m.status == OutboxMessage.Status.PENDING],
            "failed": [m for m in messages if m.status == OutboxMessage.Status.FAILED],
            "sent": [m for m in messages if m.status == OutboxMessage.Status.SENT],
        })
