"""Anonymity rules for the board's figures (ARCHITECTURE: "anonymised, with no way back to a family").

1. Primary suppression: every count between 1 and 4 is shown as ``SMALL`` ("< 5").
2. Complementary suppression over *relations*: a relation is a linear identity between cells
   with coefficients +1 or -1 that holds for the true counts (``sum(c * value) == 0``). Additive
   groups are relations (members +1, total -1); so are stock-and-flow identities across the two
   half years a summary shows side by side (active now = active before - closed before + new
   now). A relation in which exactly one cell is unknown to the reader gives that cell back by
   subtraction. So, repeatedly: in any relation with exactly one hidden cell, the smallest
   non-zero visible cell of that relation is hidden too (``HIDDEN``; ties: the first in the
   relation's order, so a group's members before its total). Hiding a cell of one relation can
   leave a crossing relation with a single hidden cell, hence the repetition.
3. Relations can also be *combined*: two relations with two hidden cells each may subtract to
   one with a single hidden cell (a bridge between two cycles of hidden cells in a table, or a
   row identity crossing column sums). When no single relation has exactly one hidden cell, the
   relations are reduced (exact Gaussian elimination over the unknown cells, ``Fraction``): a
   hidden cell is given back exactly when some combination of relations holds it as its only
   unknown cell; then the smallest non-zero visible cell of that combination is hidden too, and
   the whole is repeated until no hidden cell can be given back.
4. A median is shown only when it is taken over at least ``MIN_MEDIAN_VALUES`` values.

Cells that a relation needs but no page shows (``unshown``: e.g. the active cases *without* an
expected child, the total minus the shown part) are unknown to the reader from the start; a
small one still needs protecting (it is a count that subtraction would give back), a larger one
does not. Cells already published elsewhere (``fixed``) keep what they showed: they are never
hidden to protect another, and ``fixed_hidden`` says which of them were hidden there.

Zeros stay visible: a zero reveals no family, and hiding it would not protect a neighbour.
"""
from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from fractions import Fraction

SMALL = "< 5"
HIDDEN = "x"
MEDIAN_TOO_FEW = "n < 5"
MIN_COUNT = 5
MIN_MEDIAN_VALUES = 5

Shown = int | float | str | None
Relation = Mapping[Hashable, int]


def is_small(value: int) -> bool:
    return 0 < value < MIN_COUNT


def count(value: int) -> int | str:
    """One count on its own (no relation it belongs to)."""
    return SMALL if is_small(value) else value


def is_hidden(shown: Shown) -> bool:
    return isinstance(shown, str)


def group(members: Sequence[Hashable], total: Hashable) -> dict[Hashable, int]:
    """The relation of an additive group: the members add up to the total."""
    relation = {key: 1 for key in members}
    relation[total] = relation.get(total, 0) - 1
    return relation


def suppress_groups(
    values: Mapping[Hashable, int], groups: Iterable[tuple[Sequence[Hashable], Hashable | None]]
) -> dict[Hashable, int | str]:
    """Apply primary and complementary suppression to ``values`` over additive groups
    ``(member keys, total key)``; the total key may be ``None`` when the total is not shown
    anywhere (then the group is no relation between shown cells). Returns the values as they may
    be shown (``suppress``)."""
    return suppress(values, [group(members, total) for members, total in groups if total is not None])


