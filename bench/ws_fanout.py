"""Fan-out of one protocol edit to many connected sockets.

1. In-memory channel layer, one process: 50 ``WebsocketCommunicator`` sockets on one protocol;
   prints the time to the last delivery and the SQL queries each recipient's socket spends per
   event ((queries of an edit with 50 sockets - the same edit with none) / 50), for an item for
   everyone and a restricted item (a socket asks the policy once for an item she might read by consent).
2. Redis channel layer (``BENCH_REDIS_URL``, default redis://127.0.0.1:6379/14), two Daphne
   processes sharing Redis and a throwaway SQLite file (or
   ``BENCH_DATABASE_URL``, e.g. an empty PostgreSQL database: it is flushed), N real websocket clients split over both
   (``--sockets=500 --sockets=1000`` by default), joined 25 at a time so joins overlap. One edit of
   the item for everyone, made by this process through the same layer, must reach every socket:
   ``drops`` = sockets that never got their hello + sockets closed while joining + sockets that
   missed the item (goal 0). ``p99`` is from the start of the edit (DB write and audit event
   included) to the 99th percentile delivery (goal <= 50 ms at 500), printed beside a baseline
   measured in the same run: a ping round trip on one socket of the same servers.
   ``--layer=core`` (default), ``--layer=pubsub`` or both (``--layer=core --layer=pubsub``, an A/B in
   the same run, one after the other at each size): the channel layer of the Daphne processes and
   of the sender, ``channels_redis.core.RedisChannelLayer`` or the pub/sub layer (``permissions.channel_layer``)
   (the setting ``CHANNELS_REDIS_LAYER``).
Run: ``.venv/bin/python bench/ws_fanout.py [--redis-only] [--no-redis] [--sockets=N ...] [--layer=core|pubsub ...]``.
"""
from __future__ import annotations

import asyncio
import base64
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_FILE = Path("/tmp/fallkonferenz-bench-ws.sqlite3")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
PREFIX = f"fk-bench-ws-{os.getpid()}"
SOCKETS = 50
EDITS = 3  # measured edits per size after one warm-up edit; the figures are those of the median p99

sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{DB_FILE}")  # e.g. a throwaway PostgreSQL db
# Production settings (DEBUG off: no query log kept per connection), as issue 13 measured them.
os.environ.update({"DEBUG": "false", "DATABASE_URL": DATABASE_URL, "DJANGO_SETTINGS_MODULE": "config.settings",
                   "SECRET_KEY": "bench-only-" + "x" * 50, "AUDIT_HMAC_KEY": "bench-only-" + "y" * 40,
                   "SECURE_COOKIES": "false", "SECURE_SSL_REDIRECT": "false", "BEHIND_TLS_PROXY": "false",
                   "EMAIL_URL": "locmem:", "TASK_BACKEND": "immediate", "ALLOWED_HOSTS": "127.0.0.1,testserver",
                   "MFA_REQUIRED_FOR_PROFESSIONALS": "false", "LOG_LEVEL": "WARNING",
                   "MFA_ENCRYPTION_KEYS": "ZmFsbGtvbmZlcmVuei1iZW5jaC1zZXJ2aW5nLWtleTA="})
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
from protocols.api.serializers import item_payload  # noqa: E402
from protocols.models import ProtocolItem  # noqa: E402
from tests.websocket.sessions import live_scope  # noqa: E402
from tests.world import build_world  # noqa: E402


def prepare():
    if not DATABASE_URL.startswith("sqlite"):
        call_command("flush", interactive=False, verbosity=0) if _migrated() else None
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB_FILE}{suffix}").unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    world = build_world()
    readers = [world.convenor, world.lead_colleague, world.counsellor, world.midwife, world.parent]
    return world, readers


def _migrated() -> bool:
    return "django_migrations" in connection.introspection.table_names()


def queries_of_old_design(user, item_id: int) -> int:
    """What a socket spent per event before events carried the item: a policy re-read with prefetches."""
    with CaptureQueriesContext(connection) as ctx:
        item = selectors.items_for_user(user).filter(pk=item_id).first()
        item_payload(item)
    return len(ctx.captured_queries)


