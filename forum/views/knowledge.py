"""Knowledge pages and controls: suggestions on /ask/, /stats/, /kb/, duplicates, verified and outdated answers,
content gaps (the search page's beacon and the report)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST
from taggit.models import Tag

from forum import access, knowledge_selectors, selectors
from forum.actions import gaps as gap_actions
from forum.actions import knowledge as knowledge_actions
from forum.actions import selfservice
from forum.models import Post, Thread, Vendor
from forum.ratelimit import RateLimitedError
from forum.views.errors import bad_request, with_retry_after

SUGGEST_TITLE_MAX = 200
SUGGEST_BODY_MAX = 2000
THREAD_REF_RE = re.compile(r"^#?(\d{1,12})$")
THREAD_PATH_RE = re.compile(r"^/t/(\d{1,12})(?:/|$)")


def _message(error: ValidationError) -> str:
    return error.messages[0] if error.messages else gettext("That could not be done.")


@require_GET
def ask_suggest(request: HttpRequest) -> HttpResponse:
    """The htmx fragment beside /ask/: threads that may already answer what is being typed."""
    title = request.GET.get("title", "")[:SUGGEST_TITLE_MAX]
    body = request.GET.get("body", "")[:SUGGEST_BODY_MAX]
    suggestions = selectors.ask_suggestions(title=title, body=body)
    if not suggestions:
        return HttpResponse("")  # an empty container takes no room on the page
    session_id = selfservice.ask_session_id(request.user, request.GET.get("ask_session", "")[:300])
    token = selfservice.suggestion_token
    rows = [
        (s, token(user=request.user, session_id=session_id, thread_id=s.thread.pk) if session_id else "")
        for s in suggestions
    ]
    return render(request, "forum/_ask_suggestions.html", {"rows": rows})


@require_POST
def suggestion_opened(request: HttpRequest) -> HttpResponse:
    """The /ask/ page's beacon: a suggestion was opened (204). Counted once per visit and thread."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": gettext("Log in to ask a question.")}, status=403)
    try:
        selfservice.record_suggestion_open(
            user=request.user,
            token=request.POST.get("token", "")[:500],
            thread_id=request.POST.get("thread", "")[:20],
            address=request.META.get("REMOTE_ADDR", ""),
        )
    except ValidationError as error:
        return JsonResponse({"detail": _message(error)}, status=400)
    return HttpResponse(status=204)


def stats(request: HttpRequest) -> HttpResponse:
    return render(request, "forum/stats.html", {"stats": selectors.site_stats(now=timezone.now())})


KB_ARTICLES = 5


def kb(request: HttpRequest, handle: str | None = None) -> HttpResponse:
    """Solved threads with the first lines of their answers, by tag (?tag=wifi) and by vendor."""
    handle = handle or request.GET.get("vendor", "")
    vendor = get_object_or_404(Vendor, handle=handle.lower()) if handle else None
    tag_name = request.GET.get("tag", "").strip().lower()[:100]
    tag = Tag.objects.filter(name=tag_name).first() if tag_name else None
    cursor = request.GET.get("after") or None
    if tag_name and tag is None:
        page = selectors.ThreadList(threads=[], next_cursor=None, title=gettext("Knowledge base"), filter="solved")
    else:
        try:
            page = selectors.kb_list(tag=tag, vendor=vendor, cursor=cursor)
        except selectors.BadCursorError as error:
            return bad_request(request, error)
    reuses = knowledge_selectors.reuse_stats([t.pk for t in page.threads])
    for t in page.threads:
        t.reuse = reuses.get(t.pk)  # how many problems it solved, and when last confirmed
    # Published articles lead the first page, best first: fresh, reused, verified (one query).
    articles = (
        []
        if cursor or (tag_name and tag is None)
        else knowledge_selectors.published_articles(tag=tag_name, vendor=vendor, limit=KB_ARTICLES)
    )
    context = {
        "articles": articles,
        "page": page,
        "cursor": cursor,
        "vendor": vendor,
        "tag": tag,
        "tag_name": tag_name,
        "tags": selectors.popular_tags(limit=12),
        "vendors": list(Vendor.objects.order_by("name")[:12]),
    }
    return render(request, "forum/kb.html", context)


