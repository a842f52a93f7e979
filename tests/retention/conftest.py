"""An old, closed case full of content, and helpers that scan the whole database."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import connection
from django.utils import timezone

from calendars.models import FeedToken
from cases.models import (
    Case, CaseTeamMember, Consent, ConsentScope, DisclosureBasis, FamilyMember, InformationCategory, LegalBasis, LegalHold,
)
from conferences.models import Conference, Invitation, PollLink, WrittenReport
from privacy.models import DataSubjectRequest, ProcessingRestriction
from protocols.models import (
    ActionNote, AgreedAction, Amendment, Audience, CorrectionProposal, Protocol, ProtocolItem,
)
from tests.world import make_user

TODAY = timezone.localdate()


def years_ago(years: int, days: int = 0) -> dt.date:
    return TODAY.replace(year=TODAY.year - years, day=min(TODAY.day, 28)) - dt.timedelta(days=days)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@dataclass
class OldCase:
    case: Case
    secrets: list[str]        # every distinctive text stored in the case
    parent_id: int
    conference_day: dt.date


def make_closed_case(world, *, reference: str, closed_on: dt.date, tag: str) -> OldCase:
    """A case closed on ``closed_on`` with one held conference, a final protocol and actions,
    every text field filled with a string containing ``tag``."""
    s = lambda what: f"{what}-{tag}"  # noqa: E731
    opened = closed_on - dt.timedelta(days=400)
    held = closed_on - dt.timedelta(days=200)
    parent = make_user(f"old-parent-{tag.lower()}", first_name=s("Vorname"), last_name=s("Nachname"))
    case = Case.objects.create(network=world.network, reference=reference, lead_organisation=world.youth_welfare,
                               lead_caseworker=world.convenor, status=Case.Status.CLOSED, opened_on=opened,
                               closed_on=closed_on, expected_child_at_opening=True)
    CaseTeamMember.objects.create(case=case, organisation=world.youth_welfare, user=world.convenor,
                                  case_role=CaseTeamMember.CaseRole.LEAD, added_at=at(opened))
    CaseTeamMember.objects.create(case=case, organisation=world.counselling, user=world.counsellor,
                                  case_role=CaseTeamMember.CaseRole.COUNSELLING, added_at=at(opened))
    mother = FamilyMember.objects.create(case=case, relation=FamilyMember.Relation.MOTHER, display_name=s("Mutter"),
                                         user=parent, email=f"mutter-{tag.lower()}@example.org", birth_year=1990,
                                         interpreter_language=s("Sprache"), access_needs=s("Rollstuhl"))
    FamilyMember.objects.create(case=case, relation=FamilyMember.Relation.EXPECTED_CHILD, display_name=s("Kind"),
                                due_date=opened + dt.timedelta(days=100))
    conference = Conference.objects.create(
        case=case, convenor=world.convenor, status=Conference.Status.PROTOCOL_FINAL, starts_at=at(held),
        ends_at=at(held, 12), location=s("Ort"), video_link=f"https://video.example.org/{tag.lower()}",
        interpreter_language=s("Dolmetsch"), access_needs=s("Zugang"), reschedule_count=1,
    )
    Invitation.objects.create(conference=conference, user=world.convenor, organisation=world.youth_welfare, attended=True)
    counsellor_invitation = Invitation.objects.create(conference=conference, user=world.counsellor, organisation=world.counselling,
                                                      attended=True, rsvp_comment=s("Antwort"))
    parent_invitation = Invitation.objects.create(conference=conference, family_member=mother, attended=True,
                                                  rsvp_comment=s("Elternantwort"))
    WrittenReport.objects.create(conference=conference, organisation=world.counselling, due_on=held, text=s("Bericht"))
    protocol = Protocol.objects.create(conference=conference, minute_taker=world.convenor, status=Protocol.Status.FINAL,
                                       parent_summary=s("Elternzusammenfassung"), finalised_at=at(held, 14))
    item = ProtocolItem.objects.create(protocol=protocol, position=1, title=s("Titel"), text=s("Methadon"),
                                       audience=Audience.RESTRICTED, holding_organisation=world.counselling,
                                       entrusted_by=mother, category=InformationCategory.ADDICTION_TREATMENT,
                                       created_by=world.convenor)
    item.restricted_to.set([world.youth_welfare])
    Amendment.objects.create(item=item, author=world.convenor, text=s("Nachtrag"), reason=s("Grund"), created_at=at(held, 15))
    CorrectionProposal.objects.create(item=item, author=world.counsellor, proposed_text=s("Korrektur"),
                                      decision_reason=s("Entscheidung"), created_at=at(held, 15))
    done = AgreedAction.objects.create(case=case, item=item, title=s("Aufgabe"), description=s("Beschreibung"),
                                       responsible_organisation=world.counselling, due_on=held + dt.timedelta(days=30),
                                       status=AgreedAction.Status.DONE, completed_on=held + dt.timedelta(days=20),
                                       created_at=at(held, 13))
    dropped = AgreedAction.objects.create(case=case, item=item, title=s("Elternaufgabe"), responsible_family_member=mother,
                                          due_on=held + dt.timedelta(days=10), status=AgreedAction.Status.DROPPED,
                                          created_at=at(held, 13))
    AgreedAction.objects.create(case=case, item=item, title=s("Offen"), responsible_organisation=world.youth_welfare,
                                due_on=held + dt.timedelta(days=5), created_at=at(held, 13))
    ActionNote.objects.create(action=done, author=world.counsellor, status=AgreedAction.Status.DONE, note=s("Notiz"),
                              created_at=at(held + dt.timedelta(days=20)))
    consent = Consent.objects.create(case=case, given_by=mother, from_organisation=world.counselling, valid_from=opened,
                                     valid_until=closed_on, form_reference=s("Formular"), recorded_by=world.convenor,
                                     recorded_at=at(opened))
    consent.to_organisations.set([world.youth_welfare])
    ConsentScope.objects.create(consent=consent, category=InformationCategory.ADDICTION_TREATMENT)
    basis = DisclosureBasis.objects.create(case=case, basis=LegalBasis.DE_KKG_4, from_organisation=world.counselling,
                                           invoked_by=world.counsellor, justification=s("Begruendung"), invoked_on=held,
                                           valid_until=held + dt.timedelta(days=30), parents_informed=False,
                                           not_informed_reason=s("Nichtinformiert"))
    basis.to_organisations.set([world.youth_welfare])
    # The mother's request to restrict what was shared, answered late, and a court's hold that ended.
    received = closed_on - dt.timedelta(days=60)
    request = DataSubjectRequest.objects.create(
        case=case, family_member=mother, kind=DataSubjectRequest.Kind.RESTRICTION, received_on=received,
        identity_check=DataSubjectRequest.IdentityCheck.DOCUMENT, identity_note=s("Ausweis"), description=s("Anliegen"),
        due_on=received + dt.timedelta(days=30), extended_due_on=received + dt.timedelta(days=55),
        extension_reason=s("Verlaengerung"), recorded_by=world.dpo, recorded_at=at(received),
        outcome=DataSubjectRequest.Outcome.GRANTED, outcome_note=s("Ergebnis"),
        closed_at=at(received + dt.timedelta(days=50)), closed_by=world.dpo)
    ProcessingRestriction.objects.create(family_member=mother, request=request, grounds=s("Einschraenkung"),
                                         set_by=world.dpo, set_at=at(received + dt.timedelta(days=40)),
                                         lifted_at=at(closed_on), lifted_by=world.dpo)
    LegalHold.objects.create(case=case, ground=LegalHold.Ground.COURT, reason=s("Verfahren"), review_on=closed_on,
                             set_by=world.dpo, set_at=at(held), lifted_at=at(closed_on), lifted_by=world.dpo)
    FeedToken.objects.create(user=world.convenor, kind=FeedToken.Kind.CASE, case=case, token_hash=f"case-{tag}".ljust(64, "0"))
    PollLink.objects.create(invitation=parent_invitation, token_hash=f"poll-{tag}".ljust(64, "0"), expires_at=timezone.now() + dt.timedelta(days=5))
    # Dates the figures read that the ORM would otherwise set to "now".
    AgreedAction.objects.filter(case=case).update(updated_at=at(held + dt.timedelta(days=25)))
    Conference.objects.filter(pk=conference.pk).update(updated_at=at(held, 14))
    assert counsellor_invitation.pk
    secrets = [s(w) for w in ("Vorname", "Nachname", "Mutter", "Sprache", "Rollstuhl", "Kind", "Ort", "Dolmetsch", "Zugang",
                              "Antwort", "Elternantwort", "Bericht", "Elternzusammenfassung", "Titel", "Methadon", "Nachtrag",
                              "Grund", "Korrektur", "Entscheidung", "Aufgabe", "Beschreibung", "Elternaufgabe", "Offen",
                              "Notiz", "Formular", "Begruendung", "Nichtinformiert", "Ausweis", "Anliegen",
                              "Verlaengerung", "Ergebnis", "Einschraenkung", "Verfahren")]
    secrets += [f"mutter-{tag.lower()}@example.org", f"video.example.org/{tag.lower()}"]
    return OldCase(case=case, secrets=secrets, parent_id=parent.pk, conference_day=held)


def text_columns() -> list[tuple[str, str]]:
    """Every (table, column) of a text-like type in the database, read from the catalogue."""
    text_types = ("char", "text", "json", "clob")
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if connection.vendor == "postgresql":
                cursor.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s", [table])
                columns = cursor.fetchall()
            else:
                cursor.execute(f"PRAGMA table_info({connection.ops.quote_name(table)})")
                columns = [(row[1], row[2]) for row in cursor.fetchall()]
            found += [(table, name) for name, type_name in columns if any(t in type_name.lower() for t in text_types)]
    return found


def occurrences(needle: str) -> list[tuple[str, str]]:
    """(table, column) pairs where ``needle`` occurs anywhere, by raw SQL."""
    qn = connection.ops.quote_name
    hits = []
    with connection.cursor() as cursor:
        for table, column in text_columns():
            cursor.execute(f"SELECT COUNT(*) FROM {qn(table)} WHERE CAST({qn(column)} AS TEXT) LIKE %s", [f"%{needle}%"])
            if cursor.fetchone()[0]:
                hits.append((table, column))
    return hits


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, for "nothing changed" comparisons.

    Left out: the content version (``permissions_contentversion``), a cache-invalidation counter,
    not data. On PostgreSQL its trigger fires per statement, so an UPDATE that matches no row
    raises it too; that costs a cache miss and changes nothing a person could see."""
    qn = connection.ops.quote_name
    out = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            if table == "permissions_contentversion":
                continue
            cursor.execute(f"SELECT * FROM {qn(table)}")
            out[table] = sorted((tuple(str(v) for v in row) for row in cursor.fetchall()))
    return out


@pytest.fixture
def old_case(world) -> OldCase:
    return make_closed_case(world, reference="KT-2015-001", closed_on=years_ago(11), tag="Alt11")


@pytest.fixture
def recent_case(world) -> OldCase:
    return make_closed_case(world, reference="KT-2017-002", closed_on=years_ago(9), tag="Neu9")
