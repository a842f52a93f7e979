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
   of the sender, ``permissions.channel_layer.CoreChannelLayer`` or the pub/sub layer (``permissions.channel_layer``)
   (the setting ``CHANNELS_REDIS_LAYER``).
   ``--server=daphne|gunicorn|gunicorn-stock|gunicorn-asyncio`` (one or more): two Daphne processes,
   the production command, the production command with uvicorn's stock worker (which accepts
   websocket compression; ``config.workers`` declines it), or with uvicorn's worker on asyncio's
   loop and h11 (``config.workers`` runs uvloop and httptools). ``--deflate``: every client socket offers
   permessage-deflate as Chromium does (and inflates what arrives compressed); without it the
   clients offer nothing, so every gunicorn arm runs uncompressed (``--deflate`` with
   ``gunicorn-asyncio`` is refused: that worker accepts compression, so the A/B would mix the two).
Run: ``.venv/bin/python bench/ws_fanout.py [--redis-only] [--no-redis] [--sockets=N ...] [--layer=core|pubsub ...]
[--server=... ...] [--deflate]``.
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
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_FILE = Path("/tmp/fallkonferenz-bench-ws.sqlite3")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
PREFIX = f"fk-bench-ws-{os.getpid()}"
SOCKETS = 50
EDITS = int(os.environ.get("BENCH_WS_EDITS", "3"))  # measured edits per size after one warm-up edit; the figures are those of the median p99

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
from protocols import live, selectors, services  # noqa: E402
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
EDIT_MARKS: list[tuple[str, float]] = []  # inside the edit: event built (in the transaction), committed, sent


def mark_edit_parts() -> None:
    """Timestamps inside the edit (this process only): when ``protocols.live`` had built the event
    (inside the writer's transaction, ``services.item_update``), when the transaction had committed
    (the send on commit begins) and when the group send returned, so the ``parts`` line can say
    where the edit's time goes."""
    item_event_of, send = live.item_event_of, live.send_to_protocols

    def timed_item_event_of(item):
        try:
            return item_event_of(item)
        finally:
            EDIT_MARKS.append(("built", time.perf_counter()))

    def timed_send(protocol_ids, event):
        EDIT_MARKS.append(("committed", time.perf_counter()))
        try:
            return send(protocol_ids, event)
        finally:
            EDIT_MARKS.append(("sent", time.perf_counter()))

    live.item_event_of, live.send_to_protocols = timed_item_event_of, timed_send


async def edit(world, text: str, item_id: int | None = None) -> float:
    item = await database_sync_to_async(ProtocolItem.objects.get)(pk=item_id or world.item_everyone.pk)
    EDIT_MARKS.clear()
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

