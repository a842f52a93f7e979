"""Who sees which conference and which written report: the rules of ``Conference`` and
``WrittenReport`` ``.objects.visible_to(user)`` (registered in ``ConferencesConfig.ready``). The
case team sees the conferences of its cases, a parent those she is invited to, a guest (an
explicit grant) the one conference she is invited to.

A written report is read by its audience (README, rules 3–5): one for the professionals on the
case team by them (and by the parents invited to its conference where it is shared with them);
one restricted to named organisations by the organisation that wrote it and, of those it names,
by an organisation she is on the case's team for only while a valid, unrevoked consent of the
person who entrusted the information, or a recorded legal basis, covers its disclosure to that
organisation -- the one definition the restricted protocol items are read under
(``cases.policy.covered``), evaluated in the same statement, so a revocation acts at once.
One widened to the team after it was restricted keeps its labels and is read by the other
organisations of the team under the same rule (``_GOVERNED``), as a widened protocol item is.
A guest of the conference reads no report.

Also whose access needs (possibly health information) each reader of a conference reads
(``access_needs_for_user``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, CharField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.lookups import Exact

from cases import policy as cases_policy
from cases.models import FamilyMember
from conferences.models import Conference, Invitation, WrittenReport
from participants.models import Organisation, User
from permissions import policy as base

Audience = WrittenReport.Audience


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


# --- written reports ----------------------------------------------------------------------------

def reports_for_user(user: "User", *, on: dt.date | None = None, include_restricted: bool = False) -> QuerySet:
    """The written reports the user may read (``WrittenReport.objects.visible_to``), in one query:
    see the module's docstring. Reports not submitted yet are listed for the team (as outstanding).
    Reports entrusted by a person whose processing is restricted (Art. 18) are left out unless
    ``include_restricted`` (only for the audited read with a reason,
    ``privacy.services.restricted_read``), as her protocol items are."""
    if not base._is_real_user(user):
        return WrittenReport.objects.none()
    return WrittenReport.objects.filter(pk__in=report_ids_for_user(user, on=on, include_restricted=include_restricted))


# A report that was restricted once keeps its labels (category, who entrusted it) when it is widened
# to the team (``services.report_submit``), as a protocol item does (``protocols.policy._GOVERNED``):
# its organisation's widening was checked against the organisations on the team then; at read time
# another organisation reads it only while a consent or legal basis covers the disclosure to it -- not
# one that joins the team later, nor one whose consent was revoked or ran out.
_GOVERNED = ~Q(category="")


def report_ids_for_user(user: "User", *, on: dt.date | None = None, include_restricted: bool = False) -> QuerySet:
    """Ids of ``reports_for_user``: a UNION of the routes, each starting from her own rows (her
    team rows, her invitations as a parent)."""
    if not base._is_real_user(user):
        return WrittenReport.objects.none().values("pk")
    on = on or base._today()
    conference_orgs = _team_conference_pairs(user)
    on_team = WrittenReport.objects.filter(
        conference__case_id__in=base.compiled(cases_policy.professional_case_ids(user)))
    # For the team and never restricted; one widened after it was restricted is read as its
    # organisation's (``held``) or under a consent or legal basis (``widened``), never for being open.
    open_to_team = on_team.filter(~_GOVERNED, audience=Audience.PROFESSIONALS)
    # Her own organisation's report, whatever its audience: she is on the case's team for it.
    held = on_team.filter(_held_by_team(conference_orgs))
    disclosed = on_team.filter(audience=Audience.RESTRICTED).filter(_disclosed_to_team(conference_orgs, on))
    widened = on_team.filter(_GOVERNED, audience=Audience.PROFESSIONALS).filter(_widened_disclosed_to_team(conference_orgs, on))
    # The parents of the family invited to the conference read a report shared with them; never a
    # restricted one (``writtenreport_restricted_has_category_not_parents``, and asked here again),
    # and one widened after it was restricted only where she entrusted it herself (the rule of the
    # protocol items, ``cases_policy.entrusted_by_reader``).
    own = base.compiled(FamilyMember.objects.filter(user=user).values("pk"))
    parent = WrittenReport.objects.filter(
        conference_id__in=Invitation.objects.filter(
            family_member__user=user, family_member__relation__in=FamilyMember.PARENT_RELATIONS,
            removed_at__isnull=True).values("conference_id"),
        submitted_at__isnull=False, audience=Audience.PROFESSIONALS, shareable_with_parents=True).filter(
        ~_GOVERNED | cases_policy.entrusted_by_reader(own))
    routes = (open_to_team, held, disclosed, widened, parent)
    if not include_restricted:
        # Art. 18: a report entrusted by a person whose processing is restricted is read by nobody
        # else, as her protocol items are not (``protocols.policy``, review h10, H10-1).
        # Entrusted by her now, or first (before a relabel): ``cases_policy.entrusted_by_any``.
        restricted = cases_policy.entrusted_by_any(base.compiled(cases_policy.restricted_member_ids(user)))
        routes = tuple(route.exclude(restricted) for route in routes)
    return base.union_ids(*(route.values("pk") for route in routes))


def _team_conference_pairs(user: "User"):
    """(conference, organisation) of her team rows, compiled: the organisations she is on each
    conference's case team for, and so speaks for there (``cases_policy.team_rows_of``). A second
    membership at an organisation that is on the team only through colleagues opens nothing."""
    return base.compiled(cases_policy.team_rows_of(user).values("case__conferences", "organisation_id"))


def _held_by_team(conference_orgs) -> base.PairIn:
    """On a WrittenReport: written by an organisation she is on its case's team for."""
    return base.PairIn(base.Pair(F("conference_id"), F("organisation_id")), conference_orgs)


