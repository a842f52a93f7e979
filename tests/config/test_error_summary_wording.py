"""A form sent back with marked fields says the same thing everywhere: what to do, and that
nothing has been saved. The conference forms said "nothing was changed", the protocol forms
"nothing was saved" under a msgid of their own, the other forms "nothing has been saved"."""
from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

SAID = {
    "de": "Bitte korrigieren Sie die markierten Felder. Es wurde nichts gespeichert.",
    "da": "Ret venligst de markerede felter. Intet er gemt.",
    "en": "Please correct the marked fields. Nothing has been saved.",
}


def _refused_pages(world, client) -> dict[str, str]:
    client.force_login(world.convenor)
    case_form = client.post(reverse("cases:case_create"), {"reference": ""})
    conference_form = client.post(reverse("conferences:conference_create", args=[world.case.pk]), {"kind": "bogus"})
    client.force_login(world.counsellor)
    action_form = client.post(reverse("protocols:action_detail", args=[world.action_counselling.pk]), {"status": "bogus"})
    pages = {"case": case_form, "conference": conference_form, "action": action_form}
    assert {name: r.status_code for name, r in pages.items()} == {name: 400 for name in pages}
    return {name: r.content.decode() for name, r in pages.items()}


@pytest.mark.parametrize("language", ["de", "da", "en"])
def test_every_refused_form_says_nothing_has_been_saved_in_the_same_words(world, client, language):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    for name, page in _refused_pages(world, client).items():
        assert SAID[language] in page, name
        assert "nichts geändert" not in page and "Intet er ændret" not in page and "Nothing was changed" not in page
