"""Shapes of the API's requests and responses (they make /api/openapi.json)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from forum.models import Event, Post, Thread, User, Vendor


class UserOut(Schema):
    username: str
    name: str


class ThreadOut(Schema):
    id: int
    title: str
    url: str
    status: str
    author: UserOut
    tags: list[str]
    created_at: datetime
    last_activity_at: datetime
    reply_count: int
    score: int
    is_locked: bool
    last_seq: int


class PostOut(Schema):
    id: int
    thread: int
    author: UserOut
    is_question: bool
    body: str
    body_html: str
    staff_vendor: str | None
    score: int
    created_at: datetime
    edited_at: datetime | None


class ThreadDetailOut(ThreadOut):
    accepted_post: int | None
    vendors: list[str]
    posts: list[PostOut]


class ThreadPageOut(Schema):
    items: list[ThreadOut]
    next_cursor: str | None


class ThreadIn(Schema):
    title: str = Field(..., max_length=1000)
    body: str = Field(..., max_length=100_000)
    tags: list[str] = Field(default_factory=list, max_length=20)


class ReplyIn(Schema):
    body: str = Field(..., max_length=100_000)


class SearchHitOut(Schema):
    thread: ThreadOut
    snippet_html: str
    rank: float


class SearchOut(Schema):
    query: str
    hits: list[SearchHitOut]
    next_offset: int | None


class TagOut(Schema):
    name: str
    threads: int


class VendorOut(Schema):
    handle: str
    name: str
    description: str
    website: str
    url: str
    joined: bool = Field(description="False for an unclaimed vendor: listed so customers can escalate, not joined")


class EventOut(Schema):
    thread: int
    seq: int
    stream: str
    kind: str
    label: str
    created_at: str
    actor: UserOut | None
    post: int | None
    data: dict[str, Any]
    html: str | None = None


class EventFeedOut(Schema):
    stream: str
    events: list[EventOut]
    last_seq: int


class VendorEventFeedOut(Schema):
    events: list[EventOut]
    next_cursor: str = Field(description="Pass back as cursor: the next page, or (when caught up) what comes next")


class MembershipOut(Schema):
    vendor: str
    role: str


class MeOut(Schema):
    username: str
    name: str
    reputation: int
    is_moderator: bool
    memberships: list[MembershipOut]
    auth: str
    key_vendor: str | None


class NotificationOut(Schema):
    id: int
    kind: str
    created_at: datetime
    read: bool
    event: EventOut


def user_out(user: User) -> dict[str, str]:
    return {"username": user.username, "name": user.name}


def thread_out(thread: Thread, viewer=None) -> dict[str, Any]:
    """A thread as ``viewer`` (a visitor by default) may read it: a hidden question's title is masked."""
    from forum.timeline import presenter

    viewer = viewer or presenter.PUBLIC
    return {
        "id": thread.pk,
        "title": presenter.thread_title(viewer, thread),
        "url": presenter.thread_url(viewer, thread),
        "status": thread.status,
        "author": user_out(thread.author),
        "tags": sorted(t.name for t in thread.tags.all()),
        "created_at": thread.created_at,
        "last_activity_at": thread.last_activity_at,
        "reply_count": thread.reply_count,
        "score": thread.score,
        "is_locked": thread.is_locked,
        "last_seq": thread.last_seq,
    }


def post_out(post: Post, viewer=None) -> dict[str, Any]:
    """A post as ``viewer`` may read it (forum.timeline.presenter): hidden text masked for others."""
    from forum.timeline import presenter

    body, body_html = presenter.post_text(viewer or presenter.PUBLIC, post)
    return {
        "id": post.pk,
        "thread": post.thread_id,
        "author": user_out(post.author),
        "is_question": post.is_question,
        "body": body,
        "body_html": body_html,
        "staff_vendor": post.staff_vendor.handle if post.staff_vendor else None,
        "score": post.score,
        "created_at": post.created_at,
        "edited_at": post.edited_at,
    }


def vendor_out(vendor: Vendor) -> dict[str, Any]:
    return {
        "handle": vendor.handle,
        "name": vendor.name,
        "description": vendor.description,
        "website": vendor.website,
        "url": vendor.get_absolute_url(),
        "joined": vendor.is_claimed,
    }


def events_out(events: list[Event], viewer, staff_vendor_ids: list[int]) -> list[dict[str, Any]]:
    """The websocket's payloads (forum.timeline.presenter) for this caller, so both readers see the same event."""
    from forum.timeline import presenter

    return presenter.event_payloads(events, viewer, staff_vendor_ids=staff_vendor_ids)
