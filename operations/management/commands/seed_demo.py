"""``manage.py seed_demo``: a German network modelled on Kreis Heinsberg and a smaller Danish one.

Idempotent: every row is found by a stable natural key (slug, name, username, case reference,
position ...) and only created when missing, so a second run changes nothing and duplicates
nothing. Dates are relative to the day of the first run. Families are pseudonymous: references
such as HS-2026-014 and invented first names or initials only.
"""
from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field


from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, no_translations
from django.db import transaction
from django.utils import timezone

from board import services as board_services
from cases.models import Case, CaseTeamMember, Consent, ConsentScope, FamilyMember, InformationCategory
from conferences import imip
from conferences.models import Conference, Invitation, PollSlot, SlotPoll, SlotVote
from outbox.models import Kind as MailKind, OutboxMessage
from participants.models import (
    Country, Membership, Network, NetworkRole, Organisation, OrganisationKind as Kind, ProfessionalRole as PR, User,
)
from participants.working_days import is_working_day
from permissions import audit
from protocols.models import AgreedAction, Audience, Protocol, ProtocolItem
from protocols.services import case_next_review_sync

# --- Networks and organisations --------------------------------------------------------------

NETWORKS = {
    "kreis-heinsberg": dict(
        name="Kooperationsverbund Kreis Heinsberg", country=Country.GERMANY, time_zone="Europe/Berlin", holiday_region="NW",
        case_reference_prefix="HS",
    ),
    "region-syddanmark": dict(
        name="Samarbejde Region Syddanmark", country=Country.DENMARK, time_zone="Europe/Copenhagen",
        case_reference_prefix="SD",
    ),
}

# key: (network slug, name, kind, municipality)
ORGANISATIONS = {
    "kja": ("kreis-heinsberg", "Kreisjugendamt Heinsberg", Kind.YOUTH_WELFARE, "Heinsberg"),
    "ja_erk": ("kreis-heinsberg", "Jugendamt der Stadt Erkelenz", Kind.YOUTH_WELFARE, "Erkelenz"),
    "ja_gk": ("kreis-heinsberg", "Jugendamt der Stadt Geilenkirchen", Kind.YOUTH_WELFARE, "Geilenkirchen"),
    "ja_hs": ("kreis-heinsberg", "Jugendamt der Stadt Heinsberg", Kind.YOUTH_WELFARE, "Heinsberg"),
    "ja_hk": ("kreis-heinsberg", "Jugendamt der Stadt Hückelhoven", Kind.YOUTH_WELFARE, "Hückelhoven"),
    "sb_ga": ("kreis-heinsberg", "Suchtberatung im Gesundheitsamt", Kind.ADDICTION_COUNSELLING, "Heinsberg"),
    "sb_caritas": ("kreis-heinsberg", "Caritas Suchtberatung", Kind.ADDICTION_COUNSELLING, "Erkelenz"),
    "sb_diakonie": ("kreis-heinsberg", "Diakonie Suchtberatung", Kind.ADDICTION_COUNSELLING, "Hückelhoven"),
    "perinatal": ("kreis-heinsberg", "Perinatalzentrum am Kreiskrankenhaus", Kind.CLINIC, "Heinsberg"),
    "gyn": ("kreis-heinsberg", "Frauenarztpraxis am Markt", Kind.GYNAECOLOGY, "Geilenkirchen"),
    "midwife": ("kreis-heinsberg", "Hebammenpraxis Rurtal", Kind.MIDWIFERY, "Heinsberg"),
    "paed": ("kreis-heinsberg", "Kinderarztpraxis Lindenstraße", Kind.PAEDIATRICS, "Erkelenz"),
    "fh": ("kreis-heinsberg", "Frühe Hilfen Kreis Heinsberg", Kind.EARLY_HELP, "Heinsberg"),
    "dk_region": ("region-syddanmark", "Region Syddanmark – Familieambulatoriet", Kind.CLINIC, "Vejle"),
    "dk_kommune": ("region-syddanmark", "Kolding Kommune – Børn og Familie", Kind.YOUTH_WELFARE, "Kolding"),
    "dk_birth": ("region-syddanmark", "Fødeafdelingen Kolding Sygehus", Kind.CLINIC, "Kolding"),
    "dk_mh": ("region-syddanmark", "Mødrehjælpen Kolding", Kind.FAMILY_HELP, "Kolding"),
    # The other municipalities of the Danish network, and the region's addiction treatment and
    # residential treatment for pregnant women: their history fills the yearly report's rows.
    "dk_vejle": ("region-syddanmark", "Vejle Kommune – Familie og Forebyggelse", Kind.YOUTH_WELFARE, "Vejle"),
    "dk_fredericia": ("region-syddanmark", "Fredericia Kommune – Børn og Familie", Kind.YOUTH_WELFARE, "Fredericia"),
    "dk_haderslev": ("region-syddanmark", "Haderslev Kommune – Familierådgivningen", Kind.YOUTH_WELFARE, "Haderslev"),
    "dk_middelfart": ("region-syddanmark", "Middelfart Kommune – Børn og Unge", Kind.YOUTH_WELFARE, "Middelfart"),
    "dk_rusmiddel": ("region-syddanmark", "Rusmiddelcenter Kolding", Kind.ADDICTION_COUNSELLING, "Kolding"),
    "dk_doegn": ("region-syddanmark", "Region Syddanmark – Døgnbehandling for gravide", Kind.RESIDENTIAL_TREATMENT, "Vejle"),
}

