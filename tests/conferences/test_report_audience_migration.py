"""A written report submitted before reports had an audience keeps who read it: after the
migration it is for the professionals on the case team, read by all of them, and by the parents
where it was shared with them, and by nobody else. Runs on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from conferences.models import WrittenReport
from permissions import content_version
from protocols import action_history
from tests.world import build_world

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

BEFORE = [("conferences", "0014_report_version")]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor


@pytest.fixture
def ends_at_the_leaves():
    """Whatever the test does, the database ends at the leaf migrations, with the triggers a real
    ``migrate`` installs (a SQLite table rebuild drops them)."""
    yield
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    content_version.install()
    action_history.install()


def test_a_report_from_before_audiences_is_for_the_case_team(ends_at_the_leaves):
    world = build_world()
    old = _migrate(BEFORE).loader.project_state(BEFORE).apps
    OldReport = old.get_model("conferences", "WrittenReport")
    assert "audience" not in {f.name for f in OldReport._meta.get_fields()}
    now = world.conference.starts_at
    kept = OldReport.objects.create(conference_id=world.conference.pk, organisation_id=world.counselling.pk,
                                    due_on=now.date(), text="Vor den Lesekreisen geschrieben.", shareable_with_parents=True,
                                    submitted_by_id=world.counsellor.pk, submitted_at=now, version=1)

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    report = WrittenReport.objects.get(pk=kept.pk)
    assert report.audience == WrittenReport.Audience.PROFESSIONALS
    assert report.category == "" and report.entrusted_by_id is None and not report.restricted_to.exists()
    readers = {name for name in ("convenor", "lead_colleague", "counsellor", "midwife", "parent", "outsider", "other_parent")
               if WrittenReport.objects.visible_to(getattr(world, name)).filter(pk=report.pk).exists()}
    assert readers == {"convenor", "lead_colleague", "counsellor", "midwife", "parent"}
