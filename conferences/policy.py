"""Who sees which conference: the rule of ``Conference.objects.visible_to(user)`` (registered in
``ConferencesConfig.ready``). The case team sees the conferences of its cases, a parent those she
is invited to, a guest (an explicit grant) the one conference she is invited to. Also whose
access needs (possibly health information) each reader of a conference reads."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from cases import policy as cases_policy
from cases.models import FamilyMember
from conferences.models import Conference, Invitation, WrittenReport
from participants.models import User
from permissions import policy as base


def conferences_for_user(user: "User") -> QuerySet:
    """Conferences of cases the professional is on; for a parent, those she is invited to; for a
    guest, the one conference she is invited to."""
    if not base._is_real_user(user):
        return Conference.objects.none()
    return Conference.objects.filter(pk__in=conference_ids_for_user(user))


def conference_ids_for_user(user: "User") -> QuerySet:
    """Ids of the conferences of ``conferences_for_user``: one UNION of the routes (team, own
    invitation as a parent, guest grant), each starting from the user's own rows."""
    if not base._is_real_user(user):
        return Conference.objects.none().values("pk")
    team = Conference.objects.filter(case_id__in=cases_policy.professional_case_ids(user)).values("pk")
    return base.union_ids(team, invited_conference_ids(user), base.guest_conference_ids(user))


def invited_conference_ids(user: "User") -> QuerySet:
    """Ids of the conferences the user is invited to as a parent of the family (an invitation of
    hers that was not withdrawn, ``services.invitation_remove``), as a subquery read when the
    statement runs. The one rule of a parent's reads of a conference: the conference itself, its
    protocol's items for everyone and the actions agreed in them, also those that fall to her
    (``protocols.policy``), in every channel. Her family's case alone opens none of them."""
    if not base._is_real_user(user):
        return Invitation.objects.none().values("conference_id")
    return _parents_invitations().filter(family_member__user=user).values("conference_id")


def parent_is_invited(member: FamilyMember, conference_id: int) -> bool:
    """``invited_conference_ids`` for a parent without an account (told by plain e-mail): whether
    ``member`` is invited to the conference."""
    return _parents_invitations().filter(family_member=member, conference_id=conference_id).exists()


def _parents_invitations() -> QuerySet:
    """The invitations of parents of the family that were not withdrawn."""
    return Invitation.objects.filter(family_member__relation__in=FamilyMember.PARENT_RELATIONS, removed_at__isnull=True)


def report_organisation_ids(user: "User", conference: Conference) -> set[int]:
    """The organisations whose written reports for ``conference`` the user may submit: those for
    which she is on the case team (one query)."""
    return set(cases_policy.team_organisation_ids(user, conference.case).values_list("organisation_id", flat=True))


def can_submit_report(user: "User", report: WrittenReport) -> bool:
    """Only a professional on the team who works for the organisation asked for the report."""
    return report.organisation_id in report_organisation_ids(user, report.conference)


@dataclass(frozen=True)
class AccessNeeds:
    """Access needs one reader reads with one conference: a family member's, from her record
    (``member``; ``own``: her own), or the conference's own note (``member`` None)."""
    text: str
    member: FamilyMember | None = None
    own: bool = False


def access_needs_for_user(user: "User", conferences) -> dict[int, list[AccessNeeds]]:
    """For each of ``conferences`` (already visible to her), the access needs ``user`` reads with it.

    They may be health information (review h9, H9-2). The case team reads the conference's note and
    the needs of every family member invited to it (from her record, as it stands); a parent of the
    case reads the note, unless it is kept for the team (``Conference.access_needs_team_only``), and
    her own needs, never another family member's; anyone else (a guest of the conference) none.
    The one rule of the conference page and the API. Two queries at most, whatever the number of
    conferences (``cases_policy.case_bases``, once per request, and the invited members' needs)."""
    conferences = list(conferences)
    result: dict[int, list[AccessNeeds]] = {c.pk: [] for c in conferences}
    if not conferences or not base._is_real_user(user):
        return result
    bases = cases_policy.case_bases(user, {c.case_id for c in conferences})
    team = [c.pk for c in conferences if bases.get(c.case_id) == "team"]
    family = [c.pk for c in conferences if bases.get(c.case_id) == "family"]
    if not team and not family:
        return result
    invited = (Invitation.objects.filter(Q(conference_id__in=team) | Q(conference_id__in=family, family_member__user=user),
                                         removed_at__isnull=True, family_member__isnull=False)
               .exclude(family_member__access_needs="").select_related("family_member").order_by("family_member_id", "pk"))
    members: dict[int, list[FamilyMember]] = {}
    for invitation in invited:
        members.setdefault(invitation.conference_id, []).append(invitation.family_member)
    for conference in conferences:
        basis = bases.get(conference.case_id)
        if basis not in ("team", "family"):
            continue
        needs = result[conference.pk]
        if conference.access_needs and (basis == "team" or not conference.access_needs_team_only):
            needs.append(AccessNeeds(text=conference.access_needs))
        needs.extend(AccessNeeds(text=member.access_needs, member=member, own=member.user_id == user.pk)
                     for member in members.get(conference.pk, ()))
    return result
