"""The offers API answers its own refusals in the person's language, like the pages and the
services do: the field reasons the viewsets give before they call a service were English only."""
from __future__ import annotations

import pytest

from offers import track_services as ts

pytestmark = pytest.mark.django_db

START = "2030-03-04T10:00:00+01:00"


def requests(world, offers):
    return [
        ("get", "/api/support-requests/?kind=anything", {}, "kind"),
        ("post", "/api/support-requests/", {"case_manager": 999999, "sender_organisation": world.midwifery.pk,
                                           "kind": "consultation", "situation": "Frage"}, "case_manager"),
        ("post", "/api/support-requests/", {"case_manager": _role(offers), "sender_organisation": world.early_help.pk,
                                           "kind": "consultation", "situation": "Frage"}, "sender_organisation"),
    ]


def _role(offers) -> int:
    return offers.case_manager.central_case_manager_roles.get().pk


GERMAN = {
    "kind": "Bitte wählen Sie Fallberatung oder Vermittlung.",
    "case_manager": "Bitte wählen Sie eine Case Managerin Ihres Verbunds.",
    "sender_organisation": "Bitte wählen Sie eine Einrichtung, für die Sie arbeiten.",
    "offer": "Bitte wählen Sie ein Programm Ihrer Einrichtung.",
    "referral": "Bitte wählen Sie eine angenommene Vermittlung in dieses Programm.",
    "enrolment": "Bitte wählen Sie eine Teilnahme an einem Programm Ihrer Einrichtung.",
    "staff": "Bitte wählen Sie eine Mitarbeiterin der Einrichtung.",
}
DANISH = {
    "kind": "Vælg sparring eller henvisning.",
    "case_manager": "Vælg en casemanager i dit samarbejde.",
    "sender_organisation": "Vælg en organisation, du arbejder for.",
    "offer": "Vælg et forløb i din organisation.",
    "referral": "Vælg en accepteret henvisning til dette forløb.",
    "enrolment": "Vælg en forløbsdeltagelse i din organisation.",
    "staff": "Vælg en medarbejder i organisationen.",
}
ENGLISH = {
    "kind": "Choose consultation or referral.",
    "case_manager": "Choose a case manager of your network.",
    "sender_organisation": "Choose an organisation you work for.",
    "offer": "Choose a track of your organisation.",
    "referral": "Choose an accepted referral to this track.",
    "enrolment": "Choose an enrolment of your organisation.",
    "staff": "Choose a staff member of the organisation.",
}


def refusals(client, world, offers, language: str) -> dict[str, list[str]]:
    """Every refusal the offers viewsets give themselves, asked in ``language``."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    answers = {}
    client.force_login(world.midwife)
    for method, url, body, field in requests(world, offers):
        response = getattr(client, method)(url, body, content_type="application/json") if method == "post" else client.get(url)
        assert response.status_code == 400
        answers[field] = response.json()[field]
    client.force_login(world.outsider)  # works for early help, which runs the programme track
    track = offers.network_offer
    enrolment = ts.enrolment_create(world.outsider, offer=track, family_label="A.")
    for url, body, field in [
        ("/api/enrolments/", {"offer": offers.public_offer.pk}, "offer"),
        ("/api/enrolments/", {"offer": track.pk, "referral": 999999}, "referral"),
        ("/api/sessions/", {"enrolment": 999999, "staff": world.outsider.pk, "starts_at": START}, "enrolment"),
        ("/api/sessions/", {"enrolment": enrolment.pk, "staff": 999999, "starts_at": START}, "staff"),
    ]:
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 400
        answers[field] = response.json()[field]
    return answers


@pytest.mark.parametrize("language, expected", [("de", GERMAN), ("da", DANISH), ("en", ENGLISH)])
def test_the_offers_api_gives_its_field_reasons_in_the_persons_language(client, world, offers, language, expected):
    assert refusals(client, world, offers, language) == {field: [text] for field, text in expected.items()}