def suppress(
    values: Mapping[Hashable, int], relations: Iterable[Relation], *, unshown: Collection[Hashable] = (),
    fixed: Collection[Hashable] = (), fixed_hidden: Collection[Hashable] = (),
) -> dict[Hashable, int | str]:
    """Apply primary and complementary suppression to ``values`` over ``relations`` (each a
    mapping of cell keys to coefficients +1 / -1 whose weighted sum is zero for the true counts).

    ``unshown``: cells in relations that are never shown (left out of the result); ``fixed``:
    cells shown elsewhere already, never hidden here (``fixed_hidden``: those of them hidden
    there). Returns every other cell as it may be shown."""
    order = {key: i for i, key in enumerate(values)}
    relations = [{key: c for key, c in relation.items() if c} for relation in relations]
    relations = [relation for relation in relations if relation]
    unshown, fixed = set(unshown), set(fixed) | set(fixed_hidden)
    # hidden: the cells that must not be given back (small ones, shown or not, and complements)
    hidden = {key for key, value in values.items() if is_small(value) and (key not in fixed or key in fixed_hidden)}
    hidden |= set(fixed_hidden)

    def unknown(key) -> bool:
        return key in hidden or key in unshown

    def complement(keys: Sequence[Hashable]) -> Hashable | None:
        """The smallest non-zero visible cell of ``keys`` (the first of equals), or None."""
        candidates = [(values[key], i, key) for i, key in enumerate(keys)
                      if not unknown(key) and key not in fixed and values[key] > 0]
        return min(candidates)[2] if candidates else None

    given_up: set[Hashable] = set()
    while True:
        changed = False
        for relation in relations:
            unknowns = [key for key in relation if unknown(key)]
            if len(unknowns) != 1 or unknowns[0] not in hidden:
                continue
            candidate = complement(list(relation))
            if candidate is not None:
                hidden.add(candidate)
                changed = True
        if changed:
            continue
        found = _given_back(relations, [key for key in values if unknown(key)], hidden - given_up)
        if found is None:
            break
        key, combination = found
        candidate = complement(sorted(combination, key=order.__getitem__))
        if candidate is None:  # pragma: no cover - only fixed or zero cells left: nothing here can protect it
            given_up.add(key)
            continue
        hidden.add(candidate)
    return {
        key: (SMALL if is_small(value) else HIDDEN) if key in hidden else value
        for key, value in values.items() if key not in unshown and key not in fixed
    }


def _given_back(relations: list[dict], unknowns: list[Hashable], protected: set[Hashable]) -> tuple[Hashable, dict] | None:
    """A protected cell that some combination of ``relations`` holds as its only unknown cell,
    with that combination (its known cells), or None. Gauss-Jordan elimination over the unknown
    cells, in exact fractions: a cell is given back exactly when a row of the reduced form has it
    as its only unknown cell."""
    rows = [{key: Fraction(c) for key, c in relation.items()} for relation in relations]
    unknown_set = set(unknowns)
    pivots: list[tuple[Hashable, dict]] = []
    used: set[int] = set()
    for key in unknowns:
        index = next((i for i, row in enumerate(rows) if i not in used and row.get(key)), None)
        if index is None:
            continue
        used.add(index)
        pivot_row = rows[index]
        scale = pivot_row[key]
        for k in list(pivot_row):
            pivot_row[k] /= scale
        for i, row in enumerate(rows):
            factor = row.get(key) if i != index else None
            if not factor:
                continue
            for k, c in pivot_row.items():
                value = row.get(k, 0) - factor * c
                if value:
                    row[k] = value
                else:
                    row.pop(k, None)
        pivots.append((key, pivot_row))
    for key, row in pivots:
        if key in protected and all(k == key or k not in unknown_set for k in row):
            return key, {k: c for k, c in row.items() if k != key}
    return None


def median(n: int, value: float | None) -> float | str | None:
    """A median as it may be shown: only over at least five values."""
    if n == 0 or value is None:
        return None
    if n < MIN_MEDIAN_VALUES:
        return MEDIAN_TOO_FEW
    return round(float(value), 1)


def share(numerator: Shown, denominator: Shown) -> float | str | None:
    """A percentage from two shown counts; hidden when either is hidden (it would reveal it)."""
    if is_hidden(numerator) or is_hidden(denominator):
        return HIDDEN
    if not denominator:
        return None
    return round(100.0 * float(numerator) / float(denominator), 1)


def change(current: Shown, previous: Shown) -> float | int | None:
    """The change beside a figure: only between two shown numbers."""
    if current is None or previous is None or is_hidden(current) or is_hidden(previous):
        return None
    delta = current - previous
    return round(delta, 1) if isinstance(delta, float) else delta
