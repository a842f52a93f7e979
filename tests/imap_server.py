"""A real IMAP server for tests and benchmarks: Debian's dovecot, started on a free local port
with a throw-away configuration, one user and a Maildir under a temporary directory.

``.ci/run`` installs ``dovecot-imapd`` when it is missing; where it cannot be started the tests
that need it are skipped with the reason.
"""
from __future__ import annotations

import getpass
import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DOVECOT_CANDIDATES = ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot")
USER = "antwort"
PASSWORD = "imap-test-secret"


@dataclass
class ImapServer:
    host: str
    port: int
    user: str
    password: str
    process: subprocess.Popen
    root: Path

    def url(self, folder: str = "INBOX", done: str = "Processed") -> str:
        return f"imap://{self.user}:{self.password}@{self.host}:{self.port}/{folder}?starttls=0&done={done}"

    def client(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.port, timeout=30)
        conn.login(self.user, self.password)
        return conn

    def append(self, *messages: bytes, folder: str = "INBOX") -> None:
        conn = self.client()
        try:
            for raw in messages:
                typ, data = conn.append(folder, None, None, raw)
                if typ != "OK":
                    raise RuntimeError(f"APPEND failed: {data!r}")
        finally:
            conn.logout()

    def count(self, folder: str) -> int:
        conn = self.client()
        try:
            typ, data = conn.select(f'"{folder}"', readonly=True)
            return int(data[0]) if typ == "OK" else -1
        finally:
            conn.logout()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _binary() -> str | None:
    found = shutil.which("dovecot")
    return found or next((c for c in DOVECOT_CANDIDATES if os.access(c, os.X_OK)), None)


def _accounts() -> tuple[str, str, str]:
    """(mail user, internal user, login user): dovecot will not run its helpers as root."""
    me = getpass.getuser()
    if os.geteuid() != 0:
        return me, me, me
    for name in ("dovecot", "dovenull"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            raise RuntimeError(f"the system user {name!r} that dovecot's package creates is missing") from None
    return "dovecot", "dovecot", "dovenull"


def start(timeout: float = 15.0) -> ImapServer:
    """Start dovecot or raise RuntimeError saying why it cannot run here."""
    binary = _binary()
    if binary is None:
        raise RuntimeError("dovecot is not installed (Debian: apt-get install dovecot-imapd)")
    mail_user, internal_user, login_user = _accounts()
    entry = pwd.getpwnam(mail_user)
    root = Path(tempfile.mkdtemp(prefix="fk-dovecot-"))
    os.chmod(root, 0o755)
    for sub in ("run", "state", "home"):
        (root / sub).mkdir()
    os.chown(root / "home", entry.pw_uid, entry.pw_gid) if os.geteuid() == 0 else None
    port = _free_port()
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    group = grp.getgrgid(entry.pw_gid).gr_name
    (root / "dovecot.conf").write_text(f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = fk-test-{port}
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_internal_group = {group if os.geteuid() != 0 else "dovecot"}
default_login_user = {login_user}
first_valid_uid = 0
mail_location = maildir:~/Maildir
mail_plugins =
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={entry.pw_uid} gid={entry.pw_gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
""")
    process = subprocess.Popen([binary, "-F", "-c", str(root / "dovecot.conf")],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    server = ImapServer("127.0.0.1", port, USER, PASSWORD, process, root)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode("utf-8", "replace")[-500:] if process.stdout else ""
            log = (root / "dovecot.log").read_text()[-500:] if (root / "dovecot.log").exists() else ""
            shutil.rmtree(root, ignore_errors=True)
            raise RuntimeError(f"dovecot exited at start: {output or log}")
        try:
            server.client().logout()
            return server
        except (OSError, imaplib.IMAP4.error):
            time.sleep(0.2)
    server.stop()
    raise RuntimeError("dovecot did not answer within the timeout")
