"""Start the documented web command (gunicorn with uvicorn workers) and nginx for a test, on
loopback ports, against the test database and Redis; stop them afterwards. Bounded in time."""
from __future__ import annotations

import contextlib
import http.client
import os
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

from tests.operations.deployment import NGINX, ROOT, free_port, render_nginx

GUNICORN = Path(sys.executable).parent / "gunicorn"
UNVERIFIED = ssl.create_default_context()
UNVERIFIED.check_hostname = False
UNVERIFIED.verify_mode = ssl.CERT_NONE


def database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def production_env(**extra: str) -> dict[str, str]:
    from django.conf import settings

    env = {k: v for k, v in os.environ.items()
           if k not in {"FALLKONFERENZ_TESTING", "PYTEST_CURRENT_TEST", "DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG"}}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,  # sessions made by the test process must verify
        "MFA_ENCRYPTION_KEYS": ",".join(settings.MFA_ENCRYPTION_KEYS),
        "AUDIT_HMAC_KEY": settings.AUDIT_HMAC_KEY,  # its audit chains too
        "AUDIT_HEAD_JOURNAL": "false",  # no journal of the test database's chains in the checkout's data/
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CHANNELS_PREFIX": f"fk-serving-{os.getpid()}",
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "CSRF_TRUSTED_ORIGINS": "https://localhost",
        "TASK_BACKEND": "immediate",
        "EMAIL_URL": "locmem:",
        "MFA_REQUIRED_FOR_PROFESSIONALS": "false",
        "BEHIND_TLS_PROXY": "false",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        "WEB_WORKERS": "2",
        "DB_POOL_MAX_SIZE": "4",
        "TRUSTED_PROXIES": "127.0.0.1",
    })
    env.update(extra)
    return env


def wait_for(port: int, path: str = "/health/live", *, tls: bool = False, timeout: float = 40.0,
             process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            conn = (http.client.HTTPSConnection("localhost", port, context=UNVERIFIED, timeout=2) if tls
                    else http.client.HTTPConnection("127.0.0.1", port, timeout=2))
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"nothing answered on port {port} within {timeout} s")


@contextlib.contextmanager
def gunicorn(env: dict[str, str], port: int, log: Path):
    """``gunicorn -c deploy/gunicorn.conf.py config.asgi:application`` exactly as the web unit runs it."""
    env = {**env, "WEB_BIND": f"127.0.0.1:{port}"}
    with open(log, "w") as out:
        process = subprocess.Popen([str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "config.asgi:application"],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
                                   start_new_session=True)
    try:
        try:
            wait_for(port, process=process)
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"{exc}\n{log.read_text()[-3000:]}") from exc
        yield process
    finally:
        stop(process)


@contextlib.contextmanager
def nginx(workdir: Path, upstream_port: int):
    https_port, http_port = free_port(), free_port()
    conf = render_nginx(workdir, https_port=https_port, http_port=http_port, upstream_port=upstream_port,
                        static_root=ROOT / "config" / "static")
    process = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(workdir), "-e", str(workdir / "error.log"),
                                "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        wait_for(https_port, tls=True, process=process)
        yield https_port
    finally:
        stop(process)


def stop(process: subprocess.Popen, *, grace: float = 5.0) -> None:
    """Quick shutdown (SIGINT for gunicorn and nginx alike); after ``grace`` seconds the process
    group this test started is killed, so no worker outlives the test holding connections."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def worker_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def worker_serving(client_port: int, server_port: int, workers: list[int]) -> int | None:
    """Which worker process holds the server side of the TCP connection from ``client_port``."""
    wanted_local = f"0100007F:{server_port:04X}"
    wanted_remote = f"0100007F:{client_port:04X}"
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == wanted_local and fields[2] == wanted_remote:
            inode = fields[9]
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for pid in workers:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                        return pid
    return None
