"""WebSocket fan-out benchmark: reply-to-watcher latency and memory per idle connection.

    .venv/bin/python -m bench.ws [--sizes 100,1000] [--replies 20] [--idle 2500,5000] [--servers daphne,uvicorn]

Starts a private redis-server, a temporary SQLite database (migrated, one user,
one watched thread plus a few threads for the idle test), and two ASGI server
processes sharing both. Opens N anonymous websocket clients (split across the
two processes) on one thread, waits until no frame came for 1 s (at most 120 s),
then posts K replies over HTTP and times, for every client, the delay from
just before the POST to the arrival of the matching ``event`` frame.
Then measures VmRSS of one server process before/after holding idle connections.
Every process it starts is killed at the end. Prints JSON lines and markdown
tables; each server's stderr is kept in /tmp/barnraise-ws-<server>-<port>.log.
bench/WS_RESULTS.md was written by hand from its output.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import websockets

from tests.services import ServerProcess, free_port, redis_server, wait_until_healthy

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

SETUP = r"""
import json, django
django.setup()
from django.test import Client
from django.conf import settings
from forum.models import User
from forum.actions.threads import create_thread
user = User.objects.create_user(username="benchuser", email="bench@example.com", password="x" * 12, reputation=500)
from allauth.account.models import EmailAddress
EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
main = create_thread(author=user, title="Websocket benchmark thread", body="Watched by many clients at once.", tags="bench")
idle = [create_thread(author=user, title=f"Idle benchmark thread {i}", body="Idle watchers.", tags="bench").pk for i in range(int(__import__('sys').argv[1]))]
c = Client(); c.force_login(user)
print(json.dumps({"thread": main.pk, "idle": idle, "cookie": c.cookies[settings.SESSION_COOKIE_NAME].value,
                  "cookie_name": settings.SESSION_COOKIE_NAME}))
