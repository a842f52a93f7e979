"""The board's tally of actions (``board/action_tally.py``, issue 13, PostgreSQL): whatever writes
the actions, their notes, their cases or their network, the maintained tally is what a
computation from scratch gives, and the figures read from it are those computed from the
actions themselves."""
from __future__ import annotations

import datetime as dt
import random
import zoneinfo

import pytest
from django.conf import settings
from django.db import connection

from board import action_tally
from board.figures import Period, _counts_from_actions, _medians_from_actions, _tally_figures, compute_figures
from cases.models import Case
from participants.models import Network, Organisation, User
from protocols import services as protocol_services
from protocols.models import ActionNote, AgreedAction
from tests.board.test_one_pass import BERLIN, build

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"],
                       reason="the tally is kept on PostgreSQL only (SQLite computes from the actions)"),
]
PERIODS = [Period(2025, 2), Period(2025, 1), Period(2024, 2), Period(2024, 1)]


def maintained() -> dict[tuple, int]:
    cols = ", ".join(action_tally.KEY)
    with connection.cursor() as cur:
        cur.execute(f"SELECT {cols}, SUM(n) FROM {action_tally.TABLE} GROUP BY {cols} HAVING SUM(n) <> 0")
        return {tuple(row[:-1]): row[-1] for row in cur.fetchall()}


def assert_right(*networks: Network) -> None:
    """The maintained tally equals the one computed from scratch, and each network's figures
    from it equal those computed from its actions."""
    kept = maintained()
    action_tally.backfill()
    assert kept == maintained()
    for network in networks:
        network.refresh_from_db()
        tz = zoneinfo.ZoneInfo(network.time_zone)
        counts, medians = _tally_figures(network, PERIODS, tz)
        assert counts == _counts_from_actions(network, PERIODS, tz), network.name
        assert medians == _medians_from_actions(network, PERIODS, tz), network.name


def deltas() -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {action_tally.TABLE} WHERE delta")
        return cur.fetchone()[0]


def test_the_triggers_are_installed_after_migrate():
    assert action_tally.installed()


def test_the_tally_follows_services_bulk_writes_notes_and_deletions():
    network = build("Tally", cases=4, seed=21)
    other = build("Elsewhere", cases=2, seed=22)
    assert deltas() > 0
    assert_right(network, other)

    # the status service's write (the action saved, then a note): done, dropped, and reopened
    convenor = User.objects.get(username="Tally-caseworker")
    actions = list(AgreedAction.objects.filter(case__network=network).order_by("pk"))
    for action, status in zip(actions[:6], ["done", "dropped", "in_progress", "done", "open", "dropped"]):
        protocol_services._apply_action_status(convenor, action, status, "Grund")
    protocol_services._apply_action_status(convenor, actions[0], "open", "")  # reopened
    assert AgreedAction.objects.get(pk=actions[0].pk).history_reopened
    assert_right(network, other)

    # bulk updates of every column the key reads
    rnd = random.Random(3)
    organisations = list(Organisation.objects.filter(network=network))
    for action in actions[6:20]:
        AgreedAction.objects.filter(pk=action.pk).update(
            due_on=dt.date(2025, rnd.randrange(1, 13), 1), responsible_family_member=None,
            responsible_organisation=rnd.choice(organisations),
            created_at=dt.datetime(2024, rnd.randrange(1, 13), 1, 23, 30, tzinfo=dt.timezone.utc))
    AgreedAction.objects.filter(pk__in=[a.pk for a in actions[20:30]]).update(status="done", completed_on=dt.date(2025, 7, 1))
    AgreedAction.objects.filter(pk__in=[a.pk for a in actions[30:34]]).update(
        status="dropped", completed_on=None, updated_at=dt.datetime(2025, 6, 30, 22, 30, tzinfo=dt.timezone.utc))
    assert_right(network, other)

    # notes written in bulk, moved, changed and deleted (the digest's trigger, then the tally's)
    ActionNote.objects.bulk_create([
        ActionNote(action=rnd.choice(actions), author=convenor, status=rnd.choice(["done", "dropped", "open"]),
                   created_at=dt.datetime(2025, rnd.randrange(1, 13), rnd.randrange(1, 28), tzinfo=BERLIN))
        for _ in range(30)])
    note = ActionNote.objects.filter(action__case__network=network).order_by("pk").first()
    ActionNote.objects.filter(pk=note.pk).update(status="dropped", created_at=dt.datetime(2026, 1, 1, tzinfo=BERLIN))
    ActionNote.objects.filter(pk__in=ActionNote.objects.filter(action=actions[7]).values("pk")).delete()
    assert_right(network, other)

    # erasure-like text changes leave the tally alone; removing actions takes them out
    before = maintained()
    AgreedAction.objects.filter(case__network=network).update(title="", description="")
    assert maintained() == before
    doomed = AgreedAction.objects.filter(pk__in=[a.pk for a in actions[-5:]])
    ActionNote.objects.filter(action__in=doomed).delete()
    doomed.delete()
    assert_right(network, other)


