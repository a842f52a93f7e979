"""The second-factor pages in German use the project's words (Mein Konto: "Authentifizierungs-App",
"Wiederherstellungscodes"), not allauth's "Authenticator-App" and "Wiederherstellungs-Codes"."""
from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


def test_the_second_factor_overview_says_authentifizierungs_app_and_wiederherstellungscodes(client, world):
    TOTP.activate(world.counsellor, generate_totp_secret())
    client.force_login(world.counsellor)
    page = client.get(reverse("mfa_index"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Authentifizierungs-App" in page and "Wiederherstellungscodes" in page
    assert "Authenticator" not in page and "Wiederherstellungs-Codes" not in page


@pytest.mark.parametrize("text, expected", [
    ("Authenticator app activated.", "Authentifizierungs-App aktiviert."),
    ("Deactivate Authenticator App", "Authentifizierungs-App deaktivieren"),
    ("Recovery Codes", "Wiederherstellungscodes"),
    ("You are about to deactivate authenticator app based authentication. Are you sure?",
     "Sie deaktivieren gleich die Anmeldung mit einer Authentifizierungs-App. Sind Sie sicher?"),
])
def test_allauths_german_is_the_projects(text, expected):
    with translation.override("de"):
        assert translation.gettext(text) == expected
