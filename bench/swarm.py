"""Measure the swarm pages for a busy vendor: inbox (each sort), radar tab, vendor page, thread panel.

    python -m bench.swarm --db postgres --threads 20000 --escalations 10000 --metoos 100000
    python -m bench.swarm --db sqlite

Seeds a forum with bench.seed, then bulk-writes escalations to one vendor in
every state (a quarter each) and "me too" rows, and times in-process requests
(django.test.Client, no HTTP server: this isolates query and template cost)
with their query counts. Appends a table to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"


def main() -> None:
    parser = argparse.ArgumentParser(description="Barnraise swarm pages benchmark")
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="sqlite")
    parser.add_argument("--threads", type=int, default=20_000)
    parser.add_argument("--escalations", type=int, default=10_000)
    parser.add_argument("--metoos", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    cluster = None
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DEBUG"] = "0"
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    try:
        if args.db == "postgres":
            from tests.services import Postgres

            cluster = Postgres()
            os.environ["DATABASE_URL"] = cluster.start()
        else:
            os.environ["SQLITE_PATH"] = str(Path(tempfile.mkdtemp(prefix="barnraise-swarm-")) / "bench.sqlite3")
        run(args)
    finally:
        if cluster is not None:
            cluster.stop()


def seed_swarm(*, escalations: int, metoos: int) -> tuple:
    """Escalations of random threads to @acme, me-toos on them and 500 radar hits, in bulk.

    Returns an @acme staff user and the escalated thread ids."""
    from django.apps import apps

    from forum.models import Membership, Thread, User, Vendor
    from swarm.models import Escalation, MeToo, RadarHit

    rng = random.Random(3)
    vendor = Vendor.objects.get(handle="acme")
    staff = Membership.objects.filter(vendor=vendor).select_related("user").first().user
    thread_ids = list(Thread.objects.order_by("id").values_list("id", "author_id", "created_at"))
    chosen = rng.sample(thread_ids, min(escalations, len(thread_ids)))
    now = datetime.now(UTC)
    states = ["open", "claimed", "resolved", "confirmed"]
    rows = []
    for i, (tid, author, _created) in enumerate(chosen):
        state = states[i % 4]
        rows.append(
            Escalation(
                thread_id=tid,
                vendor=vendor,
                state=state,
                escalated_by_id=author,
                created_at=now - timedelta(minutes=rng.randint(1, 80 * 24 * 60)),
                customer_posted_at=now - timedelta(minutes=rng.randint(1, 60 * 24 * 60)),
                claimed_by=staff if state != "open" else None,
                first_claimed_at=now - timedelta(days=1) if state != "open" else None,
                first_staff_reply_at=now - timedelta(hours=20) if state != "open" else None,
                resolved_at=now - timedelta(hours=2) if state in ("resolved", "confirmed") else None,
                confirmed_at=now - timedelta(hours=1) if state == "confirmed" else None,
                solved_by_staff=rng.random() < 0.6 if state == "confirmed" else None,
                rating=rng.randint(1, 5) if state == "confirmed" else None,
            )
        )
    Escalation.objects.bulk_create(rows, batch_size=2000)
    user_ids = list(User.objects.values_list("id", flat=True))
    escalated = [tid for tid, _, _ in chosen]
    pairs = set()
    while len(pairs) < metoos and len(pairs) < len(user_ids) * len(escalated):
        pairs.add((rng.choice(escalated), rng.choice(user_ids)))
    MeToo.objects.bulk_create([MeToo(thread_id=t, user_id=u) for t, u in pairs], batch_size=5000)
    # Bulk rows skip the me-too action, which keeps each escalation's count: fill them as the migration does.
    import_module("swarm.migrations.0009_fast_inbox").fill_metoo_counts(apps, None)
    RadarHit.objects.bulk_create(
        [RadarHit(vendor=vendor, thread_id=tid, phrases=["wifi"]) for tid, _, _ in rng.sample(thread_ids, 500)],
        ignore_conflicts=True,
    )
    return staff, escalated


def run(args) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from bench.run import machine, pct
    from bench.seed import seed
    from forum.models import Thread
    from swarm.models import Escalation, MeToo

    call_command("migrate", verbosity=0)
    seeded = seed(threads=args.threads, posts=args.threads * 4, verbose=False)
    t0 = time.monotonic()
    staff, escalated = seed_swarm(escalations=args.escalations, metoos=args.metoos)
    print(f"swarm rows written in {time.monotonic() - t0:.1f}s", flush=True)

    from django.core.signals import request_started
    from django.db import reset_queries

    request_started.disconnect(reset_queries)  # keep the log that CaptureQueriesContext reads
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(staff)
    busiest = max(escalated[:200], key=lambda t: MeToo.objects.filter(thread_id=t).count())
    thread_url = Thread.objects.get(pk=busiest).get_absolute_url()
    pages = [
        ("inbox, longest waiting", "/v/acme/inbox/"),
        ("inbox, most me-too", "/v/acme/inbox/?sort=metoo"),
        ("inbox, all states, oldest", "/v/acme/inbox/?state=all&sort=age"),
        ("inbox, all states, newest", "/v/acme/inbox/?state=all&sort=newest"),
        ("inbox, tag filter", "/v/acme/inbox/?tag=wifi"),
        ("inbox, radar tab", "/v/acme/inbox/?tab=radar"),
        ("vendor page (metrics)", "/v/acme/"),
        ("vendor page, figures not cached", "/v/acme/"),
        ("thread page as staff (panel)", thread_url),
    ]
    results = []
    for name, url in pages:
        # The vendor page's figures are cached (swarm.selectors.public_figures): also time what a miss costs.
        uncached = {"VENDOR_FIGURES_CACHE_SECONDS": 0} if "not cached" in name else {}
        with override_settings(BARNRAISE={**settings.BARNRAISE, **uncached}):
            for _ in range(5):
                assert client.get(url).status_code == 200, url
            with CaptureQueriesContext(connection) as ctx:
                client.get(url)
            times = []
            for _ in range(args.requests):
                start = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - start) * 1000)
        results.append((name, len(ctx.captured_queries), statistics.median(times), pct(times, 95)))
        print(f"{name:35} q={len(ctx.captured_queries):3} p50={results[-1][2]:7.1f} ms p95={results[-1][3]:7.1f} ms")

    info = machine()
    db_version = connection.vendor
    table = [
        f"\n## Swarm pages, {db_version} ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)\n",
        f"Command: `python -m bench.swarm --db {args.db} --threads {args.threads} --escalations {args.escalations} "
        f"--metoos {args.metoos}`; {Thread.objects.count():,} threads, {Escalation.objects.count():,} escalations "
        f"to one vendor, {MeToo.objects.count():,} me-toos, 500 radar hits. In-process django.test.Client, "
        f"{args.requests} requests per page after warm-up. Machine: {info['nproc']} CPUs ({info['cpu']}), "
        f"{info['ram']}, Python {info['python']}.\n",
        "| page | queries | p50 ms | p95 ms |",
        "| --- | ---: | ---: | ---: |",
    ]
    table += [f"| {n} | {q} | {p50:.1f} | {p95:.1f} |" for n, q, p50, p95 in results]
    text = "\n".join(table) + "\n"
    print(text)
    if not args.no_write:
        with open(RESULTS, "a") as f:
            f.write(text)
    del seeded


if __name__ == "__main__":
    main()
