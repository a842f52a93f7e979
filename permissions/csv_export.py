"""CSV for spreadsheets without formula injection.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula
by Excel and LibreOffice (a case reference, an organisation's or a person's name typed as
``=HYPERLINK(...)`` would call out when the board opens the file). Such text cells get a leading
apostrophe, the OWASP recommendation: the spreadsheet shows the text, and runs nothing. Numbers
stay numbers (a negative count is written as it is).

The layout follows the active language, as the spreadsheet programs of its users expect: where
the decimal separator is a comma (German, Danish), cells are separated by semicolons and decimals
written with a comma (64,3), as the page shows them; in English commas and points.
"""
from __future__ import annotations

import csv
from typing import Any, Iterable

from django.utils import formats

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose text cells cannot start a formula."""

    def __init__(self, stream, **kwargs) -> None:
        self._decimal = formats.get_format("DECIMAL_SEPARATOR")
        if "delimiter" not in kwargs and self._decimal == ",":
            kwargs["delimiter"] = ";"
        self._writer = csv.writer(stream, **kwargs)

    def _number(self, value: int | float) -> int | str:
        return str(value).replace(".", self._decimal) if isinstance(value, float) else value

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([self._number(v) if isinstance(v, (int, float)) and not isinstance(v, bool)
                                      else safe_cell("" if v is None else str(v)) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(stream, **kwargs) -> SafeWriter:
    return SafeWriter(stream, **kwargs)
