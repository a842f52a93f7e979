"""Anonymity rules for the board's figures (ARCHITECTURE: "anonymised, with no way back to a family").

1. Primary suppression: every count between 1 and 4 is shown as ``SMALL`` ("< 5").
2. Complementary suppression: in every group of cells that adds up to a shown total, a single
   hidden cell could be recovered by subtraction. Then the next-smallest non-zero cell of the
   group is hidden too (``HIDDEN``); when no such cell is left, the total is hidden. This is
   repeated until no group has exactly one hidden member, because hiding a cell of one group can
   leave another group (the crossing row or column) with a single hidden cell.
3. A median is shown only when it is taken over at least ``MIN_MEDIAN_VALUES`` values.

Zeros stay visible: a zero reveals no family, and hiding it would not protect a neighbour.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

SMALL = "< 5"
HIDDEN = "x"
MEDIAN_TOO_FEW = "n < 5"
MIN_COUNT = 5
MIN_MEDIAN_VALUES = 5

Shown = int | float | str | None


def is_small(value: int) -> bool:
    return 0 < value < MIN_COUNT


def count(value: int) -> int | str:
    """One count on its own (no total it belongs to)."""
    return SMALL if is_small(value) else value


def is_hidden(shown: Shown) -> bool:
    return isinstance(shown, str)


def suppress_groups(
    values: Mapping[Hashable, int], groups: Iterable[tuple[Sequence[Hashable], Hashable | None]]
) -> dict[Hashable, int | str]:
    """Apply primary and complementary suppression to ``values``.

    ``groups`` lists additive groups as ``(member keys, total key)``; the total key may be
    ``None`` when the total is not shown anywhere (then the group needs no complement).
    Returns the values as they may be shown.
    """
    groups = [(list(members), total) for members, total in groups]
    hidden = {key for key, value in values.items() if is_small(value)}
    changed = True
    while changed:
        changed = False
        for members, total in groups:
            if total is None:
                continue
            in_group = [*members, total]
            if sum(1 for key in in_group if key in hidden) != 1:
                continue
            candidates = sorted(
                (key for key in members if key not in hidden and values[key] > 0),
                key=lambda key: (values[key], members.index(key)),
            )
            if candidates:
                hidden.add(candidates[0])
            elif total not in hidden:
                hidden.add(total)
            else:  # pragma: no cover - the single hidden member is the total and every cell is zero
                continue
            changed = True
    return {key: (SMALL if is_small(value) else HIDDEN) if key in hidden else value for key, value in values.items()}


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