class RawWebsocket(asyncio.Protocol):
    """Just enough of RFC 6455 for a benchmark client: handshake, masked text out, frames in.

    The frames are read as they arrive, not when a coroutine gets round to them: the event loop
    hands each socket's bytes to ``data_received``, which takes the arrival time, answers the
    server's keepalive pings at once (so neither server's ping timeout needs changing, and a
    socket is never read late) and queues the text frames with their arrival time; JSON is parsed
    later, by whoever awaits ``receive``. A latency is thus the time the bytes reached this
    process, not the time a coroutine of a client busy with 999 other sockets parsed them."""

    # ``--deflate``: offer permessage-deflate as Chromium does, and inflate what comes compressed
    # (RFC 7692: RSV1 marks a compressed message; one context per socket, kept across messages).
    OFFER_DEFLATE = False

    def __init__(self, handshake: "asyncio.Future") -> None:
        self.buffer = bytearray()
        self.inflater = zlib.decompressobj(-15)
        self.compressed = False  # the server accepted permessage-deflate
        self.handshake = handshake
        self.transport = None
        self.inbox: list = []  # [(arrival perf_counter, payload bytes)], or an exception at the end
        self.waiter: asyncio.Future | None = None
        self.watch_prefix, self.watched = b"", None  # ``watch``

    @classmethod
    async def connect(cls, port: int, path: str, cookie: str) -> "RawWebsocket":
        loop = asyncio.get_running_loop()
        handshake = loop.create_future()
        transport, ws = await loop.create_connection(lambda: cls(handshake), "127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:{port}\r\n"
                         + ("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" if cls.OFFER_DEFLATE else "")
                         + f"Cookie: {cookie}\r\n\r\n").encode())
        try:
            await handshake
        except BaseException:
            transport.close()
            raise
        return ws

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.buffer += data
        if not self.handshake.done():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status, self.buffer = bytes(self.buffer[:end]), self.buffer[end + 4:]
            if b" 101 " not in status.split(b"\r\n", 1)[0]:
                self.handshake.set_exception(RuntimeError(status.decode(errors="replace")))
                return
            self.compressed = b"permessage-deflate" in status.lower()
            self.handshake.set_result(None)
        while len(self.buffer) >= 2:
            opcode, length, start = self.buffer[0] & 0x0F, self.buffer[1] & 0x7F, 2
            deflated = bool(self.buffer[0] & 0x40)
            if length == 126:
                if len(self.buffer) < 4:
                    return
                length, start = int.from_bytes(self.buffer[2:4], "big"), 4
            elif length == 127:
                if len(self.buffer) < 10:
                    return
                length, start = int.from_bytes(self.buffer[2:10], "big"), 10
            if len(self.buffer) < start + length:
                return
            payload = bytes(self.buffer[start:start + length])
            del self.buffer[:start + length]
            if deflated:  # the servers send each message as one frame
                payload = self.inflater.decompress(payload + b"\x00\x00\xff\xff")
            if opcode == 9:  # a keepalive ping: answered now, whatever the bench is doing
                self.send_frame(0xA, payload)
            elif opcode == 8:
                self._put(ConnectionError(f"closed {int.from_bytes(payload[:2], 'big') if payload else ''}"))
            elif opcode == 1:
                if self.watched is not None and not self.watched.done() and payload.startswith(self.watch_prefix):
                    self.watched.set_result((now, payload))
                else:
                    self._put((now, payload))

    def connection_lost(self, exc) -> None:
        if not self.handshake.done():
            self.handshake.set_exception(ConnectionError("closed during the handshake"))
        if self.watched is not None and not self.watched.done():
            self.watched.set_result(None)
        self._put(asyncio.IncompleteReadError(b"", None))

    def watch(self, prefix: bytes) -> asyncio.Future:
        """A future resolved by the protocol callback itself with (arrival time, payload) of the
        next text frame that starts with ``prefix`` (None if the socket closes first): no
        coroutine per socket runs while the fan-out arrives, and nothing is parsed until it is
        over, so the client's own work cannot delay the arrival times it takes."""
        self.watch_prefix, self.watched = prefix, asyncio.get_running_loop().create_future()
        return self.watched

    def _put(self, entry) -> None:
        self.inbox.append(entry)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def receive_timed(self) -> tuple[float, dict]:
        """(arrival time, message) of the next text frame."""
        while not self.inbox:
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
        entry = self.inbox[0]
        if isinstance(entry, BaseException):
            raise entry  # stays queued: a closed socket stays closed
        self.inbox.pop(0)
        return entry[0], json.loads(entry[1])

    async def receive(self) -> dict:
        return (await self.receive_timed())[1]

    def send_frame(self, opcode: int, payload: bytes) -> None:
        """One masked frame (clients must mask); payloads here are short (< 126 bytes)."""
        mask = os.urandom(4)
        self.transport.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask
                             + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def close(self) -> None:
        self.transport.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


LAYERS = {"core": "permissions.channel_layer.CoreChannelLayer", "pubsub": "permissions.channel_layer.PubSubChannelLayer"}


SERVERS = ("daphne", "gunicorn", "gunicorn-stock", "gunicorn-asyncio", "gunicorn-legacy-ws")


def _wait_listening(port: int, process: subprocess.Popen, name: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.2)
    os.killpg(process.pid, 15)
    raise RuntimeError(f"{name} did not start")


