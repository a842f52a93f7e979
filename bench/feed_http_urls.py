"""Bench-only URLconf for ``feed_bench.py --http`` (via ``bench/feed_http_settings.py``): the
project's URLs plus the baseline, the feed's bytes from a plain view, mounted twice as in the
in-process mode:

- ``/static.ics``: through the full middleware stack (session, auth, CSRF, locale, CSP ...);
- ``/feeds/static/lean.ics``: among ``calendars.urls.feed_urlpatterns``, answered by
  ``calendars.middleware.FeedMiddleware`` like a feed (the stricter baseline).

The bytes are read once, at import, from ``BENCH_FEED_STATIC_FILE``. The URLconf is imported at
a worker's first request (after its middleware was built); the middleware's resolver reads the
same list object at every request, so the lean path answers from then on: the bench's first
request on each connection is ``/static.ics``."""
import os
from pathlib import Path

from django.http import HttpResponse
from django.urls import path

from calendars import urls as calendar_urls
from config import urls as project_urls

BODY = Path(os.environ["BENCH_FEED_STATIC_FILE"]).read_bytes()


def static_view(request):
    response = HttpResponse(BODY, content_type="text/calendar; charset=utf-8")
    response["ETag"] = '"static"'
    return response


if not any(p.name == "bench_lean_static" for p in calendar_urls.feed_urlpatterns):
    calendar_urls.feed_urlpatterns.insert(0, path("feeds/static/lean.ics", static_view, name="bench_lean_static"))

urlpatterns = [path("static.ics", static_view), *project_urls.urlpatterns]
