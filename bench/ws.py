"""WebSocket fan-out and ASGI server benchmark: reply-to-watcher latency, memory per idle connection,
and the thread page's HTTP throughput per server.

    .venv/bin/python -m bench.ws [--sizes 100@2,1000@2,10000@4] [--replies 20] [--idle 10000]
                                 [--servers daphne,uvicorn,granian] [--http-seconds 5]

Starts a private redis-server, a temporary SQLite database (migrated, one user,
one watched thread plus a few threads for the idle test), and P ASGI server
processes sharing both (``N@P``: N watchers over P processes). The watchers are split
over client processes of at most 2,500 sockets each (one Python process cannot read 10,000
sockets' frames in time and would measure itself); each waits until no frame came for 1 s
(at most 120 s), then K replies are posted over HTTP one at a time, and for every watcher
the delay from just before the POST to the arrival of the matching ``event`` frame is
recorded (wall clock, one machine). Then VmRSS of one fresh daphne process before/after
holding idle connections, and requests per second of the thread page with 4 concurrent
clients through one process of each server. Every process it starts is killed at the end.
Prints JSON lines and markdown tables, and writes every figure with the date, commit and load
to bench/ws_last.json, which ``make bench`` (bench.goals) reads for its websocket rows; each
server's stderr is kept in /tmp/barnraise-ws-<server>-<port>.log.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
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
settings.BARNRAISE = {**settings.BARNRAISE, "RATE_LIMITS": {}}  # seeding only; the servers keep their limits
from forum.models import User
from forum.actions.threads import create_thread
user = User.objects.create_user(username="benchuser", email="bench@example.com", password="x" * 12, reputation=500)
from allauth.account.models import EmailAddress
EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
main = create_thread(author=user, title="Websocket benchmark thread", body="Watched by many clients at once.", tags="bench")
idle = [create_thread(author=user, title=f"Idle benchmark thread {i}", body="Idle watchers.", tags="bench").pk for i in range(int(__import__('sys').argv[1]))]
from forum.actions.posts import reply
page = create_thread(author=user, title="HTTP benchmark thread", body="Read by the server comparison.", tags="bench")
for i in range(20):
    reply(author=user, thread=page, body=f"Reply {i}: a paragraph of **Markdown** with `code` and a [link](https://example.com/{i}).")
# one poster per latency run: the servers' reply limit (20 per 5 minutes) holds for each of them
cookies = []
for i in range(int(__import__('sys').argv[2])):
    poster = User.objects.create_user(username=f"poster{i}", email=f"poster{i}@example.com", password="x" * 12, reputation=500)
    EmailAddress.objects.create(user=poster, email=poster.email, verified=True, primary=True)
    c = Client(); c.force_login(poster)
    cookies.append(c.cookies[settings.SESSION_COOKIE_NAME].value)
print(json.dumps({"thread": main.pk, "page": page.get_absolute_url(), "idle": idle, "cookies": cookies,
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
    """VmRSS of ``pid`` and its descendants (granian serves from worker processes it forks)."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total = int(line.split()[1])
        for task in Path(f"/proc/{pid}/task").iterdir():
            total += sum(rss_kb(int(child)) for child in (task / "children").read_text().split())
    except FileNotFoundError:  # exited meanwhile
        pass
    return total


class Server(ServerProcess):
    def __init__(self, kind: str, env: dict[str, str]) -> None:
        self.kind = kind
        self.port = free_port()
        if kind == "daphne":
            cmd = [PY, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "config.asgi:application"]
        elif kind == "granian":
            # asginl: ASGI without lifespan (Channels' router has no lifespan application)
            cmd = [str(Path(PY).parent / "granian"), "--interface", "asginl", "--host", "127.0.0.1",
                   "--port", str(self.port), "--log-level", "warning", "--workers", "1",
                   "config.asgi:application"]  # fmt: skip
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
        self.events: dict[int, float] = {}  # replied seq -> arrival, wall clock (compared across processes)
        self.newest = 0
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
                        self.events.setdefault(event["seq"], time.time())
                        self.newest = max(self.newest, event["seq"])
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


CLIENT_SOCKETS = 2_500  # watchers per client process


class Target:
    """Where a client process connects: the picklable part of a Server."""

    def __init__(self, server: Server) -> None:
        self.http, self.ws = server.http, server.ws


def _client_process(conn, targets: list[Target], thread: int, count: int) -> None:
    asyncio.run(_client_main(conn, targets, thread, count))


