"""Read side: query functions that fetch what a page needs in a fixed number of queries.

Lists use keyset pagination over (last_activity_at, id): a cursor names the
last row seen, so page 2,000 costs what page 1 costs. No page counts rows.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from taggit.models import Tag

from forum import access
from forum.access import AnyUser
from forum.models import Event, Flag, Membership, ModerationLog, Post, ReviewState, Thread, User, Vendor, Vote


class BadCursorError(ValueError):
    """A pagination cursor that was not made by this site."""


@dataclass
class ThreadList:
    threads: list[Thread]
    next_cursor: str | None
    title: str
    filter: str


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


LIST_FILTERS = {
    "latest": ("Latest threads", Q()),
    "unanswered": ("Unanswered", Q(reply_count=0)),
    "solved": ("Solved", Q(status=Thread.Status.SOLVED)),
    "open": ("Open", Q(status=Thread.Status.OPEN)),
}


def _list_queryset() -> QuerySet[Thread]:
    return (
        Thread.objects.filter(review_state=ReviewState.VISIBLE)
        .select_related("author")
        .prefetch_related("tags")
        .defer("search_vector")
        .order_by("-last_activity_at", "-id")
    )


def thread_list(
    *,
    filter: str = "latest",
    tag: Tag | None = None,
    vendor: Vendor | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> ThreadList:
    """One page of threads, newest activity first. Two queries."""
    if filter not in LIST_FILTERS:
        raise Http404("Unknown list.")
    title, condition = LIST_FILTERS[filter]
    limit = limit or settings.BARNRAISE["THREADS_PER_PAGE"]
    qs = _list_queryset().filter(condition)
    if tag is not None:
        qs = qs.filter(taggedthread__tag=tag)
    if vendor is not None:
        qs = qs.filter(vendor_links__vendor=vendor)
    if cursor:
        when, pk = decode_cursor(cursor)
        qs = qs.filter(Q(last_activity_at__lt=when) | Q(last_activity_at=when, id__lt=pk))
    threads = list(qs[: limit + 1])
    next_cursor = encode_cursor(threads[limit - 1]) if len(threads) > limit else None
    return ThreadList(threads=threads[:limit], next_cursor=next_cursor, title=title, filter=filter)


HIDDEN_TITLE = "Hidden thread"


def _visible_posts(posts: list[Post], user: AnyUser) -> list[Post]:
    """The posts a viewer may see at all; ``shown_to_viewer`` says whether they see the text.

    Pending posts appear to their author and moderators only, rejected ones to moderators
    only; hidden ones to everybody, as a placeholder unless the viewer may read them.
    """
    visible = []
    for post in posts:
        post.shown_to_viewer = access.can_see_post(user, post)
        if post.review_state in (ReviewState.PENDING, ReviewState.REJECTED) and not post.shown_to_viewer:
            continue
        visible.append(post)
    return visible


def _annotate_open_flags(thread: Thread, posts: list[Post]) -> None:
    """For moderators: how many open flags each post has. One query."""
    counts = dict(
        Flag.objects.filter(post__thread=thread, status=Flag.Status.OPEN)
        .values("post")
        .annotate(n=Count("id"))
        .values_list("post", "n")
    )
    for post in posts:
        post.open_flag_count = counts.get(post.pk, 0)


@dataclass
class ThreadPage:
    thread: Thread
    question: Post
    accepted: Post | None
    replies: list[Post]
    my_votes: set[int]
    history: list[Event]
    vendors: list[Vendor] = field(default_factory=list)


def thread_page(*, thread_id: int, user: AnyUser) -> ThreadPage:
    """Everything the thread page shows. A fixed number of queries, whatever the replies."""
    thread = get_object_or_404(
        Thread.objects.select_related("author").defer("search_vector").prefetch_related("tags", "vendor_links__vendor"),
        pk=thread_id,
    )
    posts = list(
        Post.objects.filter(thread=thread)
        .select_related("author", "staff_vendor")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    question = next((p for p in posts if p.is_question), None)
    if question is None:
        raise Http404("This thread has no question.")
    posts = _visible_posts(posts, user)
    if question not in posts:
        raise Http404("This thread is not public.")
    if not question.shown_to_viewer:
        thread.title = HIDDEN_TITLE  # display only; this read never saves the thread
    if access.is_moderator(user):
        _annotate_open_flags(thread, posts)
    replies = [p for p in posts if not p.is_question]
    accepted = next((p for p in replies if p.pk == thread.accepted_post_id), None)
    my_votes: set[int] = set()
    if user.is_authenticated:
        my_votes = set(Vote.objects.filter(post__thread=thread, user=user).values_list("post_id", flat=True))
    history = list(Event.objects.filter(thread=thread, vendor__isnull=True).select_related("actor").order_by("seq"))
    vendors = [link.vendor for link in thread.vendor_links.all()]
    return ThreadPage(
        thread=thread,
        question=question,
        accepted=accepted,
        replies=replies,
        my_votes=my_votes,
        history=history,
        vendors=vendors,
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
    answers = list(
        Post.objects.filter(author=member, is_question=False, review_state=ReviewState.VISIBLE)
        .select_related("thread")
        .order_by("-created_at", "-id")[:limit]
    )
    accepted = list(
        Post.objects.filter(author=member, thread__accepted_post=F("pk"))
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


def notifications_for(user: User, limit: int = 50) -> list:
    """The user's latest notifications with their event, actor and thread. One query."""
    from forum.models import Notification

    return list(
        Notification.objects.filter(recipient=user)
        .select_related("event", "event__actor", "event__thread", "event__post")
        .order_by("-created_at", "-id")[:limit]
    )


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