# --- People ------------------------------------------------------------------------------------
# Demo user names that named a case reference (never again: a user name is shown widely);
# seed_demo renames them in place in an existing demo database.
LEGACY_USERNAMES = {"sarah.mutter": "sarah.hs014", "mette.mor": "mette.sd003"}

# username: (first name, last name, label for the printed list, [(organisation key, role)],
#            [(network slug, network role, represented organisation key or None)])
PEOPLE = {
    "anna.becker": ("Anna", "Becker", "caseworker, Kreisjugendamt", [("kja", PR.CASEWORKER)], []),
    "jonas.hoffmann": ("Jonas", "Hoffmann", "caseworker, Jugendamt Erkelenz", [("ja_erk", PR.CASEWORKER)], []),
    "sabine.krueger": ("Sabine", "Krüger", "addiction counsellor, Gesundheitsamt", [("sb_ga", PR.COUNSELLOR)], []),
    "markus.vogel": ("Markus", "Vogel", "addiction counsellor, Caritas", [("sb_caritas", PR.COUNSELLOR)], []),
    "eva.schulz": ("Eva", "Schulz", "addiction counsellor, Diakonie", [("sb_diakonie", PR.COUNSELLOR)], []),
    "lena.schmitz": ("Lena", "Schmitz", "case manager, perinatal centre", [("perinatal", PR.CASE_MANAGER)], []),
    "dr.weber": ("Claudia", "Weber", "gynaecologist", [("gyn", PR.PHYSICIAN)], []),
    "petra.lang": ("Petra", "Lang", "midwife", [("midwife", PR.MIDWIFE)], []),
    "dr.yilmaz": ("Deniz", "Yılmaz", "paediatrician", [("paed", PR.PHYSICIAN)], []),
    "tim.jansen": ("Tim", "Jansen", "early help (Frühe Hilfen)", [("fh", PR.SOCIAL_WORKER)], []),
    "board.mueller": ("Helga", "Müller", "board member (Kreisjugendamt)", [], [("kreis-heinsberg", NetworkRole.Role.BOARD_MEMBER, "kja")]),
    "board.peters": ("Stefan", "Peters", "board member (Caritas)", [], [("kreis-heinsberg", NetworkRole.Role.BOARD_MEMBER, "sb_caritas")]),
    "koordination.hs": ("Miriam", "Franke", "network coordinator, Heinsberg", [], [("kreis-heinsberg", NetworkRole.Role.COORDINATOR, None)]),
    "datenschutz.hs": ("Ralf", "Dietrich", "data-protection officer, Heinsberg", [], [("kreis-heinsberg", NetworkRole.Role.DATA_PROTECTION_OFFICER, None)]),
    "karen.nielsen": ("Karen", "Nielsen", "caseworker, Kolding Kommune", [("dk_kommune", PR.CASEWORKER)], []),
    "line.holm": ("Line", "Holm", "midwife, birth site Kolding", [("dk_birth", PR.MIDWIFE)], []),
    "sofie.larsen": ("Sofie", "Larsen", "counsellor, Mødrehjælpen", [("dk_mh", PR.COUNSELLOR)], []),
    "jens.madsen": ("Jens", "Madsen", "physician, Familieambulatoriet", [("dk_region", PR.PHYSICIAN)], []),
    "koordinator.sd": ("Birgitte", "Andersen", "network coordinator, Syddanmark", [], [("region-syddanmark", NetworkRole.Role.COORDINATOR, None)]),
    "dpo.sd": ("Mads", "Kristensen", "data-protection officer, Syddanmark", [], [("region-syddanmark", NetworkRole.Role.DATA_PROTECTION_OFFICER, None)]),
    # Parents: their accounts are linked to their family member record below.
    "sarah.mutter": ("Sarah", "", "parent (mother in HS-2026-014)", [], []),
    "mette.mor": ("Mette", "", "parent (mother in SD-2026-003)", [], []),
}
ADMIN_USERNAME = "admin"
# Added by ``manage.py seed_offers_demo`` (offers app), listed here for the printed logins.
OFFERS_PEOPLE = {
    "katrin.vogt": "central case manager, Perinatalzentrum Jena",
    "hebamme.jena": "midwife, Jena",
    "sucht.jena": "addiction counsellor, Jena",
    "fh.jena": "early help, Jena (contact café)",
    "socialraadgiver.kolding": "social worker at the birth site and central case manager, Syddanmark",
}

# --- Cases ---------------------------------------------------------------------------------------


