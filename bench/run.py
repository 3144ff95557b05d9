"""Measure Barnraise's read pages over real HTTP on a freshly seeded database.

    python -m bench.run --db postgres --threads 50000 --posts 1000000
    python -m bench.run --db sqlite   --threads 5000  --posts 100000

Creates a throwaway database (a private PostgreSQL cluster, or a temp SQLite
file), migrates, seeds with bench.seed, starts daphne on a free port (DEBUG=0),
and times sequential requests with httpx after a warm-up. Query counts per page
are measured in-process with django.test.Client + CaptureQueriesContext. Prints
a markdown table and appends it, with the machine and the command, to
bench/RESULTS.md. Everything started is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
SEARCHES = ["wifi", "bluetooth pairing", "battery drains", "printer offline", "firmware update failed"]
DEEP_PAGES = 2000
GOALS = {"thread": 25.0, "search_p95": 100.0, "deep_ratio": 1.5}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def machine() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    return {
        "nproc": str(os.cpu_count()),
        "ram": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "cpu": cpu,
        "python": platform.python_version(),
    }


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * len(values) + 0.5) - 1))
    return values[k]


def cpu_ms(pids: list[int]) -> float:
    """User + system CPU time used so far by these processes, in ms."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total * 1000 / tick


def server_pids(daphne_pid: int, cluster) -> list[int]:
    """Daphne plus, on PostgreSQL, every process of the throwaway cluster."""
    pids = [daphne_pid]
    if cluster is not None:
        try:
            postmaster = int((cluster.dir / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return pids
        pids.append(postmaster)
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                if ppid == postmaster:
                    pids.append(int(entry))
    return pids


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"daphne exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("daphne did not answer in time")


def explain(sql: str, params) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(" | ".join(str(c) for c in row) for row in cursor.fetchall())


def stop_all(daphne: subprocess.Popen | None, cluster, tmpdir: str | None) -> None:
    """Stop what a benchmark started: the server, the database connections, the cluster, temp files."""
    if daphne is not None:
        daphne.terminate()
        try:
            daphne.wait(10)
        except subprocess.TimeoutExpired:
            daphne.kill()
    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # noqa: BLE001 - best effort before the cluster goes
        pass
    if cluster is not None:
        cluster.stop()
    if tmpdir:
        shutil.rmtree(tmpdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="Barnraise read-path benchmark")
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="sqlite")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--posts", type=int, default=None)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--no-write", action="store_true", help="do not append to bench/RESULTS.md")
    args = parser.parse_args()
    # A plain `kill` (SIGTERM) still runs the clean-up below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    pg = args.db == "postgres"
    threads = args.threads or (50_000 if pg else 5_000)
    posts = args.posts or (1_000_000 if pg else 100_000)

    cluster = None
    tmpdir = None
    env = {**os.environ, "DEBUG": "0", "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DATABASE_URL", None)
    env.pop("SQLITE_PATH", None)
    daphne = None
    try:
        if pg:
            sys.path.insert(0, str(ROOT))
            from tests.services import Postgres

            cluster = Postgres()
            env["DATABASE_URL"] = cluster.start()
        else:
            tmpdir = tempfile.mkdtemp(prefix="barnraise-bench-")
            env["SQLITE_PATH"] = str(Path(tmpdir) / "bench.sqlite3")
        os.environ.update({k: env[k] for k in ("DEBUG", "DJANGO_SETTINGS_MODULE")})
        for key in ("DATABASE_URL", "SQLITE_PATH"):
            if key in env:
                os.environ[key] = env[key]

        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        t0 = time.monotonic()
        call_command("migrate", verbosity=0)
        print(f"migrated in {time.monotonic() - t0:.1f}s", flush=True)

        from bench.seed import seed

        seeded = seed(threads=threads, posts=posts)
        db_version = "SQLite " + __import__("sqlite3").sqlite_version
        if pg:
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                db_version = "PostgreSQL " + cursor.fetchone()[0]

        from forum.models import Thread
        from forum.selectors import encode_cursor

        t20 = Thread.objects.get(pk=seeded.thread_20)
        t200 = Thread.objects.get(pk=seeded.thread_200)
        total = Thread.objects.count()
        per_page = 30
        deep_offset = min(DEEP_PAGES * per_page, total - per_page - 1)
        deep_row = Thread.objects.order_by("-last_activity_at", "-id").defer("search_vector")[deep_offset - 1]
        deep_cursor = encode_cursor(deep_row)
        deep_pages = deep_offset // per_page
        pages = [
            ("thread, 20 replies", t20.get_absolute_url()),
            ("thread, 200 replies", t200.get_absolute_url()),
            ("latest, page 1", "/"),
            (f"latest, page {deep_pages + 1} (keyset)", f"/?after={deep_cursor}"),
        ] + [(f"search '{q}'", "/search/?q=" + q.replace(" ", "+")) for q in SEARCHES]

        # Query counts, in-process against the same database.
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        client = Client(HTTP_HOST="127.0.0.1")
        queries = {}
        for name, url in pages:
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            assert response.status_code == 200, (name, url, response.status_code)
            queries[name] = len(ctx.captured_queries)

        # Plans of the heaviest statements, for the "what limits it" notes.
        plans = {}
        from forum.search import _search_postgres, _search_sqlite  # noqa: F401

        with CaptureQueriesContext(connection) as ctx:
            client.get("/search/?q=wifi")
        search_sql = next(
            q["sql"]
            for q in ctx.captured_queries
            if "websearch_to_tsquery" in q["sql"] or "forum_thread_fts" in q["sql"]
        )
        with CaptureQueriesContext(connection) as ctx:
            client.get(t200.get_absolute_url())
        plans["thread page (200 replies), each query"] = "\n\n".join(
            f"{q['time']}s  {q['sql'][:300]}" for q in ctx.captured_queries
        )
        with connection.cursor() as cursor:
            plans["search 'wifi' (the ranking query)"] = explain(search_sql, None)
        with CaptureQueriesContext(connection) as ctx:
            client.get(f"/?after={deep_cursor}")
        deep_sql = ctx.captured_queries[0]["sql"]
        plans["deep keyset list page"] = explain(deep_sql, None)
        connection.close()

        # Real HTTP through daphne.
        import logging

        import httpx

        logging.getLogger("httpx").setLevel(logging.WARNING)
        port = free_port()
        daphne = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/healthz", daphne)
        rows = []
        load_before = loadavg()
        with httpx.Client(base_url=base, timeout=30) as http:
            for name, url in pages:
                for _ in range(args.warmup):
                    r = http.get(url)
                    assert r.status_code == 200, (name, url, r.status_code)
                times = []
                size = 0
                pids = server_pids(daphne.pid, cluster)
                cpu0 = cpu_ms(pids)
                for _ in range(args.requests):
                    t = time.perf_counter()
                    r = http.get(url)
                    r.read()
                    times.append((time.perf_counter() - t) * 1000)
                    assert r.status_code == 200, (name, url, r.status_code)
                    size = len(r.content)
                cpu = (cpu_ms(server_pids(daphne.pid, cluster)) - cpu0) / args.requests
                rows.append((name, statistics.median(times), pct(times, 95), cpu, queries[name], size))
                print(f"{name:40s} p50 {rows[-1][1]:7.1f} ms  p95 {rows[-1][2]:7.1f} ms  "
                      f"server CPU {cpu:6.1f} ms/req  {queries[name]} queries  load {loadavg()}", flush=True)  # fmt: skip
        load_after = loadavg()

        # Goals.
        by = {r[0]: r for r in rows}
        p1 = by["latest, page 1"][1]
        deep = rows[3][1]
        thread_ok = all(r[1] <= GOALS["thread"] for r in rows[:2])
        search_rows = [r for r in rows if r[0].startswith("search")]
        search_ok = all(r[2] <= GOALS["search_p95"] for r in search_rows)
        deep_ok = deep <= GOALS["deep_ratio"] * p1

        m = machine()
        cmd = "python -m bench.run " + " ".join(sys.argv[1:])
        lines = [
            f"## {args.db} — {seeded.threads:,} threads / {seeded.posts:,} posts ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
            "",
            f"- Command: `{cmd}`",
            f"- Data: {seeded.threads:,} threads, {seeded.posts:,} posts, {seeded.events:,} events, "
            f"{total:,} threads listed; seeded in {seeded.seconds:.0f} s",
            f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, Python {m['python']}, {db_version}",
            f"- Method: daphne 1 process, DEBUG=0, sequential httpx keep-alive, {args.warmup} warm-up + "
            f"{args.requests} timed requests per page; queries counted in-process (django.test.Client)",
            "",
            f"- Load average (1/5/15 min) before timing: {load_before}; after: {load_after} "
            "(other work on this 2-CPU machine inflates wall times; server CPU per request is less affected)",
            "",
            "| page | p50 ms | p95 ms | server CPU ms/req | queries | bytes |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
            *[f"| {n} | {p50:.1f} | {p95:.1f} | {c:.1f} | {q} | {b:,} |" for n, p50, p95, c, q, b in rows],
            "",
            f"Goals: thread p50 <= 25 ms: **{'met' if thread_ok else 'missed'}**; "
            f"deep page <= 1.5x page 1 ({deep / p1:.2f}x): **{'met' if deep_ok else 'missed'}**; "
            f"search p95 <= 100 ms: **{'met' if search_ok else 'missed'}**.",
            "",
        ]
        table = "\n".join(lines)
        print("\n" + table)
        plan_text = "\n".join(f"### {k}\n\n```\n{v}\n```\n" for k, v in plans.items())
        print(plan_text)
        if not args.no_write:
            RESULTS.parent.mkdir(exist_ok=True)
            head = "" if RESULTS.exists() else "# Benchmark results\n\nWritten by `python -m bench.run`.\n\n"
            with RESULTS.open("a") as f:
                f.write(head + table + "\n<details><summary>Plans and per-query times</summary>\n\n"
                        + plan_text + "\n</details>\n\n")  # fmt: skip
    finally:
        stop_all(daphne, cluster, tmpdir)


if __name__ == "__main__":
    main()
