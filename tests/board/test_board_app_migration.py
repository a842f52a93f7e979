"""Issue 14: the board's models moved from ``protocols`` to ``board``. A database of the schema
before the move keeps every row, every relation between them, and the content types (with what
points at them: permissions, django-guardian's object permissions, the admin's log)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from board.models import BoardMeeting, BoardMeetingInvitation, HalfYearSummary, YearlyReport
from participants.models import Network
from permissions import content_version
from protocols import action_history
from tests.world import make_user

# The leaf migrations before the move (main before issue 14): the board's models in protocols.
BEFORE = [("protocols", "0006_corrections_decided_by_lapsed_next_review"), ("board", None)]
MODELS = ("halfyearsummary", "boardmeeting", "yearlyreport", "boardmeetinginvitation")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    ContentType.objects.clear_cache()
    return executor


@pytest.mark.django_db(transaction=True)
def test_rows_relations_and_content_types_survive_the_move():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    network = Network.objects.create(name="Kreis Test", slug="kreis-test")
    coordinator = make_user("koordination.test")
    member = make_user("board.test")
    ids_before = {m: ContentType.objects.get(app_label="board", model=m).pk for m in MODELS}
    try:
        executor = _migrate(BEFORE)
        # the state of what is applied now (later migrations of other apps that depend on
        # protocols/0007, such as the move of the case models, were unapplied with it)
        old = executor.loader.project_state(list(executor.loader.applied_migrations)).apps
        with pytest.raises(LookupError):
            old.get_model("board", "HalfYearSummary")
        OldCT = old.get_model("contenttypes", "ContentType")
        # The content types went back to protocols, the same rows (ids) as before.
        assert {m: OldCT.objects.get(app_label="protocols", model=m).pk for m in MODELS} == ids_before
        assert not OldCT.objects.filter(app_label="board").exists()

        Summary = old.get_model("protocols", "HalfYearSummary")
        Meeting = old.get_model("protocols", "BoardMeeting")
        Invitation = old.get_model("protocols", "BoardMeetingInvitation")
        Report = old.get_model("protocols", "YearlyReport")
        summary = Summary.objects.create(network_id=network.pk, year=2025, half=2, status="published",
                                         figures={"cases": {"total": 7}}, definitions_version="2026.2",
                                         commentary="Gut.", published_by_id=coordinator.pk, published_at=timezone.now())
        starts = timezone.now().replace(microsecond=0) + dt.timedelta(days=10)
        meeting = Meeting.objects.create(network_id=network.pk, starts_at=starts, ends_at=starts + dt.timedelta(hours=2),
                                         location="Rathaus", summary_id=summary.pk, series_key="2026-h1")
        invitation = Invitation.objects.create(meeting_id=meeting.pk, user_id=member.pk, response="accepted")
        report = Report.objects.create(network_id=network.pk, year=2025, figures={"a": 1}, definitions_version="2026.2")
        # What points at the content type: a permission, a guardian object permission, the admin's log.
        Permission = old.get_model("auth", "Permission")
        view = Permission.objects.get(content_type_id=ids_before["halfyearsummary"], codename="view_halfyearsummary")
        UserObjectPermission = old.get_model("guardian", "UserObjectPermission")
        grant = UserObjectPermission.objects.create(user_id=member.pk, permission_id=view.pk,
                                                    content_type_id=ids_before["halfyearsummary"], object_pk=str(summary.pk))
        LogEntry = old.get_model("admin", "LogEntry")
        log = LogEntry.objects.create(user_id=coordinator.pk, content_type_id=ids_before["boardmeeting"],
                                      object_id=str(meeting.pk), object_repr="meeting", action_flag=1,
                                      action_time=timezone.now())
    finally:
        _migrate(latest)
        # what post_migrate does after a real migrate: SQLite rebuilt protocols_agreedaction when
        # protocols/0008 was undone and redone, and a rebuilt table loses its triggers
        content_version.install()
        action_history.install()

    moved = HalfYearSummary.objects.get(pk=summary.pk)
    assert (moved.network, moved.year, moved.half, moved.status, moved.figures, moved.commentary, moved.published_by) == (
        network, 2025, 2, "published", {"cases": {"total": 7}}, "Gut.", coordinator)
    assert HalfYearSummary.objects.visible_to(member).count() == 0  # no board role: the policy still decides
    moved_meeting = BoardMeeting.objects.get(pk=meeting.pk)
    assert (moved_meeting.summary, moved_meeting.starts_at, moved_meeting.location, moved_meeting.series_key) == (
        moved, starts, "Rathaus", "2026-h1")
    assert list(moved_meeting.invitations.values_list("pk", "user_id", "response")) == [(invitation.pk, member.pk, "accepted")]
    assert BoardMeetingInvitation.objects.get(pk=invitation.pk).meeting == moved_meeting
    assert YearlyReport.objects.get(pk=report.pk).figures == {"a": 1}
    assert list(moved.meetings.all()) == [moved_meeting]

    # The same content type rows, now under board; nothing left under protocols, none doubled.
    for model in MODELS:
        assert ContentType.objects.get(app_label="board", model=model).pk == ids_before[model]
    assert not ContentType.objects.filter(app_label="protocols", model__in=MODELS).exists()
    assert ContentType.objects.get_for_model(HalfYearSummary).pk == ids_before["halfyearsummary"]

    from django.contrib.admin.models import LogEntry as CurrentLogEntry
    from guardian.models import UserObjectPermission as CurrentUserObjectPermission

    grant = CurrentUserObjectPermission.objects.get(pk=grant.pk)
    assert grant.content_object == moved
    assert grant.permission.content_type.app_label == "board"
    assert CurrentLogEntry.objects.get(pk=log.pk).get_edited_object() == moved_meeting
    assert member.has_perm("board.view_halfyearsummary", moved)