def _named_for_team(conference_orgs) -> QuerySet:
    """On a WrittenReport, as a subquery: the organisations it is restricted to (named for) that she
    is on its case's team for, one row each."""
    return WrittenReport.restricted_to.through.objects.filter(
        base.PairIn(base.Pair(OuterRef("conference_id"), F("organisation_id")), conference_orgs), writtenreport_id=OuterRef("pk"))


def _report_labels(*, first: bool = False) -> cases_policy.Labels:
    """The labels of the report two queries out (the report, around a row of organisations, around
    the consents or legal bases), as references: the ones it carries, or (``first``) the ones it
    carried before its first relabel. Its holder is always the organisation that writes it."""
    p = "first_" if first else ""
    return tuple(OuterRef(OuterRef(name)) for name in ("organisation_id", f"{p}entrusted_by_id", f"{p}category"))


def _report_disclosure(organisation: str = "organisation_id") -> cases_policy.Disclosure:
    """The disclosure of a report to one organisation, judged from a row of a subquery on the
    report whose column ``organisation`` names it: a row of its named organisations
    (``_named_for_team``, "organisation_id") for a restricted report, a row of the organisations
    she is on its case's team for ("pk", ``_team_orgs_of_report``) for one widened after it was
    restricted. The report's information, held by the organisation that wrote it, under its
    category and (where one person entrusted it) her consent, and, once relabelled, under the
    labels it was first entrusted under too (``cases_policy.covered``, as for protocol items)."""
    return cases_policy.Disclosure(case=OuterRef(OuterRef("conference__case_id")), to=Q(to_organisations=OuterRef(organisation)),
                                   now=_report_labels(), first=_report_labels(first=True),
                                   plain=Q(Exact(OuterRef("first_category"), "")))


def _disclosed_to_team(conference_orgs, on: dt.date) -> Exists:
    """On a restricted WrittenReport: named for an organisation she is on its case's team for, to
    which a consent or legal basis covers its disclosure (``cases_policy.covered``): the same
    organisation named and covered."""
    return Exists(_named_for_team(conference_orgs).filter(cases_policy.covered(_report_disclosure(), on)))


