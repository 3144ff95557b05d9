"""Read side: query functions that fetch what a page needs in a fixed number of queries.

Lists use keyset pagination over (last_activity_at, id): a cursor names the
last row seen, so page 2,000 costs what page 1 costs. No page counts rows.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy
from taggit.models import Tag

from forum import access, notifications
from forum.access import AnyUser
from forum.models import (
    Event,
    EventKind,
    Flag,
    Membership,
    ModerationLog,
    Post,
    ReviewState,
    TaggedThread,
    Thread,
    ThreadRead,
    User,
    Vendor,
    Vote,
)
from forum.timeline import presenter

logger = logging.getLogger(__name__)


class BadCursorError(ValueError):
    """A pagination cursor that was not made by this site."""


@dataclass
class ThreadList:
    threads: list[Thread]
    next_cursor: str | None
    title: str
    filter: str
    sort: str = "activity"


def encode_cursor(thread: Thread) -> str:
    raw = f"{thread.last_activity_at.isoformat()}|{thread.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, pk = raw.split("|")
        when = datetime.fromisoformat(stamp)
        if when.tzinfo is None:
            raise ValueError("naive")
        when = when.astimezone(UTC)  # out-of-range stamps (year 1 at +14:00) fail here, not in the database
        return when, int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError) as error:
        raise BadCursorError("That page link is broken or out of date.") from error


EVENT_CURSOR = re.compile(r"(\d{1,19})\.(\d{1,19})")


def decode_event_cursor(cursor: str) -> tuple[int, int]:
    if cursor in ("", "0"):
        return 0, 0
    match = EVENT_CURSOR.fullmatch(cursor)
    if match is None:
        raise BadCursorError("That page link is broken or out of date.")
    return int(match[1]), int(match[2])


def committed_events(events: QuerySet[Event], *, cursor: str, limit: int) -> tuple[list[Event], str]:
    """Events after ``cursor`` in commit order, and the cursor to continue from (never None). One query.

    The position is (writing transaction id, event id). On PostgreSQL only transactions older
    than every one still open are read, so an event whose transaction commits late appears in
    a later page instead of being passed over; on SQLite writers take turns and ids are in
    commit order already (txid is 0).
    """
    txid, pk = decode_event_cursor(cursor)
    events = events.filter(Q(txid__gt=txid) | Q(txid=txid, id__gt=pk))
    if connection.vendor == "postgresql":
        settled = RawSQL("txid_snapshot_xmin(txid_current_snapshot())", [])
        own = RawSQL("txid_current_if_assigned()", [])  # what this transaction wrote (tests, scripts)
        events = events.filter(Q(txid__lt=settled) | Q(txid=own))
    page = list(events.order_by("txid", "id")[:limit])
    if page:
        txid, pk = page[-1].txid, page[-1].pk
    return page, f"{txid}.{pk}"


LIST_FILTERS = {
    "latest": (gettext_lazy("Latest threads"), Q()),
    "unanswered": (gettext_lazy("Unanswered"), Q(reply_count=0, duplicate_of__isnull=True)),
    "solved": (pgettext_lazy("thread list", "Solved"), Q(status=Thread.Status.SOLVED)),
    "open": (pgettext_lazy("thread list", "Open"), Q(status=Thread.Status.OPEN, duplicate_of__isnull=True)),
}


# How lists may be ordered: the key columns, newest/highest first, and the cursor's parts.
LIST_SORTS = {
    "activity": (gettext_lazy("Recent activity"), ("-last_activity_at", "-id")),
    "votes": (gettext_lazy("Most votes"), ("-score", "-id")),
}


def encode_sort_cursor(thread: Thread, sort: str) -> str:
    if sort == "votes":
        raw = f"v{thread.score}|{thread.pk}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    return encode_cursor(thread)


def decode_votes_cursor(cursor: str) -> tuple[int, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("v"):
            raise ValueError("not a votes cursor")
        score, pk = raw[1:].split("|")
        return int(score), int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise BadCursorError("That page link is broken or out of date.") from error


def _keyset_page(
    qs: QuerySet[Thread], cursor: str | None, limit: int, sort: str = "activity"
) -> tuple[list[Thread], str | None]:
    """Up to ``limit`` threads after the cursor, and the cursor of the next page. One query."""
    if cursor and sort == "votes":
        score, pk = decode_votes_cursor(cursor)
        qs = qs.filter(Q(score__lt=score) | Q(score=score, id__lt=pk))
    elif cursor:
        when, pk = decode_cursor(cursor)
        qs = qs.filter(Q(last_activity_at__lt=when) | Q(last_activity_at=when, id__lt=pk))
    threads = list(qs[: limit + 1])
    next_cursor = encode_sort_cursor(threads[limit - 1], sort) if len(threads) > limit else None
    return threads, next_cursor


def _list_queryset() -> QuerySet[Thread]:
    """Listed threads with their authors; ``prefetch_tags`` adds their tags once the page is read."""
    return (
        presenter.public_threads(Thread.objects.all())
        .select_related("author")
        .defer("search_vector")
        .order_by("-last_activity_at", "-id")
    )


def prefetch_tags(threads: Iterable[Thread]) -> None:
    """Put each thread's tags where ``prefetch_related("tags")`` would, from one query.

    taggit's own prefetch builds a manager and a filtered queryset for every thread (about a
    millisecond each, most of a list page's time); this reads (thread, tag) pairs in link order.
    """
    threads = list(threads)
    by_thread: dict[int, list[Tag]] = {t.pk: [] for t in threads}
    if threads:
        links = TaggedThread.objects.filter(content_object_id__in=list(by_thread)).order_by("content_object_id", "pk")
        for thread_id, pk, name, slug in links.values_list("content_object_id", "tag_id", "tag__name", "tag__slug"):
            by_thread[thread_id].append(Tag(pk=pk, name=name, slug=slug))
    for t in threads:
        prefetched = t.__dict__.setdefault("_prefetched_objects_cache", {})
        prefetched["tags"] = _as_prefetched(Tag.objects.none(), by_thread[t.pk])


# Public timeline kinds that move an escalation (swarm registers them; forum reads only its own timeline).
ESCALATION_KINDS = [
    EventKind.ESCALATED,
    EventKind.CLAIMED,
    EventKind.RELEASED,
    EventKind.HANDED_OFF,
    EventKind.RESOLVED,
    EventKind.CONFIRMED,
    EventKind.UNRESOLVED,
]
_ESCALATION_STATE = {
    EventKind.ESCALATED: "escalated",
    EventKind.CLAIMED: "claimed",
    EventKind.RELEASED: "escalated",
    EventKind.UNRESOLVED: "escalated",
    EventKind.RESOLVED: "resolved",
    EventKind.CONFIRMED: "confirmed",
}


@dataclass
class EscalationState:
    """One escalation as a list row shows it, from the thread's public timeline."""

    vendor: str
    vendor_name: str
    state: str  # escalated, claimed, resolved, confirmed, handed_off
    claimant: str = ""