class QueryCounter:
    """Counts SQL statements in every thread of this process (consumers run in a thread pool)."""

    count = 0

    @classmethod
    def install(cls) -> None:
        from django.db.backends import utils

        original, original_many = utils.CursorWrapper.execute, utils.CursorWrapper.executemany

        def execute(self, *args, **kwargs):
            cls.count += 1
            return original(self, *args, **kwargs)

        def executemany(self, *args, **kwargs):
            cls.count += 1
            return original_many(self, *args, **kwargs)

        utils.CursorWrapper.execute, utils.CursorWrapper.executemany = execute, executemany


EDIT_DONE: list[float] = []  # when each edit's service call returned (written, committed, event sent)


async def edit(world, text: str, item_id: int | None = None) -> float:
    item = await database_sync_to_async(ProtocolItem.objects.get)(pk=item_id or world.item_everyone.pk)
    start = time.perf_counter()
    await database_sync_to_async(services.item_update)(world.convenor, item=item, version=item.version, text=text)
    EDIT_DONE.append(time.perf_counter())
    return start


async def edit_queries_without_sockets(world, item_id: int) -> int:
    counts = []
    for _ in range(3):  # the first edit of a process warms caches (content types, permissions)
        before = QueryCounter.count
        await edit(world, f"baseline {time.perf_counter()}", item_id)
        await asyncio.sleep(0.2)
        counts.append(QueryCounter.count - before)
    return min(counts)


# --- part 1: in-memory layer ---------------------------------------------------------------

async def in_memory(world, readers, item_id: int) -> dict:
    baseline = await edit_queries_without_sockets(world, item_id)
    app = URLRouter(websocket_urlpatterns)
    sockets = []
    for n in range(SOCKETS):
        communicator = WebsocketCommunicator(app, f"/ws/protocols/{world.protocol.pk}/")
        await live_scope(communicator, readers[n % len(readers)])
        connected, _ = await communicator.connect(timeout=10)
        assert connected
        sockets.append(communicator)
    for communicator in sockets:  # drain hello and presence chatter
        while not await communicator.receive_nothing(timeout=0.05):
            await communicator.receive_from()

    async def wait_item(communicator) -> float | None:
        while not await communicator.receive_nothing(timeout=1.0):  # readers without access get nothing
            message = json.loads(await communicator.receive_from(timeout=30))
            if message["type"] == "item":
                return time.perf_counter()
        return None

    waiters = [asyncio.ensure_future(wait_item(c)) for c in sockets]
    await asyncio.sleep(0)
    before = QueryCounter.count
    start = await edit(world, f"In-memory fan-out {start_marker()}", item_id)
    times = [t for t in await asyncio.gather(*waiters) if t is not None]
    queries = QueryCounter.count - before
    for communicator in sockets:
        await communicator.disconnect()
    return {"last": max(times) - start, "median": statistics.median(times) - start, "delivered": len(times),
            "per_recipient": (queries - baseline) / SOCKETS}


def start_marker() -> str:
    return f"{time.perf_counter():.6f}"


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
        if opcode == 9:  # Daphne pings every 20 s and closes a socket that does not answer within 30 s
            self.send_frame(0xA, payload)
        return json.loads(payload) if opcode == 1 else None

    def send_frame(self, opcode: int, payload: bytes) -> None:
        """One masked frame (clients must mask); payloads here are short (< 126 bytes)."""
        mask = os.urandom(4)
        self.writer.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask
                          + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def close(self) -> None:
        self.writer.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


LAYERS = {"core": "channels_redis.core.RedisChannelLayer", "pubsub": "permissions.channel_layer.PubSubChannelLayer"}


def start_daphne(port: int, layer: str) -> subprocess.Popen:
    env = {**os.environ, "REDIS_URL": REDIS, "CHANNELS_PREFIX": PREFIX, "CHANNELS_REDIS_LAYER": layer}
    process = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                                # the bench client reads a socket only after all have joined (minutes
                                # at 1,000), so it cannot answer Daphne's keepalive pings in time
                                "--ping-timeout", "900", "config.asgi:application"],
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


