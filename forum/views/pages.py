"""Pages people read: lists, a thread, search, tags, vendors, profiles."""

import functools
import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST
from taggit.models import Tag

from forum import access, context_processors, fragments, knowledge_selectors, reputation_selectors, search, selectors
from forum.actions import reading
from forum.models import Membership, Vendor, VendorSSO
from forum.search_filters import SearchForm
from forum.views.errors import bad_request

MAX_QUERY_LENGTH = 200


BAD_SORT = format_lazy(gettext_lazy("Unknown order: choose {sorts}."), sorts=", ".join(selectors.LIST_SORTS))


def _list_page(request: HttpRequest, *, template: str = "forum/thread_list.html", **kwargs) -> HttpResponse:
    cursor = request.GET.get("after") or None
    sort = request.GET.get("sort", "activity")
    if sort not in selectors.LIST_SORTS:
        return bad_request(request, ValidationError(BAD_SORT))
    try:
        page = selectors.thread_list(cursor=cursor, sort=sort, user=request.user, **kwargs)
    except selectors.BadCursorError as error:
        return bad_request(request, error)
    context = {"page": page, "cursor": cursor, **kwargs}
    if request.headers.get("HX-Request"):
        return render(request, "forum/_thread_rows.html", context)
    return render(request, template, context)


def home(request: HttpRequest) -> HttpResponse:
    filter_ = request.GET.get("show", "latest")
    if filter_ not in selectors.LIST_FILTERS:
        return bad_request(
            request, ValidationError(gettext("Unknown list: choose latest, unanswered, open or solved."))
        )
    return _list_page(request, filter=filter_, template="forum/home.html")


def tag_page(request: HttpRequest, tag: str) -> HttpResponse:
    tag_obj = get_object_or_404(Tag, name=tag.lower())
    filter_ = request.GET.get("show", "latest")
    if filter_ not in selectors.LIST_FILTERS:
        filter_ = "latest"
    return _list_page(request, filter=filter_, tag=tag_obj)


def tags_index(request: HttpRequest) -> HttpResponse:
    return render(request, "forum/tags.html", {"tags": selectors.popular_tags(limit=200)})


def tag_suggest(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"tags": selectors.suggest_tags(request.GET.get("q", ""))})


def vendor_page(request: HttpRequest, handle: str) -> HttpResponse:
    vendor = get_object_or_404(Vendor, handle=handle.lower())
    if not vendor.is_claimed:
        # Not joined: say so plainly and show its open escalations only (no staff, figures or badge).
        return render(request, "forum/vendor_unclaimed.html", {"vendor": vendor})
    cursor = request.GET.get("after") or None
    try:
        page = selectors.thread_list(vendor=vendor, cursor=cursor, user=request.user)
    except selectors.BadCursorError as error:
        return bad_request(request, error)
    is_admin = access.can_manage_staff(request.user, vendor)
    context = {
        "is_vendor_admin": access.is_vendor_admin(request.user, vendor),
        "vendor": vendor,
        "page": page,
        "staff": selectors.vendor_staff(vendor),
        "pending": selectors.pending_memberships(vendor) if is_admin else [],
        "is_admin": is_admin,
        "is_staff": access.is_vendor_staff(request.user, vendor),
        "sso_provider_id": VendorSSO.objects.filter(vendor=vendor).values_list("app__provider_id", flat=True).first(),
        "has_asked": request.user.is_authenticated
        and vendor.memberships.filter(
            user=request.user, status__in=[Membership.Status.PENDING, Membership.Status.VERIFIED]
        ).exists(),
    }
    return render(request, "forum/vendor.html", context)


def profile(request: HttpRequest, username: str) -> HttpResponse:
    profile = selectors.profile(username=username)
    standing = reputation_selectors.standing(profile.member)
    return render(request, "forum/profile.html", {"profile": profile, "standing": standing})


