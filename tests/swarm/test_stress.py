"""Stress on PostgreSQL: 8 workers run a seeded random mix of every forum and swarm action on a few threads.

Each worker has its own database connection. The swarm actions run either
directly or, one time in three, through their web views (htmx POSTs), and
pages are read meanwhile. Refusals (PermissionDenied, ValidationError; 403 and
422 from a view) are expected outcomes; anything else (a deadlock, an
IntegrityError, a 500) fails the test.
Afterwards every invariant must hold: gap-free event streams, counters equal to
the rows they count, reputation equal to its ledger, legal escalation states,
at most one ongoing escalation per thread and vendor.

BARNRAISE_STRESS_SECONDS shortens the run locally (default 30 s).
"""

from __future__ import annotations

import os
import random
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections, transaction
from django.db.models import Count, Sum
from django.test import Client
from django.utils import timezone

from forum import reputation
from forum.actions import knowledge
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.actions import vendors as vendor_actions
from forum.actions import votes as vote_actions
from forum.models import Event, EventKind, Post, ReputationChange, Thread, User, Vendor, Vote
from swarm.actions import claims, escalations, notes
from swarm.models import Escalation, MeToo
from tests.conftest import make_staff, make_user

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and deadlocks need PostgreSQL"),
]

WORKERS = 8
SEED = 20261205
S = Escalation.State


@dataclass
class World:
    """Ids only: each worker reads fresh rows through its own connection."""

    threads: list[int]
    authors: dict[int, int]  # thread id -> author id
    community: list[int]
    staff: dict[int, list[int]]  # vendor id -> staff ids
    handles: dict[int, str]
    moderator: int
    everyone: list[int] = field(default_factory=list)

    @property
    def all_staff(self) -> list[int]:
        return [pk for ids in self.staff.values() for pk in ids]


def _user(pk: int) -> User:
    return User.objects.get(pk=pk)


def _thread(pk: int) -> Thread:
    return Thread.objects.get(pk=pk)


def _pick_thread(rng: random.Random, w: World) -> Thread:
    return _thread(rng.choice(w.threads))


def _someone(rng: random.Random, w: World, usual: int) -> User:
    """Usually the person the action is meant for; now and then anyone, to exercise the refusals."""
    return _user(usual if rng.random() < 0.85 else rng.choice(w.everyone))


def _pick_escalation(rng: random.Random, w: World) -> Escalation | None:
    rows = list(Escalation.objects.filter(thread_id=rng.choice(w.threads)).order_by("pk"))
    return rng.choice(rows) if rows else None


def _pick_reply(rng: random.Random, thread: Thread) -> Post | None:
    rows = list(Post.objects.filter(thread=thread, is_question=False).order_by("pk"))
    return rng.choice(rows) if rows else None


def _staff_of(rng: random.Random, w: World, escalation: Escalation) -> User:
    return _someone(rng, w, rng.choice(w.staff[escalation.vendor_id]))


# ---- Through the web: the same attempt as a logged-in browser (htmx) would make it --------------

_local = threading.local()


def _client(user: User) -> Client:
    """One logged-in client per user and worker (each worker thread has its own connection)."""
    clients = _local.__dict__.setdefault("clients", {})
    if user.pk not in clients:
        clients[user.pk] = Client()
        clients[user.pk].force_login(user)
    return clients[user.pk]


def _either(rng: random.Random, user: User, path: str, data: dict, run: Callable[[], object]) -> None:
    """Call the action, or (one time in three) POST to its view: 403 and 422 are refusals, a 500 fails."""
    if rng.random() >= 1 / 3:
        run()
        return
    response = _client(user).post(path, data, HTTP_HX_REQUEST="true")
    if response.status_code == 403:
        raise PermissionDenied(path)
    if response.status_code == 422:
        raise ValidationError(path)
    assert response.status_code == 200, f"POST {path} answered {response.status_code}"


# ---- The mix: each entry makes one attempt -------------------------------------------------------


