"""The half-year summary (with the half year before it) costs a fixed number of statements,
whatever the number of cases, conferences, actions and notes (issue 13): each figure is one
query over both half years, the actions' status history one pass over the actions."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from board.figures import compute_figures
from protocols.models import ActionNote, AgreedAction
from tests.board.test_one_pass import build

pytestmark = pytest.mark.django_db

# For both half years: actions 2 (counts, medians of days to done), cases 1, conferences 3
# (counts, two medians), consents 2 (counts, disclosures by basis); the offers app's two
# contributed tables. PostgreSQL adds SET LOCAL jit = off in two (nested: savepoint) transactions,
# and reads the actions (counts and medians, from the board's tally: board/action_tally.py) in one
# statement and the conferences (counts and both medians) in one: 13 (was 16 before issue 13's
# tally).
SUMMARY_SQL = {"sqlite": 10, "postgresql": 13}


def statements(network) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        compute_figures(network, 2025, 2)
    return [q["sql"] for q in ctx.captured_queries]


def test_the_summary_costs_the_same_statements_for_one_case_and_for_eight():
    small = build("Small", cases=1, seed=7)
    large = build("Large", cases=8, seed=8)
    assert AgreedAction.objects.filter(case__network=large).count() == 8 * AgreedAction.objects.filter(case__network=small).count()
    assert ActionNote.objects.filter(action__case__network=large).count() > ActionNote.objects.filter(
        action__case__network=small).count()
    few, many = statements(small), statements(large)
    assert len(few) == len(many) == SUMMARY_SQL[connection.vendor], "\n".join(many)
