"""Measure how well /ask/ suggestions find the thread that answers a question (P@5).

    .venv/bin/python -m bench.matching --db sqlite      # or --db postgres; `make bench-matching` runs both

Seeds the threads of bench/matching/pairs.json (solved, with their accepted answer
and tags) into a throwaway database, asks ``selectors.ask_suggestions`` for each
labelled question exactly as the /ask/ page does (title and details), and reports:

- P@5: the share of questions whose answering thread is among the 5 suggestions (one
  right thread per question, so this is success at 5, the measure the issue asks for;
  strict precision at 5 is that divided by 5),
- P@1 and the mean reciprocal rank.

Seconds on a small set; it never touches the development database.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAIRS = Path(__file__).with_name("pairs.json")


def seed(data: dict) -> dict[str, int]:
    from django.utils.text import slugify

    from forum import search
    from forum.markdown import render
    from forum.models import Post, Thread, User

    author = User.objects.create_user(username="bench-asker", email="asker@example.com")
    helper = User.objects.create_user(username="bench-helper", email="helper@example.com")
    ids = {}
    for row in data["threads"]:
        thread = Thread.objects.create(title=row["title"], slug=slugify(row["title"])[:80], author=author)
        Post.objects.create(
            thread=thread, author=author, is_question=True, body=row["question"], body_html=render(row["question"])
        )
        answer = Post.objects.create(thread=thread, author=helper, body=row["answer"], body_html=render(row["answer"]))
        thread.status, thread.accepted_post, thread.reply_count = Thread.Status.SOLVED, answer, 1
        thread.save(update_fields=["status", "accepted_post", "reply_count"])
        thread.tags.set(row["tags"])
        search.index_thread(thread)
        ids[row["key"]] = thread.pk
    return ids


def measure(data: dict, ids: dict[str, int]) -> dict[str, float]:
    from forum import selectors

    at1 = at5 = 0
    rr = 0.0
    misses = []
    t0 = time.monotonic()
    for pair in data["pairs"]:
        found = [s.thread.pk for s in selectors.ask_suggestions(title=pair["title"], body=pair["body"])]
        want = ids[pair["answer"]]
        if want in found:
            rank = found.index(want) + 1
            at5 += 1
            at1 += rank == 1
            rr += 1 / rank
        else:
            misses.append(pair["title"])
    n = len(data["pairs"])
    return {
        "pairs": n,
        "p_at_5": at5 / n,
        "p_at_1": at1 / n,
        "mrr": rr / n,
        "ms_per_query": (time.monotonic() - t0) * 1000 / n,
        "misses": misses[:8],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Ask-suggestion matching: precision at 5")
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="sqlite")
    args = parser.parse_args()
    cluster = None
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("SECRET_KEY", "bench-matching-not-secret")
    try:
        if args.db == "postgres":
            sys.path.insert(0, str(ROOT))
            from tests.services import Postgres

            cluster = Postgres()
            os.environ["DATABASE_URL"] = cluster.start()
        else:
            os.environ["SQLITE_PATH"] = str(Path(tempfile.mkdtemp(prefix="barnraise-match-")) / "m.sqlite3")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        data = json.loads(PAIRS.read_text())
        ids = seed(data)
        result = measure(data, ids)
        print(f"{args.db}: {json.dumps(result, indent=1)}")
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