def do_reply(rng, w):
    thread = _pick_thread(rng, w)
    author = _user(rng.choice([w.authors[thread.pk], *w.community, *w.all_staff]))
    mention = f" @{rng.choice(list(w.handles.values()))}" if rng.random() < 0.2 else ""
    post_actions.reply(author=author, thread=thread, body=f"Tried step {rng.randint(1, 99)} again.{mention}")


def do_vote(rng, w):
    thread = _pick_thread(rng, w)
    post = _pick_reply(rng, thread) if rng.random() < 0.7 else Post.objects.get(thread=thread, is_question=True)
    if post is not None:
        vote_actions.upvote(user=_user(rng.choice(w.everyone)), post=post)


def do_unvote(rng, w):
    vote = Vote.objects.filter(post__thread_id__in=w.threads).order_by("?").select_related("post", "user").first()
    if vote is not None:
        vote_actions.withdraw_vote(user=vote.user, post=vote.post)


def do_accept(rng, w):
    thread = _pick_thread(rng, w)
    post = _pick_reply(rng, thread)
    if post is not None:
        thread_actions.accept_answer(user=_someone(rng, w, w.authors[thread.pk]), thread=thread, post=post)


def do_reopen(rng, w):
    thread = _pick_thread(rng, w)
    thread_actions.reopen_thread(user=_someone(rng, w, w.authors[thread.pk]), thread=thread)


def do_lock(rng, w):
    thread_actions.set_locked(
        moderator=_someone(rng, w, w.moderator), thread=_pick_thread(rng, w), locked=rng.random() < 0.5
    )


def do_duplicate(rng, w):
    thread, canonical = (_thread(pk) for pk in rng.sample(w.threads, 2))
    if rng.random() < 0.5:
        knowledge.mark_duplicate(user=_someone(rng, w, w.moderator), thread=thread, canonical=canonical)
    else:
        knowledge.unmark_duplicate(user=_someone(rng, w, w.moderator), thread=thread)


def do_escalate(rng, w):
    thread = _pick_thread(rng, w)
    user, handle = _someone(rng, w, w.authors[thread.pk]), rng.choice(list(w.handles.values()))
    _either(
        rng,
        user,
        f"/t/{thread.pk}/escalate/",
        {"handle": handle},
        lambda: escalations.escalate(user=user, thread=thread, handle=handle),
    )


def do_metoo(rng, w):
    user, thread = _user(rng.choice(w.everyone)), _pick_thread(rng, w)
    _either(rng, user, f"/t/{thread.pk}/metoo/", {}, lambda: escalations.add_metoo(user=user, thread=thread))


def do_withdraw_metoo(rng, w):
    user, thread = _user(rng.choice(w.everyone)), _pick_thread(rng, w)
    _either(
        rng,
        user,
        f"/t/{thread.pk}/metoo/",
        {"action": "withdraw"},
        lambda: escalations.withdraw_metoo(user=user, thread=thread),
    )


def _on_escalation(action: Callable) -> Callable:
    def attempt(rng, w):
        escalation = _pick_escalation(rng, w)
        if escalation is not None:
            action(rng, w, escalation)

    attempt.__name__ = action.__name__
    return attempt


@_on_escalation
def do_claim(rng, w, e):
    staff = _staff_of(rng, w, e)
    _either(rng, staff, f"/e/{e.pk}/claim/", {}, lambda: claims.claim(staff=staff, escalation=e))


@_on_escalation
def do_release(rng, w, e):
    staff = _staff_of(rng, w, e)
    _either(rng, staff, f"/e/{e.pk}/release/", {}, lambda: claims.release(staff=staff, escalation=e))


@_on_escalation
def do_hand_to_colleague(rng, w, e):
    staff, to = _staff_of(rng, w, e), _user(rng.choice(w.staff[e.vendor_id])).username
    _either(
        rng,
        staff,
        f"/e/{e.pk}/handoff/",
        {"to_username": to},
        lambda: claims.hand_off(staff=staff, escalation=e, to_username=to),
    )