def _team_orgs_of_report(conference_orgs) -> QuerySet:
    """On a WrittenReport, as a subquery: the organisations she is on its case's team for, one row each."""
    return Organisation.objects.filter(base.PairIn(base.Pair(OuterRef("conference_id"), F("pk")), conference_orgs))


def _widened_disclosed_to_team(conference_orgs, on: dt.date) -> Exists:
    """On a report for the team widened after it was restricted (``_GOVERNED``): an organisation she
    is on its case's team for, to which a consent or legal basis covers its disclosure
    (``cases_policy.covered``, the one definition the restricted reports are read under)."""
    return Exists(_team_orgs_of_report(conference_orgs).filter(cases_policy.covered(_report_disclosure("pk"), on)))


def report_bases(user: "User", reports, *, on: dt.date | None = None) -> dict[int, str]:
    """The legal basis under which each of ``reports`` (already filtered by ``reports_for_user``)
    is read by ``user``, for the audit trail: "team" (a report for the professionals, read on the
    team), "family" (one shared with the parents, read by a parent), "holding-organisation" (her
    organisation wrote it), or the consent or legal basis that admits a restricted one
    ("consent:<pk>", "<legal basis>:<pk>": ``cases_policy.covering_code``, from the same
    definition as the read filter); "none" where nothing admits the read. One query for the
    restricted ones, one for the cases."""
    reports = list(reports)
    if not reports:
        return {}
    on = on or base._today()
    columns = {"b_case": F("conference__case_id")}
    if base._is_real_user(user) and any(r.is_governed for r in reports):
        conference_orgs = _team_conference_pairs(user)
        disclosure = _report_disclosure()
        named = (_named_for_team(conference_orgs).filter(cases_policy.covered(disclosure, on)).order_by("organisation_id")
                 .annotate(b_code=cases_policy.covering_code(disclosure, on)).values("b_code")[:1])
        to_team = _report_disclosure("pk")
        widened = (_team_orgs_of_report(conference_orgs).filter(cases_policy.covered(to_team, on)).order_by("pk")
                   .annotate(b_code=cases_policy.covering_code(to_team, on)).values("b_code")[:1])
        columns["b_held"] = Case(When(_held_by_team(conference_orgs), then=Value(True)), default=Value(False))
        columns["b_named"] = Case(When(audience=Audience.RESTRICTED, then=Subquery(named, output_field=CharField())),
                                  When(_GOVERNED, then=Subquery(widened, output_field=CharField())),
                                  default=None, output_field=CharField())
    rows = {row["pk"]: row for row in WrittenReport.objects.filter(pk__in=[r.pk for r in reports]).order_by()
            .annotate(**columns).values("pk", "audience", "category", *columns)}
    by_case = cases_policy.case_bases(user, {row["b_case"] for row in rows.values()})
    bases = {}
    for pk, row in rows.items():
        if row["audience"] != Audience.RESTRICTED and (not row["category"] or by_case.get(row["b_case"]) == "family"):
            bases[pk] = "family" if by_case.get(row["b_case"]) == "family" else "team"
        elif row.get("b_held"):
            bases[pk] = "holding-organisation"
        else:
            bases[pk] = row.get("b_named") or "none"
    return {r.pk: bases.get(r.pk, "none") for r in reports}


