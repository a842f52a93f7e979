"""The anonymity rules on small crafted tables."""
from fractions import Fraction

from board.suppression import HIDDEN, MEDIAN_TOO_FEW, SMALL, count, group, median, share, suppress, suppress_groups


def _rank(rows: list[list[Fraction]]) -> int:
    rows = [list(row) for row in rows]
    rank, columns = 0, len(rows[0]) if rows else 0
    for col in range(columns):
        pivot = next((i for i in range(rank, len(rows)) if rows[i][col]), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][col]:
                factor = rows[i][col] / rows[rank][col]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[rank])]
        rank += 1
    return rank


def _given_back(shown: dict, relations: list[dict], unshown=(), sensitive=()) -> list:
    """The hidden cells (and the ``sensitive`` unshown ones) that the shown cells determine
    through the relations, found independently of the implementation: a cell is determined
    exactly when leaving its column out of the relations restricted to the unknown cells lowers
    their rank."""
    unknown = [key for key in {k for r in relations for k in r} if key in unshown or isinstance(shown.get(key), str)]
    matrix = [[Fraction(r.get(key, 0)) for key in unknown] for r in relations]
    full = _rank(matrix)
    return [key for i, key in enumerate(unknown) if (key not in unshown or key in sensitive)
            and _rank([row[:i] + row[i + 1:] for row in matrix]) < full]


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


def test_a_stock_and_flow_identity_is_a_relation_like_a_total():
    # closed before = active before + new now - active now: 2 closed cases ("< 5") would come back
    values = {"active_now": 12, "active_before": 6, "new_now": 8, "closed_before": 2}
    relation = {"active_now": 1, "active_before": -1, "closed_before": 1, "new_now": -1}
    shown = suppress(values, [relation])
    assert shown == {"active_now": 12, "active_before": HIDDEN, "new_now": 8, "closed_before": SMALL}
    assert _given_back(shown, [relation]) == []


def test_hiding_in_a_row_identity_forces_hiding_in_the_crossing_column_sums():
    # two groups and their total; per group open now = open before + agreed - done; per measure
    # the groups add up to the total. The 2 done by g1 hide g1's open before (row), which leaves
    # the column "open before" and the column "done" with one hidden cell each: g2's go too.
    measures = ("open_before", "agreed", "done", "open_now")
    table = {"g1": (6, 10, 2, 14), "g2": (20, 30, 25, 25)}
    table["total"] = tuple(a + b for a, b in zip(table["g1"], table["g2"]))
    values = {(g, m): v for g, row in table.items() for m, v in zip(measures, row)}
    relations = [group([("g1", m), ("g2", m)], ("total", m)) for m in measures]
    relations += [{(g, "open_now"): 1, (g, "open_before"): -1, (g, "agreed"): -1, (g, "done"): 1} for g in table]
    shown = suppress(values, relations)
    assert shown[("g1", "done")] == SMALL
    assert {key for key, v in shown.items() if v == HIDDEN} == {("g1", "open_before"), ("g2", "open_before"), ("g2", "done")}
    for relation in relations:
        assert sum(1 for key in relation if isinstance(shown[key], str)) != 1
    assert _given_back(shown, relations) == []


def test_two_relations_that_subtract_to_one_hidden_cell_are_caught():
    # x + y = t and x + y + z = w: each relation keeps two or three hidden cells once y hides x,
    # but their difference z = w - t gives the 2 in z back. The total t goes with it.
    values = {"x": 3, "y": 10, "t": 13, "z": 2, "w": 15}
    relations = [group(["x", "y"], "t"), group(["x", "y", "z"], "w")]
    shown = suppress(values, relations)
    assert shown == {"x": SMALL, "y": HIDDEN, "t": HIDDEN, "z": SMALL, "w": 15}
    assert _given_back(shown, relations) == []


def test_a_bridge_between_two_cycles_of_hidden_cells_is_broken():
    # A 4 x 4 table with row and column totals. The small cells form two cycles (r1/r2 x c1/c2
    # and r3/r4 x c3/c4) joined by r2c3: every row and column holds two or three of them, so no
    # single relation gives one back, but rows r1 + r2 minus columns c1 + c2 leave r2c3 as the
    # only unknown cell. The elimination finds it and hides another cell of that combination.
    rows, columns = ("r1", "r2", "r3", "r4"), ("c1", "c2", "c3", "c4")
    small = {("r1", "c1"), ("r1", "c2"), ("r2", "c1"), ("r2", "c2"), ("r3", "c3"), ("r3", "c4"), ("r4", "c3"),
             ("r4", "c4"), ("r2", "c3")}
    cells = {(r, c): 2 if (r, c) in small else 20 + 10 * i + j for i, r in enumerate(rows) for j, c in enumerate(columns)}
    values = dict(cells)
    for r in rows:
        values[(r, "all")] = sum(v for (row, _c), v in cells.items() if row == r)
    for c in columns:
        values[("all", c)] = sum(v for (_r, col), v in cells.items() if col == c)
    values[("all", "all")] = sum(cells.values())
    relations = [group([(r, c) for c in columns], (r, "all")) for r in rows]
    relations += [group([(r, c) for r in rows], ("all", c)) for c in columns]
    relations.append(group([(r, "all") for r in rows], ("all", "all")))
    relations.append(group([("all", c) for c in columns], ("all", "all")))
    assert _given_back({k: SMALL if k in small else v for k, v in values.items()}, relations) == [("r2", "c3")]
    shown = suppress(values, relations)
    assert all(shown[key] == SMALL for key in small)
    assert any(v == HIDDEN for v in shown.values())
    assert _given_back(shown, relations) == []


def test_an_unshown_cell_is_protected_when_small_and_never_shown():
    # with + without = total, "without" is never shown: 3 without would come back as 12 - 9
    relations = [group(["with", "without"], "total")]
    shown = suppress({"with": 9, "without": 3, "total": 12}, relations, unshown={"without"})
    assert shown == {"with": HIDDEN, "total": 12}
    assert _given_back(shown, relations, unshown={"without"}, sensitive={"without"}) == []
    # a larger unshown rest needs no protection, and a small shown part is safe behind it
    shown = suppress({"with": 2, "without": 10, "total": 12}, [group(["with", "without"], "total")], unshown={"without"})
    assert shown == {"with": SMALL, "total": 12}


def test_cells_published_elsewhere_are_never_hidden_but_count_as_unknown_where_they_were():
    # January-June as published (a hidden, b 20) and January-December now: b's increase of 2
    # would come back as b(year) - 20, so b(year) is hidden, and its complement in the column
    relations = [{"b_year": 1, "b_half": -1, "b_increase": -1}, {"a_year": 1, "a_half": -1, "a_increase": -1},
                 group(["a_year", "b_year"], "total_year")]
    values = {"a_half": 3, "b_half": 20, "a_increase": 30, "b_increase": 2, "a_year": 33, "b_year": 22, "total_year": 55}
    shown = suppress(values, relations, unshown={"a_increase", "b_increase"}, fixed={"b_half"}, fixed_hidden={"a_half"})
    assert shown == {"a_year": HIDDEN, "b_year": HIDDEN, "total_year": 55}
    assert _given_back({**shown, "a_half": SMALL, "b_half": 20}, relations, unshown={"a_increase", "b_increase"},
                       sensitive={"b_increase"}) == []