@_on_escalation
def do_hand_to_vendor(rng, w, e):
    staff, to = _staff_of(rng, w, e), rng.choice([h for v, h in w.handles.items() if v != e.vendor_id])
    _either(
        rng,
        staff,
        f"/e/{e.pk}/handoff/",
        {"to_handle": to, "note": "Over to you."},
        lambda: claims.hand_off(staff=staff, escalation=e, to_handle=to, note="Over to you."),
    )


@_on_escalation
def do_resolve(rng, w, e):
    staff = _staff_of(rng, w, e)
    _either(rng, staff, f"/e/{e.pk}/resolve/", {}, lambda: claims.resolve(staff=staff, escalation=e))


def _answer(rng, w, e, *, solved: bool) -> None:
    user = _someone(rng, w, w.authors[e.thread_id])
    _either(
        rng,
        user,
        f"/e/{e.pk}/confirm/",
        {"solved": "yes" if solved else "no"},
        lambda: claims.confirm(user=user, escalation=e, solved=solved),
    )


@_on_escalation
def do_confirm(rng, w, e):
    _answer(rng, w, e, solved=True)


@_on_escalation
def do_not_solved(rng, w, e):
    _answer(rng, w, e, solved=False)


@_on_escalation
def do_rate(rng, w, e):
    user, rating = _someone(rng, w, w.authors[e.thread_id]), rng.randint(1, 5)
    _either(
        rng,
        user,
        f"/e/{e.pk}/rate/",
        {"rating": str(rating)},
        lambda: claims.rate(user=user, escalation=e, rating=rating),
    )


def do_note(rng, w):
    vendor = Vendor.objects.get(pk=rng.choice(list(w.staff)))
    staff, thread = _someone(rng, w, rng.choice(w.staff[vendor.pk])), _pick_thread(rng, w)
    _either(
        rng,
        staff,
        f"/t/{thread.pk}/notes/",
        {"vendor": vendor.handle, "note": "Checked the logs."},
        lambda: notes.add_note(staff=staff, thread=thread, vendor=vendor, body="Checked the logs."),
    )


def do_read_pages(rng, w):
    """Pages read while everything changes: the thread, its swarm panel, a vendor's inbox."""
    thread = _pick_thread(rng, w)
    vendor_id = rng.choice(list(w.staff))
    staff = _user(rng.choice(w.staff[vendor_id]))
    reader = _client(staff if rng.random() < 0.5 else _user(rng.choice(w.everyone)))
    for path in (thread.get_absolute_url(), f"/t/{thread.pk}/swarm/"):
        response = reader.get(path)
        assert response.status_code == 200, f"GET {path} answered {response.status_code}"
    inbox = f"/v/{w.handles[vendor_id]}/inbox/?fragment=1&state={rng.choice(['active', 'all', 'handed_off'])}"
    response = _client(staff).get(inbox)
    assert response.status_code == 200, f"GET {inbox} answered {response.status_code}"


def do_idle_sweep(rng, w):
    claims.release_idle_claims(now=timezone.now() + timedelta(hours=rng.choice([0, 48])))


MIX: list[tuple[Callable, int]] = [
    (do_reply, 8),
    (do_vote, 6),
    (do_unvote, 3),
    (do_accept, 3),
    (do_reopen, 2),
    (do_lock, 2),
    (do_duplicate, 2),
    (do_escalate, 5),
    (do_metoo, 4),
    (do_withdraw_metoo, 3),
    (do_claim, 6),
    (do_release, 3),
    (do_hand_to_colleague, 3),
    (do_hand_to_vendor, 3),
    (do_resolve, 5),
    (do_confirm, 4),
    (do_not_solved, 2),
    (do_rate, 3),
    (do_note, 4),
    (do_idle_sweep, 1),
    (do_read_pages, 3),
]


# ---- Setup, workers, invariants ---------------------------------------------------------------------


