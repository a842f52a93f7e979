"""CSV for spreadsheets without formula injection.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula
by Excel and LibreOffice (a case reference, an organisation's or a person's name typed as
``=HYPERLINK(...)`` would call out when the board opens the file). Such text cells get a leading
apostrophe, the OWASP recommendation: the spreadsheet shows the text, and runs nothing. Numbers
stay numbers (a negative count is written as it is).
"""
from __future__ import annotations

import csv
from typing import Any, Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose text cells cannot start a formula."""

    def __init__(self, stream, **kwargs) -> None:
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([v if isinstance(v, (int, float)) else safe_cell("" if v is None else str(v))
                                      for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(stream, **kwargs) -> SafeWriter:
    return SafeWriter(stream, **kwargs)