def start_servers(server: str, layer: str) -> tuple[list[int], list[subprocess.Popen]]:
    """(ports the clients connect to, processes started). ``daphne``: two Daphne processes, one
    port each, as issue 13 measured. ``gunicorn``: the production command
    (``gunicorn -c deploy/gunicorn.conf.py config.asgi:application``, ``deploy/systemd/
    fallkonferenz-web.service``), one address, ``WEB_WORKERS=2`` uvicorn workers sharing it, as
    ``bench/serving.py`` starts it. Both with their default keepalive pings (the client answers
    them as they arrive), production settings and the same channel layer."""
    env = {**os.environ, "REDIS_URL": REDIS, "CHANNELS_PREFIX": PREFIX, "CHANNELS_REDIS_LAYER": layer}
    if server == "daphne":
        ports, processes = [free_port(), free_port()], []
        for port in ports:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(f"/tmp/fk-bench-daphne-{port}.log", "w"),
                start_new_session=True))
        for port, process in zip(ports, processes):
            _wait_listening(port, process, "daphne")
        return ports, processes
    port = free_port()
    # ``gunicorn-stock``: the same command with uvicorn's own worker, which accepts websocket
    # compression (the production worker, ``config.workers``, declines it): an A/B with ``--deflate``.
    # ``gunicorn-asyncio``: uvicorn's worker on asyncio's loop and h11, as production ran before
    # uvloop and httptools (the clients offer no compression unless ``--deflate``): an A/B of the loop.
    stock = {"gunicorn-stock": ["-k", "uvicorn_worker.UvicornWorker"],
             "gunicorn-asyncio": ["-k", "uvicorn_worker.UvicornH11Worker"],
             "gunicorn-legacy-ws": ["-k", "bench.ws_workers.LegacyWebsocketsWorker"]}.get(server, [])
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py", *stock, "config.asgi:application"],
        cwd=ROOT, env={**env, "WEB_BIND": f"127.0.0.1:{port}", "WEB_WORKERS": "2"},
        stdout=subprocess.DEVNULL, stderr=open(f"/tmp/fk-bench-gunicorn-{port}.log", "w"), start_new_session=True)
    _wait_listening(port, process, "gunicorn")
    deadline = time.monotonic() + 60
    while len(worker_pids([process])) < 2 and time.monotonic() < deadline:  # both workers up
        time.sleep(0.2)
    time.sleep(2)  # each worker loads the application after the fork
    return [port], [process]


def stop_servers(processes) -> None:
    for process in processes:
        try:
            os.killpg(process.pid, 15)
            process.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)


def worker_pids(processes) -> list[int]:
    """The processes that serve sockets: Daphne itself, gunicorn's workers (its arbiter's children)."""
    pids = []
    for process in processes:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        pids += [int(c) for c in children] or [process.pid]
    return pids


def cpu_seconds(pids) -> float:
    """User + system CPU time the processes have used (``/proc/<pid>/stat``): what the fan-out
    costs the servers, less sensitive to other load on the machine than a latency."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15, in clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def sockets_per_process(pids, ports) -> list[int]:
    """Established connections each serving process holds on the bench's ports (``ss``)."""
    out = subprocess.run(["ss", "-Htnp", "state", "established"], capture_output=True, text=True).stdout
    wanted = {f"127.0.0.1:{p}" for p in ports}
    counts = {pid: 0 for pid in pids}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[2] in wanted:
            for pid in pids:
                if f"pid={pid}," in line:
                    counts[pid] += 1
    return list(counts.values())


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
            ws = await asyncio.wait_for(RawWebsocket.connect(ports[n % len(ports)], path, cookies[n % len(cookies)]), 30)
            if (await asyncio.wait_for(ws.receive(), 30))["type"] == "hello":
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
        while True:
            arrived, message = await asyncio.wait_for(ws.receive_timed(), 10)
            if message["type"] == "pong":
                break
        times.append(arrived - start)
    return statistics.median(times)


def _p99(times: list[float]) -> float:
    return sorted(times)[max(0, math.ceil(len(times) * 0.99) - 1)]


