"""Fan-out of one protocol edit to 50 connected sockets.

1. In-memory channel layer, one process: 50 ``WebsocketCommunicator`` sockets on one protocol.
2. Redis channel layer (channels_redis, redis://127.0.0.1:6379/0), two Daphne server processes
   on 127.0.0.1 sharing Redis and a throwaway SQLite file, 25 real websocket clients on each;
   the edit is made by this process, which shares the Redis layer.

Prints the time from the start of the edit to the last delivery (the edit includes the DB write
and audit event) and the SQL queries each recipient's socket spends per event (it re-reads the
item through the policy for its own user). Run: ``.venv/bin/python bench/ws_fanout.py``
(``--no-redis`` skips part 2).
"""
from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_FILE = Path("/tmp/fallkonferenz-bench-ws.sqlite3")
REDIS = "redis://127.0.0.1:6379/0"
PREFIX = f"fk-bench-ws-{os.getpid()}"
SOCKETS = 50

sys.path.insert(0, str(ROOT))
os.environ.update({"DEBUG": "true", "DATABASE_URL": f"sqlite:///{DB_FILE}", "DJANGO_SETTINGS_MODULE": "config.settings",
                   "MFA_REQUIRED_FOR_PROFESSIONALS": "false", "LOG_LEVEL": "WARNING"})
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from channels.db import database_sync_to_async  # noqa: E402
from channels.layers import channel_layers  # noqa: E402
from channels.routing import URLRouter  # noqa: E402
from channels.testing import WebsocketCommunicator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from protocols import selectors, services  # noqa: E402
from protocols.models import ProtocolItem  # noqa: E402
from tests.world import build_world  # noqa: E402


def prepare():
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB_FILE}{suffix}").unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    world = build_world()
    readers = [world.convenor, world.lead_colleague, world.counsellor, world.midwife, world.parent]
    return world, readers


def queries_per_recipient(user, item_id: int) -> int:
    with CaptureQueriesContext(connection) as ctx:
        item = selectors.items_for_user(user).filter(pk=item_id).first()
        selectors.item_payload(item)
    return len(ctx.captured_queries)


async def edit(world, text: str) -> float:
    item = await database_sync_to_async(ProtocolItem.objects.get)(pk=world.item_everyone.pk)
    start = time.perf_counter()
    await database_sync_to_async(services.item_update)(world.convenor, item=item, version=item.version, text=text)
    return start


# --- part 1: in-memory layer ---------------------------------------------------------------

async def in_memory(world, readers) -> dict:
    app = URLRouter(websocket_urlpatterns)
    sockets = []
    for n in range(SOCKETS):
        communicator = WebsocketCommunicator(app, f"/ws/protocols/{world.protocol.pk}/")
        communicator.scope["user"] = readers[n % len(readers)]
        connected, _ = await communicator.connect(timeout=10)
        assert connected
        sockets.append(communicator)
    for communicator in sockets:  # drain hello and presence chatter
        while not await communicator.receive_nothing(timeout=0.05):
            await communicator.receive_from()

    async def wait_item(communicator) -> float:
        while True:
            message = json.loads(await communicator.receive_from(timeout=30))
            if message["type"] == "item":
                return time.perf_counter()

    waiters = [asyncio.ensure_future(wait_item(c)) for c in sockets]
    start = await edit(world, "In-memory fan-out")
    times = await asyncio.gather(*waiters)
    for communicator in sockets:
        await communicator.disconnect()
    return {"last": max(times) - start, "median": statistics.median(times) - start}


# --- part 2: Redis, two Daphne processes --------------------------------------------------

class RawWebsocket:
    """Just enough of RFC 6455 for a benchmark client: handshake, masked text out, frames in."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port: int, path: str, cookie: str) -> "RawWebsocket":
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:{port}\r\n"
                      f"Cookie: {cookie}\r\n\r\n").encode())
        status = await reader.readuntil(b"\r\n\r\n")
        if b" 101 " not in status.split(b"\r\n", 1)[0]:
            raise RuntimeError(status.decode(errors="replace"))
        return cls(reader, writer)

    async def receive(self) -> dict | None:
        head = await self.reader.readexactly(2)
        opcode, length = head[0] & 0x0F, head[1] & 0x7F
        if length == 126:
            length = int.from_bytes(await self.reader.readexactly(2), "big")
        elif length == 127:
            length = int.from_bytes(await self.reader.readexactly(8), "big")
        payload = await self.reader.readexactly(length)
        if opcode == 8:
            raise ConnectionError(f"closed {int.from_bytes(payload[:2], 'big') if payload else ''}")
        return json.loads(payload) if opcode == 1 else None

    def close(self) -> None:
        self.writer.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_daphne(port: int) -> subprocess.Popen:
    env = {**os.environ, "REDIS_URL": REDIS, "CHANNELS_PREFIX": PREFIX}
    process = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(f"/tmp/fk-bench-daphne-{port}.log", "w"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("daphne did not start")


def session_cookies(readers) -> list[str]:
    cookies = []
    for user in readers:
        client = Client()
        client.force_login(user)
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}")
    return cookies


async def with_redis(world, cookies) -> dict:
    ports = [free_port(), free_port()]
    servers = [start_daphne(port) for port in ports]
    try:
        path = f"/ws/protocols/{world.protocol.pk}/"
        sockets = [await RawWebsocket.connect(ports[n % 2], path, cookies[n % len(cookies)]) for n in range(SOCKETS)]
        for ws in sockets:
            assert (await asyncio.wait_for(ws.receive(), 10))["type"] == "hello"
        await asyncio.sleep(2)  # let presence chatter settle

        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                               "CONFIG": {"hosts": [REDIS], "prefix": PREFIX}}}
        channel_layers.backends.clear()

        async def wait_item(ws) -> float:
            while True:
                message = await ws.receive()
                if message and message["type"] == "item":
                    return time.perf_counter()

        waiters = [asyncio.ensure_future(wait_item(ws)) for ws in sockets]
        await asyncio.sleep(0)
        start = await edit(world, "Redis fan-out")
        times = await asyncio.wait_for(asyncio.gather(*waiters), 60)
        for ws in sockets:
            ws.close()
        return {"last": max(times) - start, "median": statistics.median(times) - start}
    finally:
        for process in servers:
            process.terminate()
            process.wait(timeout=10)


def main() -> None:
    world, readers = prepare()
    print(f"SQL queries per recipient socket per item event: {queries_per_recipient(world.counsellor, world.item_everyone.pk)}")
    result = asyncio.run(in_memory(world, readers))
    print(f"in-memory layer, 1 process, {SOCKETS} sockets: last delivery {result['last'] * 1000:.0f} ms "
          f"(median {result['median'] * 1000:.0f} ms) after the edit started")
    if "--no-redis" in sys.argv:
        return
    result = asyncio.run(with_redis(world, session_cookies(readers)))
    print(f"Redis layer, 2 daphne processes, {SOCKETS} sockets: last delivery {result['last'] * 1000:.0f} ms "
          f"(median {result['median'] * 1000:.0f} ms) after the edit started")


if __name__ == "__main__":
    main()
