"""Matrix cells for the account page and the favicon: every signed-in person has her own account
page (it shows only her own settings); anonymous visitors are sent to sign in."""
from __future__ import annotations

import pytest
from django.urls import reverse

from tests.matrix.roles import ROLES, client_for

pytestmark = pytest.mark.django_db

URL_NAMES = {"account", "accounts_home", "favicon"}


@pytest.mark.parametrize("role", ROLES)
def test_account_page(client, world, role):
    response = client_for(client, world, role).get(reverse("account"))
    if role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        return
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("account_change_password") in page and reverse("mfa_index") in page
    assert reverse("calendars:calendar") in page and reverse("notifications:settings") in page


@pytest.mark.parametrize("role", ROLES)
def test_favicon_is_never_a_404(client, world, role):
    response = client_for(client, world, role).get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")


@pytest.mark.parametrize("role", ROLES)
def test_accounts_home_leads_to_the_account_page(client, world, role):
    """/accounts/ (allauth's prefix, which people type) shows nothing itself: it leads to "Mein
    Konto", which asks anyone not signed in to sign in."""
    response = client_for(client, world, role).get(reverse("accounts_home"))
    assert response.status_code == 302 and response["Location"] == reverse("account")