def start_profiler(pid: int, label: str) -> subprocess.Popen | None:
    """``BENCH_PYSPY=/path/to/py-spy`` (installed outside the project, e.g. a throwaway venv):
    sample one serving process during the measured edits, collapsed stacks into /tmp."""
    pyspy = os.environ.get("BENCH_PYSPY")
    if not pyspy:
        return None
    out = f"/tmp/fk-bench-pyspy-{label}.txt"
    return subprocess.Popen([pyspy, "record", "--pid", str(pid), "--rate", "1000", "--nonblocking", "--format", "raw",
                             "--output", out], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def with_redis(world, cookies, item_id: int, count: int, layer: str = "core", server: str = "daphne") -> dict:
    ports, servers = start_servers(server, layer)
    try:
        pids = worker_pids(servers)
        path = f"/ws/protocols/{world.protocol.pk}/"
        join_start = time.perf_counter()
        sockets, failed = await connect_all(ports, path, cookies, count)
        join_seconds = time.perf_counter() - join_start
        quiet = await asyncio.gather(*(drain(ws) for ws in sockets))  # let presence chatter settle
        closed = quiet.count(False)
        sockets = [ws for ws, ok in zip(sockets, quiet) if ok]
        baseline = await ping_rtt(sockets[0]) if sockets else float("nan")
        spread = sockets_per_process(pids, ports)
        compressed = sum(ws.compressed for ws in sockets)

        settings.CHANNEL_LAYERS = {"default": {"BACKEND": LAYERS[layer],
                                               "CONFIG": {"hosts": [REDIS], "prefix": PREFIX,
                                                          "channel_capacity": {"specific.*": 10_000}}}}
        channel_layers.backends.clear()

        profiler = None
        rounds, missed = [], 0
        for round_no in range(1 + EDITS):  # the first edit warms the sending process (connections, caches)
            if round_no == 1:
                profiler = start_profiler(pids[0], f"{server}-{layer}-{count}")
                await asyncio.sleep(0.5 if profiler else 0)
            # The frame is ``{"type": "item", ...}`` (``ProtocolConsumer._send_shared``); checked by
            # parsing every frame once the fan-out is over.
            watches = [ws.watch(b'{"type": "item"') for ws in sockets]
            cpu_before = cpu_seconds(pids)
            start = await edit(world, f"Redis fan-out {start_marker()}", item_id)
            edit_done = EDIT_DONE[-1]
            marks = {name: t - start for name, t in EDIT_MARKS}
            await asyncio.wait(watches, timeout=10)
            server_cpu = cpu_seconds(pids) - cpu_before
            received = [w.result() if w.done() else None for w in watches]
            received = [r if r is not None and json.loads(r[1])["type"] == "item" else None for r in received]
            missed += received.count(None)
            times = sorted(r[0] - start for r in received if r is not None)
            if round_no and times:
                rounds.append({"p99": _p99(times), "median": statistics.median(times), "first": times[0],
                               "edit": edit_done - start, "cpu": server_cpu, "marks": marks})
            await asyncio.sleep(1.0)  # edits come at a person's pace; the deliveries' audit batch is written meanwhile
        if profiler is not None:
            profiler.send_signal(2)  # py-spy writes its file on SIGINT
            profiler.wait(timeout=30)
        for ws in sockets:
            ws.close()
        middle = sorted(rounds, key=lambda r: r["p99"])[len(rounds) // 2] if rounds else {}
        nan = float("nan")
        return {"sockets": count, "layer": layer, "server": server, "failed_join": failed, "closed": closed,
                "missed": missed, "drops": failed + closed + missed, "p99": middle.get("p99", nan),
                "median": middle.get("median", nan), "edit": middle.get("edit", nan), "marks": middle.get("marks", {}), "first": middle.get("first", nan),
                "baseline": baseline, "spread": spread, "compressed": compressed,
                "all_p99": [r["p99"] for r in rounds], "join_seconds": join_seconds,
                "cpu": statistics.median(r["cpu"] for r in rounds) if rounds else nan,
                # /proc counts CPU in clock ticks (10 ms): the mean over many edits (BENCH_WS_EDITS) resolves finer
                "cpu_mean": statistics.fmean(r["cpu"] for r in rounds) if rounds else nan}
    finally:
        stop_servers(servers)


def report_redis(result: dict) -> None:
    n, layer, server = result["sockets"], result["layer"], result["server"]
    what = {"daphne": "2 daphne", "gunicorn": "gunicorn + 2 uvicorn workers",
            "gunicorn-stock": "gunicorn + 2 stock uvicorn workers",
            "gunicorn-asyncio": "gunicorn + 2 uvicorn workers on asyncio and h11",
            "gunicorn-legacy-ws": "gunicorn + 2 uvicorn workers, websockets' legacy protocol"}[server]
    arm = f"{server}, {layer} layer"
    print(f"ws fan-out, {what}, Redis ({layer} layer), {n} sockets (joined in {result['join_seconds']:.1f} s; "
          f"sockets per process {'/'.join(map(str, result['spread']))}; "
          f"compressed (permessage-deflate) {result['compressed']}{' of them, offered' if RawWebsocket.OFFER_DEFLATE else ', not offered'}): drops {result['drops']} "
          f"(failed join {result['failed_join']}, closed {result['closed']}, deliveries missed over {1 + EDITS} edits {result['missed']}) "
          f"(goal 0) {'PASS' if result['drops'] == 0 else 'FAIL'}")
    goal = "p99 <= 50 ms" if n <= 500 else "no goal above 500 sockets"
    verdict = ("PASS" if result["p99"] * 1000 <= 50 else "FAIL") if n <= 500 else "INFO"
    print(f"ws fan-out p99, {arm}, {n} sockets: {result['p99'] * 1000:.0f} ms, median {result['median'] * 1000:.0f} ms "
          f"(baseline: ping round trip on one socket {result['baseline'] * 1000:.1f} ms; goal {goal}) {verdict}")
    marks = result["marks"]
    print(f"ws fan-out parts, {arm}, {n} sockets: the edit (write, audit, commit, event sent) {result['edit'] * 1000:.0f} ms "
          f"(event built at {marks.get('built', float('nan')) * 1000:.0f}, committed at {marks.get('committed', float('nan')) * 1000:.0f}, "
          f"group send returned at {marks.get('sent', float('nan')) * 1000:.0f} ms), "
          f"first delivery {result['first'] * 1000:.0f} ms after the edit started; p99 of each of the {EDITS} edits: "
          + ", ".join(f"{p * 1000:.0f}" for p in result["all_p99"]) + " ms; CPU time of the serving processes "
          f"from the edit to the last delivery {result['cpu'] * 1000:.0f} ms (median of the {EDITS} edits; mean {result['cpu_mean'] * 1000:.1f} ms)")


def main() -> None:
    counts = [int(a.split("=", 1)[1]) for a in sys.argv if a.startswith("--sockets=")] or [500, 1000]
    layers = [a.split("=", 1)[1] for a in sys.argv if a.startswith("--layer=")] or ["core"]
    if set(layers) - set(LAYERS):
        sys.exit(f"--layer is one of {', '.join(LAYERS)}")
    servers = [a.split("=", 1)[1] for a in sys.argv if a.startswith("--server=")] or ["daphne"]
    if set(servers) - set(SERVERS):
        sys.exit(f"--server is one of {', '.join(SERVERS)}")
    if "--deflate" in sys.argv and "gunicorn-asyncio" in servers:
        sys.exit("--server=gunicorn-asyncio compares the event loop; with --deflate it would also compress")
    RawWebsocket.OFFER_DEFLATE = "--deflate" in sys.argv
    world, readers = prepare()
    QueryCounter.install()
    mark_edit_parts()
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
        for server in servers:  # an A/B: the same size with each server and layer, one right after the other
            for layer in layers:
                report_redis(asyncio.run(with_redis(world, cookies, world.item_everyone.pk, count, layer, server)))
                print(f"load average: {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