async def _client_main(conn, targets: list[Target], thread: int, count: int) -> None:
    """Open ``count`` watchers, report, then on each "await" report when every open watcher has the next reply."""
    watchers = [Watcher() for _ in range(count)]
    connect_s, refused = await open_all(watchers, targets, lambda i: thread)
    drain_s = await drained(watchers)
    conn.send(
        {"connect_s": connect_s, "refused": refused, "drain_s": drain_s, "frames": sum(w.frames for w in watchers)}
    )
    loop = asyncio.get_running_loop()
    newest = 0
    while await loop.run_in_executor(None, conn.recv) == "await":
        deadline = time.monotonic() + 15
        # a watcher whose connection closed will never get it: do not wait for it
        while time.monotonic() < deadline and not all(w.newest > newest or w.task.done() for w in watchers):
            await asyncio.sleep(0.002)
        fresh = [seq for w in watchers for seq in w.events if seq > newest]
        seq = min(fresh) if fresh else None
        if seq is not None:
            newest = seq
        times = [w.events[seq] for w in watchers if seq in w.events]
        conn.send({"seq": seq, "times": times, "closed": sum(1 for w in watchers if w.task.done())})
    await asyncio.gather(*(w.close() for w in watchers))


def latency_run(servers: list[Server], info: dict, n: int, replies: int) -> dict:
    """N watchers over ``servers``, read by client processes of at most CLIENT_SOCKETS each; K replies."""
    procs = max(1, math.ceil(n / CLIENT_SOCKETS))
    context = multiprocessing.get_context("fork")
    pipes, children = [], []
    for i in range(procs):
        count = n // procs + (1 if i < n % procs else 0)
        rotated = servers[i % len(servers) :] + servers[: i % len(servers)]
        parent, child = context.Pipe()
        process = context.Process(
            target=_client_process, args=(child, [Target(s) for s in rotated], info["thread"], count)
        )
        process.start()
        pipes.append((parent, count))
        children.append(process)
    try:
        ready = [parent.recv() if parent.poll(900) else {} for parent, _ in pipes]
        if not all(ready):
            raise RuntimeError("a client process did not connect its watchers within 15 minutes")
        cookies = {info["cookie_name"]: info["cookies"].pop()}
        lat: list[float] = []
        per_reply_rate: list[float] = []
        post_ms: list[float] = []
        missing = closed = 0
        with httpx.Client(base_url=servers[0].http, cookies=cookies, timeout=30) as client:
            page = client.get(f"/t/{info['thread']}/", follow_redirects=True)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
            for k in range(replies):
                for parent, _ in pipes:
                    parent.send("await")
                t0 = time.time()
                resp = client.post(
                    f"/t/{info['thread']}/reply/",
                    data={"csrfmiddlewaretoken": token, "body": f"Benchmark reply {n}-{k}: does the fan-out keep up?"},
                    headers={"Referer": f"{servers[0].http}/t/{info['thread']}/", "X-CSRFToken": token},
                )
                post_ms.append((time.time() - t0) * 1000)
                assert resp.status_code in (302, 303), f"reply failed: {resp.status_code} {resp.text[:300]}"
                got: list[float] = []
                closed = 0
                for parent, count in pipes:
                    answer = parent.recv()
                    got.extend(t - t0 for t in answer["times"])
                    missing += count - len(answer["times"])
                    closed += answer["closed"]
                lat.extend(got)
                if got:
                    per_reply_rate.append(len(got) / max(got))
                time.sleep(0.2)
        for parent, _ in pipes:
            parent.send("stop")
    finally:
        for process in children:
            process.join(30)
            if process.is_alive():
                process.kill()
    time.sleep(1)
    return {
        "n": n,
        "processes": len(servers),
        "client_processes": procs,
        "connect_s": max(r["connect_s"] for r in ready),
        "refused": sum(r["refused"] for r in ready),
        "drain_s": max(r["drain_s"] for r in ready),
        "presence_frames": sum(r["frames"] for r in ready),
        "p50": pct(lat, 50) * 1000 if lat else float("nan"),
        "p99": pct(lat, 99) * 1000 if lat else float("nan"),
        "max": max(lat) * 1000 if lat else float("nan"),
        "post_p50": statistics.median(post_ms),
        "rate": statistics.median(per_reply_rate) if per_reply_rate else 0.0,
        "missing": missing,
        "expected": n * replies,
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


def http_run(kind: str, env: dict[str, str], path: str, seconds: float) -> dict:
    """The thread page through one process of ``kind``: sequential p50, and req/s with 4 clients."""
    from bench.goals import requests_per_second, timed_get

    server = Server(kind, env)
    try:
        with httpx.Client(base_url=server.http, timeout=30) as http:
            times = timed_get(http, path, 50, 10)
        rps = requests_per_second(server.http, path, clients=4, seconds=seconds)
        return {"server": kind, "p50": statistics.median(times), "p95": pct(times, 95), "rps": rps,
                "rss_kb": rss_kb(server.process.pid)}  # fmt: skip
    finally:
        server.kill()


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """``100@2,10000@4``: watchers @ server processes (2 when not given)."""
    sizes = []
    for part in filter(None, text.split(",")):
        n, _, p = part.partition("@")
        sizes.append((int(n), int(p or 2)))
    return sizes


def main() -> None:
    from bench.goals import commit
    from bench.run import loadavg

    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100@2,1000@2,10000@4", help="watchers@processes, comma-separated")
    parser.add_argument("--replies", type=int, default=20)
    parser.add_argument("--idle", default="10000", help="idle connections held by one daphne process")
    parser.add_argument("--servers", default="daphne,uvicorn,granian")
    parser.add_argument("--http-seconds", type=float, default=5.0, help="0 skips the HTTP comparison")
    parser.add_argument("--out", default=str(ROOT / "bench" / "ws_last.json"), help="'' writes no JSON")
    args = parser.parse_args()
    sizes = parse_sizes(args.sizes)
    idle_sizes = [int(s) for s in args.idle.split(",") if s]
    kinds = [k for k in args.servers.split(",") if k]
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    tmp = Path(tempfile.mkdtemp(prefix="barnraise-ws-"))
    started: list[Server] = []
    results: dict = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": "python -m bench.ws " + " ".join(sys.argv[1:]),
        "commit": commit(),
        "machine": machine(),
        "load_before": loadavg(),
        "replies": args.replies,
        "latency": [],
        "idle": [],
        "http": [],
    }
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
                [PY, "-c", SETUP, str(max(50, max(idle_sizes or [0]) // 10)), str(len(sizes) * len(kinds))],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            info = json.loads(out.strip().splitlines()[-1])
            for kind in kinds:
                for n, processes in sizes:
                    # fresh processes per size, so earlier runs do not blur the numbers
                    servers = [Server(kind, env) for _ in range(processes)]
                    started.extend(servers)
                    try:
                        r = latency_run(servers, info, n, args.replies)
                    except Exception as error:  # noqa: BLE001 - record and go on to the next size
                        print(f"{kind} N={n} failed: {error!r}", flush=True)
                        continue
                    finally:
                        for server in servers:
                            server.kill()
                    r["server"] = kind
                    results["latency"].append(r)
                    print(json.dumps(r), flush=True)
                if kind == "daphne":
                    for count in idle_sizes:
                        fresh = Server(kind, env)
                        started.append(fresh)
                        r = asyncio.run(idle_run([fresh], info, count))
                        r["server"] = kind
                        results["idle"].append(r)
                        print(json.dumps(r), flush=True)
                        fresh.kill()
                if args.http_seconds > 0:
                    r = http_run(kind, env, info["page"], args.http_seconds)
                    results["http"].append(r)
                    print(json.dumps(r), flush=True)
    finally:
        for s in started:
            s.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    results["load_after"] = loadavg()
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1) + "\n")

    m = results["machine"]
    print(f"\nMachine: {m['nproc']} CPUs, {m['ram']} RAM, {m['cpu']}; load before {results['load_before']}, "
          f"after {results['load_after']}; commit {results['commit']}\n")  # fmt: skip
    print(
        "| server | watchers / processes | replies | p50 ms | p99 ms | max ms | POST p50 ms | msgs/s (median per reply) "
        "| missing | connect s | failed handshakes | drain s | presence frames |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results["latency"]:
        print(
            f"| {r['server']} | {r['n']:,} / {r['processes']} | {args.replies} | {r['p50']:.0f} | {r['p99']:.0f} "
            f"| {r['max']:.0f} | {r['post_p50']:.0f} | {r['rate']:.0f} | {r['missing']} of {r['expected']:,} "
            f"| {r['connect_s']:.1f} | {r['refused']} | {r['drain_s']:.1f} | {r['presence_frames']:,} |"
        )
    if results["idle"]:
        print(
            "\n| server | idle conns (open) | RSS before MB | RSS after MB | kB per conn | RSS after close MB "
            "| connect s | failed handshakes |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for r in results["idle"]:
            print(
                f"| {r['server']} | {r['count']:,} ({r['open']:,}) | {r['before_kb'] / 1024:.0f} "
                f"| {r['after_kb'] / 1024:.0f} | {r['per_conn_kb']:.1f} | {r['after_close_kb'] / 1024:.0f} "
                f"| {r['connect_s']:.1f} | {r['refused']} |"
            )
    if results["http"]:
        print("\n| server (1 process) | thread page p50 ms | p95 ms | req/s, 4 clients | RSS MB |")
        print("|---|---|---|---|---|")
        for r in results["http"]:
            print(f"| {r['server']} | {r['p50']:.1f} | {r['p95']:.1f} | {r['rps']:.0f} | {r['rss_kb'] / 1024:.0f} |")


if __name__ == "__main__":
    main()