def _fold_escalations(events: list[Event]) -> dict[int, list[EscalationState]]:
    """The latest state of each escalation per thread, from its public events in seq order."""
    by_thread: dict[int, dict[int, EscalationState]] = {}
    for event in events:
        data = event.data or {}
        if "escalation" not in data or "vendor" not in data:
            continue
        rows = by_thread.setdefault(event.thread_id, {})
        row = rows.get(data["escalation"]) or EscalationState(
            vendor=str(data["vendor"]), vendor_name=str(data.get("vendor_name") or data["vendor"]), state="escalated"
        )
        if event.kind == EventKind.HANDED_OFF:
            row.state = "handed_off" if data.get("to_vendor") else "escalated"
            row.claimant = ""
        else:
            row.state = _ESCALATION_STATE.get(event.kind, row.state)
            row.claimant = str(data.get("claimant") or "") if row.state == "claimed" else ""
        rows[data["escalation"]] = row
    return {pk: [r for r in rows.values() if r.state != "handed_off"] for pk, rows in by_thread.items()}


def annotate_rows(threads: list[Thread], user: AnyUser) -> list[Thread]:
    """Give each listed thread what its row shows at a glance. Two queries, whatever the page size.

    ``escalation_states`` (vendor, state, claimant; public events only), and ``unread``: None for
    visitors, "new" for a thread asked since they joined that they never opened, "updated" when its public timeline
    moved past the last seq they were shown (``last_read_seq`` is annotated by the list query).
    """
    ids = [t.pk for t in threads]
    events = (
        list(
            Event.objects.filter(thread_id__in=ids, vendor__isnull=True, kind__in=ESCALATION_KINDS)
            .only("thread_id", "kind", "data", "seq")
            .order_by("thread_id", "seq")
        )
        if ids
        else []
    )
    # Asked for the page's ids, not as an EXISTS column of the list query: on PostgreSQL that
    # EXISTS became a hashed scan of every staff reply on the site (97 ms of a 104 ms page-1
    # query at 1,000,000 posts, bench/RESULTS.md); this is an index probe per listed thread.
    staff_replied = (
        set(
            Post.objects.filter(
                thread_id__in=ids, staff_vendor__isnull=False, review_state=ReviewState.VISIBLE, is_question=False
            ).values_list("thread_id", flat=True)
        )
        if ids
        else set()
    )
    folded = _fold_escalations(events)
    for t in threads:
        t.escalation_states = folded.get(t.pk, [])
        t.staff_replied = t.pk in staff_replied
        t.unread = None
        if user is not None and user.is_authenticated:
            seen = getattr(t, "last_read_seq", None)
            if seen is None:
                # Threads from before someone joined are not "new" to them: a new account's lists stay calm.
                fresh = t.author_id != user.pk and t.created_at >= user.date_joined
                t.unread = "new" if fresh else None
            elif t.last_seq > seen:
                t.unread = "updated"
    return threads