def _world() -> World:
    vendors = [
        vendor_actions.create_vendor(name=name, handle=handle, domains=[f"{handle}.example"])
        for name, handle in (("Northwind Devices", "northwind"), ("Bluewave Wireless", "bluewave"), ("Acme", "acme"))
    ]
    staff = {v.pk: [make_staff(f"{v.handle}-{i}", v).pk for i in range(2)] for v in vendors}
    moderator = make_user("morgan", is_moderator=True)
    customers = [make_user(f"customer{i}") for i in range(3)]
    community = [make_user(f"member{i}") for i in range(4)]
    old = timezone.now() - timedelta(days=90)
    User.objects.filter(pk__in=[u.pk for u in community]).update(date_joined=old)
    with transaction.atomic():
        for member in community:  # enough reputation that their votes earn points
            reputation.granted(by=moderator, user=member, amount=50, note="stress seed")
    threads, authors = [], {}
    for i in range(5):
        author = customers[i % len(customers)]
        thread = thread_actions.create_thread(
            author=author, title=f"Device {i} drops wifi after sleep", body=f"Since update {i} the wifi drops."
        )
        post_actions.reply(author=community[i % len(community)], thread=thread, body="Turn off MAC randomisation.")
        threads.append(thread.pk)
        authors[thread.pk] = author.pk
    everyone = [
        moderator.pk,
        *(u.pk for u in customers),
        *(u.pk for u in community),
        *(pk for ids in staff.values() for pk in ids),
    ]
    return World(
        threads=threads,
        authors=authors,
        community=[u.pk for u in community],
        staff=staff,
        handles={v.pk: v.handle for v in vendors},
        moderator=moderator.pk,
        everyone=everyone,
    )


def _worker(n: int, w: World, deadline: float, tally: Counter, failures: list[str], lock: threading.Lock) -> None:
    rng = random.Random(SEED + n)
    actions, weights = zip(*MIX, strict=True)
    try:
        while time.monotonic() < deadline:
            action = rng.choices(actions, weights)[0]
            try:
                action(rng, w)
                outcome = "ok"
            except (PermissionDenied, ValidationError):
                outcome = "refused"
            except Exception:  # noqa: BLE001 (any other error is what the test is looking for)
                outcome = "failed"
                with lock:
                    failures.append(f"worker {n}, {action.__name__}:\n{traceback.format_exc()}")
            with lock:
                tally[(action.__name__, outcome)] += 1
    finally:
        connections.close_all()  # this thread's connection, so the test database can be flushed


def _check_streams(w: World) -> None:
    for thread in Thread.objects.filter(pk__in=w.threads):
        public = list(
            Event.objects.filter(thread=thread, vendor__isnull=True).order_by("seq").values_list("seq", flat=True)
        )
        assert public == list(range(1, len(public) + 1)), f"public stream of thread {thread.pk} has gaps"
        assert thread.last_seq == len(public)
        vendor_ids = Event.objects.filter(thread=thread, vendor__isnull=False).values_list("vendor_id", flat=True)
        for vendor_id in set(vendor_ids):
            seqs = list(
                Event.objects.filter(thread=thread, vendor_id=vendor_id).order_by("seq").values_list("seq", flat=True)
            )
            assert seqs == list(range(1, len(seqs) + 1)), f"private stream {thread.pk}/{vendor_id} has gaps"


def _check_counters(w: World) -> None:
    for thread in Thread.objects.filter(pk__in=w.threads):
        visible_replies = Post.objects.filter(thread=thread, is_question=False, review_state="visible").count()
        assert thread.reply_count == visible_replies, f"reply_count of thread {thread.pk}"
        question = Post.objects.get(thread=thread, is_question=True)
        assert thread.score == question.score, f"score of thread {thread.pk}"
        # The last me-too event says how many there are; it must be the number of rows.
        last = (
            Event.objects.filter(thread=thread, kind__in=[EventKind.METOO, EventKind.METOO_WITHDRAWN])
            .order_by("-seq")
            .first()
        )
        metoos = MeToo.objects.filter(thread=thread).count()
        assert (last.data["count"] if last else 0) == metoos, f"me-too count of thread {thread.pk}"
        if thread.accepted_post_id is not None:
            assert thread.status == Thread.Status.SOLVED, f"thread {thread.pk} has an accepted answer but is open"
    for post in Post.objects.filter(thread_id__in=w.threads).annotate(vote_rows=Count("votes")):
        assert post.score == post.vote_rows, f"score of post {post.pk}"
    ledger = dict(
        ReputationChange.objects.values_list("user").annotate(total=Sum("amount")).values_list("user", "total")
    )
    for user_id, stored in User.objects.values_list("pk", "reputation"):
        assert stored == ledger.get(user_id, 0), f"reputation of user {user_id} differs from its ledger"


