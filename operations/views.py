"""Health endpoints for the proxy, systemd and monitoring, and the error page for an unreachable
database. Neither says anything about the installation: a status code and one word."""
from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.cache import never_cache
from health_check.views import HealthCheckView

from operations.health import ready_checks

logger = logging.getLogger(__name__)


def _rate_limited(request: HttpRequest) -> bool:
    """At most HEALTH_RATE_LIMIT_PER_MINUTE answers per client address and minute, counted in the
    shared cache (so across workers)."""
    key = f"health-rate:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, 60)
        count = 1
    return count > settings.HEALTH_RATE_LIMIT_PER_MINUTE


def _plain(word: str, status: int) -> HttpResponse:
    response = HttpResponse(word + "\n", content_type="text/plain; charset=utf-8", status=status)
    response["Cache-Control"] = "no-store"
    if status in (429, 503):
        response["Retry-After"] = "5"
    return response


@never_cache
def live(request: HttpRequest) -> HttpResponse:
    """The process answers requests. Checks nothing else, so a database outage does not make
    systemd or an orchestrator restart healthy web workers."""
    if _rate_limited(request):
        return _plain("too many requests", 429)
    return _plain("ok", 200)


class ReadyView(HealthCheckView):
    """Database reachable, migrations applied, Redis reachable (when configured), task queue
    moving (when tasks run in a worker). Failures are logged with their reason by the library."""

    def get_checks(self):
        self.checks = ready_checks()
        return super().get_checks()

    async def get(self, request, *args, **kwargs):
        from asgiref.sync import sync_to_async

        if await sync_to_async(_rate_limited)(request):
            return _plain("too many requests", 429)
        await super().get(request, *args, **kwargs)
        failed = [repr(result.check) for result in self.results if result.error]
        if failed:
            logger.warning("not ready: %s", "; ".join(
                f"{result.check!r}: {result.error}" for result in self.results if result.error))
            return _plain("unavailable", 503)
        return _plain("ok", 200)


ready = ReadyView.as_view()

DATABASE_DOWN = (OperationalError, InterfaceError)
# PostgreSQL says "No space left on device"; SQLite "database or disk is full", or "disk I/O
# error" when the WAL index cannot grow — then the free space of its folder decides.
DISK_FULL = ("database or disk is full", "No space left on device")
SQLITE_IO = "disk I/O error"
MIN_FREE_BYTES = 1024 * 1024


def _disk_full(exc: BaseException | None) -> bool:
    if not isinstance(exc, DatabaseError):
        return False
    message = str(exc)
    if any(sign in message for sign in DISK_FULL):
        return True
    if SQLITE_IO in message and connection.vendor == "sqlite":
        folder = Path(str(connection.settings_dict["NAME"])).parent
        try:
            return shutil.disk_usage(folder).free < MIN_FREE_BYTES
        except OSError:
            return False
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a database that is restarting or a pool with no free connection is a
    temporary condition, answered with 503 and a retry hint; a full disk with 507 and a page
    that says so (the transaction was rolled back: nothing half-written); everything else is a
    plain 500.
    The traceback goes to the log (and the error reporter), never to the client."""
    exc = sys.exc_info()[1]
    disk_full = _disk_full(exc)
    temporary = not disk_full and (isinstance(exc, DATABASE_DOWN) or _is_pool_timeout(exc))
    status = 507 if disk_full else 503 if temporary else 500
    context = {"request_id": getattr(request, "request_id", "")}
    if request.path.startswith("/api/"):
        detail = ("The server's disk is full: nothing was saved." if disk_full
                  else "Temporarily unavailable, please retry." if temporary else "Server error.")
        response = JsonResponse({"detail": detail, "request_id": context["request_id"]}, status=status)
    else:
        try:
            # No request context: its processors would read the session from the failing database.
            body = loader.get_template(f"operations/{status}.html").render(context)
        except Exception:  # the error page must never fail itself
            body = "Service temporarily unavailable" if temporary else "Server error"
        response = HttpResponse(body, status=status)
    if temporary:
        response["Retry-After"] = "5"
    return response


def _is_pool_timeout(exc: BaseException | None) -> bool:
    try:
        from psycopg_pool import PoolTimeout
    except ImportError:
        return False
    return isinstance(exc, PoolTimeout) or isinstance(getattr(exc, "__cause__", None), PoolTimeout)

