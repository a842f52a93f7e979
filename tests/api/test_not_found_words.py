"""A 404 of the API names no model and is in the reader's language (newcomer walk 11: "No
Conference matches the given query." in English on a German account)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "words"), [("de", "Nicht gefunden."), ("en", "Not found.")])
def test_an_unknown_conference_is_not_found_in_the_readers_language(world, client, language, words):
    client.force_login(world.counsellor)
    answer = client.get("/api/conferences/999999/", HTTP_ACCEPT_LANGUAGE=language)
    assert answer.status_code == 404
    assert answer.json() == {"detail": words}
