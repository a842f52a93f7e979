"""Authentication and sessions (ASVS L2): second factor for professionals, throttled logins,
new session on login, idle and absolute timeouts, disabling ends sessions, security headers."""
from __future__ import annotations

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from permissions.middleware import SESSION_SEEN, SESSION_STARTED
from tests.world import PASSWORD, totp_code

pytestmark = pytest.mark.django_db

MFA_ON = override_settings(MFA_REQUIRED_FOR_PROFESSIONALS=True)


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def password_login(client, user):
    return client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})


@MFA_ON
def test_a_professional_without_second_factor_can_only_set_one_up(world, client):
    client.force_login(world.counsellor)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("cases:case_list")).status_code == 302
    assert client.get("/api/consents/").status_code == 403
    setup = client.get(reverse("mfa_activate_totp"), follow=True)  # allauth may first ask for the password again
    assert setup.status_code == 200
    assert setup.redirect_chain == [] or setup.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))


@MFA_ON
def test_admins_need_a_second_factor_too_but_parents_do_not(world, client):
    client.force_login(world.admin)
    assert client.get(reverse("dashboard")).status_code == 302
    client.force_login(world.parent)
    assert client.get(reverse("dashboard")).status_code == 200


@MFA_ON
def test_a_network_can_require_a_second_factor_from_parents(world, client):
    world.network.parents_require_mfa = True
    world.network.save()
    client.force_login(world.parent)
    assert client.get(reverse("dashboard")).status_code == 302


@MFA_ON
def test_login_with_totp_asks_for_the_code_and_lets_the_professional_in(world, client):
    secret = generate_totp_secret()
    TOTP.activate(world.counsellor, secret)
    response = password_login(client, world.counsellor)
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # not logged in on the password alone
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


@MFA_ON
def test_password_reset_does_not_log_in_and_so_never_skips_the_second_factor(world, client, settings):
    assert settings.ACCOUNT_LOGIN_ON_PASSWORD_RESET is False


def test_repeated_failed_logins_are_throttled(world, client):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": world.midwife.username, "password": "wrong-password-123"})
    response = password_login(client, world.midwife)  # even the right password is refused now
    assert "_auth_user_id" not in client.session
    assert response.status_code in {200, 429}


def test_login_issues_a_new_session_key(world, client):
    client.get(reverse("account_login"))
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    password_login(client, world.parent)
    assert client.session.session_key != before
    assert client.session.get("_auth_user_id") == str(world.parent.pk)


def test_an_idle_session_ends(world, client, settings):
    client.force_login(world.parent)
    session = client.session
    session[SESSION_SEEN] = int(time.time()) - settings.SESSION_IDLE_SECONDS - 5
    session.save()
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_a_session_ends_after_its_absolute_lifetime_even_when_active(world, client, settings):
    client.force_login(world.parent)
    session = client.session
    session[SESSION_STARTED] = int(time.time()) - settings.SESSION_COOKIE_AGE - 5
    session[SESSION_SEEN] = int(time.time())
    session.save()
    assert client.get(reverse("dashboard")).status_code == 302
    assert client.get("/api/consents/").status_code in {401, 403}


def test_disabling_an_account_ends_its_sessions_at_once(world, client):
    client.force_login(world.midwife)
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()
    world.midwife.is_active = False
    world.midwife.save()
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get(reverse("dashboard")).status_code == 302


def test_every_page_sends_a_strict_csp_and_no_referrer(world, client):
    for url in (reverse("account_login"), reverse("accessibility")):
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
        assert response["Referrer-Policy"] == "no-referrer"


def test_case_data_is_never_stored_by_caches(world, client):
    client.force_login(world.convenor)
    for url in (reverse("cases:case_consents", args=[world.case.pk]), "/api/consents/"):
        assert client.get(url)["Cache-Control"] == "no-store"
