"""Soak benchmark: connection churn, then a long mixed load, watching for growth and loss.

    .venv/bin/python -m bench.soak [--cycles 10000] [--minutes 20] [--watchers 200] [--sample 30]

Starts a private PostgreSQL and redis-server, migrates, seeds a small community
(customers, a vendor with staff, 40 threads), then two daphne processes sharing
both (plus ``manage.py run_worker`` when that command exists). Then:

1. Churn: ``--cycles`` websocket connect/disconnect cycles spread over both
   processes (50 at a time), counting failed handshakes.
2. Mixed load for ``--minutes``: readers (home, thread pages, search), posters
   (replies as several customers), staff (the vendor inbox), and ``--watchers``
   websocket clients on 8 threads that keep the last seq per thread, hold a frame that
   arrives ahead of its turn and resume only if the gap stays open, resume after a drop,
   and ping like the real client. Every request is timed per endpoint.
   Every ``--sample`` seconds it records each daphne's RSS and open files, the
   PostgreSQL connection count and Redis' key count.
3. Loss check: each watcher's set of public seqs must equal the thread's events in
   the database from the seq it first saw (no gap, no duplicate).

After warm-up (the first quarter of the samples), each resource must stay within
10% of its post-warm-up mean (PostgreSQL connections and open files within
10% or 5 units, since they are small integers). Prints JSON lines and markdown
tables for bench/RESULTS.md. Bounded in time; loopback only; every process it
starts is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import websockets

from bench.ws import Server, machine, pct, rss_kb
from tests.services import Postgres, redis_server

ROOT = Path(__file__).resolve().parents[1]
CATCH_UP = 300  # seconds: the longest the watchers may take to catch up once the load stops (a loaded machine lags)
PY = sys.executable

SETUP = r"""
import json, django
django.setup()
from allauth.account.models import EmailAddress
from django.conf import settings
from django.test import Client
from forum.actions import vendors as vendor_actions
from forum.actions.threads import create_thread
from forum.models import Membership, User

def person(name, **extra):
    user = User.objects.create_user(username=name, email=f"{name}@example.com", password="x" * 12, **extra)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user

def cookie(user):
    c = Client(); c.force_login(user)
    return c.cookies[settings.SESSION_COOKIE_NAME].value

vendor = vendor_actions.create_vendor(name="Northwind Devices", handle="northwind", domains=["northwind.example"])
staff = person("soakstaff")
Membership.objects.create(user=staff, vendor=vendor, status=Membership.Status.VERIFIED, role=Membership.Role.ADMIN)
customers = [person(f"soak{i}", reputation=500) for i in range(48)]
threads = [
    create_thread(author=customers[i], title=f"Soak thread {i}: tablet wifi drops after sleep",
                  body="It drops every night. @northwind can you help?", tags="wifi soak").pk
    for i in range(40)
]
print(json.dumps({"threads": threads, "cookies": [cookie(u) for u in customers], "staff": cookie(staff),
                  "cookie_name": settings.SESSION_COOKIE_NAME}))