def _check_escalation(e: Escalation) -> None:
    where = f"escalation {e.pk} ({e.state})"
    assert e.state in S.values, where
    finished_fields = (e.confirmed_at, e.rating, e.rated_at, e.solved_by_staff)
    if e.state in (S.OPEN, S.CLAIMED, S.RESOLVED, S.HANDED_OFF):
        assert finished_fields == (None, None, None, None), where
    if e.state == S.OPEN:
        assert (e.claimed_by_id, e.claimed_at, e.resolved_at, e.handed_to_id) == (None, None, None, None), where
    if e.state == S.CLAIMED:
        assert e.claimed_by_id and e.claimed_at and e.first_claimed_at, where
        assert (e.resolved_at, e.handed_to_id) == (None, None), where
    if e.state == S.RESOLVED:
        assert e.resolved_at and e.resolved_by_id and e.handed_to_id is None, where
    if e.state == S.CONFIRMED:
        assert e.confirmed_at and e.resolved_at and e.solved_by_staff is not None, where
        assert e.handed_to_id is None and (e.rating is None) == (e.rated_at is None), where
        assert e.rating is None or 1 <= e.rating <= 5, where
        assert e.confirmed_at >= e.created_at and (e.rated_at is None or e.rated_at >= e.confirmed_at), where
    if e.state == S.HANDED_OFF:
        assert e.handed_to_id and e.handed_off_at and e.handed_off_at >= e.created_at, where
        assert (e.claimed_by_id, e.resolved_at) == (None, None), where
    if e.first_claimed_at:
        assert e.first_claimed_at >= e.created_at, where
    if e.claimed_at:
        assert e.claimed_at >= e.first_claimed_at, where


def _check_escalations(w: World) -> None:
    rows = list(Escalation.objects.filter(thread_id__in=w.threads))
    for e in rows:
        _check_escalation(e)
    ongoing = Counter((e.thread_id, e.vendor_id) for e in rows if e.state in Escalation.ONGOING)
    assert all(n == 1 for n in ongoing.values()), f"more than one ongoing escalation: {ongoing}"
    escalated = Event.objects.filter(thread_id__in=w.threads, kind=EventKind.ESCALATED).count()
    assert escalated == len(rows), "every escalation has its one public escalated event"


@pytest.mark.django_db(transaction=True)
def test_eight_workers_running_every_action_keep_every_invariant():
    w = _world()
    seconds = float(os.environ.get("BARNRAISE_STRESS_SECONDS", "30"))
    deadline = time.monotonic() + seconds
    tally: Counter = Counter()
    failures: list[str] = []
    lock = threading.Lock()
    workers = [
        threading.Thread(target=_worker, args=(n, w, deadline, tally, failures, lock), name=f"stress-{n}")
        for n in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(seconds + 120)
    assert not any(worker.is_alive() for worker in workers), "a worker hung (a lock never released?)"
    summary = "\n".join(
        f"{name:24} " + "  ".join(f"{outcome} {tally[(name, outcome)]:4}" for outcome in ("ok", "refused", "failed"))
        for name in sorted({name for name, _ in tally})
    )
    print(f"\n{summary}")
    assert not failures, f"{len(failures)} unexpected errors; the first:\n{failures[0]}"
    attempted = {name for name, _ in tally}
    assert attempted == {action.__name__ for action, _ in MIX}, "every action ran"
    assert sum(n for (_, outcome), n in tally.items() if outcome == "ok") > len(MIX)

    _check_streams(w)
    _check_counters(w)
    _check_escalations(w)
