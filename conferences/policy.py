"""Who sees which conference: the rule of ``Conference.objects.visible_to(user)`` (registered in
``ConferencesConfig.ready``). The case team sees the conferences of its cases, a parent those she
is invited to, a guest (an explicit grant) the one conference she is invited to."""

from __future__ import annotations

from django.db.models import QuerySet

from cases import policy as cases_policy
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
    invited = Invitation.objects.filter(family_member__user=user, removed_at__isnull=True).values("conference_id")
    return base.union_ids(team, invited, base.guest_conference_ids(user))


def report_organisation_ids(user: "User", conference: Conference) -> set[int]:
    """The organisations whose written reports for ``conference`` the user may submit: those for
    which she is on the case team (one query)."""
    return set(cases_policy.team_organisation_ids(user, conference.case).values_list("organisation_id", flat=True))


def can_submit_report(user: "User", report: WrittenReport) -> bool:
    """Only a professional on the team who works for the organisation asked for the report."""
    return report.organisation_id in report_organisation_ids(user, report.conference)
