"""Profile the 200-reply thread page in-process (SQLite, small seed): where the time goes.

    python -m bench.profile_thread [--requests 20] [--top 15]

Seeds a throwaway SQLite database (300 threads), renders the 200-reply thread page with
django.test.Client as a visitor and as a logged-in member, prints the mean ms per page for each
and a cProfile summary (top entries by own time and by cumulative time) of the visitor's pages.
Takes about a minute; meant for before/after comparisons of a change, not for absolute numbers.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def temp_sqlite(prefix: str) -> str:
    """Set Django up on a migrated SQLite database in a new temp folder (returned, for removal)."""
    tmpdir = tempfile.mkdtemp(prefix=prefix)
    os.environ.update({"DEBUG": "0", "DJANGO_SETTINGS_MODULE": "config.settings"})
    os.environ.pop("DATABASE_URL", None)
    os.environ["SQLITE_PATH"] = str(Path(tmpdir) / "profile.sqlite3")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return tmpdir


def setup() -> tuple[str, str]:
    """Migrate and seed a temp SQLite database; the 200-reply thread's URL and a member's username."""
    tmpdir = temp_sqlite("barnraise-profile-")
    from bench.seed import seed
    from forum.models import Thread

    seeded = seed(threads=300, posts=3000, verbose=False)
    return tmpdir, Thread.objects.get(pk=seeded.thread_200).get_absolute_url()


def timed(client, url: str, n: int) -> float:
    t = time.perf_counter()
    for _ in range(n):
        response = client.get(url)
        assert response.status_code == 200, response.status_code
    return (time.perf_counter() - t) * 1000 / n


def print_profile(client, url: str, n: int, top: int, label: str) -> None:
    """cProfile ``n`` views of ``url``: the top entries by own time and by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    timed(client, url, n)
    profiler.disable()
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(top)
        text = out.getvalue()
        print(f"\ncProfile, {label}, {n} pages, top {top} by {order}:")
        print(text[text.index("ncalls") :].rstrip() if "ncalls" in text else text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    tmpdir, url = setup()
    try:
        from django.test import Client

        from forum.models import User

        visitor = Client(HTTP_HOST="127.0.0.1")
        member = Client(HTTP_HOST="127.0.0.1")
        member.force_login(User.objects.get(username="user00007"))
        staff = Client(HTTP_HOST="127.0.0.1")
        staff.force_login(User.objects.filter(username__startswith="staff-").first())
        for client in (visitor, member, staff):
            timed(client, url, 3)  # warm: templates, caches, connections
        from bench.run import loadavg

        load = loadavg()
        results = {
            name: timed(c, url, args.requests)
            for name, c in (("visitor", visitor), ("member", member), ("staff", staff))
        }
        print(f"200-reply thread page, in-process, mean of {args.requests} (load average {load}):")
        for name, ms in results.items():
            print(f"  {name:8s} {ms:6.1f} ms/page")
        print_profile(visitor, url, args.requests, args.top, "visitor")
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    main()
