"""Forms keep working under Referrer-Policy: no-referrer, and CSRF protection stays intact."""
import pytest
from django.test import Client
from django.urls import reverse


@pytest.fixture
def csrf_client(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.parent)
    client.get(reverse("dashboard"))
    return client


def _post_language(client, **headers):
    token = client.cookies["csrftoken"].value
    return client.post(reverse("set_language"), {"language": "da", "next": "/", "csrfmiddlewaretoken": token}, **headers)


def test_a_same_origin_form_post_with_null_origin_is_accepted(csrf_client):
    response = _post_language(csrf_client, HTTP_ORIGIN="null", HTTP_SEC_FETCH_SITE="same-origin")
    assert response.status_code == 302


def test_a_cross_site_post_with_null_origin_is_refused(csrf_client):
    response = _post_language(csrf_client, HTTP_ORIGIN="null", HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 403


def test_a_null_origin_post_without_fetch_metadata_is_refused(csrf_client):
    response = _post_language(csrf_client, HTTP_ORIGIN="null")
    assert response.status_code == 403


def test_a_same_origin_post_without_token_is_still_refused(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.parent)
    response = client.post(reverse("set_language"), {"language": "da"}, HTTP_ORIGIN="null", HTTP_SEC_FETCH_SITE="same-origin")
    assert response.status_code == 403