def thread_from_ref(text: str) -> Thread:
    """The thread named by an id ("42", "#42") or a thread link ("https://…/t/42/slug/")."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(gettext("Give the other thread's link or number."), code="empty")
    match = THREAD_REF_RE.match(text)
    if match is None:
        match = THREAD_PATH_RE.match(urlsplit(text).path if "/" in text else "")
    if match is None:
        raise ValidationError(
            gettext(
                "That is not a thread link or number. Paste the address of the thread, like /t/42/…, or its number."
            ),
            code="bad_ref",
        )
    thread = Thread.objects.filter(pk=int(match.group(1))).first()
    if thread is None:
        raise ValidationError(
            gettext("There is no thread number %(value)s.") % {"value": match.group(1)}, code="unknown"
        )
    return thread


def _attempt(request: HttpRequest, back: Thread | Post, write: Callable[[], str]) -> HttpResponse:
    """Run one action; show its success message or the reason it refused; go back to the page."""
    try:
        messages.success(request, write())
    except ValidationError as error:
        messages.error(request, _message(error))
    return redirect(back)


def _post_or_404(post_id: int) -> Post:
    return get_object_or_404(Post.objects.select_related("thread"), pk=post_id)


@login_required
@require_POST
def mark_duplicate(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = get_object_or_404(Thread, pk=thread_id)

    def write() -> str:
        canonical = thread_from_ref(request.POST.get("canonical", ""))
        knowledge_actions.mark_duplicate(user=request.user, thread=thread, canonical=canonical)
        return gettext("Marked as a duplicate of “%(title)s”.") % {"title": canonical.title}

    return _attempt(request, thread, write)


@login_required
@require_POST
def unmark_duplicate(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = get_object_or_404(Thread, pk=thread_id)

    def write() -> str:
        knowledge_actions.unmark_duplicate(user=request.user, thread=thread)
        return gettext("This thread is no longer marked a duplicate.")

    return _attempt(request, thread, write)


@login_required
@require_POST
def verify(request: HttpRequest, post_id: int) -> HttpResponse:
    post = _post_or_404(post_id)
    handle = request.POST.get("vendor", "").strip().lower()

    def write() -> str:
        vendor = Vendor.objects.filter(handle=handle).first() if handle else None
        if handle and vendor is None:
            raise ValidationError(gettext("Unknown vendor."))
        verification = knowledge_actions.verify_answer(user=request.user, post=post, vendor=vendor)
        return gettext("The answer now shows “Verified by %(name)s”.") % {"name": verification.vendor.name}

    return _attempt(request, post, write)


@login_required
@require_POST
def flag_outdated(request: HttpRequest, post_id: int) -> HttpResponse:
    post = _post_or_404(post_id)

    def write() -> str:
        knowledge_actions.flag_outdated(user=request.user, post=post, reason=request.POST.get("reason", ""))
        return gettext("The answer is flagged outdated; readers see your reason.")

    return _attempt(request, post, write)


@login_required
@require_POST
def clear_outdated(request: HttpRequest, post_id: int) -> HttpResponse:
    post = _post_or_404(post_id)

    def write() -> str:
        knowledge_actions.clear_outdated(user=request.user, post=post)
        return gettext("The outdated warning is cleared.")

    return _attempt(request, post, write)


GAP_DAYS = (7, 30, 90)


@require_POST
def search_gap(request: HttpRequest) -> HttpResponse:
    """The search page's beacon: its results (or their absence) were seen and none was opened (204)."""
    try:
        gap_actions.record_search_gap(
            token=request.POST.get("token", "")[:600],
            opened=request.POST.get("opened") == "1",
            address=request.META.get("REMOTE_ADDR", ""),
        )
    except RateLimitedError as error:
        return with_retry_after(JsonResponse({"detail": str(error)}, status=429), error)
    except ValidationError as error:
        return JsonResponse({"detail": _message(error)}, status=400)
    return HttpResponse(status=204)


@login_required
def gaps(request: HttpRequest) -> HttpResponse:
    """What people look for and do not find: all of it for moderators, their own for vendor staff."""
    vendor = access.gap_report_vendor(request.user, request.GET.get("vendor", ""))
    try:
        days = int(request.GET.get("days", "30"))
    except ValueError:
        days = 30
    days = days if days in GAP_DAYS else 30
    tag = request.GET.get("tag", "").strip().lower()[:100]
    since = timezone.localdate() - timedelta(days=days)
    rows = knowledge_selectors.gap_report(since=since, vendor=vendor, tag=tag)
    context = {"rows": rows, "vendor": vendor, "tag": tag, "days": days, "day_choices": GAP_DAYS}
    return render(request, "forum/gaps.html", context)
