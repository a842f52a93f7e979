"""``manage.py seed_demo_history``: two years of history for the demo networks, so that the
board's half-year summaries (Heinsberg) and the yearly report (Syddanmark) show real figures.

Called by ``seed_demo`` (operations). Runs in seconds (bulk inserts, a few hundred statements)
and is idempotent: a network whose history is present is left alone. History cases are led and
worked by dedicated history accounts (without a usable password), so the demo people's own pages
keep showing their own few cases.
Families are pseudonymous: a reference and an initial only. Deterministic: the same day gives
the same data.
"""
from __future__ import annotations

import datetime as dt
import random
import zoneinfo

from django.core.management.base import BaseCommand, no_translations
from django.db import transaction
from django.utils import timezone

from cases.models import Case, CaseTeamMember, FamilyMember
from conferences.models import Conference, Invitation
from participants.models import Membership, Network, NetworkRole, Organisation, OrganisationKind as Kind, ProfessionalRole as PR, User
from board import services as board_services
from board.models import HalfYearSummary, YearlyReport
from permissions import audit
from protocols.models import ActionNote, AgreedAction, Audience, Protocol, ProtocolItem

R = CaseTeamMember.CaseRole
M = FamilyMember.Relation

# network slug -> (number of cases, history account prefix, coordinator username)
HISTORY = {
    "kreis-heinsberg": (150, "verlauf", "koordination.hs"),
    "region-syddanmark": (120, "historik", "koordinator.sd"),
}
DAYS = 730  # two years
CASE_ROLE_BY_KIND = {
    Kind.ADDICTION_COUNSELLING: R.COUNSELLING, Kind.FAMILY_HELP: R.FAMILY_HELP, Kind.MIDWIFERY: R.MIDWIFERY,
    Kind.CLINIC: R.CASE_MANAGEMENT, Kind.GYNAECOLOGY: R.MEDICAL, Kind.PAEDIATRICS: R.MEDICAL,
}
TEXTS = {
    "DE": ("Vereinbarungen", "Die Beteiligten haben die nächsten Schritte besprochen.",
           ["Beratungsgespräche fortführen", "Vorsorgeuntersuchung wahrnehmen", "Hilfe zur Erziehung prüfen",
            "Anmeldung in der Krabbelgruppe"]),
    "DK": ("Aftaler", "Deltagerne har drøftet de næste skridt.",
           ["Fortsætte samtaler", "Graviditetsundersøgelse", "Forberede forebyggende foranstaltning", "Tilmelde mødregruppe"]),
}


