"""Issue 14 moved models between apps with their rows: the board's models from ``protocols`` to
``board``, feed tokens from ``conferences`` to ``calendars``, and the case, its team and legal
holds (``conferences``) with family members, consents and legal bases (``participants``) to
``cases``. A database of the schema before the moves keeps every row, every relation between
them and from the apps that point at them, the many-to-many rows, and the content types with
what points at them (permissions, django-guardian's object permissions, the admin's log). The
way back keeps the rows too.

One test, on purpose: taking the database back before the moves renders the project state of
every migration after them (20-50 s of CPU per trip on the CI machine), so the three moves are
checked on one trip back, one forward, and one back and forward again for the way back, instead
of a trip per move. Whatever happens, the test database ends at the leaf migrations again, with
the triggers a real ``migrate`` installs (a SQLite table rebuild drops them). Runs on SQLite and
on PostgreSQL (``DATABASE_URL``).
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from guardian.models import UserObjectPermission

from board.models import BoardMeeting, BoardMeetingInvitation, HalfYearSummary, YearlyReport
from calendars.models import FeedToken
from cases.models import Case, CaseTeamMember, Consent, DisclosureBasis, FamilyMember, LegalHold
from conferences.models import Conference, Invitation
from participants.models import Network, Organisation
from permissions import content_version
from protocols import action_history
from protocols.models import ProtocolItem
from tests.world import make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# Before all three moves: the board's models still in protocols (protocols 0007 moved them), feed
# tokens in conferences (conferences 0009), no cases app. Unapplying these unapplies every later
# migration that depends on them (the state-only AlterFields of the other apps).
BEFORE = [("protocols", "0006_corrections_decided_by_lapsed_next_review"), ("conferences", "0008_legal_holds"),
          ("calendars", None), ("board", None), ("cases", None)]
BOARD_MODELS = ("halfyearsummary", "boardmeeting", "yearlyreport", "boardmeetinginvitation")
CASE_MODELS = {
    "conferences": ("case", "caseteammember", "legalhold"),
    "participants": ("familymember", "consent", "consentscope", "disclosurebasis"),
}


def _leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    ContentType.objects.clear_cache()
    return executor


# Stays applied on the way back (it depends on nothing that is unapplied) but only takes the
# consent models out of the project state, for cases/0001 to add them: the schema before the
# moves is that of the migration before it.
STATE_ONLY_AHEAD = ("participants", "0007_consent_models_moved_to_cases")


def _back():
    """The database before the moves, and the models as they were then."""
    executor = _migrate(BEFORE)
    applied = set(executor.loader.applied_migrations)
    assert STATE_ONLY_AHEAD in applied
    return executor.loader.project_state(sorted(applied - {STATE_ONLY_AHEAD})).apps


def _forward():
    _migrate(_leaves())
    # what post_migrate does after a real migrate (a SQLite table rebuild drops triggers)
    content_version.install()
    action_history.install()


@pytest.fixture
def ends_at_the_leaves():
    """Whatever the test does, the database ends at the leaf migrations (the state every other
    test expects), and the content-type cache forgets what it saw in between."""
    yield
    _forward()
    ContentType.objects.clear_cache()


class People:
    def __init__(self):
        self.network = Network.objects.create(name="Kreis Test", slug="kreis-test")
        self.youth = Organisation.objects.create(network=self.network, name="Jugendamt", kind="youth_welfare")
        self.counselling = Organisation.objects.create(network=self.network, name="Beratung", kind="addiction_counselling")
        self.convenor = make_user("convenor.test")
        self.mother_account = make_user("mutter.test")
        self.dpo = make_user("dpo.test")
        self.coordinator = make_user("koordination.test")
        self.member = make_user("board.test")
        self.subscriber = make_user("subscriber.test", preferred_language="da")


# -- rows written in the old schema -------------------------------------------------------------

def _old_board_rows(old, people, ids_before):
    OldCT = old.get_model("contenttypes", "ContentType")
    # The content types went back to protocols, the same rows (ids) as before.
    assert {m: OldCT.objects.get(app_label="protocols", model=m).pk for m in BOARD_MODELS} == {
        m: ids_before[m] for m in BOARD_MODELS}
    assert not OldCT.objects.filter(app_label="board").exists()
    with pytest.raises(LookupError):
        old.get_model("board", "HalfYearSummary")

    summary = old.get_model("protocols", "HalfYearSummary").objects.create(
        network_id=people.network.pk, year=2025, half=2, status="published", figures={"cases": {"total": 7}},
        definitions_version="2026.2", commentary="Gut.", published_by_id=people.coordinator.pk, published_at=timezone.now())
    starts = timezone.now().replace(microsecond=0) + dt.timedelta(days=10)
    meeting = old.get_model("protocols", "BoardMeeting").objects.create(
        network_id=people.network.pk, starts_at=starts, ends_at=starts + dt.timedelta(hours=2), location="Rathaus",
        summary_id=summary.pk, series_key="2026-h1")
    invitation = old.get_model("protocols", "BoardMeetingInvitation").objects.create(
        meeting_id=meeting.pk, user_id=people.member.pk, response="accepted")
    report = old.get_model("protocols", "YearlyReport").objects.create(
        network_id=people.network.pk, year=2025, figures={"a": 1}, definitions_version="2026.2")
    view = old.get_model("auth", "Permission").objects.get(content_type_id=ids_before["halfyearsummary"],
                                                           codename="view_halfyearsummary")
    grant = old.get_model("guardian", "UserObjectPermission").objects.create(
        user_id=people.member.pk, permission_id=view.pk, content_type_id=ids_before["halfyearsummary"],
        object_pk=str(summary.pk))
    log = old.get_model("admin", "LogEntry").objects.create(
        user_id=people.coordinator.pk, content_type_id=ids_before["boardmeeting"], object_id=str(meeting.pk),
        object_repr="meeting", action_flag=1, action_time=timezone.now())
    return dict(summary=summary.pk, meeting=meeting.pk, starts=starts, invitation=invitation.pk, report=report.pk,
                grant=grant.pk, log=log.pk)


def _old_feed_tokens(old, people):
    assert "calendars_feedtoken" not in connection.introspection.table_names()
    OldToken = old.get_model("conferences", "FeedToken")
    changed = timezone.now() - dt.timedelta(hours=3)
    personal = OldToken.objects.create(user_id=people.subscriber.pk, kind="personal", token_hash="p" * 64,
                                       served_etag='"abc"', content_changed_at=changed, last_used_at=changed)
    board = OldToken.objects.create(user_id=people.member.pk, kind="board", network_id=people.network.pk,
                                    token_hash="b" * 64, revoked_at=changed)
    content_type, _ = old.get_model("contenttypes", "ContentType").objects.get_or_create(app_label="conferences",
                                                                                         model="feedtoken")
    permission = old.get_model("auth", "Permission").objects.get_or_create(
        content_type=content_type, codename="view_feedtoken", defaults={"name": "Can view feed token"})[0]
    return dict(personal=personal.pk, board=board.pk, changed=changed, content_type=content_type.pk,
                permission=permission.pk)


def _old_case_rows(old, people, ids_before):
    with pytest.raises(LookupError):
        old.get_model("cases", "Case")
    OldCT = old.get_model("contenttypes", "ContentType")
    # The content types went back to their apps, the same rows (ids) as before.
    assert {m: OldCT.objects.get(app_label=app, model=m).pk for app, models in CASE_MODELS.items() for m in models} == {
        m: ids_before[m] for models in CASE_MODELS.values() for m in models}
    assert not OldCT.objects.filter(app_label="cases").exists()

    case = old.get_model("conferences", "Case").objects.create(
        network_id=people.network.pk, reference="HS-2026-901", lead_organisation_id=people.youth.pk,
        lead_caseworker_id=people.convenor.pk, status="active", opened_on=dt.date(2026, 1, 5))
    team = old.get_model("conferences", "CaseTeamMember").objects.create(
        case_id=case.pk, organisation_id=people.counselling.pk, case_role="counselling")
    hold = old.get_model("conferences", "LegalHold").objects.create(
        case_id=case.pk, ground="court", reason="Verfahren", review_on=dt.date(2027, 1, 1), set_by_id=people.dpo.pk)
    mother = old.get_model("participants", "FamilyMember").objects.create(
        case_id=case.pk, relation="mother", display_name="A.", user_id=people.mother_account.pk)
    consent = old.get_model("participants", "Consent").objects.create(
        case_id=case.pk, given_by_id=mother.pk, from_organisation_id=people.youth.pk, valid_from=dt.date(2026, 1, 5),
        valid_until=dt.date(2027, 1, 5), recorded_by_id=people.convenor.pk)
    consent.to_organisations.add(people.counselling.pk)
    scope = old.get_model("participants", "ConsentScope").objects.create(consent_id=consent.pk,
                                                                          category="addiction_treatment")
    basis = old.get_model("participants", "DisclosureBasis").objects.create(
        case_id=case.pk, basis="de_kkg_4", from_organisation_id=people.youth.pk, invoked_by_id=people.convenor.pk,
        justification="Gefährdung", invoked_on=dt.date(2026, 2, 1), valid_until=dt.date(2026, 8, 1),
        parents_informed=True)
    basis.to_organisations.add(people.counselling.pk)
    # Rows of the apps that point at the moved models.
    starts = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    conference = old.get_model("conferences", "Conference").objects.create(
        case_id=case.pk, convenor_id=people.convenor.pk, status="scheduled", starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1))
    invitation = old.get_model("conferences", "Invitation").objects.create(conference_id=conference.pk,
                                                                           family_member_id=mother.pk)
    protocol = old.get_model("protocols", "Protocol").objects.create(conference_id=conference.pk,
                                                                     minute_taker_id=people.convenor.pk)
    item = old.get_model("protocols", "ProtocolItem").objects.create(
        protocol_id=protocol.pk, title="Behandlung", audience="restricted", holding_organisation_id=people.youth.pk,
        entrusted_by_id=mother.pk, category="addiction_treatment", created_by_id=people.convenor.pk)
    # What points at the content types: a permission, a guardian object permission, the admin's log.
    content_perm = old.get_model("auth", "Permission").objects.get(content_type_id=ids_before["case"],
                                                                   codename="view_case_content")
    grant = old.get_model("guardian", "UserObjectPermission").objects.create(
        user_id=people.convenor.pk, permission_id=content_perm.pk, content_type_id=ids_before["case"],
        object_pk=str(case.pk))
    log = old.get_model("admin", "LogEntry").objects.create(
        user_id=people.convenor.pk, content_type_id=ids_before["consent"], object_id=str(consent.pk),
        object_repr="consent", action_flag=1, action_time=timezone.now())
    return dict(case=case.pk, team=team.pk, hold=hold.pk, mother=mother.pk, consent=consent.pk, scope=scope.pk,
                basis=basis.pk, conference=conference.pk, invitation=invitation.pk, item=item.pk, grant=grant.pk,
                log=log.pk)


# -- what comes out of the current models --------------------------------------------------------

def _board_moved(people, ids_before, rows):
    moved = HalfYearSummary.objects.get(pk=rows["summary"])
    assert (moved.network, moved.year, moved.half, moved.status, moved.figures, moved.commentary, moved.published_by) == (
        people.network, 2025, 2, "published", {"cases": {"total": 7}}, "Gut.", people.coordinator)
    assert HalfYearSummary.objects.visible_to(people.member).count() == 0  # no board role: the policy still decides
    meeting = BoardMeeting.objects.get(pk=rows["meeting"])
    assert (meeting.summary, meeting.starts_at, meeting.location, meeting.series_key) == (
        moved, rows["starts"], "Rathaus", "2026-h1")
    assert list(meeting.invitations.values_list("pk", "user_id", "response")) == [
        (rows["invitation"], people.member.pk, "accepted")]
    assert BoardMeetingInvitation.objects.get(pk=rows["invitation"]).meeting == meeting
    assert YearlyReport.objects.get(pk=rows["report"]).figures == {"a": 1}
    assert list(moved.meetings.all()) == [meeting]
    # The same content type rows, now under board; nothing left under protocols, none doubled.
    for model in BOARD_MODELS:
        assert ContentType.objects.get(app_label="board", model=model).pk == ids_before[model]
    assert not ContentType.objects.filter(app_label="protocols", model__in=BOARD_MODELS).exists()
    assert ContentType.objects.get_for_model(HalfYearSummary).pk == ids_before["halfyearsummary"]
    grant = UserObjectPermission.objects.get(pk=rows["grant"])
    assert grant.content_object == moved
    assert grant.permission.content_type.app_label == "board"
    assert LogEntry.objects.get(pk=rows["log"]).get_edited_object() == meeting
    assert people.member.has_perm("board.view_halfyearsummary", moved)


def _feed_tokens_moved(people, rows):
    assert "conferences_feedtoken" not in connection.introspection.table_names()
    moved = {token.pk: token for token in FeedToken.objects.all()}
    assert set(moved) == {rows["personal"], rows["board"]}
    personal, board = moved[rows["personal"]], moved[rows["board"]]
    assert (personal.user_id, personal.kind, personal.token_hash) == (people.subscriber.pk, "personal", "p" * 64)
    assert personal.served_etag == '"abc"' and personal.content_changed_at == rows["changed"]
    assert (board.kind, board.network_id, board.revoked_at) == ("board", people.network.pk, rows["changed"])
    # The content type row moved (same id), and the permission with it; none is left behind.
    assert ContentType.objects.get_for_model(FeedToken).pk == rows["content_type"]
    assert not ContentType.objects.filter(app_label="conferences", model="feedtoken").exists()
    assert Permission.objects.get(pk=rows["permission"]).content_type_id == rows["content_type"]
    # The constraint came along: a personal token with a network is refused.
    with pytest.raises(IntegrityError), transaction.atomic():
        FeedToken.objects.create(user_id=people.subscriber.pk, kind="personal", network_id=people.network.pk,
                                 token_hash="x" * 64)
    # New tokens continue the ids (PostgreSQL: the sequence came along with the table).
    fresh = FeedToken.objects.create(user_id=people.subscriber.pk, kind="personal", token_hash="n" * 64)
    assert fresh.pk > max(moved)
    rows["fresh"] = fresh.pk


def _cases_moved(people, ids_before, rows):
    moved = Case.objects.get(pk=rows["case"])
    assert (moved.reference, moved.network, moved.lead_organisation, moved.lead_caseworker, moved.status) == (
        "HS-2026-901", people.network, people.youth, people.convenor, "active")
    assert list(moved.team.values_list("pk", "organisation_id", "case_role")) == [
        (rows["team"], people.counselling.pk, "counselling")]
    assert CaseTeamMember.objects.get(pk=rows["team"]).case == moved
    assert LegalHold.objects.get(pk=rows["hold"]).case == moved and moved.legal_holds.get().in_force
    mother = FamilyMember.objects.get(pk=rows["mother"])
    assert (mother.case, mother.user, mother.is_parent) == (moved, people.mother_account, True)
    people.mother_account.refresh_from_db()
    assert list(people.mother_account.family_members.all()) == [mother]
    consent = Consent.objects.get(pk=rows["consent"])
    assert (consent.case, consent.given_by) == (moved, mother)
    assert list(consent.to_organisations.all()) == [people.counselling]
    assert list(consent.scopes.values_list("pk", "category")) == [(rows["scope"], "addiction_treatment")]
    basis = DisclosureBasis.objects.get(pk=rows["basis"])
    assert (basis.case, basis.basis, list(basis.to_organisations.all())) == (moved, "de_kkg_4", [people.counselling])
    assert list(moved.consents.all()) == [consent] and list(moved.disclosure_bases.all()) == [basis]
    # The other apps' foreign keys reach the moved rows.
    assert Conference.objects.get(pk=rows["conference"]).case == moved
    assert Invitation.objects.get(pk=rows["invitation"]).family_member == mother
    assert ProtocolItem.objects.get(pk=rows["item"]).entrusted_by == mother
    # The policy still decides, now on the moved models: the mother sees her case and her consent.
    assert list(Case.objects.visible_to(people.mother_account)) == [moved]
    assert list(Consent.objects.visible_to(people.mother_account)) == [consent]
    # The same content type rows, now under cases; nothing left under the old labels, none doubled.
    for app, models in CASE_MODELS.items():
        assert not ContentType.objects.filter(app_label=app, model__in=models).exists()
        for model in models:
            assert ContentType.objects.get(app_label="cases", model=model).pk == ids_before[model]
    assert ContentType.objects.get_for_model(Case).pk == ids_before["case"]
    grant = UserObjectPermission.objects.get(pk=rows["grant"])
    assert grant.content_object == moved
    assert grant.permission.content_type.app_label == "cases"
    assert LogEntry.objects.get(pk=rows["log"]).get_edited_object() == consent
    assert people.convenor.has_perm("cases.view_case_content", moved)


# -- the way back ---------------------------------------------------------------------------------

def _back_again(old, board, tokens, case_rows):
    """The rows are in the old apps' tables again, under the same ids and content types."""
    OldCT = old.get_model("contenttypes", "ContentType")
    assert old.get_model("protocols", "HalfYearSummary").objects.get(pk=board["summary"]).commentary == "Gut."
    assert old.get_model("protocols", "BoardMeetingInvitation").objects.get(pk=board["invitation"]).response == "accepted"
    OldToken = old.get_model("conferences", "FeedToken")
    assert set(OldToken.objects.values_list("pk", "token_hash")) == {
        (tokens["personal"], "p" * 64), (tokens["board"], "b" * 64), (tokens["fresh"], "n" * 64)}
    assert OldCT.objects.filter(app_label="conferences", model="feedtoken").exists()
    assert not OldCT.objects.filter(app_label="calendars", model="feedtoken").exists()
    assert old.get_model("conferences", "Case").objects.get(pk=case_rows["case"]).reference == "HS-2026-901"
    consent = old.get_model("participants", "Consent").objects.get(pk=case_rows["consent"])
    assert list(consent.to_organisations.values_list("pk", flat=True)) == [
        old.get_model("participants", "Organisation").objects.get(name="Beratung").pk]
    assert not OldCT.objects.filter(app_label__in=("cases", "board")).exists()


def test_rows_relations_and_content_types_survive_the_moves_and_the_way_back(ends_at_the_leaves):
    people = People()
    ids_before = {
        **{m: ContentType.objects.get(app_label="board", model=m).pk for m in BOARD_MODELS},
        **{m: ContentType.objects.get(app_label="cases", model=m).pk for models in CASE_MODELS.values() for m in models},
    }
    ContentType.objects.get_for_model(FeedToken)  # the row exists, as after any migrate

    old = _back()
    board = _old_board_rows(old, people, ids_before)
    tokens = _old_feed_tokens(old, people)
    case_rows = _old_case_rows(old, people, ids_before)
    _forward()

    _board_moved(people, ids_before, board)
    _feed_tokens_moved(people, tokens)
    _cases_moved(people, ids_before, case_rows)

    _back_again(_back(), board, tokens, case_rows)
    _forward()
    assert FeedToken.objects.get(pk=tokens["personal"]).token_hash == "p" * 64
    assert HalfYearSummary.objects.get(pk=board["summary"]).commentary == "Gut."
    assert Case.objects.get(pk=case_rows["case"]).reference == "HS-2026-901"
