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
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from taggit.models import Tag

from forum.access import AnyUser
from forum.models import Event, Membership, Post, Thread, User, Vendor, Vote


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
        Thread.objects.select_related("author")
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
        Post.objects.filter(author=member, is_question=False)
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