def thread_list(
    *,
    filter: str = "latest",
    tag: Tag | None = None,
    vendor: Vendor | None = None,
    cursor: str | None = None,
    limit: int | None = None,
    sort: str = "activity",
    user: AnyUser | None = None,
) -> ThreadList:
    """One page of threads, by activity or votes, each with its state at a glance. Four queries.

    ``user`` adds unread markers (a subquery of their read markers: no extra query).
    """
    if filter not in LIST_FILTERS:
        raise Http404("Unknown list.")
    if sort not in LIST_SORTS:
        raise Http404("Unknown order.")
    title, condition = LIST_FILTERS[filter]
    limit = limit or settings.BARNRAISE["THREADS_PER_PAGE"]
    qs = (
        _list_queryset()
        .filter(condition)
        .annotate(solution_state=F("accepted_post__review_state"))
        .order_by(*LIST_SORTS[sort][1])
    )
    if user is not None and user.is_authenticated:
        read = ThreadRead.objects.filter(thread=OuterRef("pk"), user=user).values("seq")[:1]
        qs = qs.annotate(last_read_seq=Subquery(read))
    if tag is not None:
        qs = qs.filter(taggedthread__tag=tag)
    if vendor is not None:
        qs = qs.filter(vendor_links__vendor=vendor)
    threads, next_cursor = _keyset_page(qs, cursor, limit, sort)
    threads = annotate_rows(threads[:limit], user)
    prefetch_tags(threads)
    return ThreadList(threads=threads, next_cursor=next_cursor, title=title, filter=filter, sort=sort)


HIDDEN_TITLE = presenter.HIDDEN_TITLE


def _visible_posts(posts: list[Post], user: AnyUser) -> list[Post]:
    """The posts a viewer may see at all; ``shown_to_viewer`` says whether they see the text.

    Pending posts appear to their author and moderators only, rejected ones to moderators
    only; hidden ones to everybody, as a placeholder unless the viewer may read them.
    """
    return presenter.visible_posts(user, posts)


@dataclass
class ThreadPage:
    thread: Thread
    question: Post
    accepted: Post | None
    replies: list[Post]
    my_votes: set[int]
    history: list[Event]
    vendors: list[Vendor] = field(default_factory=list)
    viewer_unread: int | None = None  # the viewer's unread notifications, read with the thread (None: visitor)


def _as_prefetched(qs: QuerySet, rows: list) -> QuerySet:
    qs._result_cache = rows  # what prefetch_related leaves behind: .all() on the relation runs no query
    qs._prefetch_done = True
    return qs


def _cached_relations(thread: Thread) -> None:
    """Put the thread's tags and vendor links in its prefetch cache, from Django's cache while its
    stream has not moved.

    Tags and vendor links change only in actions that record an event (create, retag, a staff reply
    or mention, an escalation), so ``last_seq`` versions them. A renamed tag or vendor shows its new
    name here within ``SIMILAR_THREADS_CACHE_SECONDS``.
    """

    from forum.models import ThreadVendor

    # One key per thread, its value stamped with the version: a reply overwrites the entry instead of
    # leaving the old version's key to live out its TTL (the soak counted those keys growing).
    key = f"thread-relations:v2:{thread.pk}"
    found = _cache_get(key)
    if found is None or found[0] != thread.last_seq:
        tags = list(thread.tags.all())
        links = list(ThreadVendor.objects.filter(thread=thread).select_related("vendor"))
        found = (thread.last_seq, tags, links)
        _cache_set(key, found, settings.SIMILAR_THREADS_CACHE_SECONDS)
    _seq, tags, links = found
    thread._prefetched_objects_cache = {
        "tags": _as_prefetched(Tag.objects.none(), tags),
        "vendor_links": _as_prefetched(ThreadVendor.objects.none(), links),
    }


