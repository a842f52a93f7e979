"""CSV downloads are laid out as the user's spreadsheet program expects in her language: German
and Danish Excel and LibreOffice split on semicolons and read "64,3" as a number; English on
commas with "64.3". The formula guard holds in both."""
from __future__ import annotations

import csv
import io

from django.utils import translation

from permissions import csv_export


def _written(language: str, rows) -> str:
    out = io.StringIO()
    with translation.override(language):
        csv_export.writer(out).writerows(rows)
    return out.getvalue()


def test_german_and_danish_use_semicolons_and_decimal_commas():
    for language in ("de", "da"):
        text = _written(language, [["Anteil", 64.3, 12, -1.5, "=1+1"]])
        assert text.strip() == "Anteil;64,3;12;-1,5;'=1+1"
        assert list(csv.reader(io.StringIO(text), delimiter=";")) == [["Anteil", "64,3", "12", "-1,5", "'=1+1"]]


def test_english_uses_commas_and_decimal_points():
    assert _written("en", [["Share", 64.3, 12, -1.5, "=1+1"]]).strip() == "Share,64.3,12,-1.5,'=1+1"


def test_a_boolean_is_text_not_a_number():
    assert _written("de", [[True, False]]).strip() == "True;False"