class History:
    def __init__(self, today: dt.date):
        self.today = today
        self.created: dict[str, int] = {}

    def count(self, label: str, n: int) -> None:
        self.created[label] = self.created.get(label, 0) + n

    def _account(self, prefix: str, org: Organisation, role: str) -> User:
        username = f"{prefix}.{org.pk}"
        user = User.objects.filter(username=username).first()
        if user is None:
            # Inactive: they stand for the people of the past two years, not for anyone a demo user
            # could put on a team, invite or appoint today (pickers offer active accounts only).
            user = User(username=username, first_name=org.name.split()[0], last_name="(Verlauf)" if prefix == "verlauf" else "(historik)",
                        email="", is_active=False)
            user.set_unusable_password()
            user.save()
            Membership.objects.create(user=user, organisation=org, role=role)
            self.count("history accounts", 1)
        return user

    def seed_network(self, network: Network) -> bool:
        """History for every youth-welfare office of the network that has none yet (so that an
        office added to the demo later gets its share: each office is one municipality's row in
        the Danish yearly report)."""
        n_cases, prefix, _coordinator = HISTORY[network.slug]
        # A demo database seeded before history accounts were made inactive.
        User.objects.filter(username__startswith=f"{prefix}.", last_name__startswith="(", is_active=True).update(is_active=False)
        history_cases = Case.objects.filter(network=network, lead_caseworker__username__startswith=f"{prefix}.")
        done = set(history_cases.values_list("lead_organisation_id", flat=True).distinct())
        orgs = list(Organisation.objects.filter(network=network, is_active=True).order_by("pk"))
        all_offices = [o for o in orgs if o.kind == Kind.YOUTH_WELFARE]
        offices = [o for o in all_offices if o.pk not in done]
        partners = [o for o in orgs if o.kind != Kind.YOUTH_WELFARE and o.kind in CASE_ROLE_BY_KIND]
        counselling = [o for o in partners if o.kind in (Kind.ADDICTION_COUNSELLING, Kind.FAMILY_HELP)] or partners
        residential = [o for o in orgs if o.kind == Kind.RESIDENTIAL_TREATMENT]
        if not offices or not partners:
            return False
        offset = history_cases.count()
        n_cases = round(n_cases * len(offices) / len(all_offices))
        accounts = {o.pk: self._account(prefix, o, PR.CASEWORKER if o.kind == Kind.YOUTH_WELFARE else PR.OTHER) for o in orgs}
        zone = zoneinfo.ZoneInfo(network.time_zone)
        country = "DK" if network.country == "DK" else "DE"
        item_title, item_text, action_titles = TEXTS[country]
        rng = random.Random(f"{network.slug}-history" + (f"-{offset}" if offset else ""))
        # Courses that end, and placements in residential treatment, drawn from a generator of their
        # own so that the main sequence (and the German history) stays as it was.
        extra = random.Random(f"{network.slug}-history-courses-{offset}")
        danish = network.country == "DK"

        cases, plans = [], []
        for i in range(n_cases):
            opened = self.today - dt.timedelta(days=int(DAYS * (i + 0.5) / n_cases) + rng.randint(0, 5))
            office = offices[i % len(offices)]
            closed_on = None
            if (self.today - opened).days > 300 and rng.random() < 0.45:
                closed_on = min(self.today - dt.timedelta(days=7), opened + dt.timedelta(days=rng.randint(250, 420)))
            team = [office, rng.choice(counselling)] + rng.sample(partners, k=min(len(partners), rng.randint(1, 3)))
            team = list(dict.fromkeys(team))
            expected = rng.random() < 0.6
            cases.append(Case(
                network=network, reference=f"{network.case_reference_prefix}-{opened.year}-{300 + offset + i}",
                lead_organisation=office, lead_caseworker=accounts[office.pk],
                status=Case.Status.CLOSED if closed_on else Case.Status.ACTIVE, opened_on=opened, closed_on=closed_on,
                next_review_on=None, expected_child_at_opening=expected,
            ))
            plans.append((team, expected, closed_on))
        Case.objects.bulk_create(cases)
        for case in cases:
            audit.record("seed_demo", action="case.create", obj=case, case_id=case.pk, channel=audit.Channel.COMMAND)
        self.count("history cases", len(cases))

        members, family, conferences, conference_plans = [], [], [], []
        for case, (team, expected, closed_on) in zip(cases, plans):
            added = timezone.make_aware(dt.datetime.combine(case.opened_on, dt.time(9)), zone)
            end = closed_on or self.today
            for position, org in enumerate(team):
                # The first partner is the family's counselling (a course that starts with the case).
                role = R.LEAD if position == 0 else R.COUNSELLING if position == 1 else CASE_ROLE_BY_KIND.get(org.kind, R.OTHER)
                removed = (timezone.make_aware(dt.datetime.combine(closed_on, dt.time(12)), zone)
                           if closed_on and role == R.COUNSELLING else None)
                if danish and role == R.COUNSELLING and removed is None and extra.random() < 0.75:
                    course_end = case.opened_on + dt.timedelta(days=extra.randint(60, 240))
                    if course_end < self.today - dt.timedelta(days=7):
                        removed = timezone.make_aware(dt.datetime.combine(course_end, dt.time(12)), zone)
                members.append(CaseTeamMember(case=case, organisation=org, user=accounts[org.pk], case_role=role,
                                              added_at=added, removed_at=removed))
            if residential and extra.random() < 0.35:
                placed = case.opened_on + dt.timedelta(days=extra.randint(20, 120))
                if placed < end:
                    left = placed + dt.timedelta(days=extra.randint(60, 150))
                    members.append(CaseTeamMember(
                        case=case, organisation=residential[0], user=accounts[residential[0].pk], case_role=R.OTHER,
                        added_at=timezone.make_aware(dt.datetime.combine(placed, dt.time(9)), zone),
                        removed_at=timezone.make_aware(dt.datetime.combine(left, dt.time(12)), zone) if left < self.today else None))
            mother = FamilyMember(case=case, relation=M.MOTHER, display_name=f"{chr(65 + rng.randint(0, 25))}.")
            family.append(mother)
            if expected:
                family.append(FamilyMember(case=case, relation=M.EXPECTED_CHILD, display_name="Baby",
                                           due_date=case.opened_on + dt.timedelta(days=rng.randint(60, 200))))
            day = case.opened_on + dt.timedelta(days=rng.randint(14, 40))
            while day < end - dt.timedelta(days=3) and day < self.today - dt.timedelta(days=10):
                start = timezone.make_aware(dt.datetime.combine(day, dt.time(rng.choice([9, 10, 14]))), zone)
                cancelled = rng.random() < 0.05
                conferences.append(Conference(
                    case=case, kind=Conference.Kind.PARTICIPANT if day == case.opened_on else Conference.Kind.FOLLOW_UP,
                    status=Conference.Status.CANCELLED if cancelled else Conference.Status.PROTOCOL_FINAL,
                    convenor=accounts[team[0].pk], starts_at=start, ends_at=start + dt.timedelta(minutes=90),
                    location="Kreishaus" if country == "DE" else "Rådhuset", duration_minutes=90,
                    reschedule_count=1 if rng.random() < 0.15 else 0, sequence=0,
                ))
                conference_plans.append((case, team, mother, cancelled))
                day += dt.timedelta(days=rng.randint(150, 200))
        CaseTeamMember.objects.bulk_create(members)
        FamilyMember.objects.bulk_create(family)
        Conference.objects.bulk_create(conferences)
        self.count("history conferences", len(conferences))

        invitations, protocols, held = [], [], []
        for conference, (case, team, mother, cancelled) in zip(conferences, conference_plans):
            attended = not cancelled
            for org in team:
                invitations.append(Invitation(conference=conference, user=accounts[org.pk], organisation=org,
                                              rsvp=Invitation.Rsvp.ACCEPTED,
                                              attended=(attended and rng.random() < 0.9) if attended else None))
            invitations.append(Invitation(conference=conference, family_member=mother, rsvp=Invitation.Rsvp.ACCEPTED,
                                          attended=(rng.random() < 0.75) if attended else None))
            if cancelled:
                continue
            lead = accounts[team[0].pk]
            protocols.append(Protocol(
                conference=conference, status=Protocol.Status.FINAL, minute_taker=lead, finalised_by=lead,
                released_at=conference.starts_at + dt.timedelta(days=2), finalised_at=conference.starts_at + dt.timedelta(days=12),
                corrections_until=(conference.starts_at + dt.timedelta(days=12)).date(),
                next_review_on=conference.starts_at.date() + dt.timedelta(days=180),
            ))
            held.append((conference, case, team, mother))
        Invitation.objects.bulk_create(invitations)
        Protocol.objects.bulk_create(protocols)
        # One next-review date (as case_next_review_sync keeps it): the case shows the one its latest
        # final protocol set. Conferences run in time order per case, so the last one wins.
        latest_review = {}
        for protocol, (conference, case, _team, _mother) in zip(protocols, held):
            latest_review[case.pk] = (case, protocol.next_review_on)
        for case, review_on in latest_review.values():
            case.next_review_on = review_on
        Case.objects.bulk_update([case for case, _review_on in latest_review.values()], ["next_review_on"], batch_size=500)

        items = [ProtocolItem(protocol=protocol, position=1, title=item_title, text=item_text, audience=Audience.EVERYONE,
                              created_by=protocol.minute_taker) for protocol in protocols]
        ProtocolItem.objects.bulk_create(items)
        actions, finals = [], []
        for item, (conference, case, team, mother) in zip(items, held):
            for _k in range(rng.randint(2, 4)):
                who = rng.random()
                due = conference.starts_at.date() + dt.timedelta(days=rng.randint(20, 120))
                responsible = {}
                if who < 0.2:
                    responsible["responsible_family_member"] = mother
                else:
                    org = team[0] if who < 0.45 else rng.choice(team[1:] or team)
                    responsible.update(responsible_organisation=org, responsible_user=accounts[org.pk])
                closes = min(case.closed_on or self.today, self.today)
                outcome = rng.random()
                status, completed = AgreedAction.Status.OPEN, None
                if due + dt.timedelta(days=10) < closes:
                    if outcome < 0.72:
                        status = AgreedAction.Status.DONE
                        completed = due - dt.timedelta(days=rng.randint(0, 15))
                    elif outcome < 0.82:
                        status = AgreedAction.Status.DROPPED
                        completed = due
                elif outcome < 0.3:
                    status = AgreedAction.Status.IN_PROGRESS
                actions.append(AgreedAction(case=case, item=item, title=rng.choice(action_titles), due_on=due, status=status,
                                            completed_on=completed if status == AgreedAction.Status.DONE else None,
                                            created_at=conference.starts_at, **responsible))
                finals.append((conference, completed, item.created_by))
        AgreedAction.objects.bulk_create(actions)
        notes = []
        for action, (conference, completed, author) in zip(actions, finals):
            notes.append(ActionNote(action=action, author=author, status=AgreedAction.Status.OPEN, note="",
                                    created_at=conference.starts_at))
            if completed is not None:
                notes.append(ActionNote(action=action, author=author, status=action.status, note="",
                                        created_at=timezone.make_aware(dt.datetime.combine(completed, dt.time(15)), conference.starts_at.tzinfo)))
        ActionNote.objects.bulk_create(notes)
        self.count("history actions", len(actions))
        audit.record("seed_demo", action="demo.history", object_type="participants.network", object_id=network.pk,
                     channel=audit.Channel.COMMAND, detail={"cases": len(cases), "conferences": len(conferences)})
        return True

    def publish_reports(self, network: Network) -> list[str]:
        """Publish the completed half-years of the history (or, for Denmark, last year's report)."""
        _n, _prefix, coordinator_name = HISTORY[network.slug]
        coordinator = User.objects.filter(username=coordinator_name).first()
        if coordinator is None or not NetworkRole.objects.filter(user=coordinator, network=network).exists():
            return []
        notes = []
        if network.country == "DK":
            year = self.today.year - 1
            if not YearlyReport.objects.filter(network=network, year=year, status=YearlyReport.Status.PUBLISHED).exists():
                report = board_services.yearly_report_compute(coordinator, network=network, year=year, channel=audit.Channel.COMMAND)
                board_services.yearly_report_publish(coordinator, report=report, channel=audit.Channel.COMMAND)
                notes.append(f"yearly report {year}")
            return notes
        year, half = (self.today.year, 1) if self.today.month > 6 else (self.today.year - 1, 2)
        for _step in range(4):
            if not HalfYearSummary.objects.filter(network=network, year=year, half=half,
                                                  status=HalfYearSummary.Status.PUBLISHED).exists():
                summary = board_services.summary_compute(coordinator, network=network, year=year, half=half,
                                                         channel=audit.Channel.COMMAND)
                board_services.summary_publish(coordinator, summary=summary, channel=audit.Channel.COMMAND)
                notes.append(f"summary {year} H{half}")
            year, half = (year, 1) if half == 2 else (year - 1, 2)
        return notes


class Command(BaseCommand):
    help = "Add two years of history to the demo networks for the board's figures (idempotent, a few seconds)."

    @no_translations
    def handle(self, *args, **options) -> None:
        history = History(timezone.localdate())
        published = []
        for slug in HISTORY:
            network = Network.objects.filter(slug=slug).first()
            if network is None:
                continue
            with transaction.atomic():
                history.seed_network(network)
                published += history.publish_reports(network)
        if history.created:
            self.stdout.write("Demo history created: " + ", ".join(f"{n} {label}" for label, n in sorted(history.created.items())) + ".")
        else:
            self.stdout.write("Demo history already complete: nothing changed.")
        if published:
            self.stdout.write("Published: " + ", ".join(published) + ".")
