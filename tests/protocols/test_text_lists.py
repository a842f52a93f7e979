"""Protocol text: a list typed right under a line of text is shown as a list, as the form's help
says ("lists with -"), not as lines starting with a dash."""
from __future__ import annotations

from protocols.sanitize import render


def test_a_list_right_under_a_sentence_is_a_list():
    html = render("Die Hebamme kommt:\n- ab Januar\n- montags")
    assert "<ul>" in html and "<li>ab Januar</li>" in html and "<li>montags</li>" in html
    assert "Die Hebamme kommt:" in html


def test_a_numbered_list_starting_at_one_right_under_a_sentence_is_a_list():
    html = render("Reihenfolge:\n1. Termin\n2. Bericht")
    assert "<ol>" in html and "<li>Termin</li>" in html and "<li>Bericht</li>" in html


def test_text_that_only_looks_like_a_list_stays_text():
    assert "<ol>" not in render("Im Jahr\n2026. wurde es besser")  # only "1." starts a list under text
    assert "<ul>" not in render("Ein Gedanke -\nund noch einer")
    assert "<ul>" not in render("*wichtig* bleibt betont")


def test_a_running_list_and_code_stay_as_they_were():
    html = render("- eins\nweiter im selben Punkt\n- zwei")
    assert html.count("<ul>") == 1 and html.count("<li>") == 2
    code = render("```\nText:\n- kein Punkt\n```")
    assert "<li>" not in code
