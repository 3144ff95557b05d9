"""Seed a large, realistic forum fast, with bulk SQL (COPY on PostgreSQL, executemany on SQLite).

Nothing goes through forum.actions: rows are generated in Python with explicit ids
and written in bulk. Markdown is rendered once per distinct template text.

    python -m bench.seed --threads 50000 --posts 1000000      # uses DATABASE_URL / SQLITE_PATH

Two marker threads are always made: one with exactly 20 replies and one with
exactly 200 replies; ``seed()`` returns their ids.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

USERS = 2000
TAGS = [
    "wifi", "bluetooth", "battery", "printer", "router", "firmware", "drivers", "audio", "display", "usb",
    "network", "vpn", "email", "backup", "sync", "login", "update", "installer", "performance", "crash",
    "camera", "keyboard", "mouse", "storage", "cloud", "mobile", "tablet", "laptop", "desktop", "smart-home",
    "thermostat", "speaker", "tv", "streaming", "gaming", "security", "passwords", "billing", "accounts", "api",
]  # fmt: skip
VENDORS = [("Acme Networks", "acme"), ("Globex", "globex"), ("Initech", "initech"), ("Umbrella Devices", "umbrella"),
           ("Hooli", "hooli")]  # fmt: skip
PROBLEMS = [
    "WiFi keeps dropping", "Bluetooth pairing fails", "Battery drains overnight", "Printer shows offline",
    "Firmware update failed", "Router reboots randomly", "No sound after update", "Screen flickers",
    "USB device not recognised", "VPN disconnects every hour", "Email sync stuck", "Backup never finishes",
    "Login loop after password reset", "Installer hangs at 99%", "Slow performance after upgrade",
    "App crashes on start", "Camera shows black screen", "Keyboard lag when typing", "Storage full but empty",
    "Cloud sync conflicts", "Thermostat loses schedule", "Speaker won't join group", "TV app buffering",
    "Game stutters on wifi", "Two-factor codes rejected", "Billing charged twice", "API returns 500",
    "Mesh node won't connect", "Print jobs stuck in queue", "Hotspot not visible",
]  # fmt: skip
PRODUCTS = [
    "Acme Router X2", "Acme Mesh Pro", "Globex Phone 12", "Globex Tab S", "Initech Laptop 14", "Initech Dock",
    "Umbrella Cam", "Umbrella Thermostat", "Hooli Speaker", "Hooli TV Stick", "Acme Printer 300",
    "Globex Watch", "Initech Desktop", "Umbrella Doorbell", "Hooli Earbuds", "Acme Modem DSL",
]  # fmt: skip
DETAILS = [
    "It started right after the latest update. Restarting helps for about ten minutes, then it happens again.",
    "I have tried a factory reset twice, new cables, and a different power outlet. Nothing changes.",
    "Other devices on the same network work fine, only this one has the problem.",
    "The log shows a timeout and then a retry loop until I power cycle it.",
    "This happens both on 2.4 GHz and 5 GHz wifi, and also on the guest network.",
    "Support told me to wait for the next firmware, but that was three weeks ago.",
    "The battery goes from 100% to 20% overnight even with everything closed.",
    "The printer queue says *offline* although I can ping the printer.",
]  # fmt: skip
FIXES = [
    "Turn off **band steering** in the router settings and give the 5 GHz network its own name.",
    "Roll back to the previous firmware from the support page, then disable automatic updates for now.",
    "Forget the device in the Bluetooth settings, reboot both, and pair again within 30 seconds.",
    "Delete the cached profile:\n\n```\nrm -rf ~/.config/app/cache\n```\n\nthen sign in again.",
    "Set a static IP for it, or reserve one in DHCP; the lease renewal is what drops it.",
    "Disable battery optimisation for the app, and turn off *background refresh* for the sync service.",
    "Update the driver from the vendor site, not the one Windows Update offers.",
    "Change the wifi channel to 1, 6 or 11, and set the channel width to 20 MHz on 2.4 GHz.",
    "The fix for me was a new power adapter: the old one could not deliver enough current.",
    "Clear the print spooler: stop the service, delete the files in the spool folder, start it again.",
]  # fmt: skip
CHATTER = [
    "Same here, following.", "Did you try turning it off and on again?",
    "Which firmware version are you on? Look under Settings > About.",
    "I can reproduce this on two units.", "Thanks, that worked for me too!",
    "Still broken after the update today.", "Can you post the log output?",
    "This is a known issue, see the pinned thread.",
]  # fmt: skip


@dataclass
class Seeded:
    threads: int
    posts: int
    events: int
    thread_20: int
    thread_200: int
    seconds: float


def _question_templates(rng: random.Random) -> list[str]:
    out = []
    for i in range(60):
        problem, d1, d2 = rng.choice(PROBLEMS), rng.choice(DETAILS), rng.choice(DETAILS)
        out.append(
            f"{problem}. {d1}\n\n{d2}\n\n- model: {rng.choice(PRODUCTS)}\n- firmware: 2.{i % 9}.{i % 4}\n\n"
            f"Anyone seen this before? Any ideas welcome."
        )
    return out


def _reply_templates(rng: random.Random) -> list[str]:
    out = list(CHATTER)
    for i in range(70):
        text = f"{rng.choice(FIXES)}\n\n{rng.choice(DETAILS)}"
        if i % 10 == 0:
            text += f"\n\nIf that does not help, ask @{VENDORS[i % len(VENDORS)][1]} support directly."
        out.append(text)
    return out


def _allocate_replies(n_threads: int, total_replies: int, rng: random.Random) -> list[int]:
    """Reply counts per thread (index 0 and 1 are the 20- and 200-reply markers), skewed like a real forum."""
    counts = [0] * n_threads
    counts[0], counts[1] = 20, 200
    rest = max(0, total_replies - 220)
    others = [i for i in range(2, n_threads) if rng.random() >= 0.10]  # ~10% stay unanswered
    if not others:
        return counts
    weights = [min(rng.paretovariate(1.6), 40.0) for _ in others]
    scale = rest / sum(weights)
    given = 0
    for i, w in zip(others, weights, strict=True):
        c = int(w * scale)
        counts[i] = c
        given += c
    for _ in range(rest - given):
        counts[rng.choice(others)] += 1
    return counts


class _Writer:
    """Bulk-writes rows to a table: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, cursor, vendor: str):
        self.cursor, self.vendor = cursor, vendor

    def write(self, table: str, columns: list[str], rows) -> int:
        n = 0
        if self.vendor == "postgresql":
            with self.cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
        else:
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            batch = []
            raw = self.cursor.cursor  # the sqlite3 cursor, qmark style
            for row in rows:
                batch.append(row)
                if len(batch) >= 20000:
                    raw.executemany(sql, batch)
                    n += len(batch)
                    batch = []
            if batch:
                raw.executemany(sql, batch)
                n += len(batch)
        return n


