"""Gunicorn settings for the web service: WEB_WORKERS uvicorn workers (pages, API, websockets)
behind one address. Read by ``gunicorn -c deploy/gunicorn.conf.py config.asgi:application``.

X-Forwarded-For and X-Forwarded-Proto are honoured only from TRUSTED_PROXIES (uvicorn's proxy
header handling): the client address and https are taken from the proxy, never from a client that
reaches the port directly.
"""
import os

bind = os.environ.get("WEB_BIND", "127.0.0.1:8001")
workers = int(os.environ.get("WEB_WORKERS", "2"))
# uvicorn's worker on uvloop and httptools, with websocket compression declined (config/workers.py says why).
worker_class = "config.workers.UvicornWorker"
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "127.0.0.1,::1")
# A worker that does not answer its heartbeat for this long is replaced (a blocked event loop).
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 20
keepalive = 5
# Access lines come from the application (request id, user id, redacted path); gunicorn's own
# would print query strings and client addresses.
accesslog = None
errorlog = "-"
# Load the application once per worker, after the fork: each worker gets its own database pool.
preload_app = False
# gunicorn's control socket (``gunicornc``: change the worker count, reload, stop) is off: systemd
# manages the service by signals, and every gunicorn of a user shares one default path
# (``$HOME/.gunicorn/gunicorn.ctl``), so a second instance on the host (staging, a benchmark, the
# tests) took it over and removed it when it stopped.
control_socket_disable = True