def thread(request: HttpRequest, thread_id: int, slug: str | None = None) -> HttpResponse:
    page = selectors.thread_page(thread_id=thread_id, user=request.user)
    if slug != page.thread.slug:
        return redirect(page.thread, permanent=True)
    if page.viewer_unread is not None:
        context_processors.remember_unread_notifications(request, page.viewer_unread)
    from forum.forms import ReplyForm

    knowledge = selectors.thread_knowledge(thread=page.thread, user=request.user, history=page.history)
    etag = _visitor_etag(request, page, knowledge)
    if etag:
        not_modified = get_conditional_response(request, etag=etag)
        if not_modified is not None:  # a visitor's revalidation: 304 without rendering
            not_modified["ETag"] = etag
            patch_vary_headers(not_modified, ["Cookie"])
            return not_modified
    token = get_token(request)  # one form token for every post's forms
    posts = fragments.render_thread_posts(page=page, knowledge=knowledge, user=request.user, csrf_token=token)
    context = {"p": page, "posts": posts, "thread": page.thread, "form": ReplyForm(), "k": knowledge}
    if request.headers.get("X-Barnraise-Live"):
        # The open page re-reading itself after a live event (static/js/live.js): flash messages
        # are left for the page the user loads next, not consumed by a fetch nobody reads.
        context["messages"] = ()
    response = render(request, "forum/thread.html", context)
    patch_vary_headers(response, ["Cookie"])
    if etag:
        response["ETag"] = etag
        patch_cache_control(response, no_cache=True)  # always revalidate; the answer is usually a 304
    return response


@functools.cache
def _static_version() -> str:
    """Changes with each deploy's collected static files (their manifest), so a new deploy re-renders."""
    manifest = settings.STATIC_ROOT / "staticfiles.json"
    return str(manifest.stat().st_mtime_ns) if manifest.exists() else "dev"


def _visitor_etag(request: HttpRequest, page: selectors.ThreadPage, knowledge) -> str:
    """An ETag for what a visitor sees, or "" when the page is not the same for every visitor.

    Never for a logged-in user, nor for a visitor with a session (flash messages live there).
    The thread's event stream (last_seq) versions everything on it; the similar threads, the
    hour (relative times) and the CSRF cookie (the token inside the forms) complete it.
    """
    if request.user.is_authenticated or settings.SESSION_COOKIE_NAME in request.COOKIES:
        return ""
    if "messages" in request.COOKIES:
        return ""
    thread = page.thread
    parts = [
        thread.pk,
        thread.last_seq,
        thread.last_activity_at.isoformat() if thread.last_activity_at else "",
        _static_version(),
        ",".join(str(t.pk) + t.status for t in knowledge.similar),
        timezone.now().strftime("%Y%m%d%H"),
        request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""),
        translation.get_language(),  # the same thread in German is another page
    ]
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=12).hexdigest()
    return f'"{digest}"'


@require_POST
def thread_seen(request: HttpRequest, thread_id: int) -> HttpResponse:
    """The thread page's beacon: the viewer was shown the timeline up to ``seq`` (204).

    A page view never writes; the page's script posts this once it has shown the thread.
    """
    if not request.user.is_authenticated:
        return JsonResponse({"detail": gettext("Log in to keep track of what you have read.")}, status=403)
    try:
        reading.mark_seen(user=request.user, thread_id=thread_id, seq=request.POST.get("seq", ""))
    except ValidationError as error:
        return JsonResponse({"detail": error.messages[0]}, status=400)
    return HttpResponse(status=204)


def search_page(request: HttpRequest) -> HttpResponse:
    """Search with filters (tag, vendor, solved, dates asked), an order, and a count of matches."""
    form = SearchForm(request.GET)
    if not form.is_valid():
        errors = [message for messages in form.errors.values() for message in messages]
        query = request.GET.get("q", "")[:MAX_QUERY_LENGTH]
        if "q" in form.errors:
            errors = [
                gettext("Searches are limited to %(max_query_length)s characters.")
                % {"max_query_length": MAX_QUERY_LENGTH}
            ]
        return render(
            request, "forum/search.html", {"form": form, "query": query, "error": " ".join(errors)}, status=400
        )
    query = form.cleaned_data["q"]
    try:
        offset = max(0, min(int(request.GET.get("offset", 0)), 1000))
    except ValueError:
        offset = 0
    hits = search.search_threads(query, limit=21, offset=offset, filters=form.filters(), sort=form.order())
    context = {
        "form": form,
        "query": query,
        # The published articles of this page's threads, best first (fresh, reused, verified). One query.
        "articles": knowledge_selectors.published_articles(thread_ids=[h.thread.pk for h in hits[:20]]),
        "hits": hits[:20],
        "total": getattr(hits, "total", 0),
        "next_offset": offset + 20 if len(hits) > 20 else None,
        "offset": offset,
    }
    return render(request, "forum/search.html", context)