def thread_page(*, thread_id: int, user: AnyUser) -> ThreadPage:
    """Everything the thread page shows. A fixed number of queries, whatever the replies."""
    from forum.models import AnswerVerification, Attachment, OutdatedFlag, ThreadFollow

    # Per-viewer and rarely-present facts ride on the thread and post rows as EXISTS columns, so
    # the page costs the same few queries for every role (tests/forum/test_queries.py).
    here = OuterRef("pk")
    thread_qs = (
        Thread.objects.select_related("author")
        .defer("search_vector")
        .annotate(
            has_attachments=Exists(Attachment.objects.filter(post__thread=here)),
            has_duplicates=Exists(Thread.objects.filter(duplicate_of=here)),
            has_verifications=Exists(AnswerVerification.objects.filter(post__thread=here)),
            has_outdated=Exists(OutdatedFlag.objects.filter(post__thread=here)),
        )
    )
    post_qs = (
        Post.objects.filter(thread_id=thread_id).select_related("author", "staff_vendor").order_by("created_at", "id")
    )
    if user.is_authenticated:
        # The viewer's own facts ride on the thread row too: the bell's count and whether they staff any
        # vendor (most people don't: then access.verified_vendors needs no query of its own).
        thread_qs = thread_qs.annotate(
            viewer_follows=Exists(ThreadFollow.objects.filter(thread=here, user=user)),
            viewer_unread=notifications.unread_count_column(user),
            viewer_has_vendor=access.has_verified_vendor_column(user),
        )
        post_qs = post_qs.annotate(viewer_voted=Exists(Vote.objects.filter(post=here, user=user)))
    if access.is_moderator(user):
        open_flags = Flag.objects.filter(post=here, status=Flag.Status.OPEN).values("post").annotate(n=Count("pk"))
        post_qs = post_qs.annotate(open_flag_count=Coalesce(Subquery(open_flags.values("n")[:1]), 0))
    thread = get_object_or_404(thread_qs, pk=thread_id)
    if user.is_authenticated:
        access.remember_verified_vendors(user, has_any=thread.viewer_has_vendor)
    _cached_relations(thread)
    if thread.has_attachments:
        post_qs = post_qs.prefetch_related("attachments")
    posts = list(post_qs)
    if not thread.has_attachments:
        for p in posts:  # nothing attached anywhere in the thread: no query per post either
            # An evaluated empty list, not .none(): reading .none() still compiles SQL, per post.
            p._prefetched_objects_cache = {"attachments": _as_prefetched(Attachment.objects.none(), [])}
    question = next((p for p in posts if p.is_question), None)
    if question is None:
        raise Http404("This thread has no question.")
    presenter.require_thread(user, thread)
    posts = _visible_posts(posts, user)
    if question not in posts:
        raise Http404("This thread is not public.")
    presenter.mask_thread(user, thread)  # display only: a hidden question's title and slug; never saved
    replies = [p for p in posts if not p.is_question]
    accepted = next((p for p in replies if p.pk == thread.accepted_post_id), None)
    my_votes = {p.pk for p in posts if getattr(p, "viewer_voted", False)}
    history = list(Event.objects.filter(thread=thread, vendor__isnull=True).select_related("actor").order_by("seq"))
    history = presenter.visible_history(user, history)  # article drafts: their author's and reviewers' only
    presenter.mask_history(history, posts)
    vendors = [link.vendor for link in thread.vendor_links.all()]
    return ThreadPage(
        thread=thread,
        question=question,
        accepted=accepted,
        replies=replies,
        my_votes=my_votes,
        history=history,
        vendors=vendors,
        viewer_unread=getattr(thread, "viewer_unread", None),
    )


@dataclass
class Profile:
    member: User
    threads: list[Thread]
    answers: list[Post]
    accepted_answers: list[Post]
    memberships: list[Membership]


def profile(*, username: str, limit: int = 20) -> Profile:
    member = get_object_or_404(User, username=username, is_active=True)
    threads = list(_list_queryset().filter(author=member)[:limit])
    prefetch_tags(threads)
    # A public page: posts everyone may see, on threads everyone may see (forum.timeline.presenter).
    answers = list(
        Post.objects.filter(presenter.public_q("thread__"), author=member, is_question=False)
        .filter(review_state=ReviewState.VISIBLE)
        .select_related("thread")
        .order_by("-created_at", "-id")[:limit]
    )
    accepted = list(
        Post.objects.filter(presenter.public_q("thread__"), author=member, thread__accepted_post=F("pk"))
        .filter(review_state=ReviewState.VISIBLE)
        .select_related("thread")
        .order_by("-created_at", "-id")[:limit]
    )
    memberships = list(
        Membership.objects.filter(user=member, status=Membership.Status.VERIFIED).select_related("vendor")
    )
    return Profile(member=member, threads=threads, answers=answers, accepted_answers=accepted, memberships=memberships)


def vendor_staff(vendor: Vendor) -> list[Membership]:
    return list(
        Membership.objects.filter(vendor=vendor, status=Membership.Status.VERIFIED)
        .select_related("user")
        .order_by("role", "user__username")
    )


def pending_memberships(vendor: Vendor) -> list[Membership]:
    return list(
        Membership.objects.filter(vendor=vendor, status=Membership.Status.PENDING)
        .select_related("user")
        .order_by("created_at")
    )


def popular_tags(limit: int = 30) -> list[Tag]:
    return list(
        Tag.objects.annotate(n=Count("forum_taggedthread_items")).filter(n__gt=0).order_by("-n", "name")[:limit]
    )


def suggest_tags(prefix: str, limit: int = 8) -> list[str]:
    prefix = prefix.replace("\x00", "").strip().lower()[:32]
    if not prefix:
        return []
    return list(Tag.objects.filter(name__startswith=prefix).order_by("name").values_list("name", flat=True)[:limit])


MENTION_PREFIX_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,29}")


