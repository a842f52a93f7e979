"""What kind of user someone is, for navigation and dashboards (never for access decisions:
those live in ``permissions.policy``)."""
from __future__ import annotations

from dataclasses import dataclass

from participants.models import FamilyMember, Membership, NetworkRole, ProfessionalRole


@dataclass(frozen=True)
class Roles:
    is_professional: bool = False
    is_caseworker: bool = False
    is_parent: bool = False
    is_board_member: bool = False
    is_coordinator: bool = False
    is_dpo: bool = False


def roles_of(user) -> Roles:
    """Three small queries, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return Roles()
    cached = getattr(user, "_fk_roles", None)
    if cached is not None:
        return cached
    membership_roles = set(
        Membership.objects.filter(user=user, is_active=True, organisation__is_active=True).values_list("role", flat=True)
    )
    network_roles = set(NetworkRole.objects.filter(user=user).values_list("role", flat=True))
    is_parent = FamilyMember.objects.filter(user=user, relation__in=FamilyMember.PARENT_RELATIONS).exists()
    roles = Roles(
        is_professional=bool(membership_roles),
        is_caseworker=ProfessionalRole.CASEWORKER in membership_roles,
        is_parent=is_parent,
        is_board_member=NetworkRole.Role.BOARD_MEMBER in network_roles,
        is_coordinator=NetworkRole.Role.COORDINATOR in network_roles,
        is_dpo=NetworkRole.Role.DATA_PROTECTION_OFFICER in network_roles,
    )
    user._fk_roles = roles
    return roles
