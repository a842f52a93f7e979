"""The access policy of the case (README, "Who may see what"), beside its models.

Rules 2 and 3 for the case itself: a professional on its active case team (personally, through
her organisation, or standing in for a colleague), a parent of the family. Also who convenes and
reopens a case, the consents and recorded legal bases of the case team, when a consent or legal
basis covers a disclosure (rules 4 and 5: ``covered``, ``covering_code``, the one definition that
restricted protocol items and restricted written reports are read under), restrictions of
processing (Art. 18), legal holds and a family's audit log (Art. 15).
``Case``, ``Consent`` and ``DisclosureBasis`` register their rules as ``visible_to`` in
``CasesConfig.ready`` (``permissions.querysets.register``). The query shape (UNION of per-route
ids inside one ``pk IN``) is explained in ``permissions/policy.py``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case as SqlCase
from django.db.models import CharField, Exists, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, Concat
from django.db.models.lookups import Contains, IsNull
from django.utils.translation import gettext as _

from cases.models import Case, CaseTeamMember, Consent, DisclosureBasis, FamilyMember, LegalBasis, LegalHold
from participants import policy as participants_policy
from participants.models import Membership, ProfessionalRole, User
from permissions import policy as base
from permissions.models import AuditEvent
from permissions.requests import request_memo


def team_rows_of(user: "User") -> QuerySet:
    """The active team rows that put the user on a case: hers, her organisation's, or a colleague's
    whom she substitutes, for an organisation she works for. A colleague's row counts only while the
    colleague herself still works for its organisation (``colleagues_in_office``): a substitute
    stands in for what the colleague could read now, and a colleague who left the organisation
    hands over nothing nobody decided (review 2026-12-06)."""
    if not base._is_real_user(user):
        return CaseTeamMember.objects.none()
    return (
        CaseTeamMember.objects.filter(removed_at__isnull=True, organisation_id__in=participants_policy.organisation_ids(user))
        .filter(Q(user=user) | Q(user__isnull=True)
                | Q(base.PairIn(base.Pair(F("user_id"), F("organisation_id")), base.compiled(colleagues_in_office(user)))))
    )


def colleagues_in_office(user: "User") -> QuerySet:
    """(user, organisation) of each active membership of the colleagues ``user`` stands in for
    today: the rows through which a substitute reads a colleague's cases. Whether the organisation
    is active is not asked here: ``team_rows_of``, the one reader, takes only team rows of an
    organisation she works for, and ``organisation_ids`` holds active organisations only. Asked
    twice it cost a join in each of the ~11 copies of her team rows in a policy statement, which
    PostgreSQL plans anew at every request (issue 13)."""
    return Membership.objects.filter(user_id__in=base.substituted_user_ids(user), is_active=True).values("user_id", "organisation_id")


def professional_case_ids(user: "User") -> QuerySet:
    """Case ids on whose active team the user is: personally, through her organisation, or as
    the substitute of a colleague who is on it personally for an organisation both work for."""
    return team_rows_of(user).values("case_id")


def own_case_ids(user: "User") -> QuerySet:
    """Case ids on whose active team the user is in her own right: her own row, or her
    organisation's row, not only the row of a colleague she stands in for. What she does with a
    case she reads only as a substitute must not give her a seat that outlasts the grant
    (``convenes_in_own_right``; the referral path, review h7-3)."""
    return team_rows_of(user).filter(Q(user=user) | Q(user__isnull=True)).values("case_id")


def team_organisation_ids(user: "User", case: "Case") -> QuerySet:
    """The organisations for which the user is on ``case``'s active team (not every organisation
    she works for: a second membership does not make her speak for an organisation that is on the
    team only through a colleague)."""
    return CaseTeamMember.objects.filter(case_id=case.pk, pk__in=_team_row_ids(user)).values("organisation_id")


def _team_row_ids(user: "User"):
    """The ids of ``team_rows_of(user)`` as SQL compiled once per user and day
    (``base.statements_for``; every row is still read when the statement runs), for the per-case
    questions asked on every page and before every write: built afresh, the subquery cost 1.6 ms of
    Python each time, more than PostgreSQL spent answering it (issue 13: the live edit's convenor
    check, ``bench/ws_fanout.py``). The key holds all the statement depends on: the user's id and
    the day (the substitute grants are dated by it); whether she is a real user is asked first,
    each time."""
    if not base._is_real_user(user):
        return CaseTeamMember.objects.none().values("pk")
    return base.statements_for(("cases.team_rows", user.pk, base._today()),
                               lambda: {"ids": base.compiled(team_rows_of(user).values("pk"))})["ids"]


def self_admission_refusal(case_id: int, organisation_id: int) -> str:
    """Why a professional may not join ``case``'s team on her own for ``organisation`` (on an
    accepted referral's ground), or "" when she may: a ground lets an organisation join, once; it
    never undoes the convenor's decision. Once the convenor took a member of the organisation off
    the team, and while the organisation is on it, further people join only when the convenor adds
    them. The one rule for the service (``services.case_team_member_admit``) and the page that
    offers the step (``offers.referral_selectors``)."""
    rows = CaseTeamMember.objects.filter(case_id=case_id, organisation_id=organisation_id)
    if rows.filter(removed_at__isnull=False).exclude(removal_reason=CaseTeamMember.LEFT_ORGANISATION).exists():
        return _("The convenor took this organisation's members off the case team; only the convenor can add "
                 "someone of it again.")
    if rows.filter(removed_at__isnull=True).exists():
        return _("Your organisation is already on this case team; the convenor adds further colleagues.")
    return ""


def parent_case_ids(user: "User") -> QuerySet:
    if not base._is_real_user(user):
        return FamilyMember.objects.none().values("case_id")
    return FamilyMember.objects.filter(user=user, relation__in=FamilyMember.PARENT_RELATIONS).values("case_id")


def has_case_pages(user: "User") -> bool:
    """Whether the user has a list of cases and of agreed actions at all: a professional who works
    for an organisation (with cases, or none yet), or a member of a family whose record her account
    is linked to. A board member, coordinator, data-protection officer or technical admin without
    either reads no case (rules 1 and 6) and is refused those pages with a reason instead of an
    empty list that looks as if her cases were missing."""
    if not base._is_real_user(user):
        return False
    return participants_policy.organisation_ids(user).exists() or FamilyMember.objects.filter(user=user).exists()


def cases_for_user(user: "User") -> QuerySet["Case"]:
    """Cases the user may open: professional on the team, or parent of the family."""
    if not base._is_real_user(user):
        return Case.objects.none()
    return Case.objects.filter(pk__in=base.union_ids(professional_case_ids(user), parent_case_ids(user)))


def is_professional_on_case(user: "User", case: "Case") -> bool:
    return base._is_real_user(user) and request_memo(
        ("professional_on_case", user.pk, case.pk),
        lambda: CaseTeamMember.objects.filter(case_id=case.pk, pk__in=_team_row_ids(user)).exists())


def is_parent_of_case(user: "User", case: "Case") -> bool:
    return base._is_real_user(user) and request_memo(
        ("parent_of_case", user.pk, case.pk), lambda: parent_case_ids(user).filter(case_id=case.pk).exists())


def can_convene(user: "User", case: "Case") -> bool:
    """The lead caseworker, or a caseworker of the lead organisation on the team, convenes."""
    if not base._is_real_user(user) or case.status == case.Status.CLOSED:
        return False
    # No separate "on the team at all" question: ``_leads_the_case`` asks for an active team row
    # of hers for the lead organisation, which is one (a query less on every live edit's path).
    return _leads_the_case(user, case)


def _leads_the_case(user: "User", case: "Case") -> bool:
    """On the team FOR the lead organisation, as the case's lead caseworker or a caseworker of that
    organisation: a caseworker membership there does not make a professional on the team for another
    organisation (or the substitute of one) its convenor, and neither does having been named lead
    caseworker once she no longer works for the lead organisation (and is on the team for another
    only): who convenes decides who joins the team and so who reads the case."""
    if case.lead_caseworker_id != user.pk and not Membership.objects.filter(
            user=user, organisation_id=case.lead_organisation_id, role=ProfessionalRole.CASEWORKER, is_active=True).exists():
        return False
    return team_organisation_ids(user, case).filter(organisation_id=case.lead_organisation_id).exists()


def convenes_in_own_right(user: "User", case: "Case") -> bool:
    """``can_convene``, and not only through a substitute grant: she is on the case's active team
    for its lead organisation herself (her own row, or the organisation's row while she works for
    it), not only through the row of a colleague she stands in for. What a substitute may not do
    with the convenor's powers is make her stand-in outlast the grant
    (``services.case_team_member_add``)."""
    return can_convene(user, case) and CaseTeamMember.objects.filter(
        case_id=case.pk, organisation_id=case.lead_organisation_id, removed_at__isnull=True,
        organisation_id__in=participants_policy.organisation_ids(user)).filter(Q(user=user) | Q(user__isnull=True)).exists()


def _on_team_for_lead(user: "User") -> Exists:
    """On a Case: the user is on its active team for its lead organisation (``_leads_the_case``)."""
    return Exists(team_rows_of(user).filter(case_id=OuterRef("pk"), organisation_id=OuterRef("lead_organisation_id")))


def convened_case_ids(user: "User") -> QuerySet:
    """Ids of the open cases the user convenes (``can_convene`` as a subquery)."""
    if not base._is_real_user(user):
        return Case.objects.none().values("pk")
    caseworker_orgs = Membership.objects.filter(user=user, role=ProfessionalRole.CASEWORKER, is_active=True).values("organisation_id")
    return (
        Case.objects.filter(pk__in=professional_case_ids(user)).exclude(status=Case.Status.CLOSED)
        .filter(_on_team_for_lead(user), Q(lead_caseworker=user) | Q(lead_organisation_id__in=caseworker_orgs))
        .values("pk")
    )


def can_reopen_case(user: "User", case: "Case") -> bool:
    """A closed case may be reopened by its lead caseworker or a caseworker of its lead
    organisation on the team, until the retention period erased its content."""
    if not base._is_real_user(user) or case.status != case.Status.CLOSED or not is_professional_on_case(user, case):
        return False
    if hasattr(case, "erasure"):
        return False
    return _leads_the_case(user, case)


def restricted_member_ids(user: "User") -> QuerySet:
    """Family members whose processing is restricted (GDPR Art. 18, ``privacy.ProcessingRestriction``
    in force), other than the user herself: normal reads of their data are refused; a read for the
    restricting reason goes through ``privacy.services.restricted_read`` with a recorded reason."""
    return restricted_members().exclude(user=user)


def restricted_members() -> QuerySet:
    """Ids of every family member whose processing is restricted (Art. 18), whoever reads: for a
    reader without an account of her own (an organisation's address, ``conferences.policy``);
    ``restricted_member_ids`` for a user."""
    # Both conditions in one filter() so they hold for the same restriction row: lifted_at IS NULL
    # alone would also match the LEFT JOIN's empty row of every person without any restriction.
    return FamilyMember.objects.filter(processing_restrictions__pk__isnull=False,
                                       processing_restrictions__lifted_at__isnull=True).values("pk")


def entrusted_by_any(members, *, prefix: str = "", indexed: bool = False) -> Q:
    """On a protocol item or a written report (``prefix``: the path to one, e.g. ``"item__"`` from
    an agreed action): entrusted by one of ``members`` (ids, or a subquery of them) as it is
    labelled now or as it was first entrusted (``first_entrusted_by``, kept when it was
    relabelled). The one definition of "what a person entrusted" for a restriction of processing
    (Art. 18, ``restricted_member_ids``) in every channel and for the read with a reason
    (``privacy.services.restricted_read``): a relabel must not lift the restriction.

    ``indexed``: where the rows entrusted by them are SELECTED (never under ``exclude``), each
    column is compared with the subquery as an array (``base.AnyOf``), which its index answers.
    As ``IN (subquery) OR IN (subquery)`` PostgreSQL hashed both subqueries and scanned every item
    to test them (110,003 items, 33 ms, in the actions filter at 1M grant rows;
    ``bench/grants_scale.py``, 2026-12-07). Not under ``exclude``: an item entrusted by nobody
    (NULL) would fall out with it, as Django adds its NULL handling only to its own lookups."""
    if indexed:
        return Q(base.AnyOf(F(f"{prefix}entrusted_by_id"), members)) | Q(base.AnyOf(F(f"{prefix}first_entrusted_by_id"), members))
    return Q(**{f"{prefix}entrusted_by_id__in": members}) | Q(**{f"{prefix}first_entrusted_by_id__in": members})


def case_bases(user: "User", case_ids) -> dict[int, str]:
    """Why the user may read content of each of these (visible) cases: "family" for her own
    family's case, "team" for a case whose team she is on, "guest" for a case she reaches only
    through a guest grant on one of its conferences (the audit trail must not call a guest's
    read "team"). One query."""
    ids = frozenset(case_ids)
    if not ids:
        return {}

    def compute() -> dict[int, str]:
        rows = (
            Case.objects.filter(pk__in=ids)
            .annotate(_is_family=Exists(parent_case_ids(user).filter(case_id=OuterRef("pk"))),
                      _on_team=Exists(team_rows_of(user).filter(case_id=OuterRef("pk"))))
            .values_list("pk", "_is_family", "_on_team")
        )
        return {pk: "family" if family else ("team" if team else "guest") for pk, family, team in rows}

    # Asked once per request for the same cases: the read's audit and what the team and the
    # parents read differently (a protocol's summary for the parents, a conference's access needs).
    found = request_memo(("case_bases", getattr(user, "pk", None), ids), compute)
    return {case_id: found.get(case_id, "guest") for case_id in case_ids}


def team_or_family_case_ids(user: "User", case_ids) -> set[int]:
    """Of ``case_ids``, those whose team she is on or whose family she belongs to as a parent: who
    reads what the parents are told (a protocol's summary for the parents), unlike a guest of one
    conference. ``case_bases``, so asked once per request."""
    return {case_id for case_id, basis in case_bases(user, case_ids).items() if basis != "guest"}


def consents_for_user(user: "User", *, include_restricted: bool = False) -> QuerySet:
    """Consents of cases the professional is on, and the consents a parent gave herself. Consents
    given by a person whose processing is restricted (Art. 18) are left out unless
    ``include_restricted`` (only for the audited read with a reason); she still sees her own."""
    if not base._is_real_user(user):
        return Consent.objects.none()
    team = Consent.objects.filter(case_id__in=professional_case_ids(user)).values("pk")
    own = Consent.objects.filter(given_by__user=user).values("pk")
    consents = Consent.objects.filter(pk__in=base.union_ids(team, own))
    return consents if include_restricted else consents.exclude(given_by_id__in=restricted_member_ids(user))


def can_record_consent(user: "User", case: "Case") -> bool:
    """A professional on the case team documents a consent (or a non-consent legal basis)."""
    return case.status != case.Status.CLOSED and is_professional_on_case(user, case)


def can_revoke_consent(user: "User", consent) -> bool:
    """The person who gave it, or a professional on the team recording a revocation she received."""
    if not base._is_real_user(user) or consent.revoked_at is not None:
        return False
    return consent.given_by.user_id == user.pk or is_professional_on_case(user, consent.case)


def can_end_disclosure_basis(user: "User", record, *, even_if_ended: bool = False) -> bool:
    """Who ends a recorded legal basis before its time limit (one recorded in error, or whose
    grounds have gone): a professional on the open case's team FOR the disclosing organisation,
    the one whose information it passes on (review h3-8: nobody could end one). ``even_if_ended``:
    whether she would, had it not ended already (she is then told so)."""
    if not base._is_real_user(user) or (record.ended_at is not None and not even_if_ended):
        return False
    case = record.case
    return can_record_consent(user, case) and team_organisation_ids(user, case).filter(
        organisation_id=record.from_organisation_id).exists()


def endable_disclosure_basis_ids(user: "User", case: "Case", bases) -> set[int]:
    """``can_end_disclosure_basis`` for the bases of one case at once (one query for the page)."""
    if not base._is_real_user(user) or not bases or not can_record_consent(user, case):
        return set()
    on_team_for = set(team_organisation_ids(user, case).values_list("organisation_id", flat=True))
    return {b.pk for b in bases if b.ended_at is None and b.from_organisation_id in on_team_for}


def disclosure_bases_for_user(user: "User") -> QuerySet:
    """Recorded non-consent legal bases: the case team only."""
    if not base._is_real_user(user):
        return DisclosureBasis.objects.none()
    return DisclosureBasis.objects.filter(case_id__in=professional_case_ids(user))


# --- When a consent or legal basis covers a disclosure: ONE definition ---------------------------
#
# A disclosure goes to ONE organisation: a case's information, from its holder, under its labels
# (and, for a protocol item relabelled once, the labels it was first entrusted under), to an
# organisation it is named for. It is covered where a consent or legal basis to THAT organisation
# covers every label set (``covered``), and audited under the basis ``covering_code`` names for it.
# Every reader of restricted information judges a ``Disclosure`` with these two, built on
# ``consents_covering`` and ``bases_covering``: restricted protocol items (``protocols.policy``: the
# read filter, the basis a read is audited under, the check before an item is passed on or
# relabelled) and written reports restricted to named organisations (``conferences.policy``). They
# know no model above this app: the caller says where the labels and the organisation come from.
# Never pieced together from two organisations: a professional on the team for two reads nothing
# that neither of them may read (review 2026-12-06).

# Labels: (holding organisation, entrusting family member, category), as SQL expressions.
Labels = tuple


def given_labels(holder: int | None, entruster: int | None, category: str) -> Labels:
    """Labels given as values (an item's, or those of a relabel about to be saved)."""
    return (Value(holder, output_field=IntegerField()), Value(entruster, output_field=IntegerField()),
            Value(category, output_field=CharField()))


@dataclass(frozen=True)
class Disclosure:
    """One disclosure to judge: of ``case``'s information to the one organisation ``to`` admits
    (a Q on a consent or legal basis), under the labels ``now`` and, unless ``plain`` holds (the
    information was never relabelled: a Q on the row, or a value), under ``first`` as well."""
    case: object
    to: Q
    now: Labels
    first: Labels
    plain: Q | bool


def consents_covering(case, to: Q, on: dt.date, label_sets: list[Labels]) -> QuerySet:
    """The consents of ``case`` valid on ``on``, to an organisation ``to`` admits, that cover the
    disclosure of information under every one of ``label_sets``: from its holding organisation, for
    its category, and (§ 65 SGB VIII) given by the person who entrusted it or, where no single person
    entrusted it, by a parent of the case."""
    rows = Consent.objects.filter(to, case_id=case, valid_from__lte=on, valid_until__gte=on, revoked_at__isnull=True)
    for holder, entruster, category in label_sets:
        # one filter() per set: each its own join of the scopes, so that one consent has every category
        rows = rows.filter(Q(given_by_id=entruster) | Q(IsNull(entruster, True), given_by__relation__in=FamilyMember.PARENT_RELATIONS),
                           from_organisation_id=holder, scopes__category=category)
    return rows


def bases_covering(case, to: Q, on: dt.date, label_sets: list[Labels]) -> QuerySet:
    """The recorded non-consent legal bases of ``case`` in force on ``on``, to an organisation ``to``
    admits, that cover the disclosure under every one of ``label_sets``: from its holding
    organisation (a legal basis covers every category and whoever entrusted it)."""
    rows = DisclosureBasis.objects.filter(to, case_id=case, invoked_on__lte=on, valid_until__gte=on, ended_at__isnull=True)
    for holder, _entruster, _category in label_sets:
        rows = rows.filter(from_organisation_id=holder)
    return rows


def covered(disclosure: Disclosure, on: dt.date) -> Q:
    """Q: a consent or legal basis to the one organisation of ``disclosure`` covers it under its
    labels, and, where it was relabelled, one (the same or another, to that same organisation)
    under its first labels as well. A relabel never widens whom a consent lets read it."""
    d = disclosure

    def one(label_sets: list[Labels]) -> Q:
        return (Q(Exists(consents_covering(d.case, d.to, on, label_sets)))
                | Q(Exists(bases_covering(d.case, d.to, on, label_sets))))

    if d.plain is True:
        return one([d.now])
    if d.plain is False:
        return one([d.now]) & one([d.first])
    return one([d.now]) & (d.plain | one([d.first]))


class _Both(Func):
    """``a || ' ' || b``: NULL where either is NULL (``Concat`` reads NULL as '' on some databases)."""

    template = "(%(expressions)s)"
    arg_joiner = " || "
    output_field = CharField()


def covering_code(disclosure: Disclosure, on: dt.date):
    """The basis a disclosure ``covered`` admits is audited under, as SQL: the oldest consent,
    else the oldest legal basis, that covers every label set alone; for a relabelled item that no
    single one covers, the one for its labels and the one for its first labels, both ("consent:4
    consent:9"): never one that covers only one set. NULL where ``covered`` does not hold."""
    d = disclosure

    def one(label_sets: list[Labels]) -> Coalesce:
        return Coalesce(oldest(consents_covering(d.case, d.to, on, label_sets), consent_code()),
                        oldest(bases_covering(d.case, d.to, on, label_sets), basis_code()), output_field=CharField())

    relabelled = Coalesce(one([d.now, d.first]), _Both(one([d.now]), Value(" "), one([d.first])), output_field=CharField())
    if d.plain is True:
        return one([d.now])
    if d.plain is False:
        return relabelled
    return SqlCase(When(d.plain, then=one([d.now])), default=relabelled, output_field=CharField())


# --- What one parent entrusted, opened to the parents: ONE definition ------------------------------
#
# Information entrusted to an organisation and later opened to the parents (a protocol item widened
# to everyone after it was restricted, a written report widened to the team after it was restricted
# and shared with the parents) goes to the person who entrusted it and to nobody else of the family:
# never while another parent is on the case, never when nobody alone entrusted it, never once it was
# relabelled from the person who first entrusted it. The check before it is opened and the parents'
# read filter are these two; the fields (``entrusted_by``, ``first_category``,
# ``first_entrusted_by``) are named alike on both models.

def other_parents_would_read(*, case_id: int, entrusted_by_id: int | None, first_category: str,
                             first_entrusted_by_id: int | None) -> bool:
    """Whether opening entrusted information to the parents would let a family member read it who
    did not entrust it (see above): then no consent can cover opening it."""
    if first_category and first_entrusted_by_id != entrusted_by_id:
        return True
    others = FamilyMember.objects.filter(case_id=case_id, relation__in=FamilyMember.PARENT_RELATIONS)
    if entrusted_by_id:
        others = others.exclude(pk=entrusted_by_id)
    return others.exists()


def entrusted_by_reader(own_members) -> Q:
    """On an item or report that carries labels and is open to the parents: entrusted by one of
    ``own_members`` (the reader's family rows, a subquery), under its labels and any first ones. A
    parent who joins the case later reads nothing another one entrusted, nor anything entrusted
    by nobody named."""
    return Q(entrusted_by_id__in=own_members) & (Q(first_category="") | Q(first_entrusted_by_id__in=own_members))


def consent_code() -> Concat:
    return Concat(Value("consent:"), Cast("pk", CharField()), output_field=CharField())


def basis_code() -> Concat:
    return Concat(F("basis"), Value(":"), Cast("pk", CharField()), output_field=CharField())


def oldest(rows: QuerySet, code) -> Subquery:
    """The code (``consent_code``, ``basis_code``) of the oldest of ``rows``, as a subquery."""
    return Subquery(rows.order_by("pk").annotate(b_code=code).values("b_code")[:1], output_field=CharField())


def legal_basis_codes() -> list[str]:
    """The codes of the fixed legal bases for disclosure without consent (participants.LegalBasis)."""
    return list(LegalBasis.values)


def family_audit_events_for_user(user: "User") -> QuerySet:
    """GDPR Art. 15 for a parent: who read or changed the data of her family's case.

    Two kinds of events stay out. A legal basis the parents were deliberately not told about
    (informing them would endanger the child): its record, its end, and the reads made under it.
    Legal-hold events stay out too (a hold may stand for such a procedure).
    And another person's consent (the father's, for the mother): it is his data, so neither its
    record, its revocation nor the reads it released are hers to see. A read released under
    several bases names each in ``legal_basis``, separated by spaces; it is left out when any of
    them is hidden. Data-subject requests (``dsr.*``) and the setting and lifting of a restriction
    of processing stay out as well: a request is the requesting person's, not her family's. A read
    despite a restriction (``restriction.read``) is shown only to the person whose restriction it
    is: the father's, in the mother's log, would tell her of his Art. 18 request (review h3-7)."""
    if not base._is_real_user(user):
        return AuditEvent.objects.none()
    return _family_audit_events(parent_case_ids(user), own_consents=Q(given_by__user=user),
                                own_members=FamilyMember.objects.filter(user=user).values("pk"))


def family_audit_events_for_member(member) -> QuerySet:
    """The same log as ``family_audit_events_for_user`` for one family member, with or without an
    account: the data-protection officer's answer to her access request (Art. 15)."""
    return _family_audit_events(FamilyMember.objects.filter(pk=member.pk).values("case_id"),
                                own_consents=Q(given_by_id=member.pk), own_members=[member.pk])


def _family_audit_events(cases: QuerySet, *, own_consents: Q, own_members) -> QuerySet:
    uninformed = DisclosureBasis.objects.filter(case_id__in=cases, parents_informed=False)
    others_consents = Consent.objects.filter(case_id__in=cases).exclude(own_consents)

    def token(prefix):
        return Concat(Value(" "), prefix, Value(":"), Cast("pk", CharField()), Value(" "), output_field=CharField())

    hidden_basis = (
        Exists(uninformed.annotate(token=token(F("basis"))).filter(Contains(OuterRef("basis_tokens"), F("token"))))
        | Exists(others_consents.annotate(token=token(Value("consent"))).filter(Contains(OuterRef("basis_tokens"), F("token"))))
    )
    return (
        # A legal hold can stand for a § 8a procedure the parents were not told about: its events
        # stay out of their log like an uninformed legal basis does.
        AuditEvent.objects.filter(case_id__in=cases).exclude(action__startswith="legal_hold.").exclude(action__startswith="dsr.")
        .exclude(action__in=["restriction.set", "restriction.lift"])
        .annotate(basis_tokens=Concat(Value(" "), "legal_basis", Value(" "), output_field=CharField()),
                  restricted_member=Cast(KeyTextTransform("family_member", "detail"), IntegerField()))
        # whose restriction a read despite a restriction was made under (``privacy.services.restricted_read``
        # names the person in its detail): hers only; an event without the name stays out too
        .exclude(Q(action="restriction.read") & ~Q(restricted_member__in=own_members))
        .exclude(
            Q(object_type="participants.disclosurebasis", object_id__in=uninformed.annotate(key=Cast("pk", CharField())).values("key"))
            | Q(object_type="participants.consent", object_id__in=others_consents.annotate(key=Cast("pk", CharField())).values("key"))
            | hidden_basis
        )
    )


def can_manage_legal_hold(user: "User", case: "Case", *, instructed_by: "User | None" = None) -> bool:
    """The network's data-protection officer sets and lifts holds; the case's lead caseworker may
    do so only on the instruction of that officer, who is then named on the record, and only while
    she is on the case's team for its lead organisation (``legal_hold_cases``)."""
    if not base._is_real_user(user):
        return False
    if participants_policy.is_dpo_of(user, case.network_id):
        return True
    return (case.lead_caseworker_id == user.pk and instructed_by is not None and instructed_by.pk != user.pk
            and instructed_by.is_active and participants_policy.is_dpo_of(instructed_by, case.network_id)
            and team_organisation_ids(user, case).filter(organisation_id=case.lead_organisation_id).exists())


def legal_holds_for_user(user: "User") -> QuerySet:
    """Holds with their reasons: only for the data-protection officer of the case's network."""
    if not base._is_real_user(user):
        return LegalHold.objects.none()
    return LegalHold.objects.filter(case__network_id__in=participants_policy.dpo_network_ids(user))


def legal_hold_cases(user: "User") -> QuerySet:
    """The cases whose hold page the user may open: any case of the officer's networks (she is on
    no team), and the cases the user leads as caseworker while she is on their team for the lead
    organisation (closed ones too: a hold outlives the case). A lead caseworker who left the lead
    organisation, or the team, opens nothing of the case here, as nowhere else."""
    if not base._is_real_user(user):
        return Case.objects.none()
    return Case.objects.filter(Q(network_id__in=participants_policy.dpo_network_ids(user))
                               | (Q(lead_caseworker_id=user.pk) & Q(_on_team_for_lead(user))))


def can_open_legal_hold_page(user: "User", case: "Case") -> bool:
    """Whether the case's hold page lets the user in (``legal_hold_cases``): the case page offers
    its link only then, never a link that ends on "page not found". Someone who does not lead the
    case can only be the officer: asked without the team (the case page asks the team once)."""
    if not base._is_real_user(user):
        return False
    if case.lead_caseworker_id != user.pk:
        return Case.objects.filter(pk=case.pk, network_id__in=participants_policy.dpo_network_ids(user)).exists()
    return legal_hold_cases(user).filter(pk=case.pk).exists()
