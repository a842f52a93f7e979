"""Every page the product renders as a whole document (the base template, print views, error
pages) tells the browser its language and that it is laid out for the screen's width: without the
viewport tag a phone shows a zoomed-out desktop page (WCAG 1.4.10 reflow), without ``lang`` a
screen reader reads German or Danish with English pronunciation (WCAG 3.1.1)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import RequestFactory
from django.utils import translation

from operations.views import server_error

ROOT = Path(__file__).resolve().parents[2]
APPS = [p for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name not in {"tests", "staticfiles", "data"}]


def _documents() -> list[Path]:
    """Templates that are a whole HTML page (not e-mails, which are not read in a browser window)."""
    found = []
    for app in APPS:
        for path in app.rglob("templates/**/*.html"):
            if "/email/" not in path.as_posix() and "<html" in path.read_text(encoding="utf-8"):
                found.append(path)
    return sorted(found)


def test_there_are_whole_documents_to_check():
    names = {p.name for p in _documents()}
    assert {"base.html", "summary_print.html", "protocol_print.html", "record_print.html", "dpia_print.html", "500.html"} <= names


@pytest.mark.parametrize("path", _documents(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_each_whole_page_has_a_viewport_and_a_language(path):
    text = path.read_text(encoding="utf-8")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    html = re.search(r"<html[^>]*>", text).group(0)
    assert re.search(r'lang="\{\{ *\w+', html), html
    if "LANGUAGE_CODE" in html:  # from the active language, not from a context that may lack it
        assert "get_current_language as LANGUAGE_CODE" in text


def test_the_server_error_page_is_marked_in_the_readers_language():
    request = RequestFactory().get("/cases/")
    with translation.override("da"):
        try:
            raise RuntimeError("bug")
        except RuntimeError:
            page = server_error(request).content.decode()
    assert '<html lang="da">' in page and "Serverfejl" in page
