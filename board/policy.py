"""Who sees which board document: the rule of ``HalfYearSummary.objects.visible_to(user)``
(registered with ``permissions.querysets`` in ``BoardConfig.ready``). Board members see the
published summaries of their network and no case data; coordinators also see drafts."""
from __future__ import annotations

from django.db.models import Q, QuerySet

from board.models import HalfYearSummary
from participants import policy as participants_policy
from permissions import policy


def summaries_for_user(user) -> QuerySet[HalfYearSummary]:
    """Published summaries for board members and coordinators; coordinators also see drafts."""
    if not policy._is_real_user(user):
        return HalfYearSummary.objects.none()
    return HalfYearSummary.objects.filter(
        Q(network_id__in=participants_policy.board_network_ids(user), status=HalfYearSummary.Status.PUBLISHED)
        | Q(network_id__in=participants_policy.coordinator_network_ids(user))
    )