def test_a_case_that_moves_and_a_network_that_changes_its_time_zone():
    network = build("Moving", cases=3, seed=31)
    other = build("Receiving", cases=2, seed=32)
    Network.objects.filter(pk=other.pk).update(time_zone="America/New_York")
    assert_right(network, other)
    case = Case.objects.filter(network=network).order_by("pk").first()
    Case.objects.filter(pk=case.pk).update(network=other)
    assert_right(network, other)
    Network.objects.filter(pk=network.pk).update(time_zone="Asia/Kathmandu")  # +05:45: other half-year boundaries
    assert_right(network, other)


def test_reading_the_figures_folds_the_deltas_without_changing_them():
    network = build("Folding", cases=3, seed=41)
    assert deltas() > 0
    figures = compute_figures(network, 2025, 2)
    assert deltas() == build_deltas_of_other_networks(network)
    kept = maintained()
    assert compute_figures(network, 2025, 2) == figures
    assert maintained() == kept
    assert_right(network)


def build_deltas_of_other_networks(network: Network) -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {action_tally.TABLE} WHERE delta AND network_id <> %s", [network.pk])
        return cur.fetchone()[0]


def test_an_empty_tally_is_filled_after_migrate_and_truncate_empties_it():
    network = build("Refill", cases=2, seed=51)
    kept = maintained()
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {action_tally.TABLE}")
    action_tally.ensure()
    assert maintained() == kept
    assert_right(network)
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses to run with deferred checks pending
        cur.execute("TRUNCATE protocols_agreedaction CASCADE")
    assert maintained() == {}


def test_a_tally_that_misses_actions_is_rebuilt_after_migrate():
    """Actions written while no trigger watched (an older install dropped and re-created the
    triggers in separate commits; an upgrade from before the digest columns) are found by the
    check after every migrate and the tally rebuilt; a tally that adds up is left alone."""
    network = build("Drift", cases=2, seed=52)
    kept = maintained()
    action_tally.uninstall()
    try:
        case = Case.objects.filter(network=network).first()
        action = AgreedAction.objects.filter(case=case, responsible_organisation__isnull=False).first()
        AgreedAction.objects.create(case=case, item=action.item, title="ungezählt",
                                    responsible_organisation=action.responsible_organisation, due_on=case.opened_on)
    finally:
        action_tally.ensure()
    assert action_tally.installed()
    assert maintained() != kept
    assert_right(network)
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {action_tally.TABLE}")
        rows_before = cur.fetchone()[0]
        cur.execute(f"SELECT max(id) FROM {action_tally.TABLE}")
        newest_before = cur.fetchone()[0]
    action_tally.ensure()  # adds up: nothing rebuilt
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*), max(id) FROM {action_tally.TABLE}")
        assert tuple(cur.fetchone()) == (rows_before, newest_before)


