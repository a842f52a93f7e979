"""Sign-in limits that cannot be turned against other people: failures count per account and
address; a colleague behind the same address still signs in; the lock-out says how long to wait;
the admin signs in through the same login."""
from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.world import PASSWORD

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.7"
ELSEWHERE = "198.51.100.9"


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _sign_in(user, password, address):
    client = Client(REMOTE_ADDR=address)
    response = client.post(reverse("account_login"), {"login": user.username, "password": password})
    return client, response


def _fail_five_times(user, address):
    for _ in range(5):
        _, response = _sign_in(user, "wrong-password-123", address)
        assert response.status_code == 200


def test_five_wrong_passwords_for_one_account_do_not_lock_out_a_colleague_at_the_same_address(world):
    _fail_five_times(world.midwife, ATTACKER)
    client, _ = _sign_in(world.counsellor, PASSWORD, ATTACKER)
    assert client.session.get("_auth_user_id") == str(world.counsellor.pk)


def test_the_attacked_account_is_locked_at_that_address_only_and_the_message_says_how_long(world):
    _fail_five_times(world.midwife, ATTACKER)
    client, response = _sign_in(world.midwife, PASSWORD, ATTACKER)
    assert "_auth_user_id" not in client.session
    assert "Please wait 5 minutes" in response.content.decode()
    owner, _ = _sign_in(world.midwife, PASSWORD, ELSEWHERE)
    assert owner.session.get("_auth_user_id") == str(world.midwife.pk)


def test_the_lock_out_message_addresses_the_reader_formally_in_german(world, settings):
    _fail_five_times(world.midwife, ATTACKER)
    with translation.override("de"):
        client = Client(REMOTE_ADDR=ATTACKER, HTTP_ACCEPT_LANGUAGE="de")
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
        page = client.post(reverse("account_login"), {"login": world.midwife.username, "password": PASSWORD}).content.decode()
    assert "Bitte warten Sie 5 Minuten" in page


def test_a_brute_force_spread_over_addresses_is_stopped_per_account(world):
    for n in range(4):
        _fail_five_times(world.midwife, f"192.0.2.{n + 1}")
    client, response = _sign_in(world.midwife, PASSWORD, "192.0.2.99")
    assert "_auth_user_id" not in client.session
    assert "Please wait 15 minutes" in response.content.decode()


def test_the_admin_login_is_the_same_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=/admin/"


def test_rate_limits_use_a_shared_cache_and_the_configured_proxy_count(settings):
    assert "login_failed_account" in settings.ACCOUNT_RATE_LIMITS
    assert isinstance(settings.ALLAUTH_TRUSTED_PROXY_COUNT, int)
