"""``manage.py doctor`` names what is misconfigured or unreachable and exits 1; silent and 0 when
all is well."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from tests.operations.deployment import free_port


def doctor(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("doctor", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code), out.getvalue()
    return 0, out.getvalue()


@pytest.mark.django_db
def test_a_healthy_development_setup_has_no_problems(settings):
    settings.DEBUG = True
    code, out = doctor()
    assert (code, out.strip()) == (0, "no problems found")


@pytest.mark.django_db
def test_unreachable_redis_and_smtp_are_named(settings):
    settings.DEBUG = True
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    settings.EMAIL_BACKEND = "outbox.backends.OutboxEmailBackend"  # as in production: every mail via the outbox
    settings.OUTBOX_TRANSPORT_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_USE_SSL = settings.EMAIL_USE_TLS = False
    code, out = doctor()
    assert code == 1
    assert "PROBLEM redis: cannot reach REDIS_URL" in out
    assert f"PROBLEM mail: cannot use the SMTP server 127.0.0.1:{settings.EMAIL_PORT}" in out


@pytest.mark.django_db
def test_production_without_redis_for_several_workers_and_without_static_files_is_named(settings, tmp_path):
    settings.DEBUG = False
    settings.WEB_WORKERS = 2
    settings.REDIS_URL = ""
    settings.STATIC_ROOT = tmp_path
    code, out = doctor("--skip-smtp")
    assert code == 1
    assert "WEB_WORKERS > 1 without REDIS_URL" in out
    assert "has no collected files; run manage.py collectstatic" in out


@pytest.mark.django_db
def test_unapplied_migrations_are_named(settings, monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    settings.DEBUG = True
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("x", "0002"), ("x", "0003")])
    code, out = doctor()
    assert code == 1 and "2 migration(s) not applied; run manage.py migrate" in out
