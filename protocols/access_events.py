"""What the live protocol channel does when ``permissions.events`` announces an access change.

Services announce explicitly after commit (``access_changed_on_commit(case_ids)``, or
``people_changed_on_commit`` from a writer below the cases, such as the admin changing a
membership); this module turns both into ``access.changed`` for the open sockets of those cases,
which then re-read what their user may see. ``subscribe`` runs in ``ProtocolsConfig.ready``.
"""
from __future__ import annotations

from typing import Iterable

from django.db.models import Q

from cases.models import CaseTeamMember, FamilyMember
from participants.models import Membership
from permissions import events
from protocols import live


def cases_of_people(*, user_ids: Iterable[int] = (), org_ids: Iterable[int] = ()) -> set[int]:
    """Cases whose visible content may change when these users or organisations change."""
    user_ids, org_ids = list(user_ids), list(org_ids)
    ids = set(
        CaseTeamMember.objects.filter(removed_at__isnull=True)
        .filter(Q(user_id__in=user_ids) | Q(organisation_id__in=org_ids))
        .values_list("case_id", flat=True)
    )
    ids |= set(FamilyMember.objects.filter(user_id__in=user_ids).values_list("case_id", flat=True))
    if user_ids:
        member_orgs = Membership.objects.filter(user_id__in=user_ids).values("organisation_id")
        ids |= set(
            CaseTeamMember.objects.filter(removed_at__isnull=True, user__isnull=True, organisation_id__in=member_orgs)
            .values_list("case_id", flat=True)
        )
    return ids


def _cases_changed(case_ids: set[int]) -> None:
    live.access_changed_on_commit(*case_ids)  # already after commit: sent at once


def _people_changed(user_ids: set[int], org_ids: set[int]) -> None:
    live.access_changed_on_commit(*cases_of_people(user_ids=user_ids, org_ids=org_ids))


def subscribe() -> None:
    events.subscribe_access_changed(_cases_changed)
    events.subscribe_people_changed(_people_changed)
