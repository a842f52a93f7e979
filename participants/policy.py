"""Who holds which role where: the membership and network-role half of the access policy.

The rules that need only a user's memberships and network roles (the organisations she works for,
the networks she is on the board of, coordinates or is the data-protection officer of) and the
officer's audit log, which is bounded by those networks. The case rules build on them
(``cases/policy.py``); ``permissions/policy.py`` below holds what needs only the grant tables.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from participants.models import Membership, NetworkRole, User
from permissions import policy as base
from permissions.models import AuditEvent


def organisation_ids(user: "User") -> QuerySet:
    """Ids of the organisations the user actively works for (a subquery, not a list)."""
    return Membership.objects.filter(user=user, is_active=True, organisation__is_active=True).values("organisation_id")


def works_in_network(user: "User", network_id: int) -> bool:
    """A professional of the network: an active membership at an active organisation of it (a
    board member, a coordinator or a parent without such a membership is not one)."""
    if not base._is_real_user(user):
        return False
    return organisation_ids(user).filter(organisation__network_id=network_id).exists()


def board_network_ids(user: "User") -> QuerySet:
    if not base._is_real_user(user):
        return NetworkRole.objects.none().values("network_id")
    return NetworkRole.objects.filter(user=user, role__in=[NetworkRole.Role.BOARD_MEMBER, NetworkRole.Role.COORDINATOR]).values("network_id")


def coordinator_network_ids(user: "User") -> QuerySet:
    if not base._is_real_user(user):
        return NetworkRole.objects.none().values("network_id")
    return NetworkRole.objects.filter(user=user, role=NetworkRole.Role.COORDINATOR).values("network_id")


def dpo_network_ids(user: "User") -> QuerySet:
    if not base._is_real_user(user):
        return NetworkRole.objects.none().values("network_id")
    return NetworkRole.objects.filter(user=user, role=NetworkRole.Role.DATA_PROTECTION_OFFICER).values("network_id")


def audit_events_for_user(user: "User") -> QuerySet:
    """The audit log for a data-protection officer: events of her networks' cases, and events
    without a case by people who work in (or hold a role in) her networks."""
    if not base._is_real_user(user):
        return AuditEvent.objects.none()
    networks = dpo_network_ids(user)
    # Admin changes name each network they affect (participants.admin_services): a JSON key
    # compared with a short list, because the admin is, by design, nobody of the network.
    # Installation-wide changes (groups, permissions, staff accounts) say "all": every DPO sees them.
    network_ids = list(networks.values_list("network_id", flat=True))
    if not network_ids:
        return AuditEvent.objects.none()
    admin_changes = Q(case__isnull=True, action__startswith="admin.") & (
        Q(detail__network__in=network_ids) | Q(detail__network="all"))
    return AuditEvent.objects.filter(
        Q(case__network_id__in=networks) | Q(case__isnull=True, actor_id__in=_network_people(networks)) | admin_changes
    )


def _network_people(networks: QuerySet) -> QuerySet:
    return User.objects.filter(
        Q(memberships__organisation__network_id__in=networks) | Q(network_roles__network_id__in=networks)
    ).values("pk")


def is_dpo_of(user: "User", network_id: int) -> bool:
    return dpo_network_ids(user).filter(network_id=network_id).exists()


def may_join_a_family(user: "User") -> bool:
    """Whether a family-member record may be linked to this account (``cases.access_services``):
    never a professional's (any membership, ended ones too), a network role holder's or an
    administrator's. Separation of duties: whoever works on cases, or configures them, reads a
    family's case as a professional or not at all."""
    if not base._is_real_user(user) or user.is_staff or user.is_superuser:
        return False
    return not (Membership.objects.filter(user=user).exists() or NetworkRole.objects.filter(user=user).exists())