def mention_candidates(prefix: str, limit: int = 8) -> list[dict[str, str]]:
    """People and vendors whose username/handle (or name) starts with ``prefix``: two queries.

    Only what a mention shows: the handle to type and the public name (never an email address).
    """
    prefix = prefix.replace("\x00", "").strip().lstrip("@")
    if not MENTION_PREFIX_RE.fullmatch(prefix):
        return []
    vendors = list(
        Vendor.objects.filter(Q(handle__istartswith=prefix) | Q(name__istartswith=prefix))
        .order_by("handle")
        .values_list("handle", "name")[:limit]
    )
    people = list(
        User.objects.filter(
            Q(username__istartswith=prefix) | Q(display_name__istartswith=prefix),
            is_active=True,
            service_vendor__isnull=True,
        )
        .order_by("username")
        .values_list("username", "display_name")[:limit]
    )
    rows = [{"kind": "user", "handle": u, "name": d or u} for u, d in people]
    rows += [{"kind": "vendor", "handle": h, "name": n} for h, n in vendors]
    # Exact-prefix handles first, then alphabetical; at most ``limit`` in all.
    rows.sort(key=lambda r: (not r["handle"].lower().startswith(prefix.lower()), r["handle"].lower()))
    return rows[:limit]


def notifications_for(user: User, limit: int = 50) -> list:
    """The user's latest notifications with their event, actor and thread. One query."""
    from forum.models import Notification

    items = list(
        Notification.objects.filter(recipient=user)
        .select_related("event", "event__actor", "event__thread", "event__post")
        .order_by("-created_at", "-id")[:limit]
    )
    # Titles and links as the person sees them now: a thread hidden since keeps no title here.
    shown = {t.pk for t in presenter.mask_threads(user, [n.event.thread for n in items])}
    return [n for n in items if n.event.thread_id in shown]


# Notices about a vendor's work on a thread: the inbox styles them as escalation events.
ESCALATION_NOTICES = frozenset({"escalated", "claimed", "staff_answer", "claim_activity", "resolved", "invited"})


@dataclass
class NoticeGroup:
    """One thread's notifications, newest first; ``muted`` says whether the reader muted it."""

    thread: Thread
    items: list
    muted: bool = False

    @property
    def unread(self) -> int:
        return sum(1 for n in self.items if n.read_at is None)


def notification_groups(user: User, limit: int = 50) -> list[NoticeGroup]:
    """The latest notifications grouped by thread, the thread with the newest notice first. Two queries."""
    from forum.models import ThreadMute

    groups: dict[int, NoticeGroup] = {}
    for n in notifications_for(user, limit=limit):
        n.is_escalation = n.kind in ESCALATION_NOTICES
        group = groups.setdefault(n.event.thread_id, NoticeGroup(thread=n.event.thread, items=[]))
        group.items.append(n)
    muted = set(ThreadMute.objects.filter(user=user, thread_id__in=list(groups)).values_list("thread_id", flat=True))
    for pk, group in groups.items():
        group.muted = pk in muted
    return list(groups.values())


@dataclass
class ModerationQueue:
    flagged: list[Post]
    hidden: list[Post]
    pending: list[Post]


QUEUE_LIMIT = 50


def _queue_posts(condition: Q, order: list[str]) -> list[Post]:
    open_flags = Flag.objects.filter(status=Flag.Status.OPEN).select_related("user").order_by("created_at", "id")
    posts = list(
        Post.objects.filter(condition)
        .select_related("thread", "author")
        .prefetch_related(Prefetch("flags", queryset=open_flags, to_attr="open_flags"))
        .order_by(*order)[:QUEUE_LIMIT]
    )
    for post in posts:
        reasons: dict[str, int] = {}
        for flag in post.open_flags:
            label = flag.get_reason_display()
            reasons[label] = reasons.get(label, 0) + 1
        post.flag_reasons = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    return posts


def moderation_queue() -> ModerationQueue:
    """What waits for a moderator: flagged, hidden and unreviewed posts. Six queries."""
    has_open_flags = Exists(Flag.objects.filter(post=OuterRef("pk"), status=Flag.Status.OPEN))
    return ModerationQueue(
        flagged=_queue_posts(Q(has_open_flags, review_state=ReviewState.VISIBLE), ["-created_at", "-id"]),
        hidden=_queue_posts(Q(review_state=ReviewState.HIDDEN), ["-created_at", "-id"]),
        pending=_queue_posts(Q(review_state=ReviewState.PENDING), ["created_at", "id"]),
    )


def moderation_log_for(member: User, limit: int = 50) -> list:
    """The audit rows about one member, newest first. One query."""
    return list(ModerationLog.objects.filter(target_user=member).select_related("moderator", "post__thread")[:limit])


# ---- Knowledge: self-service before posting, deflection, similar threads, duplicates, knowledge base ----

EXCERPT_CHARS = 240


def excerpt_of(html: str, chars: int = EXCERPT_CHARS) -> str:
    """The first lines of a rendered post as plain text, cut at a word boundary."""
    from html import unescape

    from django.utils.text import Truncator

    from forum.markdown import plain_text

    # plain_text keeps entities (&gt;); unescape so the template escapes exactly once.
    return Truncator(unescape(plain_text(html))).chars(chars)


@dataclass
class Suggestion:
    thread: Thread
    answer_excerpt: str
    reuses: int = 0  # other problems its answer solved (forum.models.ArticleReuse)
    verified: bool = False
    outdated: str = ""  # the reason its answer was flagged outdated, if it was
    article_id: int | None = None  # its published knowledge article, if it has one
    article_flags: int = 0  # "didn't work for me" on the article's current revision
    article_flag_environment: str = ""  # the latest of those flags' environment