def _ts(value: datetime, vendor: str):
    # SQLite stores datetimes as naive UTC text, the way Django adapts them.
    return value if vendor == "postgresql" else value.replace(tzinfo=None).isoformat(" ")


def seed(*, threads: int, posts: int, seed_value: int = 1, verbose: bool = True) -> Seeded:
    from taggit.models import Tag

    from forum.markdown import render
    from forum.models import Membership, User, Vendor

    if threads < 3 or posts < threads + 220:
        raise ValueError("need at least 3 threads and posts >= threads + 220")
    started = time.monotonic()
    rng = random.Random(seed_value)
    vendor = connection.vendor
    now = datetime.now(UTC)

    def log(msg: str) -> None:
        if verbose:
            print(f"[seed {time.monotonic() - started:6.1f}s] {msg}", flush=True)

    # Small tables through the ORM.
    users = User.objects.bulk_create(
        [
            User(username=f"user{i:05d}", display_name=f"User {i}", password="!", email=f"user{i}@example.com",
                 date_joined=now - timedelta(days=800 - i % 700))
            for i in range(USERS)
        ],
        batch_size=1000,
    )  # fmt: skip
    user_ids = [u.pk for u in users]
    vendors = Vendor.objects.bulk_create(
        [Vendor(name=n, handle=h, joined_at=timezone.now() - timedelta(days=3650)) for n, h in VENDORS]
    )
    staff = User.objects.bulk_create(
        [User(username=f"staff-{v.handle}", display_name=f"{v.name} Support", password="!") for v in vendors]
    )
    Membership.objects.bulk_create(
        [Membership(user=u, vendor=v, role="staff", status="verified", via="admin", verified_at=now)
         for u, v in zip(staff, vendors, strict=True)]
    )  # fmt: skip
    staff_pairs = [(u.pk, v.pk) for u, v in zip(staff, vendors, strict=True)]
    tags = Tag.objects.bulk_create([Tag(name=t, slug=t) for t in TAGS])
    tag_ids = [t.pk for t in tags]
    log(f"{len(user_ids)} users, {len(vendors)} vendors, {len(tag_ids)} tags")

    # Render each distinct template once.
    q_texts, r_texts = _question_templates(rng), _reply_templates(rng)
    q_html = [render(t).html for t in q_texts]
    r_html = [render(t).html for t in r_texts]
    log(f"rendered {len(q_texts)} question and {len(r_texts)} reply templates")

    reply_counts = _allocate_replies(threads, posts - threads, rng)
    thread_rows, post_rows, event_rows, tag_rows = [], [], [], []
    post_id = event_id = tagged_id = 0
    two_years = 730 * 86400
    for i in range(threads):
        tid = i + 1
        n_rep = reply_counts[i]
        last = now - timedelta(seconds=rng.uniform(0, two_years))
        created = last - timedelta(seconds=rng.uniform(600, 30 * 86400)) if n_rep else last
        title = f"{rng.choice(PROBLEMS)} on {rng.choice(PRODUCTS)} (case {tid})"
        slug = slugify(title)[:80].strip("-") or "thread"
        author = rng.choice(user_ids)
        step = (last - created) / n_rep if n_rep else timedelta(0)
        seq = 0
        first_reply = post_id + 2
        # Question.
        post_id += 1
        qi = rng.randrange(len(q_texts))
        post_rows.append((post_id, tid, author, True, q_texts[qi], q_html[qi], None, rng.randint(0, 5),
                          _ts(created, vendor), None, "visible"))  # fmt: skip
        seq += 1
        event_id += 1
        event_rows.append((event_id, tid, seq, "posted", author, post_id, None, "{}", _ts(created, vendor)))
        for r in range(n_rep):
            post_id += 1
            when = created + step * (r + 1)
            ri = rng.randrange(len(r_texts))
            if rng.random() < 0.02:
                p_author, p_vendor = rng.choice(staff_pairs)
            else:
                p_author, p_vendor = rng.choice(user_ids), None
            post_rows.append((post_id, tid, p_author, False, r_texts[ri], r_html[ri], p_vendor, rng.randint(0, 3),
                              _ts(when, vendor), None, "visible"))  # fmt: skip
            seq += 1
            event_id += 1
            event_rows.append((event_id, tid, seq, "replied", p_author, post_id, None, "{}", _ts(when, vendor)))
        accepted = None
        status = "open"
        if n_rep and (i < 2 or rng.random() < 0.4 / 0.9):
            status = "solved"
            accepted = rng.randrange(first_reply, post_id + 1)
            seq += 1
            event_id += 1
            event_rows.append((event_id, tid, seq, "accepted", author, accepted, None, "{}", _ts(last, vendor)))
        thread_rows.append((tid, title, slug, author, status, accepted, _ts(created, vendor), _ts(last, vendor),
                            n_rep, rng.randint(0, 40), seq, False, "visible"))  # fmt: skip
        for tag in rng.sample(tag_ids, rng.randint(1, 4)):
            tagged_id += 1
            tag_rows.append((tagged_id, tag, tid))
    log(f"generated {len(thread_rows)} threads, {len(post_rows)} posts, {len(event_rows)} events")

    with transaction.atomic(), connection.cursor() as cursor:
        if vendor == "postgresql":
            # Skip FK triggers during the load (threads and posts point at each other); superuser only.
            cursor.execute("SET LOCAL session_replication_role = replica")
        w = _Writer(cursor, vendor)
        w.write("forum_thread", ["id", "title", "slug", "author_id", "status", "accepted_post_id", "created_at",
                                 "last_activity_at", "reply_count", "score", "last_seq", "is_locked", "review_state"], thread_rows)  # fmt: skip
        log("threads written")
        w.write("forum_post", ["id", "thread_id", "author_id", "is_question", "body", "body_html", "staff_vendor_id",
                               "score", "created_at", "edited_at", "review_state"], post_rows)  # fmt: skip
        log("posts written")
        # txid 0: a seeded history predates every open transaction (forum.models.timeline.Event.txid).
        w.write("forum_event", ["id", "thread_id", "seq", "kind", "actor_id", "post_id", "vendor_id", "data",
                                "created_at", "txid"], ((*row, 0) for row in event_rows))  # fmt: skip
        log("events written")
        w.write("forum_taggedthread", ["id", "tag_id", "content_object_id"], tag_rows)
        log("tags written")
        if vendor == "postgresql":
            for table in ("forum_thread", "forum_post", "forum_event", "forum_taggedthread"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cursor.execute("SET LOCAL session_replication_role = origin")
            cursor.execute(
                """
                UPDATE forum_thread t SET search_vector =
                    setweight(to_tsvector('english', t.title), 'A') ||
                    setweight(to_tsvector('english', coalesce(d.question, '')), 'B') ||
                    setweight(to_tsvector('english', coalesce(d.answers, '')), 'C')
                FROM (
                    SELECT thread_id,
                           string_agg(body, ' ') FILTER (WHERE is_question) AS question,
                           string_agg(body, ' ' ORDER BY created_at, id) FILTER (WHERE NOT is_question) AS answers
                    FROM forum_post GROUP BY thread_id
                ) d
                WHERE d.thread_id = t.id
                """
            )
            log("search_vector filled")
        else:
            cursor.execute(
                """
                INSERT INTO forum_thread_fts (rowid, title, question, answers)
                SELECT t.id, t.title,
                       (SELECT group_concat(body, ' ') FROM forum_post p WHERE p.thread_id = t.id AND p.is_question),
                       (SELECT group_concat(body, ' ') FROM forum_post p WHERE p.thread_id = t.id AND NOT p.is_question)
                FROM forum_thread t
                """
            )
            log("forum_thread_fts filled")
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        log("VACUUM ANALYZE done")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    log("done")
    return Seeded(len(thread_rows), len(post_rows), len(event_rows), 1, 2, time.monotonic() - started)


def main() -> None:
    import django

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--posts", type=int, default=None)
    args = parser.parse_args()
    django.setup()
    pg = connection.vendor == "postgresql"
    result = seed(threads=args.threads or (50_000 if pg else 5_000), posts=args.posts or (1_000_000 if pg else 100_000))
    print(json.dumps(result.__dict__))


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    main()