def cpu_seconds(processes) -> float:
    """User + system CPU time the processes have used (``/proc/<pid>/stat``): what the fan-out
    costs the servers, less sensitive to other load on the machine than a latency."""
    total = 0
    for process in processes:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15, in clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def session_cookies(readers) -> list[str]:
    cookies = []
    for user in readers:
        client = Client()
        client.force_login(user)
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}")
    return cookies


async def connect_all(ports, path: str, cookies, count: int, *, batch: int = 25) -> tuple[list, int]:
    """Open ``count`` sockets, ``batch`` at a time (joins overlap as when a conference starts);
    returns the sockets that got their hello and the number that did not (a drop)."""
    async def one(n):
        try:
            ws = await RawWebsocket.connect(ports[n % len(ports)], path, cookies[n % len(cookies)])
            while (message := await asyncio.wait_for(ws.receive(), 30)) is None:  # a keepalive ping
                pass
            if message["type"] == "hello":
                return ws
        except (OSError, ConnectionError, RuntimeError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            return None
        return None

    sockets = []
    for first in range(0, count, batch):
        sockets += await asyncio.gather(*(one(n) for n in range(first, min(count, first + batch))))
    alive = [ws for ws in sockets if ws is not None]
    return alive, count - len(alive)


async def drain(ws) -> bool:
    """Read presence chatter until the socket has been quiet for a while; False if it closed."""
    while True:
        try:
            await asyncio.wait_for(ws.receive(), 1.0)
        except asyncio.TimeoutError:
            return True
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            print(f"socket lost while joining: {exc or type(exc).__name__}", file=sys.stderr)
            return False


async def ping_rtt(ws, rounds: int = 20) -> float:
    """Baseline: median round trip of a ping through the same server and socket, no fan-out."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        ws.send_frame(0x1, json.dumps({"type": "ping"}).encode())
        while (message := await asyncio.wait_for(ws.receive(), 10)) is None or message["type"] != "pong":
            pass
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def with_redis(world, cookies, item_id: int, count: int, layer: str = "core") -> dict:
    ports = [free_port(), free_port()]
    servers = [start_daphne(port, layer) for port in ports]
    try:
        path = f"/ws/protocols/{world.protocol.pk}/"
        join_start = time.perf_counter()
        sockets, failed = await connect_all(ports, path, cookies, count)
        join_seconds = time.perf_counter() - join_start
        quiet = await asyncio.gather(*(drain(ws) for ws in sockets))  # let presence chatter settle
        closed = quiet.count(False)
        sockets = [ws for ws, ok in zip(sockets, quiet) if ok]
        baseline = await ping_rtt(sockets[0]) if sockets else float("nan")

        settings.CHANNEL_LAYERS = {"default": {"BACKEND": LAYERS[layer],
                                               "CONFIG": {"hosts": [REDIS], "prefix": PREFIX}}}
        channel_layers.backends.clear()

        async def wait_item(ws) -> float | None:
            try:
                while True:
                    message = await asyncio.wait_for(ws.receive(), 10)
                    if message and message["type"] == "item":
                        return time.perf_counter()
            except (asyncio.TimeoutError, ConnectionError, asyncio.IncompleteReadError):
                return None

        rounds, missed = [], 0
        for round_no in range(1 + EDITS):  # the first edit warms the sending process (connections, caches)
            waiters = [asyncio.ensure_future(wait_item(ws)) for ws in sockets]
            await asyncio.sleep(0)
            cpu_before = cpu_seconds(servers)
            start = await edit(world, f"Redis fan-out {start_marker()}", item_id)
            edit_done = EDIT_DONE[-1]
            received = await asyncio.wait_for(asyncio.gather(*waiters), 120)
            server_cpu = cpu_seconds(servers) - cpu_before
            missed += received.count(None)
            times = sorted(t - start for t in received if t is not None)
            if round_no and times:
                rounds.append({"p99": times[max(0, math.ceil(len(times) * 0.99) - 1)], "median": statistics.median(times),
                               "first": times[0], "edit": edit_done - start, "cpu": server_cpu})
            await asyncio.sleep(1.0)  # edits come at a person's pace; the deliveries' audit batch is written meanwhile
        for ws in sockets:
            ws.close()
        middle = sorted(rounds, key=lambda r: r["p99"])[len(rounds) // 2] if rounds else {}
        nan = float("nan")
        return {"sockets": count, "layer": layer, "failed_join": failed, "closed": closed, "missed": missed,
                "drops": failed + closed + missed, "p99": middle.get("p99", nan), "median": middle.get("median", nan),
                "edit": middle.get("edit", nan), "first": middle.get("first", nan), "baseline": baseline,
                "all_p99": [r["p99"] for r in rounds], "join_seconds": join_seconds,
                "cpu": statistics.median(r["cpu"] for r in rounds) if rounds else nan}
    finally:
        for process in servers:
            process.terminate()
            process.wait(timeout=30)


def report_redis(result: dict) -> None:
    n, layer = result["sockets"], result["layer"]
    print(f"ws fan-out, Redis ({layer} layer) + 2 daphne, {n} sockets (joined in {result['join_seconds']:.1f} s): drops {result['drops']} "
          f"(failed join {result['failed_join']}, closed {result['closed']}, deliveries missed over {1 + EDITS} edits {result['missed']}) "
          f"(goal 0) {'PASS' if result['drops'] == 0 else 'FAIL'}")
    goal = "p99 <= 50 ms" if n <= 500 else "no goal above 500 sockets"
    verdict = ("PASS" if result["p99"] * 1000 <= 50 else "FAIL") if n <= 500 else "INFO"
    print(f"ws fan-out p99, {layer} layer, {n} sockets: {result['p99'] * 1000:.0f} ms, median {result['median'] * 1000:.0f} ms "
          f"(baseline: ping round trip on one socket {result['baseline'] * 1000:.1f} ms; goal {goal}) {verdict}")
    print(f"ws fan-out parts, {layer} layer, {n} sockets: the edit (write, audit, commit, event sent) {result['edit'] * 1000:.0f} ms, "
          f"first delivery {result['first'] * 1000:.0f} ms after the edit started; p99 of each of the {EDITS} edits: "
          + ", ".join(f"{p * 1000:.0f}" for p in result["all_p99"]) + " ms; CPU time of both Daphne processes "
          f"from the edit to the last delivery {result['cpu'] * 1000:.0f} ms (median of the {EDITS} edits)")


def main() -> None:
    counts = [int(a.split("=", 1)[1]) for a in sys.argv if a.startswith("--sockets=")] or [500, 1000]
    layers = [a.split("=", 1)[1] for a in sys.argv if a.startswith("--layer=")] or ["core"]
    if set(layers) - set(LAYERS):
        sys.exit(f"--layer is one of {', '.join(LAYERS)}")
    world, readers = prepare()
    QueryCounter.install()
    if "--redis-only" not in sys.argv:
        print(f"old design, SQL queries per recipient socket per item event: {queries_of_old_design(world.counsellor, world.item_everyone.pk)}")
        for label, item_id in (("item for everyone", world.item_everyone.pk), ("restricted item", world.item_restricted.pk)):
            result = asyncio.run(in_memory(world, readers, item_id))
            print(f"in-memory layer, 1 process, {SOCKETS} sockets, {label}: delivered to {result['delivered']}, "
                  f"last delivery {result['last'] * 1000:.0f} ms (median {result['median'] * 1000:.0f} ms) after the edit started; "
                  f"{result['per_recipient']:.2f} SQL queries per recipient socket")
    if "--no-redis" in sys.argv:
        return
    cookies = session_cookies(readers)
    print(f"load average before the Redis runs: {open('/proc/loadavg').read().split()[:3]}")
    for count in counts:  # the item for everyone: every socket must receive it, so a miss is a drop
        for layer in layers:  # an A/B: the same size with each layer, one right after the other
            report_redis(asyncio.run(with_redis(world, cookies, world.item_everyone.pk, count, layer)))
            print(f"load average: {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
