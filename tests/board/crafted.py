"""A crafted network whose true half-year figures are known by construction.

The period under test is 2025 H2 (1 July – 31 December 2025), the previous one 2025 H1.
Each block below states the figures it produces; ``tests/board/test_figures.py`` asserts them.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from cases.models import Case, CaseTeamMember, Consent, DisclosureBasis, FamilyMember, LegalBasis
from conferences.models import Conference, Invitation
from participants.models import Network, NetworkRole, Organisation, OrganisationKind, User
from protocols.models import AgreedAction, Protocol, ProtocolItem

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def at(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=BERLIN)


@dataclass
class Crafted:
    network: Network
    cases: list[Case]          # the eight cases opened on 1 August 2025
    first_case: Case
    coordinator: User
    board_member: User


def _case(network, org, user, n, opened, closed=None, expected=False) -> Case:
    return Case.objects.create(
        network=network, reference=f"CR-2025-{n:03d}", lead_organisation=org, lead_caseworker=user,
        status=Case.Status.CLOSED if closed else Case.Status.ACTIVE, opened_on=opened, closed_on=closed,
        expected_child_at_opening=expected,
    )


def _held(case, user, starts, **extra) -> Conference:
    return Conference.objects.create(case=case, convenor=user, status=Conference.Status.HELD, starts_at=starts,
                                     ends_at=starts + dt.timedelta(minutes=90), **extra)


def build_crafted(prefix: str = "CR") -> Crafted:
    network = Network.objects.create(name="Crafted", slug="crafted", case_reference_prefix=prefix)
    yw = Organisation.objects.create(network=network, name="YW", kind=OrganisationKind.YOUTH_WELFARE)
    ac = Organisation.objects.create(network=network, name="AC", kind=OrganisationKind.ADDICTION_COUNSELLING)
    cl = Organisation.objects.create(network=network, name="CL", kind=OrganisationKind.CLINIC)
    mw = Organisation.objects.create(network=network, name="MW", kind=OrganisationKind.MIDWIFERY)
    user = User.objects.create(username="crafted-caseworker")
    coordinator = User.objects.create(username="crafted-coordinator")
    board_member = User.objects.create(username="crafted-board")
    NetworkRole.objects.create(user=coordinator, network=network, role=NetworkRole.Role.COORDINATOR)
    NetworkRole.objects.create(user=board_member, network=network, role=NetworkRole.Role.BOARD_MEMBER)

    # Cases. H2: active 12, new 8, closed 4, with expected child 6 (50 %).
    #        H1: active 6, new 4, closed 2, with expected child 0.
    new = [_case(network, yw, user, i, dt.date(2025, 8, 1), expected=i <= 6) for i in range(1, 9)]
    h1_cases = [_case(network, yw, user, 10 + i, dt.date(2025, 3, 1), closed=dt.date(2025, 9, 15)) for i in range(4)]
    for i in range(2):
        _case(network, yw, user, 20 + i, dt.date(2024, 1, 1), closed=dt.date(2025, 5, 1))
    _case(network, yw, user, 30, dt.date(2026, 1, 10), expected=True)

    # Conferences H2: held 6 (first conference 10, 20, ... 60 days after opening: median 35),
    # parent present at 5 of them, organisations present 1, 2, 2, 3, 3, 4 (median 2.5);
    # cancelled 2; rescheduled 2.  H1: held 4, 31 days after opening each (median over 4: hidden).
    orgs_present = [[yw], [yw, ac], [yw, ac], [yw, ac, cl], [yw, ac, cl], [yw, ac, cl, mw]]
    held = []
    for i, case in enumerate(new[:6]):
        conference = _held(case, user, at(2025, 8, 1) + dt.timedelta(days=10 * (i + 1)), reschedule_count=[2, 1, 0, 0, 0, 0][i])
        held.append(conference)
        mother = FamilyMember.objects.create(case=case, relation=FamilyMember.Relation.MOTHER, display_name="M")
        Invitation.objects.create(conference=conference, family_member=mother, attended=i < 5)
        for org in orgs_present[i]:
            Invitation.objects.create(conference=conference, organisation=org, attended=True)
        Invitation.objects.create(conference=conference, organisation=mw if i < 5 else cl,
                                  attended=False)
    # a second held conference of the first case later in H2 does not change "first conference"
    _held(new[0], user, at(2025, 11, 20))
    for i in range(2):
        Conference.objects.create(case=new[6], convenor=user, status=Conference.Status.CANCELLED,
                                  starts_at=at(2025, 10, 1 + i), ends_at=at(2025, 10, 1 + i, 12))
    for case in h1_cases:
        _held(case, user, at(2025, 4, 1))

    # Agreed actions, H2:
    #   youth welfare: agreed 10, done 6 (5, 10, ... 30 days: median 17.5), dropped 1, open 3, overdue 3
    #   addiction counselling: agreed 7, done 2 (3 and 7 days), open 5, overdue 0
    #   parents: agreed 3, open 3, overdue 2
    #   clinic: created in H1, done in H2 after 70 days (open and overdue at the end of H1)
    #   all: agreed 20, done 9 (median 15), dropped 1, open 11, overdue 5
    protocol = Protocol.objects.create(conference=held[0])
    item = ProtocolItem.objects.create(protocol=protocol, title="Vereinbarungen", created_by=user)
    created = at(2025, 8, 15)
    mother = new[0].family_members.get()

    def action(**kw) -> AgreedAction:
        return AgreedAction.objects.create(case=new[0], item=item, title="A", created_at=kw.pop("created_at", created), **kw)

    for d in (5, 10, 15, 20, 25, 30):
        action(responsible_organisation=yw, due_on=dt.date(2025, 12, 1), status=AgreedAction.Status.DONE,
               completed_on=created.date() + dt.timedelta(days=d))
    dropped = action(responsible_organisation=yw, due_on=dt.date(2025, 12, 1), status=AgreedAction.Status.DROPPED)
    AgreedAction.objects.filter(pk=dropped.pk).update(updated_at=at(2025, 9, 1))
    for _ in range(3):
        action(responsible_organisation=yw, due_on=dt.date(2025, 9, 1))
    for d in (3, 7):
        action(responsible_organisation=ac, due_on=dt.date(2025, 12, 1), status=AgreedAction.Status.DONE,
               completed_on=created.date() + dt.timedelta(days=d))
    for _ in range(5):
        action(responsible_organisation=ac, due_on=dt.date(2026, 2, 1), status=AgreedAction.Status.IN_PROGRESS)
    for due in (dt.date(2025, 12, 1), dt.date(2025, 12, 31), dt.date(2026, 3, 1)):
        action(responsible_family_member=mother, due_on=due)
    action(responsible_organisation=cl, due_on=dt.date(2025, 6, 15), created_at=at(2025, 5, 1),
           status=AgreedAction.Status.DONE, completed_on=dt.date(2025, 7, 10))

    # Consent: cases with a valid consent in H2 7, revocations 1.
    def consent(case, valid_from, valid_until, revoked_at=None, org=yw) -> Consent:
        given_by = case.family_members.first() or FamilyMember.objects.create(
            case=case, relation=FamilyMember.Relation.MOTHER, display_name="M")
        return Consent.objects.create(case=case, given_by=given_by, from_organisation=org, valid_from=valid_from,
                                      valid_until=valid_until, revoked_at=revoked_at, recorded_by=user)

    consent(new[0], dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    consent(new[0], dt.date(2025, 1, 1), dt.date(2025, 12, 31), org=ac)
    consent(new[1], dt.date(2025, 8, 1), dt.date(2026, 7, 31), revoked_at=at(2025, 10, 1))
    consent(new[2], dt.date(2024, 1, 1), dt.date(2025, 3, 31))
    for case in new[3:8]:
        consent(case, dt.date(2025, 9, 1), dt.date(2026, 9, 1))

    # Disclosures without consent in H2: § 4 KKG 3, § 8a specialist 6 (total 9).
    for basis, n, day in ((LegalBasis.DE_KKG_4, 3, dt.date(2025, 9, 1)), (LegalBasis.DE_SPECIALIST_8A, 6, dt.date(2025, 10, 1))):
        for _ in range(n):
            DisclosureBasis.objects.create(case=new[0], basis=basis, from_organisation=yw, invoked_by=user,
                                           justification="J", invoked_on=day, valid_until=day + dt.timedelta(days=30),
                                           parents_informed=True)

    # Another network's data never counts.
    other = Network.objects.create(name="Elsewhere", slug="elsewhere", case_reference_prefix="EL")
    other_org = Organisation.objects.create(network=other, name="EL", kind=OrganisationKind.YOUTH_WELFARE)
    for i in range(6):
        other_case = Case.objects.create(network=other, reference=f"EL-2025-{i:03d}", lead_organisation=other_org,
                                         lead_caseworker=user, status=Case.Status.ACTIVE, opened_on=dt.date(2025, 8, 1))
        _held(other_case, user, at(2025, 9, 1))
        CaseTeamMember.objects.create(case=other_case, organisation=other_org)
    return Crafted(network=network, cases=new, first_case=new[0], coordinator=coordinator, board_member=board_member)
