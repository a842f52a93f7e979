"""A form's address opened as a page -- typed, from a bookmark, or reloaded after a refused save,
whose page stays at the form's address -- gets a page in the person's language with a way on.
Clicked in a browser, Django's empty 405 left Chromium's own error page ("HTTP ERROR 405"), in the
browser's language and without any link. The API's 405 stays JSON."""
from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["protocols:next_review", "protocols:parent_summary"])
def test_a_form_address_opened_as_a_page_gets_a_german_page_with_a_way_back(world, client, name):
    client.force_login(world.midwife)
    response = client.get(reverse(name, args=[world.protocol.pk]), HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    page = response.content.decode()
    assert '<html lang="de"' in page
    assert "Diese Adresse nimmt nur ein abgeschicktes Formular an" in page
    assert "es wurde nichts gespeichert" in page
    assert f'<a href="{reverse("dashboard")}">Zurück zur Übersicht</a>' in page


def test_the_refused_attendance_address_reloaded_gets_the_page_too(world, client):
    """The 409 of a track's attendance stays at /enrolments/<pk>/attendance/: opening that again."""
    client.force_login(world.outsider)
    response = client.get(reverse("offers:enrolment_attendance", args=[1]), HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 405
    assert "Zurück zur Übersicht" in response.content.decode()


def test_an_api_405_stays_json(world, client):
    client.force_login(world.outsider)
    response = client.get(reverse("offer-session-attendance", args=[1]))
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