@dataclass
class CaseSpec:
    """One demo family. ``story`` decides which conferences, protocols and actions it has."""

    network: str
    reference: str
    lead_org: str
    lead: str
    story: str  # new | polling | scheduled | held | overdue | closed
    opened_days_ago: int
    team: list[tuple[str, str, str]] = field(default_factory=list)  # (org key, username or "", case role)
    family: list[tuple[str, str, str | None]] = field(default_factory=list)  # (relation, display name, parent username)


R = CaseTeamMember.CaseRole
M = FamilyMember.Relation
CASES = [
    CaseSpec("kreis-heinsberg", "HS-2026-021", "kja", "anna.becker", "new", 5,
             [("kja", "anna.becker", R.LEAD)], [(M.MOTHER, "J.", None), (M.EXPECTED_CHILD, "Baby J.", None)]),
    CaseSpec("kreis-heinsberg", "HS-2026-022", "ja_erk", "jonas.hoffmann", "new", 2,
             [("ja_erk", "jonas.hoffmann", R.LEAD), ("sb_caritas", "", R.COUNSELLING)], [(M.MOTHER, "Nadine", None)]),
    CaseSpec("kreis-heinsberg", "HS-2026-017", "kja", "anna.becker", "polling", 20,
             [("kja", "anna.becker", R.LEAD), ("sb_ga", "sabine.krueger", R.COUNSELLING),
              ("perinatal", "lena.schmitz", R.CASE_MANAGEMENT), ("midwife", "petra.lang", R.MIDWIFERY)],
             [(M.MOTHER, "K.", None), (M.EXPECTED_CHILD, "Baby K.", None)]),
    CaseSpec("kreis-heinsberg", "HS-2026-019", "ja_erk", "jonas.hoffmann", "polling", 12,
             [("ja_erk", "jonas.hoffmann", R.LEAD), ("sb_caritas", "markus.vogel", R.COUNSELLING), ("paed", "dr.yilmaz", R.MEDICAL)],
             [(M.FATHER, "T.", None), (M.CHILD, "Mia", None)]),
    CaseSpec("kreis-heinsberg", "HS-2026-014", "kja", "anna.becker", "held", 75,
             [("kja", "anna.becker", R.LEAD), ("sb_ga", "sabine.krueger", R.COUNSELLING),
              ("perinatal", "lena.schmitz", R.CASE_MANAGEMENT), ("gyn", "dr.weber", R.MEDICAL),
              ("midwife", "petra.lang", R.MIDWIFERY), ("fh", "tim.jansen", R.EARLY_HELP)],
             [(M.MOTHER, "Sarah", "sarah.mutter"), (M.FATHER, "D.", None), (M.EXPECTED_CHILD, "Baby S.", None)]),
    # The town's office takes part as a whole; the case is led by the Kreisjugendamt's caseworker, so it
    # is her organisation that leads (``lead_org`` is always the lead caseworker's: else she cannot convene).
    CaseSpec("kreis-heinsberg", "HS-2026-009", "kja", "anna.becker", "scheduled", 40,
             [("ja_hk", "", R.OTHER), ("kja", "anna.becker", R.LEAD), ("sb_diakonie", "eva.schulz", R.COUNSELLING),
              ("paed", "dr.yilmaz", R.MEDICAL)],
             [(M.MOTHER, "A.", None), (M.CHILD, "Leon", None)]),
    CaseSpec("kreis-heinsberg", "HS-2026-006", "ja_erk", "jonas.hoffmann", "held", 110,
             [("ja_erk", "jonas.hoffmann", R.LEAD), ("sb_caritas", "markus.vogel", R.COUNSELLING),
              ("midwife", "petra.lang", R.MIDWIFERY), ("fh", "tim.jansen", R.EARLY_HELP)],
             [(M.MOTHER, "Lea", None), (M.CHILD, "Finn", None)]),
    CaseSpec("kreis-heinsberg", "HS-2026-003", "kja", "anna.becker", "overdue", 150,
             [("kja", "anna.becker", R.LEAD), ("sb_ga", "sabine.krueger", R.COUNSELLING),
              ("gyn", "dr.weber", R.MEDICAL), ("fh", "tim.jansen", R.EARLY_HELP)],
             [(M.MOTHER, "B.", None), (M.CHILD, "Emma", None)]),
    CaseSpec("kreis-heinsberg", "HS-2026-004", "ja_erk", "jonas.hoffmann", "overdue", 140,
             [("ja_gk", "", R.OTHER), ("ja_erk", "jonas.hoffmann", R.LEAD), ("sb_diakonie", "eva.schulz", R.COUNSELLING),
              ("perinatal", "lena.schmitz", R.CASE_MANAGEMENT)],
             [(M.MOTHER, "C.", None), (M.CHILD, "Noah", None)]),
    CaseSpec("kreis-heinsberg", "HS-2025-031", "kja", "anna.becker", "closed", 330,
             [("kja", "anna.becker", R.LEAD), ("sb_caritas", "markus.vogel", R.COUNSELLING), ("midwife", "petra.lang", R.MIDWIFERY)],
             [(M.MOTHER, "D.", None), (M.CHILD, "Ben", None)]),
    CaseSpec("kreis-heinsberg", "HS-2025-027", "ja_erk", "jonas.hoffmann", "closed", 360,
             [("ja_hs", "", R.OTHER), ("ja_erk", "jonas.hoffmann", R.LEAD), ("sb_ga", "sabine.krueger", R.COUNSELLING)],
             [(M.FATHER, "E.", None), (M.CHILD, "Lina", None)]),
    CaseSpec("region-syddanmark", "SD-2026-003", "dk_kommune", "karen.nielsen", "held", 60,
             [("dk_kommune", "karen.nielsen", R.LEAD), ("dk_birth", "line.holm", R.MIDWIFERY),
              ("dk_mh", "sofie.larsen", R.FAMILY_HELP), ("dk_region", "jens.madsen", R.MEDICAL)],
             [(M.MOTHER, "Mette", "mette.mor"), (M.EXPECTED_CHILD, "Baby M.", None)]),
    CaseSpec("region-syddanmark", "SD-2026-005", "dk_kommune", "karen.nielsen", "polling", 10,
             [("dk_kommune", "karen.nielsen", R.LEAD), ("dk_mh", "sofie.larsen", R.FAMILY_HELP), ("dk_birth", "line.holm", R.MIDWIFERY)],
             [(M.MOTHER, "F.", None)]),
]


