"""The anonymity rules on small crafted tables."""
from board.suppression import HIDDEN, MEDIAN_TOO_FEW, SMALL, count, median, share, suppress_groups


def test_counts_from_one_to_four_are_shown_as_less_than_five():
    assert [count(n) for n in (0, 1, 4, 5, 12)] == [0, SMALL, SMALL, 5, 12]


def test_a_single_hidden_cell_takes_the_next_smallest_with_it():
    shown = suppress_groups({"a": 3, "b": 9, "c": 7, "t": 19}, [(["a", "b", "c"], "t")])
    assert shown == {"a": SMALL, "b": 9, "c": HIDDEN, "t": 19}
    # the hidden pair cannot be recovered: only a + c = 10 is known


def test_the_total_is_hidden_when_no_other_cell_could_hide_the_small_one():
    shown = suppress_groups({"a": 3, "b": 0, "t": 8, "u": 5}, [(["a", "b", "u"], "t")])
    assert shown["a"] == SMALL and shown["u"] == HIDDEN
    shown = suppress_groups({"a": 3, "b": 0, "t": 3}, [(["a", "b"], "t")])
    assert shown == {"a": SMALL, "b": 0, "t": SMALL}


def test_complementary_suppression_follows_crossing_rows_and_columns():
    # rows r1, r2 and columns c1, c2 with totals; hiding r1c1 hides r1c2 (row), which leaves
    # column c2 with one hidden cell, so r2c2 goes too, and then column c1 needs r2c1.
    values = {"r1c1": 2, "r1c2": 10, "r2c1": 20, "r2c2": 30, "r1": 12, "r2": 50, "c1": 22, "c2": 40}
    groups = [(["r1c1", "r1c2"], "r1"), (["r2c1", "r2c2"], "r2"), (["r1c1", "r2c1"], "c1"), (["r1c2", "r2c2"], "c2")]
    shown = suppress_groups(values, groups)
    for members, total in groups:
        hidden = [k for k in [*members, total] if isinstance(shown[k], str)]
        assert len(hidden) != 1
    assert shown["r1c1"] == SMALL and shown["r1c2"] == HIDDEN


def test_medians_need_at_least_five_values():
    assert median(4, 12.0) == MEDIAN_TOO_FEW
    assert median(5, 12.0) == 12.0
    assert median(0, None) is None


def test_a_share_is_hidden_with_its_counts():
    assert share(SMALL, 12) == HIDDEN
    assert share(6, 12) == 50.0
