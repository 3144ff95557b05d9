"""Profile the latest list (page 1 and a deep keyset page) and search in-process (SQLite): where the time goes.

    python -m bench.profile_lists [--threads 3000] [--requests 20] [--top 15] [--profile latest]

Seeds a throwaway SQLite database, renders each page with django.test.Client as a visitor and as a
logged-in member (whose unread markers differ per row), prints the mean ms per page and a cProfile
summary of one page kind. For before/after comparisons of a change on this shared machine, not for
absolute numbers (bench/goals.py measures those over HTTP on PostgreSQL).
"""

from __future__ import annotations

import argparse
import logging
import shutil

from bench.profile_thread import print_profile, temp_sqlite, timed


def setup(threads: int) -> tuple[str, dict[str, str]]:
    """Migrate and seed a temp SQLite database; the URLs to time, by name."""
    tmpdir = temp_sqlite("barnraise-lists-")
    from bench.run import SEARCHES
    from bench.seed import seed
    from forum.models import Thread
    from forum.selectors import encode_cursor

    seed(threads=threads, posts=threads * 4 + 220, verbose=False)
    per_page = 30
    deep = Thread.objects.order_by("-last_activity_at", "-id").defer("search_vector")[threads - 2 * per_page]
    urls = {"latest": "/", "deep": f"/?after={encode_cursor(deep)}"}
    urls |= {f"search {q}": "/search/?q=" + q.replace(" ", "+") for q in SEARCHES}
    return tmpdir, urls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--profile", default="latest", help="which page to profile: latest, deep or 'search wifi'")
    args = parser.parse_args()
    tmpdir, urls = setup(args.threads)
    logging.disable(logging.INFO)  # one request log line per page would drown the table
    try:
        from django.test import Client

        from bench.run import loadavg
        from forum.models import User

        visitor = Client(HTTP_HOST="127.0.0.1")
        member = Client(HTTP_HOST="127.0.0.1")
        member.force_login(User.objects.get(username="user00007"))
        for client in (visitor, member):
            for url in urls.values():
                timed(client, url, 2)  # warm: templates, caches, connections
        load = loadavg()
        print(f"{args.threads:,} threads, in-process, mean of {args.requests} (load average {load}):")
        for name, url in urls.items():
            v, m = timed(visitor, url, args.requests), timed(member, url, args.requests)
            print(f"  {name:28s} visitor {v:6.1f} ms/page   member {m:6.1f} ms/page")
        print(f"load average after: {loadavg()}")
        print_profile(visitor, urls[args.profile], args.requests, args.top, f"visitor, {args.profile}")
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    main()
