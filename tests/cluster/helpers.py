"""Pieces for tests that run several servers: websocket watchers and nginx in front of daphne."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import websockets

from tests.services import ServerProcess, free_port, missing

ROOT = Path(__file__).resolve().parents[2]
NGINX = "/usr/sbin/nginx"  # Debian's package
LOCATIONS = ROOT / "deploy" / "nginx" / "barnraise-locations.conf"


async def open_watch(server, thread_id: int):
    ws = await websockets.connect(f"{server.ws}/ws/t/{thread_id}/", origin=server.http, open_timeout=10)
    hello = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert hello["type"] == "hello"
    return ws


async def next_frame(ws, timeout: float = 5.0) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def collect_seqs(ws, until: int, timeout: float = 20.0) -> list[int]:
    """Apply frames as the client does (events and replays) until ``until`` is reached."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while (not seen or seen[-1] < until) and time.monotonic() < deadline:
        frame = await next_frame(ws, deadline - time.monotonic())
        events = [frame["event"]] if frame["type"] == "event" else frame.get("events", [])
        for event in events:
            last = seen[-1] if seen else None
            if last is not None and event["seq"] <= last:
                continue
            if last is not None and event["seq"] != last + 1:
                await ws.send(json.dumps({"type": "resume", "after": {"public": last}}))
                continue
            seen.append(event["seq"])
    return seen


async def reconnect(server, thread_id: int, timeout: float = 20.0):
    """Reconnect as the browser client does, retrying while the server cannot accept."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await open_watch(server, thread_id)
        except (OSError, websockets.exceptions.WebSocketException, TimeoutError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.25)


@dataclass
class Nginx(ServerProcess):
    """Debian's nginx, run as the current user from a config in a temporary folder."""

    dir: Path = field(default_factory=Path)

    def error_log(self) -> str:
        return (self.dir / "error.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def nginx_config(folder: Path, port: int, upstreams: list[str]) -> str:
    """The deployed site's locations (deploy/nginx/barnraise-locations.conf) on plain http."""
    servers = "\n".join(f"        server {address} max_fails=1 fail_timeout=5s;" for address in upstreams)
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in kinds)
    # Workers of a root master run as "nobody" unless told otherwise; CI runs as root.
    user = "user root;" if os.geteuid() == 0 else ""
    return f"""
{user}
daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    access_log {folder / "access.log"};
{temp}
    upstream barnraise {{
        least_conn;
{servers}
        keepalive 16;
    }}
    map $http_upgrade $barnraise_connection {{
        default upgrade;
        ""      "";
    }}
    server {{
        listen 127.0.0.1:{port};
        include {LOCATIONS};
    }}
}}
"""


def start_nginx(upstreams: list[str]) -> Nginx:
    """nginx on a free loopback port in front of ``upstreams`` ("host:port" of each daphne)."""
    if not os.access(NGINX, os.X_OK):
        missing("nginx")
    folder = Path(tempfile.mkdtemp(prefix="barnraise-nginx-"))
    port = free_port()
    (folder / "nginx.conf").write_text(nginx_config(folder, port, upstreams))
    process = subprocess.Popen(
        [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Nginx(port=port, process=process, dir=folder)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = server.error_log()
            server.stop()
            raise RuntimeError(f"nginx exited with code {process.returncode}: {log}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return server
        time.sleep(0.05)
    server.stop()
    raise RuntimeError("nginx did not start listening")
