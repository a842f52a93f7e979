"""Settings come from the environment, and production refuses unsafe ones.

Each check runs ``manage.py`` in a fresh subprocess: the settings module treats an imported
pytest as "testing", a subprocess is as clean as a production start."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # scheduled first in its group (tests/conftest.py)

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_KEY = "p8Zr2-vQx7Lk4nWm9Td3Ys6Hb1Jc5Fg0Ae8Ru2Io7Pu4Ky9Tt3Rr6Ee1Ww5Qq0Zz8Xx2Cc"  # 68 characters
MFA_KEY = "Z3Vlc3MtdGhpcy1pcy1hLXRlc3Qta2V5LTMyYnl0ZXM="  # a Fernet key (32 bytes, base64), for these checks only


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"FALLKONFERENZ_TESTING", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "AUDIT_HMAC_KEY", "DEBUG", "TECHNICAL_ERROR_PAGES", "ALLOWED_HOSTS",
                          "MFA_ENCRYPTION_KEYS",
                          "EMAIL_URL", "TASK_BACKEND", "DJANGO_SETTINGS_MODULE", "PYTEST_CURRENT_TEST",
                          "DJANGO_ALLOW_ASYNC_UNSAFE"}}  # the browser tests' conftest sets it in this process
    clean.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'settings-check.sqlite3'}", "DJANGO_SETTINGS_MODULE": "config.settings"})
    clean.update(env)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)


def production(**extra: str) -> dict[str, str]:
    return {"DEBUG": "false", "SECRET_KEY": PRODUCTION_KEY, "AUDIT_HMAC_KEY": PRODUCTION_KEY[::-1],
            "ALLOWED_HOSTS": "fallkonferenz.example.org", "MFA_ENCRYPTION_KEYS": MFA_KEY, **extra}


def test_production_refuses_to_start_without_a_key_for_second_factor_secrets(tmp_path):
    env = production()
    del env["MFA_ENCRYPTION_KEYS"]
    result = run(["manage.py", "check"], tmp_path, **env)
    assert result.returncode != 0
    assert "MFA_ENCRYPTION_KEYS is not set" in result.stderr


def show(tmp_path: Path, expression: str, **env: str):
    code = f"import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({expression}, default=str))"
    result = run(["-c", code], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, **production())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production()
    del env["SECRET_KEY"]
    result = run(["manage.py", "check"], tmp_path, **env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_any_command_names_the_configuration_error_instead_of_a_django_internal_one(tmp_path):
    # Django's command runner swallows settings errors for most commands and then fails with
    # "Models aren't loaded yet"; manage.py reports the real cause.
    env = production()
    del env["SECRET_KEY"]
    result = run(["manage.py", "makemigrations", "--check", "--dry-run"], tmp_path, **env)
    assert result.returncode == 2
    assert "Configuration error: SECRET_KEY is not set" in result.stderr
    assert "AppRegistryNotReady" not in result.stderr


def test_production_refuses_a_short_secret_key(tmp_path):
    result = run(["manage.py", "check"], tmp_path, **production(SECRET_KEY="too-short"))
    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


def test_development_runs_without_a_secret_key(tmp_path):
    result = run(["manage.py", "check"], tmp_path, DEBUG="true")
    assert result.returncode == 0, result.stderr


def test_a_malformed_boolean_fails_loudly(tmp_path):
    result = run(["manage.py", "check"], tmp_path, **production(DEBUG="maybe"))
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_embedded_defaults_are_sqlite_in_memory_layer_console_mail_and_german(tmp_path):
    env = {"DEBUG": "true"}
    values = show(tmp_path, '[s.DATABASES["default"]["ENGINE"], s.CHANNEL_LAYERS["default"]["BACKEND"], s.EMAIL_BACKEND, '
                            's.OUTBOX_TRANSPORT_BACKEND, s.TIME_ZONE, s.LANGUAGE_CODE, [c for c, _ in s.LANGUAGES], s.TASKS["default"]["BACKEND"]]', **env)
    assert values == [
        "django.db.backends.sqlite3", "permissions.channel_layer.InMemoryChannelLayer", "outbox.backends.OutboxEmailBackend",
        "django.core.mail.backends.console.EmailBackend",
        "Europe/Berlin", "de", ["de", "da", "en"], "django_tasks.backends.immediate.ImmediateBackend",
    ]


def test_production_services_are_chosen_by_environment_variables(tmp_path):
    env = production(
        DATABASE_URL="postgres://fk:secret@db.internal:5432/fallkonferenz",
        REDIS_URL="redis://cache.internal:6379/1",
        EMAIL_URL="submission://mailer:pa%24s@smtp.example.org",
        TASK_BACKEND="database",
    )
    values = show(tmp_path, '[s.DATABASES["default"]["ENGINE"], s.DATABASES["default"]["HOST"], '
                            's.CHANNEL_LAYERS["default"]["BACKEND"], [h["address"] for h in s.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]], '
                            's.EMAIL_BACKEND, s.OUTBOX_TRANSPORT_BACKEND, '
                            's.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS, s.TASKS["default"]["BACKEND"]]', **env)
    assert values == [
        "django.db.backends.postgresql", "db.internal", "permissions.channel_layer.CoreChannelLayer", ["redis://cache.internal:6379/1"],
        "outbox.backends.OutboxEmailBackend", "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.org", 587, "pa$s", True, "django_tasks_db.DatabaseBackend",
    ]


def test_the_channel_layer_pool_is_sized_beyond_redis_py_default(tmp_path):
    """redis-py's pool of 100 was exhausted by a few hundred sockets (connections lost)."""
    expr = '[h["max_connections"] for h in s.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]]'
    assert show(tmp_path, expr, **production(REDIS_URL="redis://cache.internal:6379/1")) == [1000]
    assert show(tmp_path, expr, **production(REDIS_URL="redis://cache.internal:6379/1",
                                             CHANNELS_REDIS_MAX_CONNECTIONS="2500")) == [2500]