# Christmas Eve and New Year's Eve are no public holidays in the ``holidays`` package (Germany has
# none of them; Denmark lists them as optional), but the offices of both networks are closed.
CLOSED_DAYS = {(12, 24), (12, 31)}


def is_meeting_day(day: dt.date, network: Network) -> bool:
    """A day the demo proposes or schedules a conference on (``participants.working_days``)."""
    return ((day.month, day.day) not in CLOSED_DAYS
            and is_working_day(day, country=network.country, region=network.holiday_region))


class Seeder:
    """Creates what is missing; reports what it created."""

    def __init__(self, today: dt.date):
        self.today = today
        self.created: dict[str, int] = {}
        self.networks: dict[str, Network] = {}
        self.orgs: dict[str, Organisation] = {}
        self.users: dict[str, User] = {}
        self._password_hash: str | None = None

    # -- helpers --------------------------------------------------------------------------------
    def _get_or_create(self, model, defaults=None, **lookup):
        obj, created = model.objects.get_or_create(defaults=defaults or {}, **lookup)
        if created:
            label = model._meta.verbose_name_plural
            self.created[str(label)] = self.created.get(str(label), 0) + 1
        return obj, created

    def at(self, network: Network, days: int, hour: int, minute: int = 0) -> dt.datetime:
        """A wall-clock time in the network's zone, ``days`` from the day of the first run."""
        day = self.today + dt.timedelta(days=days)
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(network.time_zone))

    def meeting_days(self, network: Network, days: int) -> Iterator[dt.date]:
        """The days a conference may be proposed on, from ``days`` after today: the network's working
        days (no weekend, no public holiday of its country and state), and not 24 or 31 December."""
        day = self.today + dt.timedelta(days=days)
        while True:
            if is_meeting_day(day, network):
                yield day
            day += dt.timedelta(days=1)

    def meeting_at(self, network: Network, day: dt.date, hour: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour), tzinfo=zoneinfo.ZoneInfo(network.time_zone))

    # -- structure ------------------------------------------------------------------------------
    def seed_structure(self) -> None:
        for slug, values in NETWORKS.items():
            values = dict(values)
            name = values.pop("name")
            self.networks[slug], _ = self._get_or_create(Network, slug=slug, defaults={"name": name, **values})
        for key, (slug, name, kind, municipality) in ORGANISATIONS.items():
            self.orgs[key], _ = self._get_or_create(
                Organisation, network=self.networks[slug], name=name,
                defaults={"kind": kind, "municipality": municipality, "email": f"{key.replace('_', '-')}@demo.invalid"},
            )
        for username, (first, last, _label, memberships, network_roles) in PEOPLE.items():
            self.users[username] = self._user(username, first_name=first, last_name=last)
            for org_key, role in memberships:
                self._get_or_create(Membership, user=self.users[username], organisation=self.orgs[org_key], defaults={"role": role})
            for slug, role, org_key in network_roles:
                self._get_or_create(
                    NetworkRole, user=self.users[username], network=self.networks[slug], role=role,
                    defaults={"organisation": self.orgs[org_key] if org_key else None},
                )
        self.users[ADMIN_USERNAME] = self._user(ADMIN_USERNAME, first_name="Technik", last_name="Admin",
                                                is_staff=True, is_superuser=True)

    def _user(self, username: str, **fields) -> User:
        user = User.objects.filter(username=username).first()
        if user is not None:
            return user
        legacy = LEGACY_USERNAMES.get(username)
        if legacy and (user := User.objects.filter(username=legacy).first()) is not None:
            # A demo database seeded before user names stopped naming the case keeps its account.
            user.username, user.email = username, f"{username}@demo.invalid"
            user.save(update_fields=["username", "email"])
            return user
        # One hash for the shared demo password: hashing it 23 times would take most of the run.
        if self._password_hash is None:
            self._password_hash = make_password(settings.DEMO_PASSWORD)
        user = User(username=username, email=f"{username}@demo.invalid", password=self._password_hash, **fields)
        user.save()
        self.created["users"] = self.created.get("users", 0) + 1
        return user

    # -- cases ----------------------------------------------------------------------------------
    def seed_case(self, spec: CaseSpec) -> None:
        network = self.networks[spec.network]
        closed = spec.story == "closed"
        status = Case.Status.CLOSED if closed else (Case.Status.NEW if spec.story == "new" else Case.Status.ACTIVE)
        opened_on = self.today - dt.timedelta(days=spec.opened_days_ago)
        case, created = self._get_or_create(
            Case, network=network, reference=spec.reference,
            defaults=dict(
                lead_organisation=self.orgs[spec.lead_org], lead_caseworker=self.users[spec.lead], status=status,
                opened_on=opened_on, closed_on=(self.today - dt.timedelta(days=30)) if closed else None,
                next_review_on=None if closed else self.today + dt.timedelta(days=90),
                expected_child_at_opening=any(rel == M.EXPECTED_CHILD for rel, _n, _u in spec.family),
            ),
        )
        if created:
            audit.record("seed_demo", action="case.create", obj=case, case_id=case.pk, channel=audit.Channel.COMMAND)
        elif case.lead_organisation_id != self.orgs[spec.lead_org].pk:
            # a demo database seeded when three cases named another office than their lead caseworker's
            Case.objects.filter(pk=case.pk).update(lead_organisation=self.orgs[spec.lead_org])
            self.created["corrected lead organisations"] = self.created.get("corrected lead organisations", 0) + 1
        for org_key, username, role in spec.team:
            self._get_or_create(
                CaseTeamMember, case=case, organisation=self.orgs[org_key],
                user=self.users[username] if username else None, removed_at=None,
                defaults={"case_role": role, "added_at": timezone.make_aware(dt.datetime.combine(opened_on, dt.time(9)))},
            )
        family = {}
        for relation, name, username in spec.family:
            family[relation], _ = self._get_or_create(
                FamilyMember, case=case, relation=relation, display_name=name,
                defaults=dict(
                    user=self.users[username] if username else None,
                    email=f"{username}@demo.invalid" if username else "",
                    due_date=self.today + dt.timedelta(days=120) if relation == M.EXPECTED_CHILD else None,
                    birth_year=self.today.year - 3 if relation == M.CHILD else None,
                ),
            )
        if spec.story == "new":
            return
        parent = family.get(M.MOTHER) or family.get(M.FATHER)
        if spec.story == "polling":
            self.seed_polling_conference(case, spec, parent)
        elif spec.story == "scheduled":
            self.seed_scheduled_conference(case, spec, parent, kind=Conference.Kind.PARTICIPANT, days=9)
        else:
            held_days = {"held": -45, "overdue": -100, "closed": -200}[spec.story]
            self.seed_held_conference(case, spec, parent, days=held_days)
            if spec.story == "held":
                self.seed_scheduled_conference(case, spec, parent, kind=Conference.Kind.FOLLOW_UP, days=12)

    def _invite(self, conference: Conference, spec: CaseSpec, parent: FamilyMember | None, *, rsvp: str, attended=None):
        invitations = []
        for org_key, username, _role in spec.team:
            if not username:
                continue
            invitation, _ = self._get_or_create(
                Invitation, conference=conference, user=self.users[username], removed_at=None,
                defaults=dict(organisation=self.orgs[org_key], rsvp=rsvp, attended=attended,
                              required=org_key in (spec.lead_org, spec.team[0][0]) or _role != R.OTHER),
            )
            invitations.append(invitation)
        if parent is not None:
            invitation, _ = self._get_or_create(
                Invitation, conference=conference, family_member=parent, removed_at=None,
                defaults=dict(rsvp=rsvp, attended=attended),
            )
            invitations.append(invitation)
        return invitations

    def _mark_sent(self, conference: Conference, invitations: list[Invitation], *, kind: str,
                   sent_at: dt.datetime) -> None:
        """The invitations as the convenor's sending leaves them once the mail server took the
        e-mails, without sending anything: the invitation e-mail (``kind`` INVITATION: the iMIP
        REQUEST of ``conferences.mail_services.conference_mail_send``) or the poll's
        (POLL_INVITATION: ``poll_invitation_send``) stands in the conference's outbox as sent, with
        no message kept (as after a delivery), and an invitation e-mail's SEQUENCE is recorded as
        queued and sent (a later move then sends "Updated invitation", and calendar answers are
        checked against it). Not for whom nothing is sent: the convenor's own invitation (queued
        only), an invitee without an address (she is told by post), a parent who would need a
        personal poll link (it exists only in her e-mail). An invitation already queued in this
        demo database (the conference was moved, cancelled or re-sent since) is left as it is."""
        calendar = kind == MailKind.INVITATION
        for invitation in invitations:
            if calendar and (invitation.sequence_queued is not None or invitation.sequence_sent is not None):
                continue
            address = imip.recipient_address(invitation)
            sent = bool(address) and not (calendar and imip.is_convenor_invitation(conference, invitation))
            if not calendar and invitation.answers_by_poll_link:
                sent = False
            if calendar:
                Invitation.objects.filter(pk=invitation.pk, sequence_queued__isnull=True).update(
                    sequence_queued=conference.sequence, sequence_sent=conference.sequence if sent else None)
            if not sent:
                continue
            row, created = self._get_or_create(
                OutboxMessage, key=f"seed_demo:{kind}:{invitation.pk}",
                defaults=dict(kind=kind, case_id=conference.case_id, conference_id=conference.pk, recipient=address,
                              from_email=settings.DEFAULT_FROM_EMAIL, recipients=[address],
                              status=OutboxMessage.Status.SENT, attempts=1, next_attempt_at=sent_at, sent_at=sent_at))
            if created:  # queued when it was sent, not when the demo was seeded
                OutboxMessage.objects.filter(pk=row.pk).update(created_at=sent_at)

    def _conference(self, case: Case, spec: CaseSpec, *, kind: str, **defaults) -> Conference:
        network = self.networks[spec.network]
        location = "Kreishaus Heinsberg, Raum 2.14" if network.country == Country.GERMANY else "Rådhuset Kolding, mødelokale 3"
        conference, _ = self._get_or_create(
            Conference, case=case, kind=kind,
            defaults=dict(convenor=self.users[spec.lead], location=location, duration_minutes=90, **defaults),
        )
        return conference

    def seed_polling_conference(self, case: Case, spec: CaseSpec, parent) -> None:
        network = self.networks[spec.network]
        conference = self._conference(case, spec, kind=Conference.Kind.PARTICIPANT, status=Conference.Status.POLLING)
        invitations = self._invite(conference, spec, parent, rsvp=Invitation.Rsvp.NEEDS_ACTION)
        poll, _ = self._get_or_create(SlotPoll, conference=conference, defaults={"closes_at": self.at(network, 7, 12)})
        slots = []
        # Three days proposed from two weeks ahead: the first two meeting days and the fourth.
        days = list(itertools.islice(self.meeting_days(network, 14), 4))
        for day, hour in ((days[0], 9), (days[1], 14), (days[3], 10)):
            start = self.meeting_at(network, day, hour)
            slot, _ = self._get_or_create(PollSlot, poll=poll, starts_at=start, defaults={"ends_at": start + dt.timedelta(minutes=90)})
            slots.append(slot)
        # The first two invitees have answered, the others not yet.
        answers = [
            [SlotVote.Answer.YES, SlotVote.Answer.NO, SlotVote.Answer.IF_NEED_BE],
            [SlotVote.Answer.YES, SlotVote.Answer.YES, SlotVote.Answer.NO],
        ]
        for invitation, row in zip(invitations, answers):
            for slot, answer in zip(slots, row):
                self._get_or_create(SlotVote, slot=slot, invitation=invitation, defaults={"answer": answer})
        self._mark_sent(conference, invitations, kind=MailKind.POLL_INVITATION, sent_at=self.at(network, -5, 9))

    def seed_scheduled_conference(self, case: Case, spec: CaseSpec, parent, *, kind: str, days: int) -> None:
        network = self.networks[spec.network]
        start = self.meeting_at(network, next(self.meeting_days(network, days)), 10)
        conference = self._conference(
            case, spec, kind=kind, status=Conference.Status.SCHEDULED, starts_at=start,
            ends_at=start + dt.timedelta(minutes=90), sequence=0,
        )
        invitations = self._invite(conference, spec, parent, rsvp=Invitation.Rsvp.NEEDS_ACTION)
        # The date was picked three days ago and the invitations went out (the answers came after).
        self._mark_sent(conference, invitations, kind=MailKind.INVITATION, sent_at=self.at(network, min(days, 0) - 3, 9))
        # A few answers already arrived.
        for invitation, rsvp in zip(invitations[:3], [Invitation.Rsvp.ACCEPTED, Invitation.Rsvp.ACCEPTED, Invitation.Rsvp.TENTATIVE]):
            if invitation.rsvp == Invitation.Rsvp.NEEDS_ACTION and invitation.rsvp_at is None:
                Invitation.objects.filter(pk=invitation.pk, rsvp_at__isnull=True).update(
                    rsvp=rsvp, rsvp_at=self.at(network, min(days, 0) - 2, 8)
                )

    def seed_held_conference(self, case: Case, spec: CaseSpec, parent, *, days: int) -> None:
        network = self.networks[spec.network]
        start = self.at(network, days, 10)
        conference = self._conference(
            case, spec, kind=Conference.Kind.PARTICIPANT, status=Conference.Status.PROTOCOL_FINAL, starts_at=start,
            ends_at=start + dt.timedelta(minutes=90),
        )
        invitations = self._invite(conference, spec, parent, rsvp=Invitation.Rsvp.ACCEPTED, attended=True)
        self._mark_sent(conference, invitations, kind=MailKind.INVITATION, sent_at=self.at(network, days - 10, 9))
        lead = self.users[spec.lead]
        protocol, _ = self._get_or_create(
            Protocol, conference=conference,
            defaults=dict(
                status=Protocol.Status.FINAL, minute_taker=lead, finalised_by=lead,
                finalised_at=start + dt.timedelta(days=6), released_at=start + dt.timedelta(days=2),
                parent_summary=parent_summary_text(network),
                next_review_on=self.today + dt.timedelta(days=days + 180),
            ),
        )
        self.seed_protocol_items(case, spec, protocol, parent, held_days=days)
        # One next-review date: the case shows the one its latest released protocol set.
        case_next_review_sync(case.pk)

    def seed_protocol_items(self, case: Case, spec: CaseSpec, protocol: Protocol, parent, *, held_days: int) -> None:
        network = self.networks[spec.network]
        lead = self.users[spec.lead]
        danish = network.country == Country.DENMARK
        counselling_key = next((k for k, _u, r in spec.team if r in (R.COUNSELLING, R.FAMILY_HELP)), spec.team[-1][0])
        counsellor = next((self.users[u] for k, u, _r in spec.team if k == counselling_key and u), None)
        other_key = next((k for k, u, r in spec.team if u and k not in (spec.lead_org, counselling_key)), spec.lead_org)
        other_user = next((self.users[u] for k, u, _r in spec.team if k == other_key and u), lead)
        texts = DK_TEXT if danish else DE_TEXT

        items = {}
        for position, (key, audience) in enumerate(
            [("child", Audience.EVERYONE), ("parents", Audience.EVERYONE), ("assessment", Audience.PROFESSIONALS),
             ("treatment", Audience.RESTRICTED), ("agreements", Audience.EVERYONE)], start=1,
        ):
            title, text = texts[key]
            defaults = dict(title=title, text=text, audience=audience, kind=ProtocolItem.Kind.GUIDELINE, created_by=lead)
            if audience == Audience.RESTRICTED:
                defaults.update(holding_organisation=self.orgs[counselling_key], entrusted_by=parent,
                                category=InformationCategory.ADDICTION_TREATMENT)
            items[key], created = self._get_or_create(ProtocolItem, protocol=protocol, position=position, defaults=defaults)
            if created and audience == Audience.RESTRICTED:
                items[key].restricted_to.set([self.orgs[spec.lead_org]])

        if parent is not None:
            consent, created = self._get_or_create(
                Consent, case=case, given_by=parent, from_organisation=self.orgs[counselling_key],
                form_reference=f"SE-{case.reference}",
                defaults=dict(valid_from=self.today + dt.timedelta(days=held_days - 7),
                              valid_until=self.today + dt.timedelta(days=held_days + 358), recorded_by=lead),
            )
            if created:
                consent.to_organisations.set([self.orgs[spec.lead_org]])
            self._get_or_create(ConsentScope, consent=consent, category=InformationCategory.ADDICTION_TREATMENT)

        overdue = spec.story == "overdue"
        closed = spec.story == "closed"
        plan = [
            # (title key, responsible, due in days from the conference, status)
            ("counselling", ("org", counselling_key, counsellor), 30, "in_progress" if overdue else "done"),
            ("medical", ("org", other_key, other_user), 45, "open"),
            ("lead", ("org", spec.lead_org, lead), 60, "done"),
            ("parent", ("parent",), 40, "open"),
        ]
        for title_key, responsible, due_after, status in plan:
            if responsible[0] == "parent" and parent is None:
                continue
            if closed:
                status = "done"
            due_on = self.today + dt.timedelta(days=held_days + due_after)
            if not overdue and status != "done" and due_on < self.today:
                due_on = self.today + dt.timedelta(days=due_after // 3)  # still open, not yet due
            completed_on = min(due_on - dt.timedelta(days=3), self.today - dt.timedelta(days=1))
            defaults = dict(item=items["agreements"], due_on=due_on, status=status,
                            completed_on=completed_on if status == "done" else None,
                            created_at=self.at(network, held_days, 11))
            if responsible[0] == "parent":
                defaults["responsible_family_member"] = parent
            else:
                defaults["responsible_organisation"] = self.orgs[responsible[1]]
                defaults["responsible_user"] = responsible[2]
            self._get_or_create(AgreedAction, case=case, title=texts["action_" + title_key], defaults=defaults)

    # -- board ----------------------------------------------------------------------------------
    def seed_summary(self) -> str:
        """Publish last half year's summary through the board's services."""
        network = self.networks["kreis-heinsberg"]
        year, half = (self.today.year, 1) if self.today.month > 6 else (self.today.year - 1, 2)
        if network.summaries.filter(year=year, half=half, status="published").exists():
            return f"summary {year} H{half} already published"
        coordinator = self.users["koordination.hs"]
        summary = board_services.summary_compute(coordinator, network=network, year=year, half=half,
                                                 channel=audit.Channel.COMMAND)
        board_services.summary_publish(coordinator, summary=summary, channel=audit.Channel.COMMAND)
        self.created["half-year summaries"] = self.created.get("half-year summaries", 0) + 1
        return f"published summary {year} H{half}"


DE_TEXT = {
    "child": ("Situation des Kindes", "Das Kind entwickelt sich altersgemäß; die Vorsorgeuntersuchungen sind wahrgenommen."),
    "parents": ("Situation der Eltern", "Die Mutter berichtet von einem stabilen Alltag und wünscht Unterstützung bei der Tagesstruktur."),
    "assessment": ("Einschätzung der Fachkräfte", "Die Fachkräfte sehen derzeit keine akute Gefährdung; die Lage bleibt beobachtungsbedürftig."),
    "treatment": ("Behandlung und Beratung", "Regelmäßige Beratungstermine werden wahrgenommen; die Abstinenz ist seit acht Wochen stabil."),
    "agreements": ("Vereinbarungen", "Die folgenden Vereinbarungen werden bis zur nächsten Konferenz umgesetzt."),
    "action_counselling": "Wöchentliche Beratungsgespräche fortführen",
    "action_medical": "Vorsorgeuntersuchung durchführen und Ergebnis mitteilen",
    "action_lead": "Antrag auf Hilfe zur Erziehung vorbereiten",
    "action_parent": "Anmeldung in der Krabbelgruppe der Frühen Hilfen",
}
DK_TEXT = {
    "child": ("Barnets situation", "Graviditeten forløber normalt; jordemoderkonsultationerne er fulgt."),
    "parents": ("Forældrenes situation", "Mor fortæller om en mere stabil hverdag og ønsker hjælp til økonomien."),
    "assessment": ("Fagpersonernes vurdering", "Der ses ingen akut bekymring; situationen følges tæt."),
    "treatment": ("Behandling og rådgivning", "Samtaleforløbet følges; der er ingen tegn på tilbagefald."),
    "agreements": ("Aftaler", "Følgende aftaler gennemføres inden næste netværksmøde."),
    "action_counselling": "Fortsætte ugentlige samtaler",
    "action_medical": "Graviditetsundersøgelse og tilbagemelding",
    "action_lead": "Forberede forebyggende foranstaltning",
    "action_parent": "Tilmelde sig mødregruppe",
}


def parent_summary_text(network: Network) -> str:
    if network.country == Country.DENMARK:
        return "Vi har aftalt, hvem der gør hvad indtil næste møde. Du kan altid spørge din sagsbehandler."
    return "Wir haben besprochen, wie es Ihnen und dem Kind geht, und vereinbart, wer bis zum nächsten Treffen was tut."


class Command(BaseCommand):
    help = "Create the demo networks (Kreis Heinsberg, Region Syddanmark). Safe to run again: creates only what is missing."

    @no_translations
    def handle(self, *args, **options) -> None:
        seeder = Seeder(timezone.localdate())
        with transaction.atomic():
            seeder.seed_structure()
            for spec in CASES:
                seeder.seed_case(spec)
        # Two years of history for the board's figures (the board app's own command).
        call_command("seed_demo_history", stdout=self.stdout)
        summary_note = seeder.seed_summary()
        # The offers app adds its directory, referrals and tracks (its own command).
        call_command("seed_offers_demo", stdout=self.stdout)
        # The first record of processing activities, so the demo officer finds it (records app).
        call_command("generate_processing_records", actor="seed_demo", stdout=self.stdout)
        # The data-protection officer's demo requests (privacy app, above this one: by name).
        call_command("seed_privacy_demo", stdout=self.stdout)

        if seeder.created:
            created = ", ".join(f"{count} {label}" for label, count in sorted(seeder.created.items()))
            self.stdout.write(f"Demo data created: {created}.")
        else:
            self.stdout.write("Demo data already complete: nothing changed.")
        self.stdout.write(f"Half-year summaries: {summary_note}.")
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {settings.DEMO_PASSWORD}):")
        width = max(len(u) for u in [*PEOPLE, ADMIN_USERNAME])
        for username, (_f, _l, label, _m, _r) in PEOPLE.items():
            self.stdout.write(f"  {username.ljust(width)}  {label}")
        for username, label in OFFERS_PEOPLE.items():
            self.stdout.write(f"  {username.ljust(width)}  {label}")
        self.stdout.write(f"  {ADMIN_USERNAME.ljust(width)}  technical admin (/admin/)")
