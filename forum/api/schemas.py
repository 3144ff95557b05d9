"""Shapes of the API's requests and responses (they make /api/openapi.json)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from forum.events import payload_for
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
    next_cursor: int | None


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


def thread_out(thread: Thread) -> dict[str, Any]:
    return {
        "id": thread.pk,
        "title": thread.title,
        "url": thread.get_absolute_url(),
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


HIDDEN_HTML = "<p>This post is hidden pending moderator review.</p>"


def post_out(post: Post, viewer=None) -> dict[str, Any]:
    """A post as ``viewer`` may read it: hidden or unreviewed text only for its author and moderators."""
    from forum.access import can_see_post

    shown = (viewer is not None and can_see_post(viewer, post)) or post.review_state == "visible"
    return {
        "id": post.pk,
        "thread": post.thread_id,
        "author": user_out(post.author),
        "is_question": post.is_question,
        "body": post.body if shown else "",
        "body_html": post.body_html if shown else HIDDEN_HTML,
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


def event_out(event: Event) -> dict[str, Any]:
    """The websocket's payload (forum.events), so both readers see the same event."""
    return payload_for(event)