def test_an_idle_socket_s_receive_outlasts_the_blocking_pop_it_waits_in(tmp_path):
    """A receive blocks in Redis for channels-redis's ``brpop_timeout``; redis-py's own read timeout
    (5 s by default in redis-py 8, the same as that block) made every idle receive fail after
    ~20 s (measured: ``TimeoutError`` after 20.7 s; with 15 s, 40 s idle without error)."""
    expr = ('[h["socket_timeout"] >= 2 * __import__("channels_redis.core").core.RedisChannelLayer.brpop_timeout '
            'for h in s.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]]')
    assert show(tmp_path, expr, **production(REDIS_URL="redis://cache.internal:6379/1")) == [True]


def test_the_pub_sub_channel_layer_is_chosen_by_an_environment_variable(tmp_path):
    expr = '[s.CHANNEL_LAYERS["default"]["BACKEND"], s.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]]'
    redis = {"REDIS_URL": "redis://cache.internal:6379/1", "CHANNELS_PREFIX": "kreis-a"}
    assert show(tmp_path, expr, **production(**redis)) == ["permissions.channel_layer.CoreChannelLayer", "kreis-a"]
    assert show(tmp_path, expr, **production(**redis, CHANNELS_REDIS_LAYER="pubsub")) == [
        "permissions.channel_layer.PubSubChannelLayer", "kreis-a"]


