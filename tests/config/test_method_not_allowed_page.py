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


def test_a_form_address_links_back_to_the_page_the_form_belongs_to(world, client):
    """Reloaded after a refused save (or typed), the form's address offers its own page, not only the overview."""
    client.force_login(world.midwife)
    response = client.get(reverse("protocols:next_review", args=[world.protocol.pk]), HTTP_ACCEPT_LANGUAGE="de")
    page = response.content.decode()
    assert f'<a href="{reverse("protocols:protocol_detail", args=[world.protocol.pk])}">Zurück zur Seite dieses Formulars</a>' in page


def test_a_form_only_address_above_a_form_address_is_passed_over(world, client):
    """/calendar/links/<pk>/revoke/: /calendar/links/ takes a form only too; /calendar/ is the page."""
    client.force_login(world.counsellor)
    response = client.get(reverse("calendars:feed_token_revoke", args=[1]), HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 405
    assert f'<a href="{reverse("calendars:calendar")}">Zurück zur Seite dieses Formulars</a>' in response.content.decode()


def test_without_a_page_above_it_the_form_address_links_to_the_page_she_came_from_on_this_site_only(world, client):
    client.force_login(world.outsider)
    address = reverse("offers:contact_request_handle", args=[1])  # no page at /contact-requests/1/ or above
    came_from = reverse("offers:contact_requests", args=[3]) + "?open=1"
    response = client.get(address, HTTP_ACCEPT_LANGUAGE="de", HTTP_REFERER=f"http://testserver{came_from}")
    assert f'<a href="{came_from}">Zurück zur Seite dieses Formulars</a>' in response.content.decode()
    for foreign in ("https://evil.example/phish", "//evil.example/phish", "http://testserver.evil.example/",
                    "javascript:alert(1)", f"http://testserver{address}"):
        page = client.get(address, HTTP_ACCEPT_LANGUAGE="de", HTTP_REFERER=foreign).content.decode()
        assert "Zurück zur Seite dieses Formulars" not in page and "evil" not in page, foreign
        assert "Zurück zur Übersicht" in page


@pytest.mark.parametrize("name, args", [("conferences:conference_detail", "conference"), ("notifications:list", None)])
def test_a_form_sent_to_a_page_that_takes_none_gets_a_german_page_with_the_way_to_that_page(world, client, name, args):
    """A POST to a GET-only page (an old or forwarded page's form): Django's empty 405 left the browser's own error page."""
    client.force_login(world.counsellor)
    address = reverse(name, args=[world.conference.pk] if args else [])
    response = client.post(address, {"x": "1"}, HTTP_ACCEPT_LANGUAGE="de", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    page = response.content.decode()
    assert '<html lang="de"' in page
    assert "Diese Seite nimmt kein abgeschicktes Formular an" in page
    assert "Es wurde nichts gespeichert" in page
    assert f'<a href="{address}">Seite erneut öffnen</a>' in page
    assert f'<a href="{reverse("dashboard")}">Zurück zur Übersicht</a>' in page


def test_a_request_that_does_not_take_html_keeps_the_plain_405(world, client):
    client.force_login(world.counsellor)
    response = client.post(reverse("notifications:list"), HTTP_ACCEPT="application/json")
    assert response.status_code == 405 and response.content == b""


def test_an_api_405_for_a_post_stays_json(world, client):
    client.force_login(world.counsellor)
    response = client.post(reverse("case-list"), {}, HTTP_ACCEPT="text/html,*/*")
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
