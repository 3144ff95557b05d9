"""Every goal row of issue 12 in one table: ``make bench``.

    python -m bench.goals                      # default size: 5,000 threads / 100,000 posts, PostgreSQL
    python -m bench.goals --size large         # the goals' size: 50,000 / 1,000,000 (long: the lead runs it)
    python -m bench.goals --db sqlite --requests 20

Seeds a throwaway database (bench.seed, plus escalations and me-toos from bench.swarm), counts
queries in-process per role, then times real HTTP through one daphne process (DEBUG=0): the
thread pages as a visitor, a logged-in customer and vendor staff, the latest list at page 1 and
deep, the five searches, and the requests per second of the thread page with 4 concurrent
clients. The vendor inbox and vendor page are timed in-process (bench.swarm's method). The
websocket rows need many sockets and minutes: they are read from the last ``make bench-ws`` run
(bench/ws_last.json, with its date, commit and load). Prints one table with the machine's load
before and after and the commit, warns when the load is high, and appends it to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.run import RESULTS, ROOT, SEARCHES, free_port, loadavg, machine, pct, stop_all, wait_http

SIZES = {
    "default": {"threads": 5_000, "posts": 100_000, "escalations": 1_000, "metoos": 10_000},
    "large": {"threads": 50_000, "posts": 1_000_000, "escalations": 10_000, "metoos": 100_000},
}
MAX_QUERIES = 12
RPS_SECONDS = 5.0
NOT_RUN = "not run here"


@dataclass
class Row:
    page: str
    goal: str
    measured: str
    verdict: str  # met, missed, or NOT_RUN

    def line(self) -> str:
        return f"| {self.page} | {self.goal} | {self.measured} | {self.verdict} |"


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def commit() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout  # fmt: skip
    except OSError:
        return "unknown"
    return sha.strip() + (" (with uncommitted changes)" if dirty.strip() else "")


def load_warning(load: str) -> str:
    one = float(load.split()[0])
    cpus = os.cpu_count() or 1
    if one > cpus:
        return f"WARNING: load average {one:.1f} on {cpus} CPUs: other work inflates every time below; compare ratios."
    return ""


def timed_get(http, url: str, n: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        assert http.get(url).status_code == 200, url
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = http.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return times


def requests_per_second(base: str, url: str, clients: int, seconds: float) -> float:
    """Full renders per second of ``url`` with ``clients`` keep-alive clients in parallel."""
    import httpx

    done = [0] * clients
    stop = time.monotonic() + seconds

    def work(i: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            while time.monotonic() < stop:
                assert http.get(url).status_code == 200
                done[i] += 1

    workers = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    start = time.monotonic()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(done) / (time.monotonic() - start)


def session_cookie(user) -> dict[str, str]:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def count_queries(url: str, user=None) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    if user is not None:
        client.force_login(user)
    client.get(url)  # warm caches, as a returning reader finds them
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def swarm_pages(staff, requests: int) -> dict[str, float]:
    """p50 ms of the inbox (slowest sort) and the vendor page, in-process as bench.swarm does."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(staff)
    result = {}
    for name, url in (("inbox", "/v/acme/inbox/"), ("inbox, most me-too", "/v/acme/inbox/?sort=metoo"),
                      ("vendor page", "/v/acme/")):  # fmt: skip
        times = []
        for i in range(requests + 3):
            start = time.perf_counter()
            assert client.get(url).status_code == 200, url
            if i >= 3:
                times.append((time.perf_counter() - start) * 1000)
        result[name] = statistics.median(times)
    return result


WS_LAST = ROOT / "bench" / "ws_last.json"


