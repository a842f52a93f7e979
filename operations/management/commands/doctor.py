"""``manage.py doctor``: what is misconfigured or unreachable, one line per finding, in words an
operator can act on. Exit 1 when anything is wrong. Complements ``check --deploy`` (settings)
with the services: database, migrations, pool size, Redis, SMTP, static files, task queue, and
e-mail the outbox could not deliver (messages without a conference have no convenor to see them)."""
from __future__ import annotations

import datetime
import smtplib
import socket

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from operations.reaper import last_beat
from outbox.models import OutboxMessage


class Command(BaseCommand):
    help = "Check the configuration and the services it names; exit 1 and name each problem."

    def add_arguments(self, parser):
        parser.add_argument("--skip-smtp", action="store_true", help="do not open a connection to the mail server")

    def handle(self, *args, **options):
        problems: list[str] = []
        checks = [self.check_settings, self.check_database, self.check_pool, self.check_redis, self.check_static,
                  self.check_tasks, self.check_outbox]
        if not options["skip_smtp"]:
            checks.append(self.check_smtp)
        for check in checks:
            try:
                found = check()
            except Exception as exc:  # a check that crashes is itself a finding
                found = [f"{check.__name__.removeprefix('check_')}: {exc.__class__.__name__}: {exc}"]
            problems += found
        for problem in problems:
            self.stdout.write(f"PROBLEM {problem}")
        if problems:
            self.stdout.write(f"{len(problems)} problem(s) found")
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS("no problems found"))

    def check_settings(self) -> list[str]:
        from django.core.checks import run_checks

        messages = run_checks(include_deployment_checks=not _development())
        found = [f"settings: {m.id}: {m.msg}" for m in messages if m.level >= 30]
        if not _development() and not settings.ALLOWED_HOSTS:
            found.append("settings: ALLOWED_HOSTS is empty: every request will be refused")
        if not _development() and settings.SITE_URL.startswith("http://"):
            found.append("settings: SITE_URL is not https: links in e-mails and calendars would be sent in clear")
        if not _development() and settings.WEB_WORKERS > 1 and not settings.REDIS_URL:
            found.append("settings: WEB_WORKERS > 1 without REDIS_URL: live updates would not reach other workers")
        return found

    def check_database(self) -> list[str]:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception as exc:
            return [f"database: cannot connect ({exc.__class__.__name__}: {str(exc).strip().splitlines()[0]}); check DATABASE_URL"]
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            return [f"database: {len(plan)} migration(s) not applied; run manage.py migrate"]
        return []

    def check_pool(self) -> list[str]:
        if connection.vendor != "postgresql":
            return []
        with connection.cursor() as cursor:
            cursor.execute("SHOW max_connections")
            max_connections = int(cursor.fetchone()[0])
        pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
        if not pool:
            return ["database: DB_POOL is off: every ASGI thread keeps its own connection; turn DB_POOL on"]
        needed = settings.WEB_WORKERS * pool["max_size"] + 10  # task worker, timers, psql, reserve
        if needed > max_connections:
            return [f"database: WEB_WORKERS x DB_POOL_MAX_SIZE + 10 = {needed} exceeds PostgreSQL max_connections = {max_connections}"]
        return []

    def check_redis(self) -> list[str]:
        if not settings.REDIS_URL:
            return []
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
        except redis.RedisError as exc:
            return [f"redis: cannot reach REDIS_URL ({exc.__class__.__name__}); live updates and the shared cache are down"]
        return []

    def check_smtp(self) -> list[str]:
        backend = settings.OUTBOX_TRANSPORT_BACKEND  # EMAIL_BACKEND is the outbox; this one really sends
        if backend != "django.core.mail.backends.smtp.EmailBackend":
            return [] if _development() else [f"mail: EMAIL_URL sends no real e-mail ({backend.rsplit('.', 2)[-2]})"]
        try:
            cls = smtplib.SMTP_SSL if settings.EMAIL_USE_SSL else smtplib.SMTP
            with cls(settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=5) as smtp:
                if settings.EMAIL_USE_TLS:
                    smtp.starttls()
                if settings.EMAIL_HOST_USER:
                    smtp.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
                smtp.noop()
        except (OSError, smtplib.SMTPException, socket.timeout) as exc:
            return [f"mail: cannot use the SMTP server {settings.EMAIL_HOST}:{settings.EMAIL_PORT} ({exc.__class__.__name__})"]
        return []

    def check_outbox(self) -> list[str]:
        found = []
        failed = OutboxMessage.objects.filter(status=OutboxMessage.Status.FAILED)
        if failed.exists():
            kinds = sorted(set(failed.values_list("kind", flat=True)))
            found.append(f"mail: {failed.count()} e-mail(s) could not be delivered after the last attempt "
                         f"(kinds: {', '.join(kinds)}; log lines 'outbox: message … failed for good', audit action mail.failed)")
        limit = timezone.now() - datetime.timedelta(seconds=max(settings.OUTBOX_RETRY_BASE_SECONDS * 2, 3600))
        waiting = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, created_at__lt=limit)
        if waiting.exists():
            oldest = waiting.order_by("created_at").values_list("created_at", flat=True).first()
            found.append(f"mail: {waiting.count()} e-mail(s) waiting since {oldest:%Y-%m-%d %H:%M} UTC; "
                         "is the mail server reachable and manage.py send_outbox running?")
        return found

    def check_static(self) -> list[str]:
        if _development():
            return []
        if not (settings.STATIC_ROOT / "css" / "app.css").exists():
            return [f"static: {settings.STATIC_ROOT} has no collected files; run manage.py collectstatic"]
        return []

    def check_tasks(self) -> list[str]:
        if settings.TASK_BACKEND != "database":
            return []
        from django_tasks_db.models import DBTaskResult

        oldest = DBTaskResult.objects.ready().order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
        limit = datetime.timedelta(seconds=settings.TASK_QUEUE_MAX_AGE_SECONDS)
        beaten = last_beat()
        if beaten is None or timezone.now() - beaten > limit:
            return ["tasks: no task worker has reported within TASK_QUEUE_MAX_AGE_SECONDS; is manage.py task_worker running?"]
        if oldest is not None and timezone.now() - oldest > limit:
            return [f"tasks: a task has waited since {oldest:%Y-%m-%d %H:%M} UTC; is manage.py task_worker running?"]
        return []


def _development() -> bool:
    """Development mode (DEBUG=true), also where Django's technical pages are off (``./dev run``)."""
    return settings.DEBUG or settings.DEVELOPMENT