def test_no_action_written_while_the_triggers_are_reinstalled_goes_uncounted(world):
    """After every statement of what post_migrate runs, another writer adds an action (here on the
    same connection, in the same transaction): each is counted, because no trigger is dropped
    before it is created again (CREATE OR REPLACE TRIGGER) and the whole install is one
    transaction. (With DROP and CREATE in separate commits, the action of the gap was lost.)"""
    assert sum(maintained().values()) == AgreedAction.objects.count()
    real_cursor = connection.cursor
    written = []

    class WritesAfterEachStatement:
        def __init__(self):
            self.cursor = real_cursor()

        def __enter__(self):
            self.cursor.__enter__()
            return self

        def __exit__(self, *exc):
            return self.cursor.__exit__(*exc)

        def execute(self, sql, params=None):
            result = self.cursor.execute(sql, params)
            if sql.lstrip().startswith(("CREATE", "DROP")):
                written.append(AgreedAction.objects.create(
                    case=world.case, item=world.item_everyone, title=f"im Fenster {len(written)}",
                    responsible_organisation=world.counselling, due_on=world.case.opened_on))
            return result

        def __getattr__(self, name):
            return getattr(self.cursor, name)

    connection.cursor = WritesAfterEachStatement
    try:
        action_tally.install()
    finally:
        del connection.cursor
    assert len(written) >= 5
    assert sum(maintained().values()) == AgreedAction.objects.count()


def test_a_reopened_action_counts_by_its_notes_and_a_note_written_into_the_past_reaches_the_figures():
    """A reopened action's dropped / open / overdue come from its span rows, which its notes keep
    (no note is read by the summary). A note added to its past leaves the action's digest (its
    last note) as it was and must still change the half year it falls in."""
    network = build("Spans", cases=1, seed=61)
    ActionNote.objects.filter(action__case__network=network).delete()
    action = AgreedAction.objects.filter(case__network=network, responsible_organisation__isnull=False).first()
    AgreedAction.objects.filter(case__network=network).exclude(pk=action.pk).delete()
    AgreedAction.objects.filter(pk=action.pk).update(
        status="in_progress", completed_on=None, due_on=dt.date(2024, 10, 1),
        created_at=dt.datetime(2024, 3, 1, tzinfo=BERLIN))
    author = User.objects.get(username="Spans-caseworker")

    def note(status, *when):
        ActionNote.objects.create(action=action, author=author, status=status, created_at=dt.datetime(*when, tzinfo=BERLIN))

    note("done", 2024, 5, 1)      # closed at the end of 2024 H1
    note("open", 2024, 11, 1)     # reopened: open (and overdue) at the end of 2024 H2
    note("dropped", 2025, 2, 1)   # dropped in 2025 H1 ...
    note("open", 2025, 3, 1)      # ... and reopened: open and overdue at its end
    assert AgreedAction.objects.get(pk=action.pk).history_reopened
    group = action.responsible_organisation.kind
    periods = [Period(2024, 1), Period(2024, 2), Period(2025, 1)]

    def counts():
        tallied, _ = _tally_figures(network, periods, BERLIN)
        assert tallied == _counts_from_actions(network, periods, BERLIN)
        return [(tallied[p][group]["dropped"], tallied[p][group]["open"], tallied[p][group]["overdue"]) for p in periods]

    assert counts() == [(0, 0, 0), (0, 1, 1), (1, 1, 1)]
    # a write that leaves its spans as they were appends no delta rows (old and new are netted)
    before = deltas()
    AgreedAction.objects.filter(pk=action.pk).update(updated_at=dt.datetime(2025, 4, 1, tzinfo=BERLIN))
    assert deltas() == before
    note("done", 2024, 12, 15)    # into the past: the last note (and the digest) stay as they were
    assert counts() == [(0, 0, 0), (0, 0, 0), (1, 1, 1)]
    ActionNote.objects.filter(action=action, status="dropped").delete()
    assert counts() == [(0, 0, 0), (0, 0, 0), (0, 1, 1)]
    assert_right(network)


def test_missing_span_rows_are_rebuilt_after_migrate():
    """An installation upgraded from before the span rows (board/0004), or whose spans missed notes
    written while no trigger watched: the check after migrate finds them and rebuilds the tally."""
    network = build("Upgrade", cases=2, seed=71)
    assert AgreedAction.objects.filter(case__network=network, history_reopened=True).exists()
    kept = maintained()
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {action_tally.SPANS}")
        cur.execute(f"DELETE FROM {action_tally.TABLE} WHERE span <> 0")
    assert maintained() != kept
    action_tally.ensure()
    assert maintained() == kept
    assert_right(network)