def websocket_rows() -> list[Row]:
    """The live rows, from the last `make bench-ws` run (bench/ws_last.json): minutes and thousands of sockets."""
    import json

    if not WS_LAST.exists():
        return [Row(page, goal, "never measured", f"{NOT_RUN}: `make bench-ws`") for page, goal in WS_GOALS]
    last = json.loads(WS_LAST.read_text())
    source = f" (bench.ws {last['date']}, commit {last['commit']}, load {last['load_before'].split()[0]})"

    def latency(n: int, processes: int) -> dict | None:
        return next((r for r in last["latency"] if r["server"] == "daphne" and (r["n"], r["processes"]) == (n, processes)),
                    None)  # fmt: skip

    def lost(r: dict) -> str:
        return f"{r['missing']:,} of {r['expected']:,} lost"

    rows = []
    r = latency(1000, 2)
    rows.append(Row(*WS_GOALS[0], f"POST p50 {r['post_p50']:.0f} ms" + source, verdict(r["post_p50"] <= 40))
                if r else Row(*WS_GOALS[0], "not in the last run", NOT_RUN))  # fmt: skip
    for goal, (n, processes, p99) in zip(WS_GOALS[1:3], ((1000, 2, 150), (10000, 4, 1000)), strict=True):
        r = latency(n, processes)
        rows.append(Row(*goal, f"p99 {r['p99']:.0f} ms, {lost(r)}" + source, verdict(r["p99"] <= p99 and not r["missing"]))
                    if r else Row(*goal, "not in the last run", NOT_RUN))  # fmt: skip
    idle = max(last["idle"], key=lambda r: r["count"], default=None)
    rows.append(Row(*WS_GOALS[3], f"{idle['per_conn_kb']:.1f} kB each at {idle['open']:,} open" + source,
                    verdict(idle["per_conn_kb"] <= 30 and idle["open"] >= 10_000))
                if idle else Row(*WS_GOALS[3], "not in the last run", NOT_RUN))  # fmt: skip
    return rows