def test_the_cache_is_redis_in_production_and_a_file_cache_on_the_embedded_default(tmp_path):
    production_cache = show(tmp_path, '[s.CACHES["default"]["BACKEND"], s.CACHES["default"]["LOCATION"]]',
                            **production(REDIS_URL="redis://cache.internal:6379/1"))
    assert production_cache == ["permissions.cache.ResilientRedisCache", "redis://cache.internal:6379/1"]
    embedded = show(tmp_path, 's.CACHES["default"]["BACKEND"]', DEBUG="true")
    assert embedded == "django.core.cache.backends.filebased.FileBasedCache"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("EMAIL_URL", "pigeon://coop", "EMAIL_URL must be"),
    ("TASK_BACKEND", "celery", "TASK_BACKEND must be"),
    ("CHANNELS_REDIS_LAYER", "kafka", "CHANNELS_REDIS_LAYER must be"),
    ("SESSION_IDLE_SECONDS", "ten", "SESSION_IDLE_SECONDS must be an integer"),
    ("OUTBOX_MAX_ATTEMPTS", "many", "OUTBOX_MAX_ATTEMPTS must be an integer"),
    ("TASK_WORKER_STALE_SECONDS", "5", "TASK_WORKER_STALE_SECONDS must exceed TASK_WORKER_HEARTBEAT_SECONDS"),
    ("PROCESSORS", "cloud=Someone Inc.", "PROCESSORS must be entries"),
    ("PROCESSORS", "hosting=", "PROCESSORS must be entries"),
])
def test_unknown_configuration_values_fail_loudly(tmp_path, name, value, message):
    result = run(["manage.py", "check"], tmp_path, DEBUG="true", **{name: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_processors_for_the_record_of_processing_come_from_the_environment(tmp_path):
    values = show(tmp_path, "s.PROCESSORS", DEBUG="true",
                  PROCESSORS="hosting=Kommunales Rechenzentrum, Minden (DE); EMAIL=Mailversand GmbH, Köln (DE);")
    assert values == [{"kind": "hosting", "name": "Kommunales Rechenzentrum, Minden (DE)"},
                      {"kind": "email", "name": "Mailversand GmbH, Köln (DE)"}]


def test_a_group_message_not_queued_for_a_full_process_queue_is_logged_as_a_warning(tmp_path):
    """channels-redis says so at INFO, below production's LOG_LEVEL=WARNING: nobody would see that
    the sockets of a server process missed a message. Its other INFO lines stay below that level."""
    script = ("import django; django.setup(); import logging; log = logging.getLogger('channels_redis.core'); "
              "log.info('%s of %s channels over capacity in group %s', 1, 2, 'protocol-7'); "
              "log.info('an ordinary channels-redis line')")
    result = run(["-c", script], tmp_path, **production(LOG_LEVEL="WARNING"))
    assert result.returncode == 0, result.stderr
    assert "level=WARNING logger=channels_redis.core" in result.stderr
    assert "1 of 2 channels over capacity in group protocol-7: the sockets of those server processes missed this message" in result.stderr
    assert "an ordinary channels-redis line" not in result.stderr


def test_development_mode_can_show_the_products_error_pages_and_keeps_its_development_defaults(tmp_path):
    """``./dev run`` sets DEBUG=true and TECHNICAL_ERROR_PAGES=false: Django's DEBUG is off (the
    product's 404 page, not the technical one), everything else stays as in development."""
    values = show(tmp_path, '[s.DEBUG, s.DEVELOPMENT, s.ALLOWED_HOSTS, s.SECURE_SSL_REDIRECT, s.SECRET_KEY.startswith("dev-only")]',
                  DEBUG="true", TECHNICAL_ERROR_PAGES="false")
    assert values == [False, True, ["127.0.0.1", "localhost", "[::1]"], False, True]
    assert show(tmp_path, "[s.DEBUG, s.DEVELOPMENT]", DEBUG="true") == [True, True]  # technical pages stay the default


def test_technical_error_pages_are_refused_outside_development(tmp_path):
    result = run(["manage.py", "check"], tmp_path, **production(TECHNICAL_ERROR_PAGES="true"))
    assert result.returncode != 0
    assert "TECHNICAL_ERROR_PAGES=true needs DEBUG=true" in result.stderr


def test_postgresql_connections_run_without_the_jit_compiler_unless_asked(tmp_path):
    """At 10,000 items the actions list's access filter was JIT-compiled for 10 s per request
    (``bench/api_lists.py``); the setting travels in libpq's startup options, next to any the
    URL names."""
    url = "postgres://fk:secret@db.internal:5432/fallkonferenz"
    assert show(tmp_path, 's.DATABASES["default"]["OPTIONS"]["options"]', **production(DATABASE_URL=url)) == "-c jit=off"
    assert show(tmp_path, 's.DATABASES["default"]["OPTIONS"]["options"]',
                **production(DATABASE_URL=url + "?options=-c%20statement_timeout%3D5000")) == "-c statement_timeout=5000 -c jit=off"
    assert "options" not in show(tmp_path, 's.DATABASES["default"]["OPTIONS"]', **production(DATABASE_URL=url, DB_JIT="true"))
    assert "options" not in show(tmp_path, 's.DATABASES["default"]["OPTIONS"]', **production())  # SQLite


def test_postgresql_parameters_are_bound_by_the_server_unless_turned_off(tmp_path):
    """Server-side binding lets psycopg prepare a statement a connection runs again, so that
    PostgreSQL plans the access filters once per connection instead of on every request (12 ms
    each at 10,000 actions, ``bench/api_lists.py``); PgBouncer in transaction mode before 1.21
    cannot carry prepared statements, hence the switch."""
    url = "postgres://fk:secret@db.internal:5432/fallkonferenz"
    options = 's.DATABASES["default"]["OPTIONS"]'
    binding = f'[{options}.get("server_side_binding"), {options}.get("prepare_threshold")]'
    assert show(tmp_path, binding, **production(DATABASE_URL=url)) == [True, 5]
    assert show(tmp_path, binding, **production(DATABASE_URL=url, DB_PREPARED_STATEMENTS="false")) == [True, None]
    assert show(tmp_path, binding, **production(DATABASE_URL=url, DB_SERVER_SIDE_BINDING="false")) == [None, None]
    assert show(tmp_path, 's.DATABASES["default"].get("OPTIONS", {}).get("server_side_binding")', **production()) is None  # SQLite
