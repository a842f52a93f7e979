"""Redis stops during a live protocol (a Redis of the test's own, on a loopback port), under the
documented web command with 2 workers: pages, the API and feeds keep answering; the live channel
drops; when Redis returns, a client that reconnects and sends ``sync`` (what live.js does) gets
every item written meanwhile, and live updates flow again between the workers."""
from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import shutil
import subprocess
import time

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from permissions.channel_layer import PubSubChannelLayer
from protocols import presence
from tests.operations.deployment import free_port
from tests.operations.servers import gunicorn, production_env, stop

websockets_sync = pytest.importorskip("websockets.sync.client")
from websockets.exceptions import ConnectionClosed  # noqa: E402
REDIS_SERVER = shutil.which("redis-server")


@contextlib.contextmanager
def redis_server(port: int):
    process = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            with __import__("socket").create_connection(("127.0.0.1", port), timeout=0.5):
                break
        time.sleep(0.05)
    try:
        yield process
    finally:
        stop(process, grace=2)


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def get(port: int, path: str, cookie: str = "") -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}", "Host": "localhost"} if cookie else {"Host": "localhost"})
    response = conn.getresponse()
    response.read()
    return response.status


CSRF = "a" * 32  # an unmasked CSRF secret: cookie and header must match


def post_item(port: int, cookie: str, protocol_id: int, title: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    body = json.dumps({"protocol": protocol_id, "title": title, "text": "", "audience": "professionals"})
    conn.request("POST", "/api/protocol-items/", body=body, headers={
        "Cookie": f"sessionid={cookie}; csrftoken={CSRF}", "X-CSRFToken": CSRF, "Host": "localhost",
        "Origin": "http://localhost", "Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    return response.status


def open_socket(port: int, protocol_id: int, cookie: str):
    ws = websockets_sync.connect(f"ws://127.0.0.1:{port}/ws/protocols/{protocol_id}/",
                                 additional_headers={"Cookie": f"sessionid={cookie}"},
                                 origin=f"http://127.0.0.1:{port}", open_timeout=10).__enter__()
    hello = json.loads(ws.recv(timeout=10))
    assert hello["type"] == "hello"
    return ws, hello


def wait_for(ws, predicate, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if predicate(message):
            return message


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("layer", ["core", "pubsub"])  # CHANNELS_REDIS_LAYER: both keep this contract
def test_pages_api_and_feeds_survive_a_redis_outage_and_live_clients_catch_up(world, tmp_path, layer):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://… (.ci/run's second run does)")
    if REDIS_SERVER is None:
        pytest.skip("needs redis-server (Debian: apt-get install redis-server)")
    from calendars.services import feed_token_create

    _token, feed = feed_token_create(world.counsellor)
    writer, reader = session_cookie(world.convenor), session_cookie(world.lead_colleague)
    redis_port, web_port = free_port(), free_port()
    env = production_env(REDIS_URL=f"redis://127.0.0.1:{redis_port}/0", SECURE_SSL_REDIRECT="false", SECURE_COOKIES="false",
                         CHANNELS_REDIS_LAYER=layer)
    with redis_server(redis_port) as redis, gunicorn(env, web_port, tmp_path / "gunicorn.log"):
        sender, _ = open_socket(web_port, world.protocol.pk, writer)
        receiver, hello = open_socket(web_port, world.protocol.pk, reader)
        known = {str(item["id"]): item["version"] for item in hello["items"]}

        stop(redis, grace=2)  # Redis goes away in the middle of the conference

        for path, cookie in ((f"/cases/{world.case.pk}/", writer), ("/api/cases/", writer),
                             (f"/protocols/{world.protocol.pk}/", reader), (f"/feeds/{feed}.ics", "")):
            assert get(web_port, path, cookie) == 200, path
        # the minute-taker keeps writing (through the API while the live channel is down)
        assert post_item(web_port, writer, world.protocol.pk, "Written while Redis was down") == 201
        # the live channel has dropped its sockets: live.js shows "offline" and retries
        with pytest.raises(ConnectionClosed):
            wait_for(receiver, lambda m: False, timeout=10)
        assert get(web_port, "/health/ready") == 503  # the operator sees it

        with redis_server(redis_port):  # Redis returns on the same address
            for ws in (sender, receiver):
                ws.close()
            sender, _ = open_socket(web_port, world.protocol.pk, writer)
            receiver, _ = open_socket(web_port, world.protocol.pk, reader)
            receiver.send(json.dumps({"type": "sync", "versions": known}))
            caught_up = wait_for(receiver, lambda m: m.get("type") == "sync")
            assert "Written while Redis was down" in [item["title"] for item in caught_up["items"]]
            sender.send(json.dumps({"type": "item_create", "title": "Live again", "audience": "professionals"}))
            live = wait_for(receiver, lambda m: m.get("type") == "item" and m["item"]["title"] == "Live again")
            assert live["item"]["title"] == "Live again"
            sender.close()
            receiver.close()


async def test_the_pub_sub_layer_tells_its_consumers_when_its_redis_connection_is_lost_and_delivers_again_after():
    """``permissions.channel_layer``: a message published while a process is not subscribed is lost
    (pub/sub keeps nothing), so every consumer of the process is told ``channel_layer.lost`` at the
    first failure (once, not once per retry) and, when Redis returns, group messages flow again."""
    if REDIS_SERVER is None:
        pytest.skip("needs redis-server (Debian: apt-get install redis-server)")
    port = free_port()
    got: list[dict] = []

    async def until(predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not predicate() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return predicate()

    with redis_server(port) as redis:
        layer = PubSubChannelLayer(hosts=[{"address": f"redis://127.0.0.1:{port}/0", "health_check_interval": 1}],
                                   prefix=f"fk-test-layer-{os.getpid()}")
        channel = await layer.new_channel()
        await layer.group_add("protocol.1", channel)

        async def consume():  # as a consumer does: one receive after the other, never cancelled midway
            while True:
                got.append(await layer.receive(channel))

        consumer = asyncio.ensure_future(consume())
        try:
            await layer.group_send("protocol.1", {"type": "item.changed", "n": 1})
            assert await until(lambda: got, 5) and got == [{"type": "item.changed", "n": 1}]

            stop(redis, grace=2)
            assert await until(lambda: len(got) > 1, 10) and got[1] == {"type": "channel_layer.lost"}
            await asyncio.sleep(2.5)  # the receive loop retries every second meanwhile
            assert len(got) == 2, got  # told once per outage, not at every retry

            with redis_server(port):
                deadline = time.monotonic() + 15
                while len(got) == 2 and time.monotonic() < deadline:  # re-subscribed by redis-py on reconnect
                    with contextlib.suppress(Exception):
                        await layer.group_send("protocol.1", {"type": "item.changed", "n": 2})
                    await until(lambda: len(got) > 2, 0.5)
                assert got[2:3] == [{"type": "item.changed", "n": 2}]
        finally:
            consumer.cancel()
            with contextlib.suppress(BaseException):
                await consumer
            with contextlib.suppress(Exception):
                await layer.flush()


async def test_with_the_pub_sub_layer_the_presence_roster_is_in_redis_for_every_server_process():
    """``protocols.presence`` keeps the roster beside the layer: with the pub/sub layer a Redis hash
    too (on the shard's client), so a socket on another process (another layer instance) sees it."""
    if REDIS_SERVER is None:
        pytest.skip("needs redis-server (Debian: apt-get install redis-server)")
    port = free_port()
    with redis_server(port):
        hosts = [{"address": f"redis://127.0.0.1:{port}/0"}]
        prefix = f"fk-test-presence-{os.getpid()}"
        one, other = PubSubChannelLayer(hosts=hosts, prefix=prefix), PubSubChannelLayer(hosts=hosts, prefix=prefix)
        try:
            await presence.add(one, "protocol.1", "specific.a", user_id=7, name="Anna Beispiel")
            assert await presence.roster(other, "protocol.1") == {"specific.a": {"user_id": 7, "name": "Anna Beispiel"}}
            await presence.remove(other, "protocol.1", "specific.a")
            assert await presence.roster(one, "protocol.1") == {}
        finally:
            await one.flush()
            await other.flush()
