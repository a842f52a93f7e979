"""Fallkonferenz settings.

Every value that differs between a laptop and production is read from the environment here,
and nowhere else. Defaults are the safe, embedded ones: SQLite, in-memory channel layer,
in-process tasks, e-mail to the console. Production refuses to start without a secret key.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# Imports nothing of Django's app registry (the Sentry SDK itself loads only when SENTRY_DSN is set).
from permissions.error_reporting import init_error_reporting

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


# DEBUG=true is development mode: a development secret key, local hosts, no HTTPS, no second
# factor required. Django's own DEBUG setting -- its technical pages for a 404 or an error, which
# list the URL patterns and show tracebacks, instead of the product's pages -- follows it unless
# TECHNICAL_ERROR_PAGES=false, which `./dev run` sets: the demo shows the 404 and 403 pages a person
# would meet (tracebacks still go to the console), and serves its static files itself (--insecure).
DEVELOPMENT = env_bool("DEBUG", False)
TECHNICAL_ERROR_PAGES = env_bool("TECHNICAL_ERROR_PAGES", DEVELOPMENT)
if TECHNICAL_ERROR_PAGES and not DEVELOPMENT:
    raise ImproperlyConfigured("TECHNICAL_ERROR_PAGES=true needs DEBUG=true: the technical pages show "
                               "the URL patterns and tracebacks to whoever asks.")
DEBUG = TECHNICAL_ERROR_PAGES
# pytest sets this itself (tests/conftest.py imports settings only after pytest is loaded).
TESTING = env_bool("FALLKONFERENZ_TESTING", False) or "pytest" in sys.modules

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if DEVELOPMENT or TESTING:
        SECRET_KEY = "dev-only-insecure-key-never-used-in-production-0123456789abcdef"
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (or DEBUG=true for local development)."
        )
if not DEVELOPMENT and not TESTING and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters in production.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEVELOPMENT or TESTING else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The public base URL is used in e-mails and calendar links, never derived from a request header.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "data")))

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "guardian",
    "channels",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "outbox",
    "participants",
    "notifications",
    "cases",
    "conferences",
    "protocols",
    "board",
    "calendars",
    "permissions",
    "access",
    "offers",
    "records",
    "operations",
    "privacy",
]

MIDDLEWARE = [
    "permissions.requests.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "calendars.middleware.FeedMiddleware",  # the token-authenticated feeds skip everything below
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "permissions.csrf.SameOriginNullOriginMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "permissions.middleware.AuthenticationMiddleware",  # the user comes with the session (one SELECT)
    "allauth.account.middleware.AccountMiddleware",
    "permissions.middleware.SessionSecurityMiddleware",
    "participants.middleware.UserLanguageMiddleware",  # her own language setting wins over the cookie
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "permissions.middleware.PrivacyHeadersMiddleware",
    "config.middleware.MethodNotAllowedPageMiddleware",  # a 405 for a page request: a page with a way on, not a blank one
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "participants.context_processors.roles",
                "notifications.context_processors.notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'fallkonferenz.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
# ASGI serving: Django runs each request's sync view in a thread of its own, consumers' database
# calls in a thread pool. Per-thread connections grow with the load until PostgreSQL refuses
# more, so PostgreSQL gets a bounded psycopg pool per process instead: at most
# WEB_WORKERS x DB_POOL_MAX_SIZE connections for the web service (see README, "Running at scale").
WEB_WORKERS = env_int("WEB_WORKERS", 2, minimum=1)
DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 4, minimum=1)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_POOL", True):
    if DATABASES["default"]["CONN_MAX_AGE"]:
        raise ImproperlyConfigured("DB_CONN_MAX_AGE must be 0 when DB_POOL is on (the pool keeps the connections)")
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DB_POOL_MIN_SIZE", 1, minimum=0),
        "max_size": DB_POOL_MAX_SIZE,
        # A request waits this long for a free connection, then gets 503 with Retry-After.
        "timeout": env_int("DB_POOL_TIMEOUT", 30, minimum=1),
    }
    # A connection that died with a PostgreSQL restart is noticed (one round trip) and replaced
    # when it is taken from the pool, instead of failing the next request.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["OPTIONS"]["pool"]["min_size"] > DB_POOL_MAX_SIZE:
        raise ImproperlyConfigured("DB_POOL_MIN_SIZE must not exceed DB_POOL_MAX_SIZE")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool("DB_JIT", False):
    # PostgreSQL's JIT compiler starts on a statement whose estimated cost passes jit_above_cost,
    # and compiles (with inlining and optimisation above 500,000) before running it. The access
    # filters are large statements over tables that grow with the network: at 10,000 items the
    # actions list's statement got JIT-compiled (1,499 functions, 10.2 s of 10.3 s; the query
    # itself 50 ms; ``bench/api_lists.py``, 2026-12-07). A web request never gains from it. Off
    # for every connection through libpq's startup options (no statement per request); behind
    # PgBouncer, whose transaction pooling refuses startup options, set it on the database instead
    # (README, "Running at scale").
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    if "jit" not in _options.get("options", ""):
        _options["options"] = (_options.get("options", "") + " -c jit=off").strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_SERVER_SIDE_BINDING", True):
    # Parameters bound by the server instead of quoted into the statement's text by psycopg
    # (Django's default), and a statement that a connection runs again prepared after its fifth
    # run on it (psycopg's prepare_threshold; Django turns it off unless asked): PostgreSQL then
    # plans the access filters, compiled with the user as a parameter, once per connection of
    # the pool instead of on every request. At 10,000 actions the actions list's statement and
    # its audit-basis statement were planned in 12 + 11 ms on every request; the request took
    # 124 ms, with both 49 ms (median, ``bench/api_lists.py``, 2026-12-07). A connection keeps
    # psycopg's 100 most recent prepared statements. Behind PgBouncer in transaction mode before
    # 1.21 (no protocol-level prepared statements) set DB_PREPARED_STATEMENTS=false (README,
    # "Running at scale").
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
    if env_bool("DB_PREPARED_STATEMENTS", True):
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 5
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # In memory by default (fast). A file when asked: SQLite's busy timeout then makes a second
    # thread wait for a lock, where the shared-cache memory database fails at once with "table is
    # locked" -- the browser tests serve pages and websockets from other threads of the process.
    DATABASES["default"]["TEST"] = (
        {"NAME": str(DATA_DIR / "test_fallkonferenz.sqlite3")} if env_bool("SQLITE_TEST_FILE") else {"NAME": ":memory:"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels -------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# Parallel test workers (pytest-xdist sets PYTEST_XDIST_WORKER) share one Redis: each gets its
# own channel-layer and cache prefix, so no worker reads another's groups or rate limits.
CHANNELS_PREFIX = env_str("CHANNELS_PREFIX", "fallkonferenz")
if TESTING and env_str("PYTEST_XDIST_WORKER"):
    CHANNELS_PREFIX = f"{CHANNELS_PREFIX}-{env_str('PYTEST_XDIST_WORKER')}"
# CHANNELS_REDIS_LAYER: "core" (default) keeps every message in Redis until the receiving process
# takes it (channels-redis 4: a group message becomes one message per server process that names
# its member sockets, taken with one BZPOPMIN and handed to each of them); "pubsub" publishes a
# group message once and every server process hands it to its own sockets -- fewer round trips,
# but at-most-once: nothing is kept for a process that is not subscribed at that moment
# (permissions.channel_layer closes that process's sockets, which reconnect and catch up).
# Pub/sub channel names ignore Redis's database number: installations that share one Redis need
# distinct CHANNELS_PREFIX values. Measured A/B: bench/README.md, ws_fanout.py.
CHANNELS_REDIS_LAYER = env_str("CHANNELS_REDIS_LAYER", "core")
if CHANNELS_REDIS_LAYER not in ("core", "pubsub"):
    raise ImproperlyConfigured(f"CHANNELS_REDIS_LAYER must be 'core' or 'pubsub', got {CHANNELS_REDIS_LAYER!r}")
if REDIS_URL:
    from redis.asyncio.retry import Retry as RedisRetry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError

    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": ("permissions.channel_layer.PubSubChannelLayer" if CHANNELS_REDIS_LAYER == "pubsub"
                        else "permissions.channel_layer.CoreChannelLayer"),
            "CONFIG": {
                # After a Redis restart the pooled connections are dead: each is checked (PING)
                # when idle for a second and a command that meets a closed connection is retried
                # on a fresh one, so sockets can join again at once instead of failing once more.
                # max_connections: redis-py's pool per server process (default 100) raises
                # MaxConnectionsError when exhausted and the socket is lost; a burst of joins or a
                # fan-out to many sockets uses one connection per concurrent command.
                # socket_timeout: a socket's receive waits in Redis with BZPOPMIN for up to
                # channels-redis's brpop_timeout (5 s) and then asks again; redis-py 8 gives up reading
                # a reply after 5 s by default, the same 5 s, so an idle receive raised TimeoutError
                # after its retries (~20 s) and took its socket down with it, every ~20 s per
                # process. The client now waits three times as long as the server blocks; a
                # connection that says nothing for that long is dead, and the socket closes (1011).
                "hosts": [{"address": REDIS_URL, "health_check_interval": 1, "socket_timeout": 15,
                           "retry": RedisRetry(ExponentialBackoff(cap=1.0, base=0.05), 3),
                           "retry_on_error": [RedisConnectionError],
                           "max_connections": env_int("CHANNELS_REDIS_MAX_CONNECTIONS", 1000, minimum=10)}],
                "prefix": CHANNELS_PREFIX,
                # The Redis queue each server process pops from (one per process, shared by its
                # sockets and groups): channels-redis's 100 drops group messages for a process that
                # fell a little behind. A socket's own buffer stays at 100 (permissions.channel_layer
                # closes a socket whose buffer overflows).
                "channel_capacity": {"specific.*": 10_000},
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "permissions.channel_layer.InMemoryChannelLayer"}}

# --- Cache ----------------------------------------------------------------------------------
# Shared by every process: rate limits (allauth, health endpoints) must count across workers.
# Redis in production; when Redis is down the cache answers "miss" instead of failing the page
# (permissions.cache.ResilientRedisCache). Tests: local memory. Embedded default: a file cache.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "permissions.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CHANNELS_PREFIX + ":cache",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
elif TESTING:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:  # embedded: a file cache, shared by the server, the task worker and commands on this machine
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(DATA_DIR / "cache")}}

# --- Background tasks -----------------------------------------------------------------------
TASK_BACKEND = env_str("TASK_BACKEND", "immediate")
if TASK_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASK_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    raise ImproperlyConfigured("TASK_BACKEND must be 'immediate' or 'database'")

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "participants.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; anonymous sees nothing.
GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "account_login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_ADAPTER = "participants.adapters.AccountAdapter"
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# Failed sign-ins are counted per account *and address* (the "key"; participants.adapters), so an
# attacker who mistypes someone's password locks out only herself, never a colleague behind the
# same address; a generous per-address cap stops password spraying, and a per-account cap over
# all addresses (LOGIN_FAILED_ACCOUNT_RATE_LIMIT) stops a brute force spread over addresses.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env_str("LOGIN_FAILED_RATE_LIMIT", "100/15m/ip,5/5m/key"),
    "login_failed_account": env_str("LOGIN_FAILED_ACCOUNT_RATE_LIMIT", "20/15m/key"),
    "login": env_str("LOGIN_RATE_LIMIT", "120/m/ip"),  # allauth's 30/m per address is too low behind one NAT
}
# Client addresses for rate limits come from X-Forwarded-For only as far as this many proxies of
# our own set it (deploy/nginx replaces the header with $remote_addr: one proxy).
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("ALLAUTH_TRUSTED_PROXY_COUNT", 1 if env_bool("BEHIND_TLS_PROXY", not DEVELOPMENT) else 0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = "Fallkonferenz"
MFA_ADAPTER = "permissions.mfa.EncryptingMFAAdapter"
# Fernet keys that encrypt the second-factor secrets at rest, newest first (README: rotation).
# Only the first encrypts; all decrypt. Outside development the variable is required.
MFA_ENCRYPTION_KEYS = env_list("MFA_ENCRYPTION_KEYS", [])
if not MFA_ENCRYPTION_KEYS:
    if DEVELOPMENT or TESTING:
        import base64 as _base64
        import hashlib as _hashlib

        MFA_ENCRYPTION_KEYS = [_base64.urlsafe_b64encode(_hashlib.sha256(("mfa:" + SECRET_KEY).encode()).digest()).decode()]
    else:
        raise ImproperlyConfigured("MFA_ENCRYPTION_KEYS is not set: one or more Fernet keys, comma-separated, newest first.")
# Second factor is mandatory for professionals and admins (see participants.adapters).
# Off by default in tests (they log in with force_login); tests/browser/test_mfa.py and
# tests/permissions/test_authentication.py switch it on.
MFA_REQUIRED_FOR_PROFESSIONALS = env_bool("MFA_REQUIRED_FOR_PROFESSIONALS", not DEVELOPMENT and not TESTING)

# Database sessions (django_session) read together with their signed-in user in one statement.
SESSION_ENGINE = "permissions.session_store"
SESSION_COOKIE_AGE = env_int("SESSION_ABSOLUTE_SECONDS", 8 * 3600, minimum=60)
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60, minimum=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- I18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "de")
LANGUAGES = [("de", _("German")), ("da", _("Danish")), ("en", _("English"))]
# locale_formal: overrides of texts of allauth and DRF: formal German ("Sie") where their catalogues say
# "du", natural Danish ("Du er nu logget ind", "adgangskode") where theirs translate word for word.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_formal"]
# English shows dates and times the British way (day first, 24-hour clock): config/formats/en.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True

# --- Static ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "config" / "static"]

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_URL = env_str("EMAIL_URL", "console:")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Fallkonferenz <no-reply@fallkonferenz.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL


def _reply_address(raw: str) -> str:
    from email.utils import parseaddr

    address = parseaddr(raw)[1] if raw else parseaddr(DEFAULT_FROM_EMAIL)[1]
    local, _at, domain = address.rpartition("@")
    if not local or not domain or "+" in local or any(c.isspace() for c in address):
        raise ImproperlyConfigured(
            "EMAIL_REPLY_ADDRESS must be a plain address such as antwort@fallkonferenz.example.org "
            f"(no '+': the service adds a per-invitation tag), got {raw or DEFAULT_FROM_EMAIL!r}"
        )
    return address


# Calendar answers (iMIP REPLY) go to <local>+<signed invitation tag>@<domain>; this mailbox is read
# by `manage.py receive_mail` (MTA pipe) or `manage.py fetch_mail` (IMAP_URL).
EMAIL_REPLY_ADDRESS = _reply_address(env_str("EMAIL_REPLY_ADDRESS"))
IMAP_URL = env_str("IMAP_URL")
if IMAP_URL and not IMAP_URL.startswith(("imap://", "imaps://")):
    raise ImproperlyConfigured("IMAP_URL must start with imap:// or imaps://")
INBOUND_MAIL_MAX_BYTES = env_int("INBOUND_MAIL_MAX_BYTES", 10 * 1024 * 1024, minimum=64 * 1024)
# A calendar answer is a few KB: a larger calendar part is refused before it is parsed.
INBOUND_MAIL_MAX_CALENDAR_BYTES = env_int("INBOUND_MAIL_MAX_CALENDAR_BYTES", 256 * 1024, minimum=16 * 1024)
# The authserv-id of the own mail server's Authentication-Results headers. Empty: only a recorded
# dmarc=fail refuses. Set: a header of that server must say dmarc=pass (or dkim/spf=pass for the
# From: domain), and headers of any other authserv-id are ignored.
INBOUND_MAIL_AUTHSERV_ID = env_str("INBOUND_MAIL_AUTHSERV_ID")
# Where `manage.py receive_mail` keeps a message it cannot handle (a crash, or a database error that
# repeats while the database answers), one .eml file each, readable by the service's user only.
INBOUND_MAIL_QUARANTINE_DIR = Path(env_str("INBOUND_MAIL_QUARANTINE_DIR", str(DATA_DIR / "mail-quarantine")))
# How long inbound mail is kept outside the database: quarantined messages (this directory, and the
# quarantine folder of `fetch_mail`) and handled ones in `fetch_mail`'s done folder.
INBOUND_MAIL_KEEP_DAYS = env_int("INBOUND_MAIL_KEEP_DAYS", 30, minimum=1)


def _email_settings(url: str) -> dict:
    from urllib.parse import parse_qs, unquote, urlparse

    if url.startswith("console:"):
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if url.startswith("locmem:"):
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    parsed = urlparse(url)
    if parsed.scheme not in {"smtp", "smtps", "submission"}:
        raise ImproperlyConfigured("EMAIL_URL must be console:, locmem:, smtp://, smtps:// or submission://")
    query = parse_qs(parsed.query)
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parsed.hostname or "localhost",
        "EMAIL_PORT": parsed.port or {"smtp": 25, "smtps": 465, "submission": 587}[parsed.scheme],
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_SSL": parsed.scheme == "smtps",
        "EMAIL_USE_TLS": parsed.scheme == "submission" or query.get("tls", ["0"])[0] == "1",
        "EMAIL_TIMEOUT": 20,
    }


_email = _email_settings(EMAIL_URL)
# Every e-mail goes through the outbox (pending row in the caller's transaction, sent by the
# worker with retries: none lost while the mail server is down, none sent twice). EMAIL_URL names
# the transport the outbox sends through. Tests read what was sent from django.core.mail.outbox.
OUTBOX_TRANSPORT_BACKEND = "django.core.mail.backends.locmem.EmailBackend" if TESTING else _email.pop("EMAIL_BACKEND")
_email.pop("EMAIL_BACKEND", None)
globals().update(_email)
EMAIL_BACKEND = "outbox.backends.OutboxEmailBackend"

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "permissions.drf.BoundedLimitOffsetPagination",
    "EXCEPTION_HANDLER": "permissions.drf.exception_handler",
    "PAGE_SIZE": 100,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # JSON only: the browsable API renders writable related fields as <select>s of their whole
    # queryset (every family member, every protocol item title), whoever asks.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fallkonferenz API",
    "DESCRIPTION": "Case conferences, protocols, agreed actions and board summaries, filtered by the access policy.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}
# Protocol enums share field names ("status", "kind") with other models' enums: name them explicitly.
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update({
    "ProtocolStatusEnum": "protocols.models.Protocol.Status",
    "AgreedActionStatusEnum": "protocols.models.AgreedAction.Status",
    "ProtocolItemKindEnum": "protocols.models.ProtocolItem.Kind",
    "ConferenceKindEnum": "conferences.models.Conference.Kind",
    "CaseStatusEnum": "cases.models.Case.Status",
})
# Offers: requests to the case manager and enrolments share "kind"/"status" with other models.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update({
    "SupportRequestKindEnum": "offers.models.SupportRequest.Kind",
    "SupportRequestStatusEnum": "offers.models.SupportRequest.Status",
    "EnrolmentStatusEnum": "offers.models.Enrolment.Status",
})
# Consent scopes and protocol items share the information categories: one enum name (keeps check --deploy clean).
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["InformationCategoryEnum"] = "cases.models.InformationCategory"

# --- Security headers -----------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", not DEVELOPMENT) else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEVELOPMENT and not TESTING)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEVELOPMENT and not TESTING)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEVELOPMENT or TESTING else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'", "ws:", "wss:"] if DEVELOPMENT or TESTING else ["'self'", "wss:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# --- Product settings -----------------------------------------------------------------------
FEED_REFRESH_MINUTES = env_int("FEED_REFRESH_MINUTES", 60, minimum=5)
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "demo-passwort-2026")
# Data retention, applied by ``manage.py apply_retention`` (daily; see operations/retention.py).
# CASE_RETENTION_YEARS: years after a case was closed before its content (names, texts) is
#   erased; rows, dates, kinds and statuses stay for the board's figures. 0 = never erase.
# AUDIT_RETENTION_YEARS: years an audit event is kept; older chain prefixes are pruned behind a
#   stored checkpoint. 0 = never prune.
# TOKEN_RETENTION_DAYS: days a revoked or expired calendar-feed token or poll link is kept.
CASE_RETENTION_YEARS = env_int("CASE_RETENTION_YEARS", 10, minimum=0)
AUDIT_RETENTION_YEARS = env_int("AUDIT_RETENTION_YEARS", 10, minimum=0)
TOKEN_RETENTION_DAYS = env_int("TOKEN_RETENTION_DAYS", 30, minimum=1)
# REFERRAL_RETENTION_DAYS: days after their last change before referrals and requests to the
# central case manager that never became part of a case lose their content (client, notes,
# answers, messages); the rows, dates and statuses stay for the yearly figures. Only finished
# ones: closed referrals and requests whose referrals are all closed. The same period applies to
# enrolments in a track made without a referral, once ended (family, e-mail, reason for ending,
# the sessions' topics and places). 0 switches it off.
REFERRAL_RETENTION_DAYS = env_int("REFERRAL_RETENTION_DAYS", 730, minimum=0)

# The audit trail's integrity. AUDIT_HMAC_KEY keys every chain hash (HMAC-SHA256): it lives in
# the environment, never in the database, so whoever can write the database cannot recompute a
# chain after editing it. AUDIT_ANCHOR_DIR receives signed checkpoints of every chain head
# (``manage.py anchor_audit``): a place the database user cannot change (another OS user's
# directory, an append-only mount, a synced folder of the data-protection officer).
#
# Rotation: AUDIT_HMAC_KEYS lists named keys, newest first, as "<id>:<key>,<id>:<key>" (ids of
# letters, digits, "-" and "_", at most 16 characters). The first one keys new events, chains and
# anchors; every listed key (and AUDIT_HMAC_KEY, the unnamed key of everything written before
# keys had names) still verifies what was written under it. Each event, chain entry and anchor
# stores the id of its key. See README, "The audit trail".
AUDIT_HMAC_KEY = env_str("AUDIT_HMAC_KEY")
AUDIT_HMAC_KEYS: dict[str, str] = {}
for _entry in env_list("AUDIT_HMAC_KEYS", []):
    _key_id, _sep, _secret = _entry.partition(":")
    if not _sep or not re.fullmatch(r"[A-Za-z0-9_-]{1,16}", _key_id) or _key_id in AUDIT_HMAC_KEYS:
        raise ImproperlyConfigured("AUDIT_HMAC_KEYS holds '<id>:<key>' entries, newest first, each id unique "
                                   "(letters, digits, - and _, at most 16 characters).")
    if len(_secret) < 32:
        raise ImproperlyConfigured(f"AUDIT_HMAC_KEYS: the key '{_key_id}' must be at least 32 characters.")
    AUDIT_HMAC_KEYS[_key_id] = _secret
if not AUDIT_HMAC_KEY and not AUDIT_HMAC_KEYS:
    if DEVELOPMENT or TESTING:
        AUDIT_HMAC_KEY = "dev-only-audit-key-never-used-in-production-0123456789"
    else:
        raise ImproperlyConfigured("AUDIT_HMAC_KEY is not set. Set it in the environment (at least 32 characters).")
if AUDIT_HMAC_KEY and len(AUDIT_HMAC_KEY) < 32:
    raise ImproperlyConfigured("AUDIT_HMAC_KEY must be at least 32 characters.")
AUDIT_ANCHOR_DIR = Path(env_str("AUDIT_ANCHOR_DIR", str(DATA_DIR / "audit-anchors")))
if TESTING and not os.environ.get("AUDIT_ANCHOR_DIR"):
    # Tests never read or write the checkout's anchors: another run's journal there (a demo seeded
    # by a subprocess, the other database's run in CI) would be verified against this test database.
    AUDIT_ANCHOR_DIR = Path(tempfile.gettempdir()) / f"fallkonferenz-test-anchors-{os.getpid()}"
    shutil.rmtree(AUDIT_ANCHOR_DIR, ignore_errors=True)
    AUDIT_ANCHOR_DIR.mkdir(parents=True)
# AUDIT_HEAD_JOURNAL: after each committed audit event, append its chain's new head (position,
# hash, keyed) as one line to an hourly journal in AUDIT_ANCHOR_DIR, so cutting the newest events
# is detected at once rather than after the next anchor. Off by default only in tests.
AUDIT_HEAD_JOURNAL = env_bool("AUDIT_HEAD_JOURNAL", not TESTING)


# Processors (GDPR Art. 28) named in every network's record of processing activities (Art. 30,
# the records app): who hosts the service, delivers its e-mail, keeps its backups. Entries are
# separated by ";", each "<kind>=<name and place>", kind one of hosting, email, backup, other,
# e.g. "hosting=Stadtwerke IT GmbH, Aachen (DE); email=Kommunales Rechenzentrum, Köln (DE)".
PROCESSOR_KINDS = ("hosting", "email", "backup", "other")


def _processors(raw: str) -> list[dict[str, str]]:
    entries = []
    for part in raw.split(";"):
        if not part.strip():
            continue
        kind, _sep, name = part.partition("=")
        kind, name = kind.strip().lower(), name.strip()
        if kind not in PROCESSOR_KINDS or not name or len(name) > 200:
            raise ImproperlyConfigured(
                "PROCESSORS must be entries separated by ';', each '<kind>=<name>' with kind one of "
                f"{', '.join(PROCESSOR_KINDS)} and a name of at most 200 characters, got {part.strip()!r}"
            )
        entries.append({"kind": kind, "name": name})
    return entries


PROCESSORS = _processors(env_str("PROCESSORS"))

# --- Logs and error reporting ---------------------------------------------------------------
# Every line has a timestamp, level, logger and the request id; LOG_FORMAT=json writes one JSON
# object per line (with method, path, status, duration and user id on access lines). Paths are
# logged without query strings and with feed and poll-link tokens redacted; no names.
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be 'text' or 'json'")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_tokens": {"()": "permissions.logging.RedactFeedTokens"},
        "request_context": {"()": "permissions.logging.RequestContext"},
        "channels_over_capacity": {"()": "permissions.logging.ChannelsOverCapacity"},
    },
    "formatters": {
        "text": {"format": "%(asctime)s level=%(levelname)s logger=%(name)s request_id=%(request_id)s %(message)s"},
        "json": {"()": "permissions.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact_tokens", "request_context"],
            "formatter": LOG_FORMAT,
        },
        # Optional: ADMINS get a mail for every unhandled error (Django's AdminEmailHandler sends
        # no request details unless DEBUG; it stays off while ADMINS is empty). Straight through the
        # transport, not the outbox: an error report must not need the database (it may be the error),
        # and the same error is in the log anyway.
        "mail_admins": {"class": "django.utils.log.AdminEmailHandler", "level": "ERROR",
                        "filters": ["redact_tokens"], "include_html": False, "email_backend": OUTBOX_TRANSPORT_BACKEND},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's default "django" handler would print request paths (feed and poll-link tokens)
        # unfiltered; every logger that can see a path goes through the redacting handler.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["console", "mail_admins"], "level": "WARNING", "propagate": False},
        "django.channels.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "daphne": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # The web server's own access log would show query strings and client addresses: off
        # (gunicorn --access-logfile is not set); our access lines come from RequestIdMiddleware.
        "uvicorn": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # A group message not queued for a server process whose queue is full: a warning.
        "channels_redis.core": {"level": "INFO", "filters": ["channels_over_capacity"]},
        # Access lines in tests would only be noise.
        "fallkonferenz.access": {"handlers": ["console"], "level": "WARNING" if TESTING else "INFO", "propagate": False},
    },
}
ADMINS = [("", address) for address in env_list("ADMINS", [])]

# Error reporting to a Sentry-compatible service: off unless SENTRY_DSN is set. Sends no personal
# data: no user names or addresses, no request bodies, cookies, headers or query strings, tokens
# in paths redacted, no local variables (see permissions.error_reporting).
SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN and not TESTING:
    init_error_reporting(SENTRY_DSN, environment=env_str("SENTRY_ENVIRONMENT", "production"))

# --- Serving and health ---------------------------------------------------------------------
# Health endpoints answer plain HTTP from the proxy or systemd on loopback: no HTTPS redirect.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
HEALTH_RATE_LIMIT_PER_MINUTE = env_int("HEALTH_RATE_LIMIT_PER_MINUTE", 120, minimum=1)
# manage.py backup: where backups go and how many stay there.
BACKUP_DIR = Path(env_str("BACKUP_DIR", str(DATA_DIR / "backups")))
BACKUP_KEEP = env_int("BACKUP_KEEP", 14, minimum=0)
# /health/ready fails when a queued background task has waited longer than this (no worker).
TASK_QUEUE_MAX_AGE_SECONDS = env_int("TASK_QUEUE_MAX_AGE_SECONDS", 300, minimum=10)
# manage.py task_worker writes a heartbeat this often; a task still "running" under a worker not
# heard from for TASK_WORKER_STALE_SECONDS is queued again (at most TASK_MAX_ATTEMPTS runs).
TASK_WORKER_HEARTBEAT_SECONDS = env_int("TASK_WORKER_HEARTBEAT_SECONDS", 10, minimum=1)
TASK_WORKER_STALE_SECONDS = env_int("TASK_WORKER_STALE_SECONDS", 60, minimum=2)
TASK_MAX_ATTEMPTS = env_int("TASK_MAX_ATTEMPTS", 3, minimum=1)
if TASK_WORKER_STALE_SECONDS <= TASK_WORKER_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured("TASK_WORKER_STALE_SECONDS must exceed TASK_WORKER_HEARTBEAT_SECONDS")

# Outgoing e-mail waits in the outbox until the mail server took it: a failed attempt is retried
# after OUTBOX_RETRY_BASE_SECONDS, then twice as long each time; after OUTBOX_MAX_ATTEMPTS it is
# marked failed and the convenor is told. Sent and failed entries are forgotten after
# OUTBOX_KEEP_DAYS.
OUTBOX_RETRY_BASE_SECONDS = env_int("OUTBOX_RETRY_BASE_SECONDS", 60, minimum=1)
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8, minimum=1)
OUTBOX_KEEP_DAYS = env_int("OUTBOX_KEEP_DAYS", 30, minimum=1)
