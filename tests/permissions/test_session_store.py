"""The session is read together with its user in one statement (permissions.session_store), and
the preloaded user is trusted no further than Django trusts the user it loads itself."""
from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from permissions.models import LoginSession

pytestmark = pytest.mark.django_db
URL = "/api/cases/"


def _get(client, url=URL):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return response, [q["sql"] for q in ctx.captured_queries]


def _user_reads(sql):
    return [q for q in sql if q.startswith('SELECT "participants_user"."id"')]


def test_session_and_user_are_one_statement(world, client):
    client.force_login(world.convenor)
    client.get(URL)
    response, sql = _get(client)
    assert response.status_code == 200
    assert response.wsgi_request.user == world.convenor
    assert not _user_reads(sql), "\n".join(sql)
    assert sum("django_session" in q for q in sql) == 1


def test_a_password_changed_elsewhere_ends_the_session(world, client):
    client.force_login(world.convenor)
    assert client.get(URL).status_code == 200
    user = get_user_model().objects.get(pk=world.convenor.pk)
    user.set_password("an entirely new password 123")
    user.save()
    response, _ = _get(client)
    assert response.status_code in (401, 403)
    assert not response.wsgi_request.user.is_authenticated


def test_a_user_deactivated_without_signals_is_not_let_in(world, client):
    client.force_login(world.convenor)
    assert client.get(URL).status_code == 200
    get_user_model().objects.filter(pk=world.convenor.pk).update(is_active=False)  # no post_save, sessions stay
    response, _ = _get(client)
    assert response.status_code in (401, 403)
    assert not response.wsgi_request.user.is_authenticated


def test_a_login_session_row_naming_someone_else_changes_nothing(world, client):
    client.force_login(world.convenor)
    LoginSession.objects.filter(session_key=client.session.session_key).update(user=world.counsellor)
    response, sql = _get(client)
    assert response.status_code == 200
    assert response.wsgi_request.user == world.convenor  # the session's own user, read the usual way
    assert _user_reads(sql)


def test_without_a_login_session_row_the_user_is_read_the_usual_way(world, client):
    client.force_login(world.convenor)
    LoginSession.objects.filter(session_key=client.session.session_key).delete()
    response, sql = _get(client)
    assert response.status_code == 200 and response.wsgi_request.user == world.convenor
    assert len(_user_reads(sql)) == 1


@override_settings(MFA_REQUIRED_FOR_PROFESSIONALS=True)
def test_the_second_factor_check_reads_what_the_session_statement_loaded(world, client):
    client.force_login(world.counsellor)
    response, sql = _get(client)
    assert response.status_code == 403  # must set one up first
    assert not any("mfa_authenticator" in q and "django_session" not in q for q in sql), "\n".join(sql)
    TOTP.activate(world.counsellor, generate_totp_secret())
    response, sql = _get(client)
    assert response.status_code == 200
    assert not any("mfa_authenticator" in q and "django_session" not in q for q in sql), "\n".join(sql)
