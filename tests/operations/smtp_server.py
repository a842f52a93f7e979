"""A small SMTP server on loopback for fault tests (standard library only): it can be stopped and
started on the same port, can hold a message after DATA without answering (a send in flight),
and refuses every recipient whose address starts with "unknown" (550). Every accepted message is kept with its envelope."""
from __future__ import annotations

import email
import socket
import socketserver
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message_id(self) -> str:
        return email.message_from_bytes(self.data).get("Message-ID", "")


class _Handler(socketserver.StreamRequestHandler):
    timeout = 30

    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        server: SMTPServer = self.server.owner  # type: ignore[attr-defined]
        self._reply("220 localhost test SMTP")
        sender, recipients = "", []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.decode("ascii", "replace").strip().split(" ", 1)[0].upper()
            if verb in {"EHLO", "HELO"}:
                self._reply("250 localhost")
            elif verb == "MAIL":
                sender, recipients = line.decode().split(":", 1)[1].strip().strip("<>"), []
                self._reply("250 OK")
            elif verb == "RCPT":
                address = line.decode().split(":", 1)[1].strip().strip("<>")
                if address.startswith("unknown"):
                    self._reply("550 5.1.1 No such user")  # refused for good
                    continue
                recipients.append(address)
                self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 End data with <CR><LF>.<CR><LF>")
                chunks = []
                while True:
                    chunk = self.rfile.readline()
                    if not chunk or chunk == b".\r\n":
                        break
                    chunks.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                if server.hold_data.is_set():
                    # A send in flight: the client waits for our answer until it dies.
                    server.holding.set()
                    while server.hold_data.is_set():
                        time.sleep(0.05)
                    return  # no answer, nothing accepted
                server.received.append(Received(sender, recipients, b"".join(chunks)))
                self._reply("250 OK queued")
            elif verb in {"RSET", "NOOP"}:
                self._reply("250 OK")
            elif verb == "QUIT":
                self._reply("221 Bye")
                return
            else:
                self._reply("502 Command not implemented")


class _TCPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


@dataclass
class SMTPServer:
    port: int
    received: list[Received] = field(default_factory=list)
    hold_data: threading.Event = field(default_factory=threading.Event)
    holding: threading.Event = field(default_factory=threading.Event)
    _server: _TCPServer | None = None

    def start(self) -> None:
        self._server = _TCPServer(("127.0.0.1", self.port), _Handler)
        self._server.owner = self  # type: ignore[attr-defined]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def is_up(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0