"""


def open_files(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


@dataclass
class Stats:
    times: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, dict[int, int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    catch_up: float = 0.0  # seconds the watchers took to reach the database's last event after the load

    def add(self, name: str, seconds: float, status: int) -> None:
        self.times.setdefault(name, []).append(seconds)
        per = self.statuses.setdefault(name, {})
        per[status] = per.get(status, 0) + 1


class SoakWatcher:
    """A websocket client that follows docs/websocket.md's client rule, as the site's own script does.

    It keeps the last public seq applied; a seq at or below it is a duplicate (counted, ignored),
    the next one is applied, and one further ahead is held: frames published by two processes
    may overtake each other, so only a gap still open ``HOLD`` seconds later makes it send
    ``resume``. It resumes after every reconnect, and pings every 5 s: a pong that names a newer
    seq starts the same wait (the frame may be on its way, or lost). ``seqs`` is what it
    applied, in order.
    """

    HOLD = 0.25  # seconds, as HOLD_MS in static/js/live.js

    def __init__(self, servers: list[Server], thread: int, index: int) -> None:
        self.servers, self.thread, self.index = servers, thread, index
        self.seqs: list[int] = []
        self.first: int | None = None
        self.reconnects = 0
        self.resumes = 0  # gaps (still open after the wait) and reconnects that made it ask again
        self.ignored = 0  # duplicates received and dropped by the rule
        self.closed_in_wait = 0  # gaps the frames on their way closed within HOLD: no resume needed
        self.pending = False  # a resume is on its way: wait for its replay, as static/js/live.js does
        self.held: set[int] = set()  # seqs that arrived ahead of their turn
        self.behind = 0  # the latest seq a pong named
        self.waiting: asyncio.Task | None = None
        self.reasons: dict[str, int] = {}
        self.hello = asyncio.Event()  # set once a socket said hello (it is in the thread's groups)
        self.stop = asyncio.Event()

    @property
    def last(self) -> int | None:
        return self.seqs[-1] if self.seqs else None

    async def run(self) -> None:
        attempt = 0
        while not self.stop.is_set():
            server = self.servers[(self.index + attempt) % len(self.servers)]
            try:
                async with websockets.connect(
                    f"{server.ws}/ws/t/{self.thread}/", origin=server.http, open_timeout=30, ping_interval=None
                ) as ws:
                    if self.last is not None:
                        await self._resume(ws, again=True)  # a new socket: the old replay is lost
                    pinger = asyncio.create_task(self._ping(ws))
                    try:
                        while not self.stop.is_set():
                            try:
                                message = await asyncio.wait_for(ws.recv(), timeout=1)
                            except TimeoutError:
                                continue
                            await self._take(ws, json.loads(message))
                    finally:
                        pinger.cancel()
                        if self.waiting is not None:
                            self.waiting.cancel()
                            self.waiting = None
            except (OSError, websockets.WebSocketException, TimeoutError) as error:
                reason = f"{type(error).__name__} {getattr(getattr(error, 'rcvd', None), 'code', '')}".strip()
                self.reasons[reason] = self.reasons.get(reason, 0) + 1
                attempt += 1
                self.reconnects += 1
                await asyncio.sleep(min(5, 0.5 * attempt))

    async def _resume(self, ws, *, again: bool = False) -> None:
        if self.pending and not again:
            return
        self.pending = True
        self.resumes += 1
        await ws.send(json.dumps({"type": "resume", "after": {"public": self.last}}))

    async def _ping(self, ws) -> None:
        with contextlib.suppress(websockets.WebSocketException):
            while True:
                await asyncio.sleep(5)
                await ws.send('{"type":"ping"}')

    def _gap_open(self) -> bool:
        return self.last is not None and (bool(self.held) or self.last < self.behind)

    def _wait_for_gap(self, ws, *, again: bool = False) -> None:
        """Resume only if the gap is still open after HOLD (``again``: even while a resume is pending)."""
        if self.waiting is not None:
            return

        async def later() -> None:
            await asyncio.sleep(self.HOLD)
            self.waiting = None
            if not self._gap_open():
                self.closed_in_wait += 1
                return
            with contextlib.suppress(websockets.WebSocketException):
                await self._resume(ws, again=again)

        self.waiting = asyncio.create_task(later())

    def _apply(self, seq: int) -> None:
        if self.first is None:
            self.first = seq
        elif seq <= self.last:
            self.ignored += 1
            return
        elif seq != self.last + 1:
            self.held.add(seq)
            return
        self.seqs.append(seq)
        while self.last + 1 in self.held:  # the held frames it was the missing link for
            self.held.discard(self.last + 1)
            self.seqs.append(self.last + 1)
        self.held = {held for held in self.held if held > self.last}

    async def _take(self, ws, frame: dict) -> None:
        kind = frame.get("type")
        if kind == "hello":
            self.hello.set()
            return
        if kind == "pong":
            if self.last is not None and frame.get("seq", 0) > self.last:
                self.behind = max(self.behind, frame["seq"])
                # The pong also recovers a replay that never came: its resume does not wait for one.
                self._wait_for_gap(ws, again=True)
            return
        if kind == "event":
            events = [frame["event"]]
        elif kind == "replay" and frame.get("stream") == "public":
            self.pending = False
            events = frame["events"]
        else:
            return
        for event in events:
            if event.get("stream", "public") == "public":
                self._apply(event["seq"])
        if self._gap_open():
            self._wait_for_gap(ws)


async def churn(servers: list[Server], threads: list[int], cycles: int) -> dict:
    sem = asyncio.Semaphore(50)
    failed = 0

    async def one(i: int) -> None:
        nonlocal failed
        server = servers[i % len(servers)]
        async with sem:
            try:
                async with websockets.connect(
                    f"{server.ws}/ws/t/{threads[i % len(threads)]}/", origin=server.http, open_timeout=30
                ) as ws:
                    await asyncio.wait_for(ws.recv(), timeout=10)  # hello
            except (OSError, websockets.WebSocketException, TimeoutError):
                failed += 1

    start = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(cycles)))
    return {"cycles": cycles, "failed": failed, "seconds": round(time.monotonic() - start, 1)}


async def client_loop(name: str, server: Server, cookie: dict | None, stats: Stats, until: float, work) -> None:
    async with httpx.AsyncClient(base_url=server.http, cookies=cookie or {}, timeout=30) as client:
        while time.monotonic() < until:
            try:
                await work(client, stats)
            except httpx.HTTPError as error:
                stats.errors.append(f"{name}: {error!r}")
                await asyncio.sleep(0.5)


async def poster_loop(index, server, cookie_name, people, stats, until, work) -> None:
    turn = 0
    while time.monotonic() < until:
        async with httpx.AsyncClient(
            base_url=server.http, cookies={cookie_name: people[turn % len(people)]}, timeout=30
        ) as client:
            try:
                await work(client, stats)
            except httpx.HTTPError as error:
                stats.errors.append(f"poster{index}: {error!r}")
                await asyncio.sleep(0.5)
        turn += 1


def timed(stats: Stats, name: str):
    async def go(client: httpx.AsyncClient, method: str, url: str, **kwargs) -> httpx.Response:
        t0 = time.monotonic()
        response = await client.request(method, url, **kwargs)
        stats.add(name, time.monotonic() - t0, response.status_code)
        return response

    return go


async def mixed(
    servers: list[Server], info: dict, minutes: float, n_watchers: int, sample_every: float, probes, latest
):
    stats = Stats()
    threads = info["threads"]
    watched = threads[:8]
    cookie_name = info["cookie_name"]
    rng = random.Random(7)
    until = time.monotonic() + minutes * 60
    watchers = [SoakWatcher(servers, watched[i % len(watched)], i) for i in range(n_watchers)]
    watcher_tasks = [asyncio.create_task(w.run()) for w in watchers]
    await asyncio.sleep(3)

    async def reader(client, stats):
        go = timed(stats, "thread page")
        await go(client, "GET", f"/t/{rng.choice(threads)}/", follow_redirects=True)
        await timed(stats, "home")(client, "GET", "/")
        await timed(stats, "search")(client, "GET", "/search/", params={"q": rng.choice(["wifi", "sleep", "tablet"])})
        await asyncio.sleep(0.2)

    def poster_for(index: int):
        async def poster(client, stats):
            thread = watched[rng.randrange(len(watched))] if rng.random() < 0.7 else rng.choice(threads)
            page = await client.get(f"/t/{thread}/", follow_redirects=True)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            if token is None:
                stats.errors.append(f"poster {index}: no form on thread {thread} ({page.status_code})")
                await asyncio.sleep(1)
                return
            await timed(stats, "reply POST")(
                client,
                "POST",
                f"/t/{thread}/reply/",
                data={"csrfmiddlewaretoken": token.group(1), "body": f"Soak reply {time.time():.3f} from {index}"},
                headers={"Referer": f"{client.base_url}/t/{thread}/"},
            )
            await asyncio.sleep(1.5)

        return poster

    async def staff(client, stats):
        await timed(stats, "vendor inbox")(client, "GET", "/v/northwind/inbox/")
        await asyncio.sleep(1)

    loops = []
    for i in range(4):
        loops.append(client_loop(f"reader{i}", servers[i % 2], None, stats, until, reader))
    # Each poster speaks as 12 people in turn, so no one person exceeds the reply rate limit (20 per 5 min).
    for i in range(4):
        people = info["cookies"][i * 12 : (i + 1) * 12]
        loops.append(poster_loop(i, servers[i % 2], cookie_name, people, stats, until, poster_for(i)))
    loops.append(client_loop("staff", servers[0], {cookie_name: info["staff"]}, stats, until, staff))

    samples: list[dict] = []

    async def sampler():
        while time.monotonic() < until:
            samples.append(probes())
            await asyncio.sleep(sample_every)

    started = time.monotonic()
    await asyncio.gather(sampler(), *loops)
    elapsed = time.monotonic() - started
    # Let every watcher catch up as a left-open page would: its pings reveal what it missed and it
    # resumes. Up to CATCH_UP seconds; the time it took is reported.
    caught_up = time.monotonic()
    while time.monotonic() - caught_up < CATCH_UP:
        newest = {thread: latest(thread) for thread in watched}
        if all(w.last is None or w.last >= newest[w.thread] for w in watchers):
            break
        await asyncio.sleep(1)
    stats.catch_up = time.monotonic() - caught_up
    for w in watchers:
        w.stop.set()
    await asyncio.gather(*watcher_tasks, return_exceptions=True)
    return stats, samples, watchers, elapsed


def redis_families(rd) -> dict:
    """Redis keys that never expire (a leak shows here) and the biggest key families by prefix."""
    keys = list(rd.scan_iter(count=1000))
    pipe = rd.pipeline(transaction=False)
    for key in keys:
        pipe.ttl(key)
    ttls = pipe.execute()
    families: dict[str, int] = {}
    for key in keys:
        prefix = re.sub(rb"[0-9a-f]{8,}|\d+", b"#", key.split(b"!")[0])[:40].decode(errors="replace")
        families[prefix] = families.get(prefix, 0) + 1
    top = dict(sorted(families.items(), key=lambda item: -item[1])[:6])
    # The post fragment cache (forum/fragments.py) holds one key per post version and language
    # for POST_FRAGMENT_CACHE_SECONDS: it grows with the posts written, like the database does.
    fragments = sum(n for prefix, n in families.items() if prefix.startswith(":#:postfrag:"))
    return {
        "redis_keys_no_ttl": sum(1 for ttl in ttls if ttl == -1),
        "redis_keys_but_fragments": len(keys) - fragments,
        "redis_families": top,
    }


def stable(samples: list[dict], key: str, slack: float = 0.0) -> dict:
    values = [s[key] for s in samples[len(samples) // 4 :]] or [0]
    mean = statistics.mean(values)
    limit = max(mean * 0.10, slack)
    third = max(1, len(values) // 3)
    early, late = statistics.mean(values[:third]), statistics.mean(values[-third:])
    return {
        "key": key,
        "min": min(values),
        "max": max(values),
        "mean": round(mean, 1),
        "ok": all(abs(v - mean) <= limit for v in values),
        # Growth: the last third's mean against the first third's (a leak grows; load only wobbles).
        "drift": round((late - early) / early * 100, 1) if early else 0.0,
        "drift_ok": abs(late - early) <= max(early * 0.10, slack),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=10_000)
    parser.add_argument("--minutes", type=float, default=20)
    parser.add_argument("--watchers", type=int, default=200)
    parser.add_argument("--sample", type=float, default=30)
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    load_before = loadavg()
    postgres = Postgres()
    url = postgres.start()
    processes: list[Server] = []
    worker: subprocess.Popen | None = None
    try:
        with redis_server() as redis:
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "REDIS_URL": redis.url,
                "DEBUG": "0",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "LOG_LEVEL": "WARNING",
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "SECRET_KEY": "soak-" + "k" * 60,
            }
            subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
            out = subprocess.run([PY, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True)
            if out.returncode:
                raise SystemExit(f"seeding failed:\n{out.stderr[-3000:]}")
            info = json.loads(out.stdout.strip().splitlines()[-1])
            servers = [Server("daphne", env), Server("daphne", env)]
            processes.extend(servers)
            if (ROOT / "forum/management/commands/run_worker.py").exists():
                worker = subprocess.Popen(
                    [PY, "manage.py", "run_worker"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=None
                )

            import psycopg
            import redis as redis_lib

            pg = psycopg.connect(url, autocommit=True)
            rd = redis_lib.Redis.from_url(redis.url)

            def latest(thread: int) -> int:
                row = pg.execute(
                    "SELECT max(seq) FROM forum_event WHERE thread_id = %s AND vendor_id IS NULL", (thread,)
                ).fetchone()
                return row[0] or 0

            def probes() -> dict:
                row = pg.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()").fetchone()
                return {
                    "t": round(time.monotonic(), 1),
                    "rss_kb": sum(rss_kb(s.process.pid) for s in servers),
                    "files": sum(open_files(s.process.pid) for s in servers),
                    "pg_connections": row[0],
                    "redis_keys": rd.dbsize(),
                    **redis_families(rd),
                }

            churned = asyncio.run(churn(servers, info["threads"], args.cycles))
            print(json.dumps({"churn": churned, "after": probes()}), flush=True)
            stats, samples, watchers, elapsed = asyncio.run(
                mixed(servers, info, args.minutes, args.watchers, args.sample, probes, latest)
            )

            lost = behind = duplicated = out_of_order = 0
            for w in watchers:
                if w.first is None:
                    continue
                db = [
                    r[0]
                    for r in pg.execute(
                        "SELECT seq FROM forum_event WHERE thread_id = %s AND vendor_id IS NULL AND seq >= %s "
                        "ORDER BY seq",
                        (w.thread, w.first),
                    ).fetchall()
                ]
                # What it applied must be the database's events from its first, in order: no gap, no duplicate.
                duplicated += len(w.seqs) - len(set(w.seqs))
                # A hole below the last seq it applied is lost; past it, the watcher was still catching up
                # when the wait ended (its client rule would fetch them), which is lag, not loss.
                missing = set(db) - set(w.seqs)
                lost += sum(1 for seq in missing if w.last is None or seq < w.last)
                behind += sum(1 for seq in missing if w.last is not None and seq > w.last)
                out_of_order += w.seqs != sorted(w.seqs)
            pg.close()
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.wait(10)
        for s in processes:
            s.kill()
        postgres.stop()

    print(f"\nMachine: {machine()}; load before {load_before}, after {loadavg()}")
    print(f"Churn: {churned}")
    print(f"Mixed load: {elapsed / 60:.1f} min, {args.watchers} watchers on 8 threads, 4 readers, 4 posters, 1 staff")
    print("\n| endpoint | requests | req/s | p50 ms | p99 ms | non-2xx/3xx |\n| --- | --- | --- | --- | --- | --- |")
    for name, times in sorted(stats.times.items()):
        bad = sum(n for code, n in stats.statuses[name].items() if code >= 400)
        print(
            f"| {name} | {len(times)} | {len(times) / elapsed:.1f} | {pct(times, 50) * 1000:.1f} | "
            f"{pct(times, 99) * 1000:.1f} | {bad} {dict(stats.statuses[name]) if bad else ''} |"
        )
    print(
        "\n| resource (after warm-up) | min | max | mean | every sample within 10% of the mean "
        "| last third vs first third | drift within 10% |\n| --- | --- | --- | --- | --- | --- | --- |"
    )
    for key, slack in (("rss_kb", 0), ("files", 5), ("pg_connections", 5), ("redis_keys", 5),
                       ("redis_keys_but_fragments", 5), ("redis_keys_no_ttl", 5)):  # fmt: skip
        r = stable(samples, key, slack)
        print(
            f"| {key} | {r['min']} | {r['max']} | {r['mean']} | {'yes' if r['ok'] else 'NO'} "
            f"| {r['drift']:+.1f}% | {'yes' if r['drift_ok'] else 'NO'} |"
        )
    reconnects = sum(w.reconnects for w in watchers)
    reasons: dict[str, int] = {}
    for w in watchers:
        for reason, n in w.reasons.items():
            reasons[reason] = reasons.get(reason, 0) + n
    print(
        f"\nWatchers: {len(watchers)}, events lost {lost}, still to apply when the wait ended {behind}, "
        f"applied twice {duplicated}, out of order {out_of_order}; "
        f"reconnects {reconnects} {reasons}; resumes {sum(w.resumes for w in watchers)}, "
        f"gaps closed within the wait {sum(w.closed_in_wait for w in watchers)}, "
        f"duplicates ignored {sum(w.ignored for w in watchers)}"
    )
    if samples:
        print(
            f"Redis key families, first and last sample after warm-up: {samples[len(samples) // 4].get('redis_families')} -> {samples[-1].get('redis_families')}"
        )
    print(f"Watchers caught up with the database {stats.catch_up:.1f} s after the load stopped")
    print(f"Client errors: {len(stats.errors)} {stats.errors[:5]}")
    five_hundreds = sum(n for per in stats.statuses.values() for code, n in per.items() if code >= 500)
    print(f"5xx responses: {five_hundreds}")
    shutil.rmtree(Path(tempfile.gettempdir()) / "barnraise-soak", ignore_errors=True)


if __name__ == "__main__":
    main()
