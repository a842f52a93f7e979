"""What kind of user someone is, for navigation and dashboards (never for access decisions:
those live in ``participants.policy`` and ``cases.policy``)."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import CharField, F, Value

from participants.models import PARENT_RELATIONS, Membership, NetworkRole, ProfessionalRole, User


@dataclass(frozen=True)
class Roles:
    is_professional: bool = False
    is_caseworker: bool = False
    is_parent: bool = False
    is_board_member: bool = False
    is_coordinator: bool = False
    is_dpo: bool = False


def roles_of(user) -> Roles:
    """One query, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return Roles()
    cached = getattr(user, "_fk_roles", None)
    if cached is not None:
        return cached
    # One statement for the three sources (a UNION ALL of small, indexed lookups by user).
    kind = CharField()
    memberships = (Membership.objects.filter(user=user, is_active=True, organisation__is_active=True)
                   .annotate(source=Value("membership", output_field=kind), value=F("role")).values_list("source", "value"))
    network = (NetworkRole.objects.filter(user=user)
               .annotate(source=Value("network", output_field=kind), value=F("role")).values_list("source", "value"))
    # Her family role through the account's relation (cases.FamilyMember is an app above this one).
    parent = (User.objects.filter(pk=user.pk, family_member__relation__in=PARENT_RELATIONS)
              .annotate(source=Value("parent", output_field=kind), value=F("family_member__relation")).values_list("source", "value"))
    rows = list(memberships.union(network, parent, all=True))
    membership_roles = {value for source, value in rows if source == "membership"}
    network_roles = {value for source, value in rows if source == "network"}
    is_parent = any(source == "parent" for source, _ in rows)
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