"""


def machine() -> dict[str, str]:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return {"nproc": str(os.cpu_count()), "ram": f"{int(mem) / 1024 / 1024:.1f} GiB", "cpu": cpu}


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Server(ServerProcess):
    def __init__(self, kind: str, env: dict[str, str]) -> None:
        self.kind = kind
        self.port = free_port()
        if kind == "daphne":
            cmd = [PY, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "config.asgi:application"]
        else:
            cmd = [
                PY,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--no-access-log",
                "--ws",
                "websockets",
            ]
        self.log = Path(tempfile.gettempdir()) / f"barnraise-ws-{kind}-{self.port}.log"
        # stderr is kept (path printed) so dropped connections and DB errors can be diagnosed afterwards
        self.process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self.log.open("wb"))
        print(f"started {kind} on port {self.port}, stderr in {self.log}", flush=True)
        wait_until_healthy(self.process, self.http)


class Watcher:
    """One websocket client that drains every frame and timestamps event frames."""

    def __init__(self) -> None:
        self.ws = None
        self.events: dict[int, float] = {}
        self.frames = 0
        self.last_frame = time.monotonic()
        self.task: asyncio.Task | None = None

    async def open(self, server: Server, thread: int) -> int:
        """Connect, retrying like the real client (backoff from 0.5 s); returns the number of failed attempts."""
        failures = 0
        while True:
            try:
                self.ws = await websockets.connect(
                    f"{server.ws}/ws/t/{thread}/",
                    origin=server.http,
                    open_timeout=60,
                    ping_interval=None,
                    max_queue=None,
                )
                break
            except (websockets.InvalidMessage, websockets.InvalidStatus, OSError, TimeoutError) as error:
                failures += 1
                if failures >= 8:
                    raise RuntimeError(f"could not connect after {failures} attempts") from error
                await asyncio.sleep(min(30, 0.5 * 2 ** (failures - 1)))
        self.task = asyncio.create_task(self.drain())
        return failures

    async def drain(self) -> None:
        try:
            async for message in self.ws:
                now = time.monotonic()
                self.frames += 1
                self.last_frame = now
                if message.startswith('{"type":"event"'):
                    event = json.loads(message)["event"]
                    if event["kind"] == "replied":
                        self.events.setdefault(event["seq"], now)
        except websockets.ConnectionClosed:
            pass

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.task is not None:
            self.task.cancel()


async def open_all(watchers: list[Watcher], servers: list[Server], thread_of, concurrency: int = 50):
    """Open every watcher (at most ``concurrency`` handshakes in flight); returns (seconds, failed attempts)."""
    sem = asyncio.Semaphore(concurrency)
    start = time.monotonic()

    async def one(i: int, w: Watcher) -> int:
        async with sem:
            return await w.open(servers[i % len(servers)], thread_of(i))

    failures = await asyncio.gather(*(one(i, w) for i, w in enumerate(watchers)))
    return time.monotonic() - start, sum(failures)


async def drained(watchers: list[Watcher], quiet: float = 1.0, limit: float = 120.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < limit:
        await asyncio.sleep(0.25)
        if time.monotonic() - max(w.last_frame for w in watchers) >= quiet:
            break
    return time.monotonic() - start


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


async def latency_run(servers: list[Server], info: dict, n: int, replies: int) -> dict:
    watchers = [Watcher() for _ in range(n)]
    connect_s, refused = await open_all(watchers, servers, lambda i: info["thread"])
    drain_s = await drained(watchers)
    presence_frames = sum(w.frames for w in watchers)
    cookies = {info["cookie_name"]: info["cookie"]}
    lat: list[float] = []
    per_reply_rate: list[float] = []
    post_ms: list[float] = []
    missing = 0
    async with httpx.AsyncClient(base_url=servers[0].http, cookies=cookies, timeout=30) as client:
        page = await client.get(f"/t/{info['thread']}/", follow_redirects=True)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        seen = set().union(*(w.events.keys() for w in watchers))
        for k in range(replies):
            t0 = time.monotonic()
            resp = await client.post(
                f"/t/{info['thread']}/reply/",
                data={"csrfmiddlewaretoken": token, "body": f"Benchmark reply {n}-{k}: does the fan-out keep up?"},
                headers={"Referer": f"{servers[0].http}/t/{info['thread']}/", "X-CSRFToken": token},
            )
            post_ms.append((time.monotonic() - t0) * 1000)
            assert resp.status_code in (302, 303), f"reply failed: {resp.status_code} {resp.text[:300]}"
            deadline = t0 + 15
            seq = None
            while time.monotonic() < deadline:
                new = [s for w in watchers for s in w.events if s not in seen]
                if new:
                    seq = min(new)
                    # a watcher whose connection closed will never get it: do not wait for it
                    if all(seq in w.events or w.task.done() for w in watchers):
                        break
                await asyncio.sleep(0.002)
            seen.add(seq)
            got = [w.events[seq] - t0 for w in watchers if seq in w.events]
            closed = sum(1 for w in watchers if w.task.done())
            missing += n - len(got)
            lat.extend(got)
            if got:
                per_reply_rate.append(len(got) / max(got))
            await asyncio.sleep(0.2)
    await asyncio.gather(*(w.close() for w in watchers))
    await asyncio.sleep(1)
    return {
        "n": n,
        "connect_s": connect_s,
        "refused": refused,
        "drain_s": drain_s,
        "presence_frames": presence_frames,
        "p50": pct(lat, 50) * 1000,
        "p99": pct(lat, 99) * 1000,
        "max": max(lat) * 1000,
        "post_p50": statistics.median(post_ms),
        "rate": statistics.median(per_reply_rate),
        "missing": missing,
        "closed_during_run": closed,
        "delivered": len(lat),
    }


async def idle_run(servers: list[Server], info: dict, count: int) -> dict:
    """Hold ``count`` idle connections on servers[0], spread over the idle threads (little presence traffic)."""
    target = servers[0]
    before = rss_kb(target.process.pid)
    watchers = [Watcher() for _ in range(count)]
    idle = info["idle"]
    connect_s, refused = await open_all(watchers, [target], lambda i: idle[i % len(idle)], concurrency=100)
    await drained(watchers, quiet=2.0)
    await asyncio.sleep(2)
    after = rss_kb(target.process.pid)
    opened = sum(1 for w in watchers if w.ws is not None and w.ws.state.name == "OPEN")
    await asyncio.gather(*(w.close() for w in watchers))
    await asyncio.sleep(2)
    released = rss_kb(target.process.pid)
    return {
        "count": count,
        "open": opened,
        "before_kb": before,
        "after_kb": after,
        "after_close_kb": released,
        "per_conn_kb": (after - before) / max(opened, 1),
        "connect_s": connect_s,
        "refused": refused,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--replies", type=int, default=20)
    parser.add_argument("--idle", default="2500,5000")
    parser.add_argument("--servers", default="daphne,uvicorn")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    idle_sizes = [int(s) for s in args.idle.split(",") if s]
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    tmp = Path(tempfile.mkdtemp(prefix="barnraise-ws-"))
    started: list[Server] = []
    results: dict[str, dict] = {"machine": machine(), "latency": [], "idle": []}
    try:
        with redis_server() as redis:
            env = {
                **os.environ,
                "SQLITE_PATH": str(tmp / "bench.sqlite3"),
                "REDIS_URL": redis.url,
                "DEBUG": "0",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "LOG_LEVEL": "WARNING",
                "DJANGO_SETTINGS_MODULE": "config.settings",
            }
            env.pop("DATABASE_URL", None)
            subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
            out = subprocess.run(
                [PY, "-c", SETUP, str(max(50, max(idle_sizes or [0]) // 10))],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            info = json.loads(out.strip().splitlines()[-1])
            for kind in args.servers.split(","):
                servers = [Server(kind, env), Server(kind, env)]
                started.extend(servers)
                for n in sizes:
                    try:
                        r = asyncio.run(latency_run(servers, info, n, args.replies))
                    except Exception as error:  # noqa: BLE001 - record and go on to the next size
                        print(f"{kind} N={n} failed: {error!r}", flush=True)
                        continue
                    r["server"] = kind
                    results["latency"].append(r)
                    print(json.dumps(r), flush=True)
                if kind == "daphne":
                    for count in idle_sizes:
                        # a fresh process per size, so earlier runs do not blur the numbers
                        fresh = Server(kind, env)
                        started.append(fresh)
                        r = asyncio.run(idle_run([fresh], info, count))
                        r["server"] = kind
                        results["idle"].append(r)
                        print(json.dumps(r), flush=True)
                        fresh.kill()
                for s in servers:
                    s.kill()
    finally:
        for s in started:
            s.kill()
        shutil.rmtree(tmp, ignore_errors=True)

    m = results["machine"]
    print(f"\nMachine: {m['nproc']} CPUs, {m['ram']} RAM, {m['cpu']}\n")
    print(
        "| server | watchers | replies | p50 ms | p99 ms | max ms | POST p50 ms | msgs/s (median per reply) "
        "| missing | connect s | failed handshakes | drain s | presence frames |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results["latency"]:
        print(
            f"| {r['server']} | {r['n']} | {args.replies} | {r['p50']:.0f} | {r['p99']:.0f} | {r['max']:.0f} "
            f"| {r['post_p50']:.0f} | {r['rate']:.0f} | {r['missing']} | {r['connect_s']:.1f} | {r['refused']} "
            f"| {r['drain_s']:.1f} "
            f"| {r['presence_frames']} |"
        )
    if results["idle"]:
        print(
            "\n| server | idle conns (open) | RSS before MB | RSS after MB | kB per conn | RSS after close MB "
            "| connect s | failed handshakes |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for r in results["idle"]:
            print(
                f"| {r['server']} | {r['count']} ({r['open']}) | {r['before_kb'] / 1024:.0f} "
                f"| {r['after_kb'] / 1024:.0f} | {r['per_conn_kb']:.1f} | {r['after_close_kb'] / 1024:.0f} "
                f"| {r['connect_s']:.1f} | {r['refused']} |"
            )


if __name__ == "__main__":
    main()
