"""The shipped deploy/ files are valid: systemd units and timers pass ``systemd-analyze verify``,
the nginx site passes ``nginx -t``."""
from __future__ import annotations

import importlib
import re
import runpy
import shutil
import subprocess

import pytest
import uvicorn
from django.core.management import get_commands

from tests.operations.deployment import DEPLOY, NGINX, ROOT, free_port, render_nginx, render_units

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
JOBS = {"send-reminders", "send-outbox", "send-action-reminders", "expire-grants", "apply-retention", "verify-audit",
        "anchor-audit", "backup", "fetch-mail", "generate-processing-records", "flag-unanswered-referrals",
        "send-session-reminders", "purge-contact-requests", "send-notification-digest"}
# Commands a person runs by hand (set-up, demo data, key rotation, checks), the worker itself, and
# receive_mail (the mail server hands it one message at a time): no timer.
BY_HAND = {"seed_demo", "seed_demo_history", "seed_offers_demo", "seed_privacy_demo", "rotate_mfa_keys", "doctor",
           "task_worker", "receive_mail",
           "after_restore"}  # once, by hand, after a restore (README, "Backup and restore"); never on a timer


def test_every_scheduled_job_has_a_timer_and_a_oneshot_service():
    names = {p.name for p in (DEPLOY / "systemd").iterdir()}
    for job in JOBS:
        assert f"fallkonferenz-{job}.timer" in names and f"fallkonferenz-{job}.service" in names
        assert "Type=oneshot" in (DEPLOY / "systemd" / f"fallkonferenz-{job}.service").read_text()
    assert {"fallkonferenz-web.service", "fallkonferenz-worker.service"} <= names


def _project_commands() -> set[str]:
    return {name for name, app in get_commands().items() if (ROOT / app).is_dir()}


def test_every_timer_runs_a_command_that_exists_and_every_scheduled_command_has_a_timer():
    """A unit for a removed command fails every time its timer fires (recompute_grants went with
    the guardian copy of the policy, its timer stayed); a daily job without a timer never runs in
    production (contact requests would be kept past their time)."""
    run = set()
    for unit in (DEPLOY / "systemd").glob("fallkonferenz-*.service"):
        match = re.search(r"manage\.py (\w+)", unit.read_text())
        if match:
            run.add(match.group(1))
    commands = _project_commands()
    assert run <= set(get_commands()), run - set(get_commands())
    assert commands - BY_HAND <= run, commands - BY_HAND - run


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
def test_systemd_units_and_timers_verify(tmp_path):
    env_file = tmp_path / "env"
    env_file.write_text("DEBUG=false\n")
    units = render_units(tmp_path, env_file)
    result = subprocess.run([SYSTEMD_ANALYZE, "verify", *map(str, units)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    problems = [line for line in result.stderr.splitlines() if "fallkonferenz" in line]
    assert not problems, "\n".join(problems)


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
def test_systemd_verify_would_catch_a_broken_unit(tmp_path):
    broken = tmp_path / "fallkonferenz-broken.service"
    broken.write_text("[Service]\nExecStart=/nonexistent/gunicorn\n")
    result = subprocess.run([SYSTEMD_ANALYZE, "verify", str(broken)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (.ci/run installs Debian's nginx)")
def test_nginx_site_passes_nginx_t(tmp_path):
    conf = render_nginx(tmp_path, https_port=free_port(), http_port=free_port(), upstream_port=free_port(),
                        static_root=tmp_path)
    result = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_nginx_forwards_websockets_and_replaces_forwarded_headers():
    site = (DEPLOY / "nginx" / "fallkonferenz.conf").read_text()
    ws = site[site.index("location /ws/"):site.index("location / {")]
    assert "proxy_set_header Upgrade $http_upgrade;" in ws and "proxy_http_version 1.1;" in ws
    assert "$proxy_add_x_forwarded_for" not in site  # appending would pass on what a client claims
    assert site.count("proxy_set_header X-Forwarded-For $remote_addr;") == 2


def test_the_web_command_runs_a_worker_that_declines_websocket_compression():
    """``deploy/gunicorn.conf.py`` names ``config.workers.UvicornWorker`` (why: ``config/workers.py``);
    the live handshake through the served command is checked in ``test_serving`` (needs Redis)."""
    settings = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    module, _, name = settings["worker_class"].rpartition(".")
    worker = getattr(importlib.import_module(module), name)
    config = uvicorn.Config(app=lambda *a: None, **worker.CONFIG_KWARGS)
    assert config.ws_per_message_deflate is False
    assert uvicorn.Config(app=lambda *a: None).ws_per_message_deflate is True  # what uvicorn does unless told


def test_the_web_command_runs_on_uvloop_and_httptools():
    """Named, not ``"auto"``: without the packages the worker fails to start instead of serving
    on asyncio's loop and h11 (``config/workers.py``)."""
    settings = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    module, _, name = settings["worker_class"].rpartition(".")
    kwargs = getattr(importlib.import_module(module), name).CONFIG_KWARGS
    assert (kwargs["loop"], kwargs["http"]) == ("uvloop", "httptools")
    config = uvicorn.Config(app=lambda *a: None, **kwargs)
    loop = config.get_loop_factory()()  # what the worker's asyncio_run(..., loop_factory=...) runs on
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()
    config.load()
    assert config.http_protocol_class.__name__ == "HttpToolsProtocol"
    # the sans-I/O websocket protocol: no tasks, lock and drain per frame as the legacy one has
    assert config.ws_protocol_class.__name__ == "WebSocketsSansIOProtocol"


def test_the_web_command_opens_no_control_socket():
    """gunicorn 25+ opens a control socket at one path per user unless told not to (deploy/gunicorn.conf.py)."""
    assert runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))["control_socket_disable"] is True
