"""Refusals and errors reach a person as a page of the product, in her language: not Django's
bare English "403 Forbidden" / "Not Found" / "Bad Request" / "CSRF verification failed"."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _production_error_handling(settings):
    settings.DEBUG = False  # DEBUG shows technical pages instead of the templates


def _client(user=None, language="de") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def test_a_refused_action_says_why_in_german_inside_the_product(world):
    response = _client(world.counsellor).get(reverse("cases:case_create"))
    assert response.status_code == 403
    page = response.content.decode()
    assert '<html lang="de">' in page and "Kein Zugriff" in page
    assert "Nur fallverantwortliche Fachkräfte legen Fälle an." in page  # the refusal's own reason, translated
    assert 'href="/"' in page or reverse("dashboard") in page  # a way back; the navigation is there
    assert "403 Forbidden" not in page
    # Whom to ask, also where the refused page is not about a case (the board, the network's settings).
    assert "an die fallführende Fachkraft oder, wenn es nicht um einen Fall geht, an die Koordination Ihres Netzwerks" in page


def test_a_missing_or_closed_page_says_so_in_the_readers_language(world):
    response = _client(world.outsider, "da").get(f"/cases/{world.case.pk}/")
    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="da">' in page and "Siden blev ikke fundet" in page
    assert world.case.reference not in page  # nothing about the case it asked for
    english = _client(world.outsider, "en").get("/no-such-page/")
    assert english.status_code == 404 and "Page not found" in english.content.decode()


def test_a_form_sent_without_a_valid_token_explains_what_to_do(world):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="de")
    client.force_login(world.convenor)
    response = client.post(reverse("cases:case_create"), {"reference": "HS-2026-099"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "Das Formular konnte nicht gesendet werden" in page and "Es wurde nichts gespeichert" in page
    assert "CSRF verification failed" not in page


def test_a_bad_request_gets_a_page_of_the_product():
    response = Client(HTTP_ACCEPT_LANGUAGE="de", HTTP_HOST="not-an-allowed-host.example").get("/")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Ungültige Anfrage" in page and "Bad Request" not in page


def test_every_refusal_reason_shown_to_a_person_is_a_fixed_text():
    """The 403 page shows the refusal's reason. So that it can never name a case, a person or an
    organisation the reader may not know about, every ``PermissionDenied`` in the product is
    raised bare or with one fixed translatable text, never with a text built from data."""
    built = []
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts or "migrations" in path.parts:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "PermissionDenied(" in line and not re.search(r'PermissionDenied\((_\("[^"{}%]*"\))?\)', line):
                built.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert built == []
