"""The linking code of an offer of access is shown once, on the answer to the caseworker's offer,
and kept nowhere in plain text: not in her session while she goes elsewhere, not for a reload.
A parent's mistyped code is not written back into the form (review of the access offers)."""
from __future__ import annotations

import json
import re

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.urls import reverse

from cases.models import AccessOffer, FamilyMember
from tests.access_offers import offer_form_data

pytestmark = pytest.mark.django_db

CODE = re.compile(r'<p class="access-code"><strong>([A-Z0-9-]+)</strong></p>')


@pytest.fixture
def father(world) -> FamilyMember:
    return FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="Jan",
                                       email="jan@example.org")


def _offer(client, world, member, capture):
    """The caseworker presses "offer access" on the case page; the answer, not followed."""
    data = offer_form_data(client, world.case, member)
    with capture(execute=True):
        response = client.post(reverse("cases:case_family_account", args=[world.case.pk, member.pk]), data)
    return response, data


def _stored_sessions() -> str:
    return json.dumps([session.get_decoded() for session in Session.objects.all()])


def test_the_code_is_on_the_answer_to_the_offer_and_never_in_her_session(client, world, father,
                                                                           django_capture_on_commit_callbacks):
    client.force_login(world.convenor)
    response, _data = _offer(client, world, father, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    page = response.content.decode()
    code = CODE.search(page).group(1)
    assert "Linking code for Jan" in page and "Access to Fallkonferenz was offered to Jan." in page
    assert code not in _stored_sessions()
    # She goes elsewhere first, then to the case page: no code waits anywhere
    client.get(reverse("cases:case_detail", args=[world.other_case.pk]))
    client.get(reverse("dashboard"))
    case_page = client.get(reverse("cases:case_detail", args=[world.case.pk])).content.decode()
    assert code not in case_page and not CODE.search(case_page)
    assert code not in _stored_sessions()


def test_a_reload_of_the_page_that_showed_the_code_changes_nothing_and_shows_no_code(
        client, world, father, django_capture_on_commit_callbacks):
    """A reload sends the same form again: no second code, no second e-mail, the first code stays
    the open one, and the page says how to get a new code."""
    client.force_login(world.convenor)
    first, data = _offer(client, world, father, django_capture_on_commit_callbacks)
    code = CODE.search(first.content.decode()).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(reverse("cases:case_family_account", args=[world.case.pk, father.pk]), data, follow=True)
    page = again.content.decode()
    assert again.redirect_chain == [(reverse("cases:case_detail", args=[world.case.pk]), 302)]
    assert not CODE.search(page) and code not in page
    assert "Nothing was changed: the offer of access to Jan had changed since the page was shown" in page
    assert "If it is lost, offer access again: that makes a new code and ends the old one." in page
    offers = list(AccessOffer.objects.filter(member=father))
    assert len(offers) == 1 and offers[0].is_open()
    assert len(mail.outbox) == 1


def test_offering_again_from_the_current_page_makes_a_new_code_and_ends_the_old(client, world, father,
                                                                                 django_capture_on_commit_callbacks):
    client.force_login(world.convenor)
    first, _data = _offer(client, world, father, django_capture_on_commit_callbacks)
    second, _data = _offer(client, world, father, django_capture_on_commit_callbacks)
    codes = [CODE.search(response.content.decode()).group(1) for response in (first, second)]
    assert codes[0] != codes[1]
    assert AccessOffer.objects.filter(member=father, revoked_at__isnull=True).count() == 1
    assert AccessOffer.objects.filter(member=father).count() == 2


def test_the_case_page_tells_her_how_to_get_a_new_code_if_she_lost_it(client, world, father,
                                                                      django_capture_on_commit_callbacks):
    client.force_login(world.convenor)
    page = client.get(reverse("cases:case_detail", args=[world.case.pk])).content.decode()
    assert "Linking code lost?" not in page  # nothing offered yet
    _offer(client, world, father, django_capture_on_commit_callbacks)
    for language, hint in [
        ("en", 'Linking code lost? It is shown only once: "Offer access again (new code)" shows a new one'),
        ("de", "Verknüpfungscode verloren? Er wird nur einmal angezeigt: „Zugang erneut anbieten (neuer Code)“"),
    ]:
        page = client.get(reverse("cases:case_detail", args=[world.case.pk]), HTTP_ACCEPT_LANGUAGE=language)
        assert hint in page.content.decode().replace("&quot;", '"')


def test_a_refused_code_is_not_written_back_into_the_form(client, world):
    """The field is empty after a refusal, and the message is the same neutral text."""
    client.force_login(world.parent)
    typed = "WXYZ-2345-6789"
    response = client.post(reverse("cases:access_code_enter"), {"code": typed})
    assert response.status_code == 400
    page = response.content.decode()
    field = re.search(r'<input[^>]*name="code"[^>]*>', page).group(0)
    assert "value=" not in field and 'aria-invalid="true"' in field
    assert typed not in page
    assert "This code is not valid (any more) for this account. Check what you typed." in page
