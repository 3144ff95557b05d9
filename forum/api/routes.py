"""Forum endpoints: threads, posts, search, tags, vendors, timeline events, me.

Every write calls the same action as the web; every read of timeline events
filters private streams through ``Principal.private_vendor_ids()``.
"""

from __future__ import annotations

from typing import Literal

from django.db.models import Q
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router
from ninja.responses import Status
from taggit.models import Tag

from forum import search, selectors
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.api.auth import Principal
from forum.api.errors import ERROR_CODES, ErrorOut
from forum.api.schemas import (
    EventFeedOut,
    EventOut,
    MeOut,
    NotificationOut,
    PostOut,
    ReplyIn,
    SearchOut,
    TagOut,
    ThreadDetailOut,
    ThreadIn,
    ThreadPageOut,
    VendorEventFeedOut,
    VendorOut,
    events_out,
    post_out,
    thread_out,
    user_out,
    vendor_out,
)
from forum.models import Event, Membership, Post, Thread, Vendor
from forum.timeline import presenter

router = Router(tags=["forum"])

ERRORS = {ERROR_CODES: ErrorOut}
MAX_SEARCH = 200
MAX_EVENTS = 200
# A client that retries a POST sends the same key: the repeat answers with what the first created.
IDEMPOTENCY_HEADER = "Idempotency-Key"
NOT_A_PERSON = "A vendor API key acts for the vendor, not a person; post with a personal access token."


def caller(request: HttpRequest) -> Principal:
    return request.auth  # type: ignore[attr-defined]


@router.get("/threads", response={200: ThreadPageOut, **ERRORS}, summary="List threads, newest activity first")
def list_threads(
    request: HttpRequest,
    status: Literal["latest", "open", "solved", "unanswered"] = "latest",
    tag: str | None = Query(None, max_length=100),
    vendor: str | None = Query(None, max_length=30),
    cursor: str | None = Query(None, max_length=200),
    limit: int = Query(30, ge=1, le=100),
):
    tag_obj = None
    if tag:
        tag_obj = Tag.objects.filter(name=tag.strip().lower()).first()
        if tag_obj is None:
            return {"items": [], "next_cursor": None}
    vendor_obj = get_object_or_404(Vendor, handle=vendor) if vendor else None
    page = selectors.thread_list(filter=status, tag=tag_obj, vendor=vendor_obj, cursor=cursor, limit=limit)
    return {"items": [thread_out(t) for t in page.threads], "next_cursor": page.next_cursor}


def _thread_detail(thread_id: int, request: HttpRequest) -> dict:
    page = selectors.thread_page(thread_id=thread_id, user=caller(request).user)
    viewer = caller(request).user
    data = thread_out(page.thread, viewer)
    data["accepted_post"] = page.thread.accepted_post_id
    data["vendors"] = [v.handle for v in page.vendors]
    data["posts"] = [post_out(p, viewer) for p in [page.question, *page.replies]]
    return data


@router.post("/threads", response={201: ThreadDetailOut, **ERRORS}, summary="Ask a question (create a thread)")
def create_thread(request: HttpRequest, payload: ThreadIn):
    caller(request).require_person(NOT_A_PERSON)
    thread = thread_actions.create_thread(
        author=caller(request).user,
        title=payload.title,
        body=payload.body,
        tags=payload.tags,
        idempotency_key=request.headers.get(IDEMPOTENCY_HEADER),
    )
    return Status(201, _thread_detail(thread.pk, request))


@router.get("/threads/{thread_id}", response={200: ThreadDetailOut, **ERRORS}, summary="A thread with its posts")
def read_thread(request: HttpRequest, thread_id: int):
    return _thread_detail(thread_id, request)


@router.post("/threads/{thread_id}/posts", response={201: PostOut, **ERRORS}, summary="Reply to a thread")
def create_post(request: HttpRequest, thread_id: int, payload: ReplyIn):
    caller(request).require_person(NOT_A_PERSON)
    thread = get_object_or_404(Thread, pk=thread_id)
    post = post_actions.reply(
        author=caller(request).user,
        thread=thread,
        body=payload.body,
        idempotency_key=request.headers.get(IDEMPOTENCY_HEADER),
    )
    post = Post.objects.select_related("author", "staff_vendor").get(pk=post.pk)
    return Status(201, post_out(post, caller(request).user))


@router.get("/posts/{post_id}", response={200: PostOut, **ERRORS}, summary="One post")
def read_post(request: HttpRequest, post_id: int):
    post = get_object_or_404(Post.objects.select_related("author", "staff_vendor", "thread"), pk=post_id)
    viewer = caller(request).user
    presenter.require_post(viewer, post)  # unreviewed posts do not exist for others, as on the site
    return post_out(post, viewer)


@router.get("/search", response={200: SearchOut, **ERRORS}, summary="Full-text search over threads")
def search_threads(
    request: HttpRequest,
    q: str = Query(..., min_length=1, max_length=MAX_SEARCH),
    offset: int = Query(0, ge=0, le=1000),
):
    hits = search.search_threads(q, limit=21, offset=offset)
    return {
        "query": q,
        "hits": [{"thread": thread_out(h.thread), "snippet_html": str(h.snippet), "rank": h.rank} for h in hits[:20]],
        "next_offset": offset + 20 if len(hits) > 20 else None,
    }


