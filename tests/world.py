"""A small, fully known world: one case with every kind of object, and one user per role.

The permission matrix, the dashboards and most feature tests stand on it. Each attribute is
documented so that a test reads as a sentence: ``world.counsellor`` may read
``world.item_restricted`` because ``world.consent`` covers it.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import pyotp
from django.utils import timezone

from cases.models import Case, CaseTeamMember, Consent, ConsentScope, FamilyMember, InformationCategory
from conferences.models import Conference, Invitation
from participants.models import Membership, Network, NetworkRole, Organisation, OrganisationKind, ProfessionalRole, User
from board.models import HalfYearSummary
from protocols.models import AgreedAction, Audience, Protocol, ProtocolItem

PASSWORD = "test-passwort-2026"


def ended_first_half_year() -> int:
    """The year of the latest first half year that has ended (this year's from July on, else
    last year's): the board computes the figures of a half year only once it has ended, and
    ``World.summary`` is last year's second half, already published."""
    today = timezone.localdate()
    return today.year if today.month > 6 else today.year - 1


def make_user(username: str, **extra) -> User:
    user = User(username=username, email=f"{username}@example.org", first_name=extra.pop("first_name", username.title()), **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


def make_professional(username: str, organisation: Organisation, role: str = ProfessionalRole.OTHER) -> User:
    user = make_user(username)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


@dataclass
class World:
    network: Network
    other_network: Network
    youth_welfare: Organisation        # lead organisation of the case
    counselling: Organisation          # on the team, receives the restricted item by consent
    midwifery: Organisation            # on the team, no consent
    early_help: Organisation           # in the network, not on the team
    foreign_org: Organisation          # another network
    convenor: User                     # lead caseworker (youth welfare)
    lead_colleague: User               # youth welfare caseworker, on the team personally
    counsellor: User                   # other organisation on the team, covered by consent
    midwife: User                      # other organisation on the team, no consent
    outsider: User                     # professional of the network, not on the team
    foreign_professional: User         # professional of another network
    parent: User                       # the mother of the case, with an account
    other_parent: User                 # a parent of another case
    board_member: User
    coordinator: User
    dpo: User                          # data-protection officer of the network
    admin: User                        # superuser and staff, no role in any network
    case: Case
    other_case: Case                   # same network, the outsider's and other parent's case
    mother: FamilyMember
    expected_child: FamilyMember
    conference: Conference
    invitation_counsellor: Invitation
    invitation_parent: Invitation
    protocol: Protocol
    item_everyone: ProtocolItem
    item_professionals: ProtocolItem
    item_restricted: ProtocolItem      # held by youth welfare, entrusted by the mother, to counselling + midwifery
    consent: Consent                   # mother: youth welfare -> counselling, parenting & child welfare
    action_counselling: AgreedAction   # falls to the counselling organisation (the counsellor)
    action_parent: AgreedAction        # falls to the mother
    summary: HalfYearSummary           # published, network


def build_world() -> World:
    today = timezone.localdate()
    network = Network.objects.create(name="Kreis Test", slug="kreis-test", case_reference_prefix="KT")
    other_network = Network.objects.create(name="Region Anders", slug="region-anders", country="DK",
                                           time_zone="Europe/Copenhagen", case_reference_prefix="RA")
    youth_welfare = Organisation.objects.create(network=network, name="Jugendamt Test", kind=OrganisationKind.YOUTH_WELFARE)
    counselling = Organisation.objects.create(network=network, name="Suchtberatung Test", kind=OrganisationKind.ADDICTION_COUNSELLING)
    midwifery = Organisation.objects.create(network=network, name="Hebammenpraxis Test", kind=OrganisationKind.MIDWIFERY)
    early_help = Organisation.objects.create(network=network, name="Frühe Hilfen Test", kind=OrganisationKind.EARLY_HELP)
    foreign_org = Organisation.objects.create(network=other_network, name="Kommune Anders", kind=OrganisationKind.YOUTH_WELFARE)

    convenor = make_professional("convenor", youth_welfare, ProfessionalRole.CASEWORKER)
    lead_colleague = make_professional("colleague", youth_welfare, ProfessionalRole.CASEWORKER)
    counsellor = make_professional("counsellor", counselling, ProfessionalRole.COUNSELLOR)
    midwife = make_professional("midwife", midwifery, ProfessionalRole.MIDWIFE)
    outsider = make_professional("outsider", early_help, ProfessionalRole.SOCIAL_WORKER)
    foreign_professional = make_professional("foreigner", foreign_org, ProfessionalRole.CASEWORKER)
    parent = make_user("parent")
    other_parent = make_user("otherparent")
    board_member = make_user("board")
    coordinator = make_user("coordinator")
    dpo = make_user("dpo")
    admin = make_user("admin", is_staff=True, is_superuser=True)
    NetworkRole.objects.create(user=board_member, network=network, role=NetworkRole.Role.BOARD_MEMBER, organisation=counselling)
    NetworkRole.objects.create(user=coordinator, network=network, role=NetworkRole.Role.COORDINATOR)
    NetworkRole.objects.create(user=dpo, network=network, role=NetworkRole.Role.DATA_PROTECTION_OFFICER)

    case = Case.objects.create(network=network, reference="KT-2026-001", lead_organisation=youth_welfare,
                               lead_caseworker=convenor, status=Case.Status.ACTIVE, opened_on=today - dt.timedelta(days=60),
                               expected_child_at_opening=True)
    other_case = Case.objects.create(network=network, reference="KT-2026-002", lead_organisation=youth_welfare,
                                     lead_caseworker=lead_colleague, status=Case.Status.ACTIVE, opened_on=today - dt.timedelta(days=30))
    CaseTeamMember.objects.create(case=case, organisation=youth_welfare, user=convenor, case_role=CaseTeamMember.CaseRole.LEAD)
    CaseTeamMember.objects.create(case=case, organisation=youth_welfare, user=lead_colleague)
    CaseTeamMember.objects.create(case=case, organisation=counselling, user=counsellor, case_role=CaseTeamMember.CaseRole.COUNSELLING)
    CaseTeamMember.objects.create(case=case, organisation=midwifery, user=midwife, case_role=CaseTeamMember.CaseRole.MIDWIFERY)
    CaseTeamMember.objects.create(case=other_case, organisation=youth_welfare, user=lead_colleague, case_role=CaseTeamMember.CaseRole.LEAD)
    CaseTeamMember.objects.create(case=other_case, organisation=early_help, user=outsider)

    mother = FamilyMember.objects.create(case=case, relation=FamilyMember.Relation.MOTHER, display_name="M.", user=parent,
                                         email="parent@example.org")
    expected_child = FamilyMember.objects.create(case=case, relation=FamilyMember.Relation.EXPECTED_CHILD, display_name="Baby",
                                                 due_date=today + dt.timedelta(days=90))
    FamilyMember.objects.create(case=other_case, relation=FamilyMember.Relation.FATHER, display_name="V.", user=other_parent)

    start = timezone.now() + dt.timedelta(days=7)
    conference = Conference.objects.create(case=case, convenor=convenor, status=Conference.Status.SCHEDULED,
                                           starts_at=start, ends_at=start + dt.timedelta(minutes=90), location="Rathaus, Raum 2")
    Invitation.objects.create(conference=conference, user=convenor, organisation=youth_welfare)
    invitation_counsellor = Invitation.objects.create(conference=conference, user=counsellor, organisation=counselling)
    Invitation.objects.create(conference=conference, user=midwife, organisation=midwifery, required=False)
    invitation_parent = Invitation.objects.create(conference=conference, family_member=mother)

    protocol = Protocol.objects.create(conference=conference, minute_taker=convenor)
    item_everyone = ProtocolItem.objects.create(protocol=protocol, position=1, title="Situation des Kindes",
                                                text="Alle Beteiligten sehen diesen Punkt.", audience=Audience.EVERYONE, created_by=convenor)
    item_professionals = ProtocolItem.objects.create(protocol=protocol, position=2, title="Einschätzung der Fachkräfte",
                                                     text="Nur für Fachkräfte.", audience=Audience.PROFESSIONALS, created_by=convenor)
    item_restricted = ProtocolItem.objects.create(
        protocol=protocol, position=3, title="Vertraulich anvertraut", text="Nur mit Schweigepflichtentbindung.",
        audience=Audience.RESTRICTED, holding_organisation=youth_welfare, entrusted_by=mother,
        category=InformationCategory.PARENTING_CHILD_WELFARE, created_by=convenor,
    )
    item_restricted.restricted_to.set([counselling, midwifery])

    consent = Consent.objects.create(case=case, given_by=mother, from_organisation=youth_welfare,
                                     valid_from=today - dt.timedelta(days=10), valid_until=today + dt.timedelta(days=365),
                                     form_reference="SE-2026-17", recorded_by=convenor)
    consent.to_organisations.set([counselling])
    ConsentScope.objects.create(consent=consent, category=InformationCategory.PARENTING_CHILD_WELFARE)

    action_counselling = AgreedAction.objects.create(case=case, item=item_professionals, title="Beratungstermin anbieten",
                                                     responsible_organisation=counselling, responsible_user=counsellor,
                                                     due_on=today + dt.timedelta(days=14))
    action_parent = AgreedAction.objects.create(case=case, item=item_everyone, title="Termin bei der Hebamme wahrnehmen",
                                                responsible_family_member=mother, due_on=today + dt.timedelta(days=21))
    summary = HalfYearSummary.objects.create(network=network, year=today.year - 1, half=2, status=HalfYearSummary.Status.PUBLISHED,
                                             figures={"cases": {"active": "< 5"}}, definitions_version="1",
                                             published_at=timezone.now(), published_by=coordinator)
    return World(
        network=network, other_network=other_network, youth_welfare=youth_welfare, counselling=counselling,
        midwifery=midwifery, early_help=early_help, foreign_org=foreign_org, convenor=convenor,
        lead_colleague=lead_colleague, counsellor=counsellor, midwife=midwife, outsider=outsider,
        foreign_professional=foreign_professional, parent=parent, other_parent=other_parent, board_member=board_member,
        coordinator=coordinator, dpo=dpo, admin=admin, case=case, other_case=other_case, mother=mother,
        expected_child=expected_child, conference=conference, invitation_counsellor=invitation_counsellor,
        invitation_parent=invitation_parent, protocol=protocol, item_everyone=item_everyone,
        item_professionals=item_professionals, item_restricted=item_restricted, consent=consent,
        action_counselling=action_counselling, action_parent=action_parent, summary=summary,
    )


def hold_conference(conference) -> None:
    """Move ``conference`` into the past (started two hours ago, ended half an hour ago), so that
    its protocol may be opened and released (``protocols.rules``)."""
    now = timezone.now()
    Conference.objects.filter(pk=conference.pk).update(starts_at=now - dt.timedelta(hours=2),
                                                      ends_at=now - dt.timedelta(minutes=30))
    conference.refresh_from_db()


def totp_code(secret: str) -> str:
    """The current code of an authenticator app with ``secret``, never one about to expire: allauth
    accepts only the 30-second window it checks in (``MFA_TOTP_TOLERANCE`` 0), so a code made in a
    window's last two seconds could be refused by the time the request is handled (CI, 2026-12-07:
    "Incorrect code" once in 6,000 tests)."""
    if 30 - time.time() % 30 < 2:
        time.sleep(2.1)
    return pyotp.TOTP(secret).now()
