"""A database that is restarting (or a pool with no free connection) is answered with 503 and a
retry hint, never a traceback; other errors with a plain 500 page."""
from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client


@pytest.fixture
def failing_dashboard(monkeypatch):
    from config import dashboard as views

    def install(exc: Exception):
        def boom(request):
            raise exc
        monkeypatch.setattr(views, "dashboard", boom)
        from django.urls import clear_url_caches
        import importlib
        import config.urls

        importlib.reload(config.urls)
        clear_url_caches()

    yield install
    import importlib

    import config.urls
    from django.urls import clear_url_caches

    monkeypatch.undo()
    importlib.reload(config.urls)
    clear_url_caches()


@pytest.mark.django_db
def test_database_outage_answers_503_with_retry_after_and_no_traceback(failing_dashboard, settings):
    settings.DEBUG = False
    failing_dashboard(OperationalError("server closed the connection unexpectedly"))
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.content.decode()
    assert "Traceback" not in body and "server closed" not in body
    assert response["X-Request-ID"] in body


@pytest.mark.django_db
def test_pool_exhaustion_answers_503_too(failing_dashboard, settings):
    from psycopg_pool import PoolTimeout

    settings.DEBUG = False
    failing_dashboard(PoolTimeout("couldn't get a connection after 10.00 sec"))
    assert Client(raise_request_exception=False).get("/").status_code == 503


@pytest.mark.django_db
def test_api_clients_get_json_with_a_retry_hint(settings, monkeypatch):
    from rest_framework.views import APIView

    settings.DEBUG = False

    def broken_initial(self, request, *args, **kwargs):
        raise OperationalError("the database system is shutting down")

    monkeypatch.setattr(APIView, "initial", broken_initial)
    response = Client(raise_request_exception=False).get("/api/cases/")
    assert response.status_code == 503
    assert response.json()["detail"] == "Temporarily unavailable, please retry."


@pytest.mark.django_db
def test_other_errors_answer_a_plain_500(failing_dashboard, settings):
    settings.DEBUG = False
    failing_dashboard(RuntimeError("bug"))
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert "bug" not in response.content.decode()