# Among equally solved suggestions, a reused, verified, recently active answer moves up and a flagged one down:
# a thread's place in relevance order is divided by these (issue 15, docs/knowledge.md).
REUSE_BOOST, REUSE_CAP, VERIFIED_BOOST, FRESH_BOOST, OUTDATED_PENALTY = 0.25, 4, 1.5, 1.2, 0.4
ARTICLE_BOOST = 2.0  # a published knowledge article (reviewed, structured) over a bare thread
FRESH_DAYS = 365


def _distinct_canonicals(hits: list, exclude: set[int]) -> list[Thread]:
    """Hits' threads, a duplicate replaced by its canonical, each once, solved ones first."""
    seen = set(exclude)
    threads: list[Thread] = []
    for hit in hits:
        thread = hit.thread.duplicate_of or hit.thread
        if thread.pk not in seen:
            seen.add(thread.pk)
            threads.append(thread)
    return sorted(threads, key=lambda t: not t.is_solved)  # stable: relevance order within each group


def ask_suggestions(*, title: str, body: str = "", limit: int = 5) -> list[Suggestion]:
    """Threads that may already answer what someone is typing on /ask/: solved first, with the
    first lines of their accepted answer. Empty for empty, short or unmatched text. At most 4 queries.

    A thread whose knowledge article was retired is no longer suggested."""
    from forum import search
    from forum.models import Article

    text = f"{title} {body[:300]}"
    if len(text.strip()) < 3:
        return []
    hits = search.search_threads(text, limit=limit * 4, any_word=True)
    threads = _distinct_canonicals(hits, exclude=set())[: limit * 2]
    answers = _answer_facts([t.accepted_post_id for t in threads if t.accepted_post_id])
    threads = [
        t for t in threads if answers.get(t.accepted_post_id, {}).get("article_status") != Article.Status.RETIRED
    ]
    now = datetime.now(UTC)

    def place(item: tuple[int, Thread]) -> tuple[bool, float]:
        position, thread = item
        facts = answers.get(thread.accepted_post_id, {})
        published = facts.get("article_status") == Article.Status.PUBLISHED
        fresh = facts.get("article_updated") if published else thread.last_activity_at
        boost = 1 + REUSE_BOOST * min(facts.get("reuses", 0), REUSE_CAP)
        boost *= VERIFIED_BOOST if facts.get("verified") or (published and facts.get("article_vendor")) else 1
        boost *= ARTICLE_BOOST if published else 1
        boost *= FRESH_BOOST if (now - fresh).days < FRESH_DAYS else 1
        boost *= OUTDATED_PENALTY if facts.get("outdated") or (published and facts.get("article_flags")) else 1
        return (not thread.is_solved, (position + 1) / boost)

    ranked = [t for _, t in sorted(enumerate(threads), key=place)][:limit]
    return [_suggestion(t, answers.get(t.accepted_post_id, {})) for t in ranked]


def _suggestion(thread: Thread, facts: dict) -> Suggestion:
    from forum.models import Article

    published = facts.get("article_status") == Article.Status.PUBLISHED
    return Suggestion(
        thread=thread,
        answer_excerpt=excerpt_of(facts.get("body_html", "")),
        reuses=facts.get("reuses", 0),
        verified=bool(facts.get("verified") or (published and facts.get("article_vendor"))),
        outdated=facts.get("outdated") or "",
        article_id=facts.get("article_id") if published else None,
        article_flags=(facts.get("article_flags") or 0) if published else 0,
        article_flag_environment=(facts.get("article_flag_environment") or "") if published else "",
    )


