"""Knowledge endpoints: articles, their history, reuse counts, and the content-gap report (read only).

Visibility is the site's: a draft exists only for its author and reviewers
(``presenter.require_article``), the gap report is for moderators and vendors' staff
(``access.gap_report_vendor``). Lists page by ``offset``/``next_offset`` as /api/search does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema

from forum import access, knowledge_selectors
from forum.api.errors import ERROR_CODES, ErrorOut
from forum.api.routes import caller
from forum.api.schemas import EventOut, UserOut, events_out, user_out
from forum.models import Article, Vendor
from forum.timeline import presenter

router = Router(tags=["knowledge"])
ERRORS = {ERROR_CODES: ErrorOut}
MAX_OFFSET = 1000


class ArticleThreadOut(Schema):
    id: int
    title: str
    url: str


class ArticleOut(Schema):
    id: int
    url: str
    status: str
    title: str
    environment: str
    cause: str
    resolution: str
    resolution_html: str
    revision: int
    verified_by: str | None  # the vendor handle of a vendor-verified article
    thread: ArticleThreadOut
    author: UserOut
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    reuses: int
    last_confirmed: datetime | None
    open_flags: int


class ArticlePageOut(Schema):
    items: list[ArticleOut]
    next_offset: int | None


class ArticleDetailOut(ArticleOut):
    flag_environments: list[str]  # the latest "didn't work for me" environments on this revision


class ArticleHistoryOut(Schema):
    article: int
    events: list[EventOut]


class ReuseOut(Schema):
    thread: ArticleThreadOut
    article: int | None
    reuses: int
    last_confirmed: datetime | None


class GapOut(Schema):
    query: str
    tag: str
    no_results: int
    not_opened: int
    asked_anyway: int
    total: int


class GapReportOut(Schema):
    vendor: str | None
    since: str
    rows: list[GapOut]


def article_out(item: Article) -> dict[str, Any]:
    thread = item.thread
    return {
        "id": item.pk,
        "url": item.get_absolute_url(),
        "status": item.status,
        "title": item.title,
        "environment": item.environment,
        "cause": item.cause,
        "resolution": item.resolution,
        "resolution_html": item.resolution_html,
        "revision": item.revision,
        "verified_by": item.vendor.handle if item.vendor_id else None,
        "thread": {"id": thread.pk, "title": thread.title, "url": thread.get_absolute_url()},
        "author": user_out(item.author),
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "published_at": item.published_at,
        "reuses": item.reuse_count or 0,
        "last_confirmed": item.last_reuse,
        "open_flags": item.open_flags,
    }


@router.get("/articles", response={200: ArticlePageOut, **ERRORS}, summary="Published knowledge articles, best first")
def list_articles(
    request: HttpRequest,
    tag: str | None = Query(None, max_length=100),
    vendor: str | None = Query(None, max_length=30),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    limit: int = Query(20, ge=1, le=100),
):
    vendor_obj = get_object_or_404(Vendor, handle=vendor.strip().lower()) if vendor else None
    rows = knowledge_selectors.published_articles(
        tag=(tag or "").strip().lower(), vendor=vendor_obj, limit=limit + 1, offset=offset
    )
    return {
        "items": [article_out(a) for a in rows[:limit]],
        "next_offset": offset + limit if len(rows) > limit else None,
    }


@router.get("/articles/{article_id}", response={200: ArticleDetailOut, **ERRORS}, summary="One knowledge article")
def read_article(request: HttpRequest, article_id: int):
    page = knowledge_selectors.article_page(article_id=article_id, viewer=caller(request).user)
    return {**article_out(page.article), "flag_environments": [f.environment for f in page.flags]}


@router.get(
    "/articles/{article_id}/history",
    response={200: ArticleHistoryOut, **ERRORS},
    summary="A knowledge article's steps: drafted, published, flagged, fixed, retired",
)
def article_history(request: HttpRequest, article_id: int):
    item = get_object_or_404(Article.objects.select_related("thread"), pk=article_id)
    principal = caller(request)
    presenter.require_article(principal.user, item)
    events = knowledge_selectors.article_history(item)
    return {"article": item.pk, "events": events_out(events, principal.user, principal.private_vendor_ids())}


@router.get("/reuse", response={200: list[ReuseOut], **ERRORS}, summary="The most reused articles and their counts")
def most_reused(
    request: HttpRequest,
    vendor: str | None = Query(None, max_length=30),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    limit: int = Query(20, ge=1, le=100),
):
    vendor_obj = get_object_or_404(Vendor, handle=vendor.strip().lower()) if vendor else None
    rows = knowledge_selectors.most_reused(vendor=vendor_obj, limit=limit, offset=offset)
    return [
        {
            "thread": {"id": t.pk, "title": t.title, "url": t.get_absolute_url()},
            "article": t.article_id,
            "reuses": reuse.count,
            "last_confirmed": reuse.last,
        }
        for t, reuse in rows
    ]


@router.get(
    "/gaps",
    response={200: GapReportOut, **ERRORS},
    summary="What people look for and do not find (moderators: all; vendor staff and keys: their vendor's)",
)
def gap_report(
    request: HttpRequest,
    days: Literal[7, 30, 90] = 30,
    tag: str | None = Query(None, max_length=100),
    vendor: str | None = Query(None, max_length=30, description="Moderators only: one vendor's gaps"),
):
    principal = caller(request)
    scope = access.gap_report_vendor(principal.user, vendor or "")
    since = timezone.localdate() - timedelta(days=days)
    rows = knowledge_selectors.gap_report(since=since, vendor=scope, tag=(tag or "").strip().lower())
    return {
        "vendor": scope.handle if scope else None,
        "since": since.isoformat(),
        "rows": [{**row.__dict__, "total": row.total} for row in rows],
    }
