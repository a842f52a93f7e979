"""Issue 13: the board counts actions from each action's digest of its notes (``history_status``,
``history_at``, ``history_reopened``, kept by a trigger on the notes), reading the notes only of
reopened actions. The digest must be what the notes say, however they were written, and the
figures from it the same as from the notes' history alone."""
from __future__ import annotations

import datetime as dt
import random

import pytest

from board.figures import Period, action_counts, compute_figures
from participants.models import User
from protocols import action_history
from protocols.models import ActionNote, AgreedAction
from tests.board.test_one_pass import BERLIN, build, per_period_reference

pytestmark = pytest.mark.django_db
CLOSED = {"done", "dropped"}


def digest_from_notes(action: AgreedAction) -> tuple[str, dt.datetime | None, bool]:
    notes = list(ActionNote.objects.filter(action=action).order_by("created_at", "pk"))
    if not notes:
        return "", None, False
    reopened = any(note.status in CLOSED for note in notes[:-1])
    return notes[-1].status, notes[-1].created_at, reopened


def stored(action: AgreedAction) -> tuple[str, dt.datetime | None, bool]:
    action.refresh_from_db()
    return action.history_status, action.history_at, action.history_reopened


def test_the_trigger_keeps_the_digest_whoever_writes_the_notes():
    network = build("Digest", cases=2, seed=11)
    actions = list(AgreedAction.objects.filter(case__network=network).order_by("pk"))
    user = User.objects.get(username="Digest-caseworker")
    rnd = random.Random(5)
    base = dt.datetime(2025, 3, 1, tzinfo=BERLIN)
    # written out of order, in bulk, at the same instant, then changed, moved and deleted
    ActionNote.objects.bulk_create([
        ActionNote(action=rnd.choice(actions), author=user, status=rnd.choice(["open", "in_progress", "done", "dropped"]),
                   created_at=base - dt.timedelta(days=rnd.randrange(0, 300)))
        for _ in range(40)])
    note = ActionNote.objects.filter(action=actions[0]).order_by("-created_at", "-pk").first() or ActionNote.objects.create(
        action=actions[0], author=user, status="done", created_at=base)
    ActionNote.objects.filter(pk=note.pk).update(status="dropped", created_at=base + dt.timedelta(days=400))
    moved = ActionNote.objects.exclude(action=actions[1]).order_by("pk").first()
    source = moved.action
    ActionNote.objects.filter(pk=moved.pk).update(action=actions[1])
    ActionNote.objects.filter(pk__in=ActionNote.objects.filter(action=actions[2]).values("pk")[:1]).delete()
    ActionNote.objects.create(action=actions[3], author=user, status="done", created_at=base)
    ActionNote.objects.create(action=actions[3], author=user, status="open", created_at=base)  # same instant, later id

    for action in [*actions, source]:
        assert stored(action) == digest_from_notes(action), action.pk
    assert stored(actions[3])[0] == "open" and stored(actions[3])[2] is True
    assert any(a.history_reopened for a in actions) and any(a.history_status == "" for a in actions)

    # backfill (the migration's) recomputes the same digest from the notes
    AgreedAction.objects.filter(case__network=network).update(history_status="", history_at=None, history_reopened=False)
    action_history.backfill()
    for action in actions:
        assert stored(action) == digest_from_notes(action), action.pk


@pytest.mark.parametrize("seed", [4, 5])
def test_figures_from_the_digest_equal_those_from_the_notes_history(seed):
    """``action_counts`` reads the digest (notes only for reopened actions); the reference reads
    every action's notes. Both must agree for every period, before and after more notes."""
    network = build("History", cases=5, seed=seed)
    periods = [Period(2025, 2), Period(2025, 1), Period(2024, 2)]
    actions = AgreedAction.objects.filter(case__network=network)
    assert actions.filter(history_reopened=True).exists() and actions.filter(history_reopened=False).exclude(
        history_status="").exists() and actions.filter(history_status="").exists()
    for period, counts in action_counts(network, periods, BERLIN).items():
        assert counts == per_period_reference(network, period, BERLIN), period
    # the digest is also what makes the stored figures: the same whether or not actions are reopened
    figures = compute_figures(network, 2025, 2)
    AgreedAction.objects.filter(case__network=network).update(history_reopened=True)  # all through the notes
    assert compute_figures(network, 2025, 2) == figures


def test_the_trigger_is_installed_after_migrate():
    assert action_history.installed()
