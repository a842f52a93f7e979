"""Danish reads as Danish: »…« quotation marks (not the German „…“ or the English “…”), one
spelling of the imperative of the -ere verbs (»Registrér«, never beside »Registrer«), one name for
the cooperation board (»samarbejdsforum«), and no German or English left in a Danish text. German
addresses people formally (»Sie«) in the product's own texts too."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.test_translations import ROOT, live_entries, read_po
from tests.world import hold_conference

FORMAL_DA = ROOT / "locale_formal" / "da" / "LC_MESSAGES" / "django.po"


def _danish_texts() -> list[tuple[str, str]]:
    entries = live_entries("da") + [e for e in read_po(FORMAL_DA)[1] if not e.obsolete]
    return [(entry.msgid, text) for entry in entries for text in entry.msgstr.values() if text]


def test_danish_uses_guillemets_not_german_or_english_quotation_marks():
    wrong = [f"{msgid!r} -> {text!r}" for msgid, text in _danish_texts()
             if re.search(r"[„“”\"]", re.sub(r"<[^>]+>", "", text))]  # an HTML attribute's quotes are no quotation marks
    assert wrong == []


# Words that end in -er like an imperative but are something else (plural nouns).
_NOT_IMPERATIVES = {"kopier"}


def test_the_imperative_of_ere_verbs_is_spelled_one_way():
    texts = [text for _msgid, text in _danish_texts()]
    words = {word for text in texts for word in re.findall(r"\w+", text)}
    accented = {word[:-2].lower() for word in words if word.endswith("ér")}
    plain = sorted(word for word in words if word.endswith("er") and word[:-2].lower() in accented
                   and word.lower() not in _NOT_IMPERATIVES)
    assert plain == [], "spelled both ways; the catalogue writes »-ér«"


def test_the_cooperation_board_has_one_name_in_danish():
    other_names = re.compile(r"bestyrelse|styregruppe", re.IGNORECASE)
    assert [(msgid, text) for msgid, text in _danish_texts() if other_names.search(text)] == []


_GERMAN = re.compile(r"\b(und|nicht|Sie|Ihre?|für|oder|wird|werden|bitte|Vereinbarung|Konferenz|Termin|fällig|erledigt)\b")
_ENGLISH = re.compile(r"\b(the|and|with|please|your|you|this|which|should|must|cannot)\b", re.IGNORECASE)


def test_no_german_or_english_is_left_in_a_danish_text():
    def words(text: str) -> str:
        return re.sub(r"%\(\w+\)[sd]|<[^>]+>|https?://\S+", "", text)
    left = [(msgid, text) for msgid, text in _danish_texts() if _GERMAN.search(words(text)) or _ENGLISH.search(words(text))]
    assert left == []


_INFORMAL = re.compile(r"\b(du|dein\w*|dich|dir|bist|hast|kannst|möchtest|willst|gib|melde|bestätige)\b", re.IGNORECASE)


def test_the_products_german_addresses_people_formally():
    informal = [(e.msgid, text) for e in live_entries("de") for text in e.msgstr.values() if _INFORMAL.search(text)]
    assert informal == []


@pytest.mark.django_db
def test_the_conference_page_says_change_the_meeting_in_danish(client, world):
    client.force_login(world.convenor)
    page = client.get(reverse("conferences:conference_detail", args=[world.conference.pk]),
                      headers={"accept-language": "da"}).content.decode()
    assert '<h2 id="change-heading">Ændr mødet</h2>' in page
    assert "Træk invitationen tilbage" in page


@pytest.mark.django_db
def test_the_attendance_page_names_the_board_as_the_menu_does(client, world):
    hold_conference(world.conference)
    client.force_login(world.convenor)
    page = client.get(reverse("protocols:attendance", args=[world.protocol.pk]), headers={"accept-language": "da"}).content.decode()
    assert "Samarbejdsforummets tal" in page and "Styregruppe" not in page
