"""The request to the central case manager names the client's release the way the rest of the
product does (ARCHITECTURE.md: Consent = Schweigepflichtentbindung / samtykke): the form she fills
in and the request's page afterwards use the same word, in every language. The German form said
"Einwilligung" where its page said "Schweigepflichtentbindung"."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

TERM = {"de": "Schweigepflichtentbindung", "da": "samtykke", "en": "consent"}
OTHER_WORDS = {"de": re.compile(r"Einwilligung"), "da": re.compile(r"klient", re.IGNORECASE), "en": re.compile(r"\brelease\b")}


@pytest.mark.parametrize("language", ["de", "da", "en"])
def test_the_request_form_and_its_page_use_one_word_for_the_consent(client, world, offers, language):
    client.force_login(world.midwife)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    form = client.get(reverse("offers:request_create")).content.decode()
    page = client.get(reverse("offers:request_detail", args=[offers.support_request.pk])).content.decode()
    for name, html in (("form", form), ("page", page)):
        main = html.split('<main', 1)[1]
        assert TERM[language] in main.lower() or TERM[language] in main, name
        assert not OTHER_WORDS[language].search(main), (name, OTHER_WORDS[language].search(main).group(0))
    # The fields of the form say it too: reference, date, and what the release allows.
    if language == "de":
        assert "Aktenzeichen der unterschriebenen Schweigepflichtentbindung" in form
        assert "Schweigepflichtentbindung erteilt am" in form
        assert "Die Schweigepflichtentbindung erlaubt mir, die Antworten der Angebote zu sehen" in form
