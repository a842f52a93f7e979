"""Helpers that turn the shipped deploy/ files into ones that run on this machine, unprivileged,
on loopback ports: only paths, ports and the certificate change; every directive stays."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def render_units(target: Path, env_file: Path) -> list[Path]:
    units = []
    for unit in sorted((DEPLOY / "systemd").iterdir()):
        text = unit.read_text().replace("/srv/fallkonferenz", str(ROOT)).replace("/etc/fallkonferenz/env", str(env_file))
        (target / unit.name).write_text(text)
        units.append(target / unit.name)
    return units


def self_signed_certificate(target: Path) -> tuple[Path, Path]:
    cert, key = target / "cert.pem", target / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


def render_nginx(target: Path, *, https_port: int, http_port: int, upstream_port: int, static_root: Path) -> Path:
    """Write ``nginx.conf`` (main context, temp paths under ``target``) that includes the shipped
    site file with loopback ports and a throwaway certificate."""
    cert, key = self_signed_certificate(target)
    site = (DEPLOY / "nginx" / "fallkonferenz.conf").read_text()
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "server 127.0.0.1:8001;": f"server 127.0.0.1:{upstream_port};",
        "/etc/ssl/certs/fallkonferenz.pem": str(cert),
        "/etc/ssl/private/fallkonferenz.key": str(key),
        "/srv/fallkonferenz/staticfiles/": f"{static_root}/",
    }
    for old, new in replacements.items():
        assert old in site, f"deploy/nginx/fallkonferenz.conf no longer contains {old!r}"
        site = site.replace(old, new)
    (target / "site.conf").write_text(site)
    conf = target / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
pid {target}/nginx.pid;
error_log {target}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {target}/body;
    proxy_temp_path {target}/proxy;
    fastcgi_temp_path {target}/fastcgi;
    uwsgi_temp_path {target}/uwsgi;
    scgi_temp_path {target}/scgi;
    include {target}/site.conf;
}}
""")
    return conf
