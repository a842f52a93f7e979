"""Who has a list of cases and of agreed actions: a professional of an organisation (with cases or
none yet) and a parent. A board member, or any account with neither an organisation nor a family,
is refused those pages with a reason, as she is on the requests and referrals pages, instead of
an empty list that looks as if her cases were missing. And the sign-in page leads to the public
directory for whoever looks for help."""
from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from participants.models import ProfessionalRole
from tests.world import make_professional, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_error_handling(settings):
    settings.DEBUG = False  # the product's refusal page, not Django's technical one


def _client(user=None, language="de") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("url_name, reason", [
    ("cases:case_list", "Nur Fachkräfte eines Verbunds und die Eltern einer Familie haben hier Fälle."),
    ("protocols:my_actions", "Nur Fachkräfte eines Verbunds und die Eltern einer Familie haben hier Vereinbarungen."),
])
def test_a_board_member_is_refused_the_cases_and_actions_with_a_reason(world, url_name, reason):
    response = _client(world.board_member).get(reverse(url_name))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Kein Zugriff" in page and reason in page
    assert world.case.reference not in page


@pytest.mark.parametrize("url_name", ["cases:case_list", "protocols:my_actions"])
def test_an_account_without_organisation_or_family_is_refused_too(url_name):
    response = _client(make_user("nobody"), "da").get(reverse(url_name))
    assert response.status_code == 403 and '<html lang="da">' in response.content.decode()


def test_a_professional_without_a_case_yet_sees_the_empty_list_and_how_to_start(world):
    newcomer = make_professional("newcomer", world.early_help, ProfessionalRole.SOCIAL_WORKER)
    page = _client(newcomer).get(reverse("cases:case_list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Es gibt keinen Fall, den Sie öffnen dürfen." in text
    assert "Ein Fall erscheint hier, sobald seine fallführende Fachkraft Sie oder Ihre Einrichtung in sein Fallteam aufnimmt." in text
    assert _client(newcomer).get(reverse("protocols:my_actions")).status_code == 200
    caseworker = make_professional("newcaseworker", world.early_help, ProfessionalRole.CASEWORKER)
    text = _client(caseworker).get(reverse("cases:case_list")).content.decode()
    assert reverse("cases:case_create") in text


def test_parents_and_professionals_keep_their_pages(world):
    for person in (world.parent, world.convenor, world.counsellor):
        assert _client(person).get(reverse("cases:case_list")).status_code == 200
        assert _client(person).get(reverse("protocols:my_actions")).status_code == 200
    assert world.case.reference in _client(world.parent).get(reverse("cases:case_list")).content.decode()


@pytest.mark.parametrize("language, label", [("de", "Hilfe finden"), ("da", "Find hjælp"), ("en", "Find help")])
def test_the_sign_in_page_leads_to_the_public_directory(language, label):
    page = _client(language=language).get(reverse("account_login")).content.decode()
    assert f'<a href="{reverse("offers:directory")}">{label}</a>' in page