def report_disclosures_covering(report: WrittenReport, *, organisation_ids, on: dt.date | None = None,
                                labels: tuple[int | None, str] | None = None,
                                first: tuple[int | None, str] | None = None) -> dict[int, str]:
    """For each of ``organisation_ids`` (other than the report's own) to which a valid consent of
    the person who entrusted the report's information (or a recorded legal basis) from the
    organisation that wrote it covers its disclosure: that basis, as the audit trail names it
    (``cases_policy.covering_code``, the read filter's definition). ``labels`` and ``first``:
    (entrusting family member, category) to check instead of the report's own and its first ones,
    for a submission about to be saved. One query, whatever the number of organisations."""
    organisation_ids = set(organisation_ids) - {report.organisation_id}
    if not organisation_ids:
        return {}
    on = on or base._today()
    entruster, category = labels or (report.entrusted_by_id, report.category)
    first_entruster, first_category = first or (report.first_entrusted_by_id, report.first_category)
    disclosure = cases_policy.Disclosure(case=report.conference.case_id, to=Q(to_organisations=OuterRef("pk")),
                                         now=cases_policy.given_labels(report.organisation_id, entruster, category),
                                         first=cases_policy.given_labels(report.organisation_id, first_entruster, first_category),
                                         plain=not first_category)
    rows = (Organisation.objects.filter(pk__in=organisation_ids)
            .annotate(b_code=cases_policy.covering_code(disclosure, on)).values_list("pk", "b_code"))
    return {org: code for org, code in rows if code}


@dataclass(frozen=True)
class AccessNeeds:
    """Access needs one reader reads with one conference: a family member's, from her record
    (``member``; ``own``: her own), or the conference's own note (``member`` None)."""
    text: str
    member: FamilyMember | None = None
    own: bool = False


def access_needs_for_user(user: "User", conferences, *, include_restricted: bool = False) -> dict[int, list[AccessNeeds]]:
    """For each of ``conferences`` (already visible to her), the access needs ``user`` reads with it.

    They may be health information (review h9, H9-2). The case team reads the conference's note and
    the needs of every family member invited to it (from her record, as it stands); a parent of the
    case reads the note, unless it is kept for the team (``Conference.access_needs_team_only``), and
    her own needs, never another family member's; anyone else (a guest of the conference) none.
    Nobody reads the needs of a family member whose processing is restricted (Art. 18), except she,
    unless ``include_restricted`` (only for the audited read with a reason,
    ``privacy.services.restricted_read``). The one rule of the conference page and the API. Two queries at most, whatever the number of
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
    # A family member whose processing is restricted (Art. 18) keeps only her name and relation in
    # the team's reads (review h11, H11-2); she reads her own needs, as ``restricted_member_ids``
    # leaves her out. Her needs are read for the restricting reason at /restrictions/, audited.
    invited = (Invitation.objects.filter(Q(conference_id__in=team) | Q(conference_id__in=family, family_member__user=user),
                                         removed_at__isnull=True, family_member__isnull=False)
               .exclude(family_member__access_needs="").select_related("family_member").order_by("family_member_id", "pk"))
    if not include_restricted:
        invited = invited.exclude(family_member_id__in=cases_policy.restricted_member_ids(user))
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


def access_needs_noted_for_user(user: "User", conference) -> bool:
    """Whether ``user`` reads any access needs with ``conference`` (``access_needs_for_user``): what
    "access arrangements have been noted" may say to her (the conference's .ics download). Only
    that, never what or whose; never because of needs she may not read herself (another parent's,
    or those of a person whose processing is restricted, Art. 18)."""
    return bool(access_needs_for_user(user, [conference])[conference.pk])


def access_needs_noted_for_invitation(invitation: Invitation, conference: Conference) -> bool:
    """``access_needs_noted_for_user`` for the reader of an invitation e-mail and its calendar
    object (``conferences.imip``): the invited account; a parent without an account, who reads
    the conference's note (unless it is kept for the team) and her own needs; an organisation's
    address, read by its team, which reads the note and the needs of the family members invited,
    never those of a person whose processing is restricted (Art. 18)."""
    member = invitation.family_member if invitation.family_member_id else None
    account = member.user if member is not None else invitation.user
    if account is not None:
        return access_needs_noted_for_user(account, conference)
    if member is not None:
        return bool((conference.access_needs and not conference.access_needs_team_only)
                    or (member.access_needs and not member.is_erased))
    return bool(conference.access_needs) or (
        Invitation.objects.filter(conference=conference, removed_at__isnull=True, family_member__isnull=False)
        .exclude(family_member__access_needs="").exclude(family_member_id__in=cases_policy.restricted_members()).exists())