WS_GOALS = [
    ("posting a reply with 1,000 watchers (poster p50)", "≤ 40 ms"),
    ("1,000 watchers over 2 processes, reply seen by all", "p99 ≤ 150 ms, 0 lost"),
    ("10,000 watchers over 4 processes", "p99 ≤ 1 s, 0 lost"),
    ("idle websocket memory", "≤ 30 kB each at 10,000 per process"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description="Every goal row of issue 12 in one table")
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--size", choices=sorted(SIZES), default="default")
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="do not append to bench/RESULTS.md")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    size = SIZES[args.size]
    cluster = tmpdir = daphne = None
    env = {**os.environ, "DEBUG": "0", "DJANGO_SETTINGS_MODULE": "config.settings"}
    for key in ("DATABASE_URL", "SQLITE_PATH", "REDIS_URL"):
        env.pop(key, None)
        os.environ.pop(key, None)
    try:
        if args.db == "postgres":
            from tests.services import Postgres

            cluster = Postgres()
            env["DATABASE_URL"] = cluster.start()
        else:
            tmpdir = tempfile.mkdtemp(prefix="barnraise-goals-")
            env["SQLITE_PATH"] = str(Path(tmpdir) / "bench.sqlite3")
        os.environ.update({k: env[k] for k in ("DEBUG", "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "SQLITE_PATH")
                           if k in env})  # fmt: skip
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        from bench.seed import seed
        from bench.swarm import seed_swarm
        from forum.models import Thread, User
        from forum.selectors import encode_cursor

        seeded = seed(threads=size["threads"], posts=size["posts"])
        staff, _ = seed_swarm(escalations=size["escalations"], metoos=size["metoos"])
        customer = User.objects.get(username="user00007")
        t20 = Thread.objects.get(pk=seeded.thread_20).get_absolute_url()
        t200 = Thread.objects.get(pk=seeded.thread_200).get_absolute_url()
        per_page = 30
        deep_offset = min(1665 * per_page, seeded.threads - per_page - 1)
        deep_row = Thread.objects.order_by("-last_activity_at", "-id").defer("search_vector")[deep_offset - 1]
        deep_url = f"/?after={encode_cursor(deep_row)}"
        deep_page = deep_offset // per_page + 1

        queries = {
            role: max(count_queries(t20, user), count_queries(t200, user))
            for role, user in (("visitor", None), ("customer", customer), ("staff", staff))
        }
        swarm = swarm_pages(staff, max(10, args.requests // 2))
        cookies = {"customer": session_cookie(customer), "staff": session_cookie(staff)}
        connection.close()

        import logging

        import httpx

        logging.getLogger("httpx").setLevel(logging.WARNING)
        port = free_port()
        daphne = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/healthz", daphne)
        load_before = loadavg()
        n, w = args.requests, args.warmup
        with httpx.Client(base_url=base, timeout=30) as http:
            visitor20 = timed_get(http, t20, n, w)
            visitor200 = timed_get(http, t200, n, w)
            latest = timed_get(http, "/", n, w)
            deep = timed_get(http, deep_url, n, w)
            searches = {q: timed_get(http, "/search/?q=" + q.replace(" ", "+"), n, w) for q in SEARCHES}
        roles = {}
        for role, jar in cookies.items():
            with httpx.Client(base_url=base, timeout=30, cookies=jar) as http:
                roles[role] = timed_get(http, t20, n, w)
        rps = requests_per_second(base, t20, clients=4, seconds=RPS_SECONDS)
        load_after = loadavg()
    finally:
        stop_all(daphne, cluster, tmpdir)

    med = statistics.median
    v20, v200 = med(visitor20), med(visitor200)
    worst_q, worst = max(searches.items(), key=lambda kv: pct(kv[1], 95))
    ratio = {role: med(times) / v20 for role, times in roles.items()}
    rows = [
        Row(
            "thread page, 20 replies, visitor",
            "p50 ≤ 12 ms, p95 ≤ 30 ms",
            f"p50 {v20:.1f} ms, p95 {pct(visitor20, 95):.1f} ms",
            verdict(v20 <= 12 and pct(visitor20, 95) <= 30),
        ),
        Row("thread page, 200 replies, visitor", "p50 ≤ 35 ms", f"p50 {v200:.1f} ms", verdict(v200 <= 35)),
        Row(
            "thread page (20 replies) as customer / as vendor staff",
            "≤ 1.5× the visitor's p50; ≤ 12 queries any role",
            f"{med(roles['customer']):.1f} ms ({ratio['customer']:.2f}×) / {med(roles['staff']):.1f} ms "
            f"({ratio['staff']:.2f}×); queries visitor {queries['visitor']}, customer {queries['customer']}, "
            f"staff {queries['staff']}",
            verdict(max(ratio.values()) <= 1.5 and max(queries.values()) <= MAX_QUERIES),
        ),
        Row(
            f"latest list, page 1 and page {deep_page:,}",
            "p50 ≤ 10 ms, deep ≤ 1.2× page 1",
            f"{med(latest):.1f} ms → {med(deep):.1f} ms ({med(deep) / med(latest):.2f}×)",
            verdict(med(latest) <= 10 and med(deep) <= 1.2 * med(latest)),
        ),
        Row(
            "search, worst of 5 queries",
            "p95 ≤ 50 ms",
            f"p95 {pct(worst, 95):.1f} ms ('{worst_q}')",
            verdict(pct(worst, 95) <= 50),
        ),
        Row(
            f"vendor inbox and vendor page ({size['escalations']:,} escalations, {size['metoos']:,} me-toos)",
            "p50 ≤ 40 ms",
            ", ".join(f"{k} {v:.1f} ms" for k, v in swarm.items()) + " (in-process)",
            verdict(max(swarm.values()) <= 40),
        ),
        *websocket_rows(),
        Row(
            "thread page (20 replies) req/s, 1 process, 4 concurrent clients",
            "≥ 150 req/s",
            f"{rps:.0f} req/s",
            verdict(rps >= 150),
        ),
    ]
    info = machine()
    db = "PostgreSQL" if args.db == "postgres" else "SQLite"
    warn = load_warning(load_before) or load_warning(load_after)
    lines = [
        f"## Goals of issue 12, {db}, size {args.size} ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        f"- Command: `python -m bench.goals {' '.join(sys.argv[1:])}`; commit {commit()}",
        f"- Data: {seeded.threads:,} threads, {seeded.posts:,} posts, {size['escalations']:,} escalations, "
        f"{size['metoos']:,} me-toos"
        + ("" if args.size == "large" else " (the goals are set for 50,000 / 1,000,000: `--size large`)"),
        f"- Machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram']}, Python {info['python']}; daphne 1 process, "
        f"DEBUG=0, {n} timed requests per page after {w} warm-up, sequential keep-alive unless stated",
        f"- Load average (1/5/15 min) before: {load_before}; after: {load_after}",
        *([f"- **{warn}**"] if warn else []),
        "",
        "| page or path | goal | measured | verdict |",
        "| --- | --- | --- | --- |",
        *[row.line() for row in rows],
        "",
    ]
    text = "\n".join(lines)
    if warn:
        print(warn, file=sys.stderr)
    print("\n" + text)
    if not args.no_write:
        with RESULTS.open("a") as f:
            f.write("\n" + text + "\n")


if __name__ == "__main__":
    main()