def _answer_facts(answer_ids: list[int]) -> dict[int, dict]:
    """Accepted answers' bodies with their thread's reuse count, verification, outdated reason and
    knowledge article (its status, vendor, freshness and open flags). One query."""
    from django.db.models import F, Subquery

    from forum.models import AnswerVerification, Article, ArticleFlag, ArticleReuse, OutdatedFlag

    if not answer_ids:
        return {}
    reuses = (
        ArticleReuse.objects.filter(article_id=OuterRef("thread_id"))
        .values("article_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    article = Article.objects.filter(thread_id=OuterRef("thread_id"))
    flags = ArticleFlag.objects.filter(article__thread_id=OuterRef("thread_id"), revision=F("article__revision"))
    rows = (
        Post.objects.filter(pk__in=answer_ids)
        .values("pk", "body_html")
        .annotate(
            reuses=Subquery(reuses[:1]),
            verified=Exists(AnswerVerification.objects.filter(post_id=OuterRef("pk"))),
            outdated=Subquery(OutdatedFlag.objects.filter(post_id=OuterRef("pk")).values("reason")[:1]),
            article_id=Subquery(article.values("pk")[:1]),
            article_status=Subquery(article.values("status")[:1]),
            article_vendor=Subquery(article.values("vendor_id")[:1]),
            article_updated=Subquery(article.values("updated_at")[:1]),
            article_flags=Subquery(flags.values("article_id").annotate(n=Count("pk")).values("n")[:1]),
            article_flag_environment=Subquery(flags.order_by("-created_at").values("environment")[:1]),
        )
    )
    return {r["pk"]: {**r, "reuses": r["reuses"] or 0} for r in rows}


def similar_threads(thread: Thread, *, limit: int = 5) -> list[Thread]:
    """Threads like this one, by its title: solved first, never itself, its canonical or its duplicates.

    The full-text search runs once per thread and title per ``SIMILAR_THREADS_CACHE_SECONDS``: the
    cache keeps only the ids, and each view fetches those threads again through the presenter's public
    filter (one query), so a thread hidden since then drops out at once and statuses are current.
    """

    from forum import search

    title_key = hashlib.blake2b(thread.title.encode(), digest_size=8).hexdigest()
    key = f"similar:v2:{thread.pk}:{thread.duplicate_of_id or 0}:{title_key}"
    ids = _cache_get(key)
    if ids is None:
        hits = search.search_threads(thread.title, limit=limit * 3, any_word=True)
        hits = [h for h in hits if h.thread.duplicate_of_id != thread.pk]
        # Only real neighbours: sharing one common word is no likeness (search.neighbour_floor).
        words = search.title_words(thread.title)
        shared = search.shared_words([h.thread.pk for h in hits], words)
        hits = [h for h in hits if shared.get(h.thread.pk, 0) >= search.neighbour_floor(len(words))]
        exclude = {thread.pk} | ({thread.duplicate_of_id} if thread.duplicate_of_id else set())
        ids = [t.pk for t in _distinct_canonicals(hits, exclude=exclude)[: limit * 2]]
        _cache_set(key, ids, settings.SIMILAR_THREADS_CACHE_SECONDS)
    if not ids:
        return []
    found = presenter.public_threads(Thread.objects.defer("search_vector"))
    by_id = found.filter(pk__in=ids, duplicate_of__isnull=True).in_bulk()
    threads = [by_id[pk] for pk in ids if pk in by_id]
    return sorted(threads, key=lambda t: not t.is_solved)[:limit]  # stable: relevance within each group


@dataclass
class ThreadKnowledge:
    canonical: Thread | None
    duplicates: list[Thread]
    similar: list[Thread]
    verifications: dict[int, list[Vendor]]
    outdated: dict[int, object]
    staffed_vendors: list[Vendor]
    can_mark_duplicate: bool
    can_flag_outdated: bool
    can_clear_outdated: bool
    article_id: int | None = None  # its knowledge article, as far as the viewer may see it
    article_status: str = ""  # "draft", "published" or "retired"
    can_draft_article: bool = False


# The article's status after each of its steps (read from the thread's history: no query).
_ARTICLE_STATUS = {
    EventKind.ARTICLE_DRAFTED: "draft",
    EventKind.ARTICLE_PUBLISHED: "published",
    EventKind.ARTICLE_FLAGGED: "published",
    EventKind.ARTICLE_FIXED: "published",
    EventKind.ARTICLE_RETIRED: "retired",
}


def _article_from_history(history: list[Event]) -> tuple[int | None, str]:
    article_id, status = None, ""
    for event in history:
        if event.kind in _ARTICLE_STATUS:
            article_id, status = event.data.get("article"), _ARTICLE_STATUS[event.kind]
    return article_id, status


def thread_knowledge(*, thread: Thread, user: AnyUser, history: list[Event] | None = None) -> ThreadKnowledge:
    """What the thread page adds for knowledge: duplicate links, similar threads, verified and
    outdated answers, and which controls the user may see. A fixed number of queries.

    ``thread`` from ``thread_page`` carries ``has_duplicates``/``has_verifications``/``has_outdated``
    (EXISTS columns), so absent knowledge costs no query; ``history`` (its public events) answers
    whether it was escalated without another query."""
    from forum import access
    from forum.models import AnswerVerification, OutdatedFlag

    canonical = None
    if thread.duplicate_of_id:
        found = Thread.objects.defer("search_vector").filter(pk=thread.duplicate_of_id)
        canonical = next(iter(presenter.mask_threads(user, found)), None)
    duplicates: list[Thread] = []
    if getattr(thread, "has_duplicates", True):
        found = Thread.objects.defer("search_vector").filter(duplicate_of=thread).order_by("created_at", "id")
        duplicates = presenter.mask_threads(user, found)  # titles as this viewer may see them
    verifications: dict[int, list[Vendor]] = {}
    if getattr(thread, "has_verifications", True):
        found = AnswerVerification.objects.filter(post__thread=thread).select_related("vendor").order_by("verified_at")
        for v in found:
            verifications.setdefault(v.post_id, []).append(v.vendor)
    outdated = {}
    if getattr(thread, "has_outdated", True):
        outdated = {f.post_id: f for f in OutdatedFlag.objects.filter(post__thread=thread).select_related("flagged_by")}
    staffed = access.vendors_staffed_on_thread(user, thread)
    escalated = None if history is None else any(e.kind == EventKind.ESCALATED for e in history)
    article_id, article_status = _article_from_history(history or [])
    confirmed = thread.accepted_post_id is not None or any(e.kind == EventKind.CONFIRMED for e in history or [])
    return ThreadKnowledge(
        canonical=canonical,
        duplicates=duplicates,
        similar=similar_threads(thread),
        verifications=verifications,
        outdated=outdated,
        staffed_vendors=staffed,
        can_mark_duplicate=access.can_mark_duplicate(user, thread, staffed, escalated=escalated),
        can_flag_outdated=access.can_flag_outdated(user, thread, staffed),
        can_clear_outdated=access.can_clear_outdated(user, thread, staffed),
        article_id=article_id,
        article_status=article_status,
        # A draft hidden from this viewer still takes the thread's one article: the action refuses then.
        can_draft_article=(
            history is not None and not article_id and confirmed and access.can_draft_article(user, thread, staffed)
        ),
    )


def deflection_stats(*, since: datetime, vendor: Vendor | None = None) -> dict:
    """Self-service deflection since ``since``: how often a suggestion on /ask/ stopped a new thread.

    A suggestion open is recorded when someone logged in on /ask/ opens a
    suggested thread (``forum.models.SuggestionOpen``). It is a deflection
    unless the same person posted a thread within an hour of opening it
    (recent opens count as deflections until such a post converts them).

    ``vendor`` counts only opens of threads that involve that vendor
    (``ThreadVendor``: mentioned as @handle or answered by its staff).

    Returns ``{"opens": int, "deflections": int, "rate": float}``, where
    ``rate`` is deflections / opens between 0 and 1 (0.0 when nothing was
    opened). One query.
    """
    from forum.models import SuggestionOpen

    opens = SuggestionOpen.objects.filter(opened_at__gte=since)
    if vendor is not None:
        opens = opens.filter(thread__vendor_links__vendor=vendor)
    counts = opens.aggregate(opens=Count("id"), deflections=Count("id", filter=Q(converted=False)))
    total, deflections = counts["opens"] or 0, counts["deflections"] or 0
    return {"opens": total, "deflections": deflections, "rate": deflections / total if total else 0.0}


def site_stats(*, now: datetime) -> dict:
    """Numbers for /stats/: threads, solved share, deflection over the last 7 and 30 days. Three queries."""
    from datetime import timedelta

    counts = Thread.objects.filter(duplicate_of__isnull=True).aggregate(
        threads=Count("id"), solved=Count("id", filter=Q(status=Thread.Status.SOLVED))
    )
    return {
        "threads": counts["threads"],
        "solved": counts["solved"],
        "solved_share": counts["solved"] / counts["threads"] if counts["threads"] else 0.0,
        "periods": [
            ("7 days", deflection_stats(since=now - timedelta(days=7))),
            ("30 days", deflection_stats(since=now - timedelta(days=30))),
        ],
    }


def kb_list(
    *, tag: Tag | None = None, vendor: Vendor | None = None, cursor: str | None = None, limit: int | None = None
) -> ThreadList:
    """One page of the knowledge base: solved threads that are not duplicates, newest activity first.

    Each thread carries ``accepted_post`` with its author, outdated flag and
    verifications. Three queries whatever the page size (keyset pagination).
    """
    from django.db.models import Prefetch

    from forum.models import AnswerVerification

    limit = limit or settings.BARNRAISE["THREADS_PER_PAGE"]
    qs = (
        presenter.public_threads(Thread.objects.all())
        .filter(status=Thread.Status.SOLVED, duplicate_of__isnull=True, accepted_post__review_state=ReviewState.VISIBLE)
        .select_related("author", "accepted_post", "accepted_post__author", "accepted_post__outdated_flag")
        .prefetch_related(
            "tags",
            Prefetch(
                "accepted_post__verifications",
                queryset=AnswerVerification.objects.select_related("vendor").order_by("verified_at"),
            ),
        )
        .defer("search_vector")
        .order_by("-last_activity_at", "-id")
    )
    if tag is not None:
        qs = qs.filter(taggedthread__tag=tag)
    if vendor is not None:
        qs = qs.filter(vendor_links__vendor=vendor)
    threads, next_cursor = _keyset_page(qs, cursor, limit)
    return ThreadList(
        threads=threads[:limit], next_cursor=next_cursor, title=gettext("Knowledge base"), filter="solved"
    )


def _cache_get(key: str):
    """A cached value, or None when absent or when the cache (Redis) is down: pages work without it."""
    from django.core.cache import cache

    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - any cache failure is a miss
        logger.warning("Cache unavailable: %s read as a miss", key.split(":", 1)[0])
        return None


def _cache_set(key: str, value, timeout: float) -> None:
    from django.core.cache import cache

    try:
        cache.set(key, value, timeout)
    except Exception:  # noqa: BLE001 - a page never fails because the cache is down
        logger.warning("Cache unavailable: %s not stored", key.split(":", 1)[0])
