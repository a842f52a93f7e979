"""``./dev run``, the newcomer's first command, as she starts it from a fresh clone: the demo shows
the product's own pages when a page is missing or refused (not Django's technical 404 that lists
every URL pattern), still serves its CSS and JavaScript, and still reloads on code changes."""
from __future__ import annotations

import http.client
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests import migrated_template
from tests.operations.deployment import ROOT, free_port

pytestmark = pytest.mark.slow  # scheduled first in its group (tests/conftest.py)

# What `./dev run` gets from a newcomer's shell: nothing of the test run's settings.
DROPPED = {"FALLKONFERENZ_TESTING", "PYTEST_CURRENT_TEST", "DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG", "TECHNICAL_ERROR_PAGES",
           "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "AUDIT_HMAC_KEY", "MFA_ENCRYPTION_KEYS", "ALLOWED_HOSTS",
           "EMAIL_URL", "TASK_BACKEND", "DJANGO_SETTINGS_MODULE", "SQLITE_TEST_FILE", "PYTEST_XDIST_WORKER"}


def _get(port: int, path: str) -> tuple[int, str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Accept-Language": "de", "Accept": "text/html"})
    response = conn.getresponse()
    return response.status, response.getheader("Content-Type", ""), response.read().decode("utf-8", "replace")


@pytest.fixture
def demo(tmp_path):
    """``./dev run`` on a port of its own, its data in ``tmp_path`` (the migrated database copied in
    instead of migrating for a minute); stopped with its reloader's child afterwards."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(migrated_template.migrated_sqlite(), data / "fallkonferenz.sqlite3")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in DROPPED}
    env.update({"DATA_DIR": str(data), "PORT": str(port), "SITE_URL": f"http://127.0.0.1:{port}"})
    log = (tmp_path / "dev-run.log").open("w")
    process = subprocess.Popen([str(ROOT / "dev"), "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while True:
            assert process.poll() is None, (tmp_path / "dev-run.log").read_text()[-3000:]
            assert time.monotonic() < deadline, (tmp_path / "dev-run.log").read_text()[-3000:]
            try:
                if _get(port, "/health/live")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        yield port, tmp_path / "dev-run.log"
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the session it started in: the server and its reloader's child
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)
        log.close()


def test_the_demo_shows_the_products_pages_and_still_serves_its_static_files(demo):
    port, log = demo
    status, _type, page = _get(port, "/no-such-page/")
    assert status == 404
    assert '<html lang="de">' in page and "Seite nicht gefunden" in page
    assert "Using the URLconf" not in page and "URL patterns" not in page and "DEBUG = True" not in page
    status, _type, page = _get(port, "/directory/999999/")  # a view's own 404: the same page
    assert status == 404 and "Seite nicht gefunden" in page and "Using the URLconf" not in page
    status, content_type, css = _get(port, "/static/css/app.css")
    assert status == 200 and content_type.startswith("text/css") and css.strip()
    assert "Watching for file changes" in log.read_text()  # it still reloads on code changes