@router.get("/tags", response={200: list[TagOut], **ERRORS}, summary="Popular tags")
def list_tags(request: HttpRequest, limit: int = Query(30, ge=1, le=100)):
    return [{"name": t.name, "threads": t.n} for t in selectors.popular_tags(limit)]


@router.get("/vendors", response={200: list[VendorOut], **ERRORS}, summary="Vendors")
def list_vendors(request: HttpRequest):
    return [vendor_out(v) for v in Vendor.objects.order_by("name")[:500]]


@router.get("/vendors/{handle}", response={200: VendorOut, **ERRORS}, summary="One vendor")
def read_vendor(request: HttpRequest, handle: str):
    return vendor_out(get_object_or_404(Vendor, handle=handle))


def _events_qs():
    return (
        Event.objects.select_related("actor", "thread", "post", "post__author", "post__staff_vendor")
        .defer("thread__search_vector")
        .prefetch_related("post__attachments")
    )


@router.get(
    "/threads/{thread_id}/events",
    response={200: EventFeedOut, **ERRORS},
    summary="A thread's timeline after a sequence number (the websocket's replay)",
)
def thread_events(
    request: HttpRequest,
    thread_id: int,
    after: int = Query(0, ge=0, le=2**62),
    stream: str = Query("public", max_length=40, description='"public" or the handle of a vendor you are staff of'),
    limit: int = Query(100, ge=1, le=MAX_EVENTS),
):
    thread = get_object_or_404(Thread.objects.only("pk", "review_state", "author_id"), pk=thread_id)
    presenter.require_thread(caller(request).user, thread)  # a pending or rejected thread does not exist for others
    vendor_id = None
    if stream != "public":
        vendor = Vendor.objects.filter(handle=stream).first()
        if vendor is None or vendor.pk not in caller(request).private_vendor_ids():
            raise Http404("No such stream.")  # a stream one may not read does not exist for them
        vendor_id = vendor.pk
    events = list(_events_qs().filter(thread=thread, vendor_id=vendor_id, seq__gt=after).order_by("seq")[:limit])
    last = events[-1].seq if events else after
    principal = caller(request)
    return {
        "stream": stream,
        "events": events_out(events, principal.user, principal.private_vendor_ids()),
        "last_seq": last,
    }


@router.get(
    "/vendors/{handle}/events",
    response={200: VendorEventFeedOut, **ERRORS},
    summary="Events on every thread a vendor is on, oldest first, with the vendor's private notes for its staff",
)
def vendor_events(
    request: HttpRequest,
    handle: str,
    cursor: str = Query("0", max_length=40, description="next_cursor of the previous page; 0 to start"),
    limit: int = Query(100, ge=1, le=MAX_EVENTS),
):
    vendor = get_object_or_404(Vendor, handle=handle)
    visible = Q(vendor__isnull=True, thread__vendor_links__vendor=vendor)
    if vendor.pk in caller(request).private_vendor_ids():
        visible |= Q(vendor=vendor)
    events, next_cursor = selectors.committed_events(_events_qs().filter(visible), cursor=cursor, limit=limit)
    principal = caller(request)
    return {"events": events_out(events, principal.user, principal.private_vendor_ids()), "next_cursor": next_cursor}


def _require_login(principal: Principal) -> None:
    from forum.access import require

    require(principal.user.is_authenticated, "Log in, or send a personal access token.")


@router.get("/me", response={200: MeOut, **ERRORS}, summary="The caller's profile")
def me(request: HttpRequest):
    principal = caller(request)
    _require_login(principal)
    user = principal.user
    memberships = Membership.objects.filter(user=user, status=Membership.Status.VERIFIED).select_related("vendor")
    return {
        **user_out(user),
        "reputation": user.reputation,
        "is_moderator": user.is_moderator,
        "memberships": [{"vendor": m.vendor.handle, "role": m.role} for m in memberships],
        "auth": principal.via,
        "key_vendor": principal.key.vendor.handle if principal.key else None,
    }


@router.get("/me/notifications", response={200: list[NotificationOut], **ERRORS}, summary="The caller's notifications")
def my_notifications(request: HttpRequest, limit: int = Query(50, ge=1, le=100)):
    principal = caller(request)
    _require_login(principal)
    principal.require_person("A vendor API key has no notifications; they belong to people (use a personal token).")
    allowed = principal.private_vendor_ids()
    items = selectors.notifications_for(principal.user, limit=limit)
    gone = presenter.Seen.NOT_FOUND
    items = [n for n in items if presenter.event(principal.user, n.event, allowed, with_post=False) is not gone]
    events = events_out([n.event for n in items], principal.user, allowed)
    return [
        {"id": n.pk, "kind": n.kind, "created_at": n.created_at, "read": n.read_at is not None, "event": payload}
        for n, payload in zip(items, events, strict=True)
    ]


__all__ = ["EventOut", "router"]
