"""The documented production command — gunicorn with 2 uvicorn workers — behind the shipped nginx
site, on PostgreSQL and Redis: a page, the API, a websocket, a feed and a static file answer
through the proxy, and a live-protocol message from a socket on one worker reaches a socket on
the other. Skipped (with the reason) where PostgreSQL, Redis or nginx are not there."""
from __future__ import annotations

import http.client
import json
import os
import time

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from tests.operations.deployment import NGINX, free_port
from tests.operations.servers import UNVERIFIED, gunicorn, nginx, production_env, worker_pids, worker_serving

websockets_sync = pytest.importorskip("websockets.sync.client")


def require_services() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://… (.ci/run's second run does)")
    if not settings.REDIS_URL:
        pytest.skip("needs Redis: run with REDIS_URL=redis://… (.ci/run's second run does)")
    if NGINX is None:
        pytest.skip("needs Debian's nginx (.ci/run installs it)")


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def get(port: int, path: str, cookie: str = "", *, tls: bool = True, source: str | None = None, headers=None):
    conn = (http.client.HTTPSConnection("localhost", port, context=UNVERIFIED, timeout=15) if tls
            else http.client.HTTPConnection("127.0.0.1", port, timeout=15, source_address=(source, 0) if source else None))
    all_headers = {"Cookie": f"sessionid={cookie}"} if cookie else {}
    all_headers.update(headers or {})
    conn.request("GET", path, headers=all_headers)
    response = conn.getresponse()
    return response.status, response.headers, response.read()  # header names in any case, as HTTP has them


def receive_until(ws, predicate, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if predicate(message):
            return message


@pytest.mark.django_db(transaction=True)
def test_two_workers_behind_nginx_serve_pages_api_feeds_and_websockets(world, tmp_path):
    require_services()
    from calendars.services import feed_token_create

    _token, raw_feed_token = feed_token_create(world.counsellor)
    convenor, colleague = session_cookie(world.convenor), session_cookie(world.lead_colleague)
    web_port = free_port()
    with gunicorn(production_env(), web_port, tmp_path / "gunicorn.log") as web, nginx(tmp_path, web_port) as port:
        # a page, through TLS at the proxy: X-Forwarded-Proto from nginx is honoured, no redirect
        status, headers, body = get(port, f"/cases/{world.case.pk}/", convenor)
        assert status == 200 and world.case.reference.encode() in body
        assert len(headers["X-Request-ID"]) >= 16
        # the API
        status, _, body = get(port, "/api/cases/", convenor)
        assert status == 200 and world.case.reference in body.decode()
        # the feed
        status, headers, body = get(port, f"/feeds/{raw_feed_token}.ics")
        assert status == 200 and body.startswith(b"BEGIN:VCALENDAR")
        # a static file, from nginx itself
        status, _, body = get(port, "/static/css/app.css")
        assert status == 200 and body
        # a websocket through the proxy
        with websockets_sync.connect(f"wss://localhost:{port}/ws/protocols/{world.protocol.pk}/", ssl=UNVERIFIED,
                                     additional_headers={"Cookie": f"sessionid={convenor}"},
                                     origin=f"https://localhost:{port}", open_timeout=10) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"
            # the client offered compression, as browsers do; the server declines it (config/workers.py)
            assert "permessage-deflate" in ws.request.headers["Sec-WebSocket-Extensions"]
            assert "Sec-WebSocket-Extensions" not in ws.response.headers

        # the same forwarded header from a client that is not the configured proxy is ignored
        status, headers, _ = get(web_port, f"/cases/{world.case.pk}/", convenor, tls=False, source="127.0.0.2",
                                 headers={"X-Forwarded-Proto": "https", "Host": "localhost"})
        assert status == 301 and headers["Location"].startswith("https://")

        # a message from a socket on worker 1 reaches a socket on worker 2 (through Redis)
        sender, receiver = sockets_on_two_workers(web.pid, web_port, world.protocol.pk, convenor, colleague)
        try:
            sender.send(json.dumps({"type": "item_create", "title": "Cross-worker item", "audience": "professionals"}))
            got = receive_until(receiver, lambda m: m.get("type") == "item" and m["item"]["title"] == "Cross-worker item")
            assert got["item"]["title"] == "Cross-worker item"
        finally:
            sender.close()
            receiver.close()


def sockets_on_two_workers(master_pid: int, port: int, protocol_id: int, sender_cookie: str, receiver_cookie: str):
    """Open sockets directly at gunicorn until the sender's and the receiver's sit on different
    workers (the kernel decides which worker accepts; a few tries suffice)."""
    workers = worker_pids(master_pid)
    assert len(workers) == 2, workers
    url = f"ws://127.0.0.1:{port}/ws/protocols/{protocol_id}/"
    opened, by_worker = [], {}
    try:
        for attempt in range(24):
            cookie = sender_cookie if attempt % 2 == 0 else receiver_cookie
            ws = websockets_sync.connect(url, additional_headers={"Cookie": f"sessionid={cookie}"},
                                         origin=f"http://127.0.0.1:{port}", open_timeout=10).__enter__()
            opened.append(ws)
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"
            pid = worker_serving(ws.socket.getsockname()[1], port, workers)
            by_worker.setdefault((cookie, pid), ws)
            for pid_a in workers:
                for pid_b in workers:
                    if pid_a != pid_b and (sender_cookie, pid_a) in by_worker and (receiver_cookie, pid_b) in by_worker:
                        sender, receiver = by_worker[(sender_cookie, pid_a)], by_worker[(receiver_cookie, pid_b)]
                        for other in opened:
                            if other is not sender and other is not receiver:
                                other.close()
                        return sender, receiver
        raise AssertionError(f"all sockets landed on one worker: {sorted(set(p for _, p in by_worker))}")
    except BaseException:
        for ws in opened:
            ws.close()
        raise


