"""The production web command for the benches: ``gunicorn -c deploy/gunicorn.conf.py
config.asgi:application`` (uvicorn workers) on a free loopback port, started, awaited and stopped.
Used by ``serving.py`` and ``feed_bench.py --http``; imports nothing of the project, so a bench can
use it before or after ``django.setup()``."""
from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(env: dict[str, str], *, workers: int, log_path: str, port: int | None = None) -> tuple[subprocess.Popen, int]:
    """Start the command with ``env`` (plus WEB_BIND and WEB_WORKERS); its output goes to
    ``log_path``. Returns the process (its own session, so ``stop`` reaches the workers) and port."""
    port = port or free_port()
    log = open(log_path, "w")
    env = dict(env, WEB_BIND=f"127.0.0.1:{port}", WEB_WORKERS=str(workers))
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py",
                               "config.asgi:application"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    log.close()  # the child holds its own descriptor
    return server, port


def wait_ready(port: int, path: str = "/health/live", *, host: str = "localhost", tries: int = 200) -> None:
    """Until ``path`` answers 200 (0.2 s between tries)."""
    for _ in range(tries):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path, headers={"Host": host})
            if c.getresponse().status == 200:
                c.close()
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server on port {port} did not answer {path} with 200")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, 9)
