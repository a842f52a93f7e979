"""Login, logout and password reset (django-allauth) in the product's own layout."""
from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db


def assert_product_layout(page: str) -> None:
    assert 'class="skip-link"' in page
    assert 'id="main"' in page
    assert reverse("accessibility") in page  # the footer links the accessibility statement
    assert "/static/css/app.css" in page


def test_login_page_is_in_the_product_layout(client):
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    page = response.content.decode()
    assert_product_layout(page)
    assert '<label for="id_login">' in page and '<label for="id_password">' in page
    assert reverse("account_reset_password") in page


def test_parent_signs_in_with_username_and_password(client, world, password):
    response = client.post(reverse("account_login"), {"login": world.parent.username, "password": password})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert world.case.reference in client.get(reverse("dashboard")).content.decode()


def test_wrong_password_shows_an_error_and_does_not_sign_in(client, world):
    response = client.post(reverse("account_login"), {"login": world.parent.username, "password": "not-the-password"})
    assert response.status_code == 200
    assert 'class="error-summary"' in response.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302


def test_logout_asks_for_confirmation_then_signs_out(client, world):
    client.force_login(world.parent)
    page = client.get(reverse("account_logout")).content.decode()
    assert_product_layout(page)
    assert 'action="%s"' % reverse("account_logout") in page
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert client.get(reverse("dashboard")).status_code == 302


def test_password_reset_sends_a_link_that_sets_a_new_password(client, world):
    page = client.get(reverse("account_reset_password")).content.decode()
    assert_product_layout(page)
    response = client.post(reverse("account_reset_password"), {"email": world.parent.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.parent.email]
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", message.body).group(1)

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert_product_layout(form_page.content.decode())
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    new_password = "ein-neues-passwort-2027"
    done = client.post(action, {"password1": new_password, "password2": new_password})
    assert done.status_code == 302
    world.parent.refresh_from_db()
    assert world.parent.check_password(new_password)


def test_password_reset_for_an_unknown_address_sends_nothing_revealing(client, world):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert response.status_code == 302  # same answer as for a known address
    assert all("/accounts/password/reset/key/" not in m.body for m in mail.outbox)


def test_a_used_reset_link_no_longer_works(client, world):
    client.post(reverse("account_reset_password"), {"email": world.parent.email})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    client.post(action, {"password1": "ein-neues-passwort-2027", "password2": "ein-neues-passwort-2027"})
    again = client.get(link, follow=True)
    assert "This link no longer works" in again.content.decode()
