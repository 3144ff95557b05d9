"""The thread page's posts: a shared fragment per post version, and a per-viewer overlay.

What every viewer sees alike (author link, staff badge, edited marker, review note, body,
images) is rendered once per post version by ``forum/_post_shared.html`` and kept in Django's
cache. Its key hashes everything that fragment shows (the post's body, edit time and review
state, the author's name, the staff vendor, the images) with the language, the time zone and
``FRAGMENT_VERSION``: an edit, a moderation decision or a rename makes a new key, so nothing is
ever invalidated by hand and nothing stale can be served. A cache that is down is a miss.

What depends on the viewer or changes often (score, vote state, reputation, relative time,
edit/accept/flag rights, moderator notes, knowledge controls) never enters the cache. The
frame ``forum/_post.html`` is rendered once per *shape* (the tuple of the viewer's flags for a
post) with placeholders, and each post fills its shape's placeholders: a 200-reply page renders
a handful of shapes, not 200 templates. All controls are plain HTML forms: nothing needs JS.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from forum import access
from forum.access import AnyUser
from forum.models import Post, ReviewState
from forum.templatetags.forum_tags import post_url, reltime

logger = logging.getLogger(__name__)

# Bump when _post_shared.html changes what it shows: old fragments are then never read again.
FRAGMENT_VERSION = "1"
SHARED_PARTS = ("name", "staff", "edited", "content")
_MARKER = "<!--fragment-->"
_SLOT = "\ue000{}\ue001"  # private-use characters: no template text or escaping produces them
_SLOT_RE = re.compile("\ue000(\\w+)\ue001")
_PK_SENTINEL = 9_007_199_254_740_881  # an id no row reaches, stands for the post's id in its addresses
_URL_NAMES = ("vote", "accept", "edit", "post_history", "flag")


@dataclass(frozen=True)
class Shape:
    """What one viewer may see and do on one post; posts with equal shapes share one render."""

    staff: bool = False
    deleted: bool = False  # the author deleted their account: no reputation or Expert label
    accepted: bool = False
    accepted_note: bool = False
    expert: bool = False
    masked: bool = False
    open_flags: int = 0
    voted: bool = False
    own: bool = False
    can_accept: bool = False
    can_edit: bool = False
    history: bool = False
    can_flag: bool = False


@dataclass
class Viewer:
    """The per-page facts the overlay needs, computed once."""

    user: AnyUser
    my_votes: set[int]
    accepted_post_id: int | None = None
    thread_author_id: int | None = None
    knowledge: Any = None
    thread: Any = None
    csrf_token: str = ""

    def __post_init__(self) -> None:
        self.authenticated = bool(self.user.is_authenticated)
        self.moderator = access.is_moderator(self.user)
        self.suspended = self.authenticated and self.user.is_suspended


def fragment_key(post: Post) -> str:
    """The cache key of a post's shared fragment: a hash of everything the fragment shows."""
    author, vendor = post.author, post.staff_vendor
    attachments = [(a.pk, a.original_name, a.width, a.height) for a in post.attachments.all()]
    parts = (
        FRAGMENT_VERSION,
        translation.get_language(),
        timezone.get_current_timezone_name(),
        post.pk,
        post.edited_at.isoformat() if post.edited_at else "",
        post.review_state,
        author.username,
        author.name,
        author.is_active,
        author.avatar_key,
        author.deleted_at is not None,
        (vendor.pk, vendor.name, vendor.handle) if vendor else "",
        attachments,
    )
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16)
    digest.update(post.body_html.encode())  # renderer changes that rewrite body_html change the key too
    return f"postfrag:{post.pk}:{digest.hexdigest()}"


def _render_shared(post: Post) -> tuple[str, ...]:
    html = get_template("forum/_post_shared.html").render({"post": post})
    pieces = tuple(html.split(_MARKER))
    assert len(pieces) == len(SHARED_PARTS), "forum/_post_shared.html must have one marker between parts"
    return pieces


def _cached[T](items: list[T], key_of: Callable[[T], str], render: Callable[[T], Any]) -> list[Any]:
    """Each item's cached render, in order: one cache read for all, one write for those that missed.

    A cache that is down is a miss: the page renders everything itself and never fails for it.
    """
    from django.core.cache import cache

    keys = [key_of(item) for item in items]
    label = keys[0].split(":", 1)[0] if keys else ""
    try:
        found = cache.get_many(keys) if keys else {}
    except Exception:  # noqa: BLE001 - any cache failure (Redis down) is a miss
        logger.warning("Cache unavailable: %s read as a miss", label)
        found = {}
    result, missed = [], {}
    for item, key in zip(items, keys, strict=True):
        value = found.get(key)
        if value is None:
            value = missed[key] = render(item)
        result.append(value)
    if missed:
        try:
            cache.set_many(missed, settings.POST_FRAGMENT_CACHE_SECONDS)
        except Exception:  # noqa: BLE001 - the page never fails because the cache is down
            logger.warning("Cache unavailable: %s not stored", label)
    return result


def shared_fragments(posts: list[Post]) -> dict[int, tuple[str, ...]]:
    """Each post's shared pieces: one cache read for all, one write for those that missed."""
    pieces = _cached(posts, fragment_key, _render_shared)
    return {post.pk: piece for post, piece in zip(posts, pieces, strict=True)}


def _fill(plan: list[str], values: dict[str, str]) -> SafeString:
    """A render cut at its slots (static text at even indexes, slot names at odd ones), filled."""
    out = plan[:]
    for i in range(1, len(out), 2):
        out[i] = values[out[i]]
    return mark_safe("".join(out))  # noqa: S308 - template output and escaped values only


def shape_of(post: Post, viewer: Viewer, *, accepted: bool = False) -> Shape:
    """The viewer's flags for this post (the same rules the page always had, in one place)."""
    user = viewer.user
    own = viewer.authenticated and post.author_id == user.pk
    masked = post.review_state != ReviewState.VISIBLE and not getattr(post, "shown_to_viewer", True)
    may_edit = viewer.authenticated and (own or viewer.moderator)
    return Shape(
        staff=bool(post.staff_vendor_id),
        deleted=post.author.deleted_at is not None,
        accepted=accepted,
        accepted_note=not accepted and viewer.accepted_post_id is not None and post.pk == viewer.accepted_post_id,
        expert=post.author.reputation >= settings.BARNRAISE["EXPERT_REPUTATION"],
        masked=masked,
        open_flags=0 if masked else getattr(post, "open_flag_count", 0),
        voted=post.pk in viewer.my_votes,
        own=own,
        can_accept=(
            viewer.authenticated
            and viewer.thread_author_id == user.pk
            and not post.is_question
            and not accepted
            and post.pk != viewer.accepted_post_id
        ),
        can_edit=may_edit and not viewer.suspended,
        history=may_edit and post.edited_at is not None,
        can_flag=(
            viewer.authenticated
            and not own
            and not viewer.suspended
            and post.review_state not in (ReviewState.PENDING, ReviewState.REJECTED)
        ),
    )


class PostRenderer:
    """Renders posts for one page and one viewer, reusing each shape's parsed render."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer
        self._plans: dict[Shape, list[str]] = {}
        self._urls = {name: post_url(name, _PK_SENTINEL).replace(str(_PK_SENTINEL), _SLOT.format("pk"))
                      for name in _URL_NAMES}  # fmt: skip
        slots = (*SHARED_PARTS, "pk", "username", "score", "rep", "time", "knowledge", "knowledge_controls")
        self._slots = {name: _SLOT.format(name) for name in slots}  # escaping leaves the markers intact

    def _plan(self, shape: Shape) -> list[str]:
        """The shape rendered once and cut at its placeholders: static text at even indexes, slot
        names at odd ones."""
        plan = self._plans.get(shape)
        if plan is None:
            html = get_template("forum/_post.html").render(
                {
                    "f": shape,
                    "s": self._slots,
                    "u": self._urls,
                    "csrf_token": self.viewer.csrf_token,
                    "expert_reputation": settings.BARNRAISE["EXPERT_REPUTATION"],
                    "mod_queue_url": reverse("forum:mod_queue") if shape.open_flags else "",
                }
            )
            plan = self._plans[shape] = _SLOT_RE.split(html)
        return plan

    def render(self, post: Post, shared: tuple[str, ...], *, accepted: bool = False) -> SafeString:
        shape = shape_of(post, self.viewer, accepted=accepted)
        values = dict(zip(SHARED_PARTS, shared, strict=True))
        values.update(
            pk=str(post.pk),
            username=escape(post.author.username),
            score=str(post.score),
            rep=str(post.author.reputation),
            time=reltime(post.created_at),
            knowledge="",
            knowledge_controls="",
        )
        if self.viewer.thread is not None and self.viewer.knowledge is not None:
            values.update(self._knowledge(post))
        return _fill(self._plan(shape), values)

    def _knowledge(self, post: Post) -> dict[str, str]:
        """The verified/outdated badges and controls: rare, so rendered per post when present."""
        k = self.viewer.knowledge
        context = _knowledge_context(k, post, self.viewer.thread, self.viewer.csrf_token)
        values = {}
        if context["verified_by"] or context["outdated"]:
            values["knowledge"] = render_to_string("forum/_post_knowledge.html", context)
        if context["can_verify"] or context["can_flag"] or context["can_clear"]:
            values["knowledge_controls"] = render_to_string("forum/_post_knowledge_controls.html", context)
        return values


def _knowledge_context(k: Any, post: Post, thread: Any, csrf_token: str) -> dict:
    """What a post's knowledge badges and controls show."""
    is_accepted = thread.accepted_post_id == post.pk
    vendors = k.verifications.get(post.pk, [])
    return {
        "show": True,
        "post": post,
        "verified_by": vendors,
        "outdated": k.outdated.get(post.pk),
        "can_verify": [v for v in k.staffed_vendors if v not in vendors] if is_accepted else [],
        "can_flag": k.can_flag_outdated and not post.is_question and post.pk not in k.outdated,
        "can_clear": k.can_clear_outdated and post.pk in k.outdated,
        "csrf_token": csrf_token,
    }


@dataclass
class RenderedPosts:
    question: SafeString
    accepted: SafeString | None
    replies: list[SafeString]


def render_thread_posts(*, page: Any, knowledge: Any, user: AnyUser, csrf_token: str) -> RenderedPosts:
    """The thread page's question, accepted answer and replies as HTML, for this viewer."""
    thread = page.thread
    viewer = Viewer(
        user=user,
        my_votes=page.my_votes,
        accepted_post_id=thread.accepted_post_id,
        thread_author_id=thread.author_id,
        knowledge=knowledge,
        thread=thread,
        csrf_token=csrf_token,
    )
    posts = [page.question, *page.replies]
    shared = shared_fragments(posts)
    renderer = PostRenderer(viewer)
    return RenderedPosts(
        question=renderer.render(page.question, shared[page.question.pk]),
        accepted=renderer.render(page.accepted, shared[page.accepted.pk], accepted=True) if page.accepted else None,
        replies=[renderer.render(post, shared[post.pk]) for post in page.replies],
    )


def render_live_post(post: Post) -> SafeString:
    """A post as the whole audience of a live frame sees it (a visitor, no form token)."""
    from forum.timeline.presenter import PUBLIC

    renderer = PostRenderer(Viewer(user=PUBLIC, my_votes=set()))
    return renderer.render(post, shared_fragments([post])[post.pk])


# ---- List rows and search hits ----------------------------------------------------------------------
# The same idea for the latest list, tag and vendor lists and search results: each row's HTML as every
# viewer sees it is rendered once per version and cached; the key hashes everything the row shows, so a
# reply, retag, vote, solve, escalation, rename or moderation decision makes a new key and nothing stale
# is ever served. What differs per viewer (the unread marker) or with the clock (the relative time) or
# per query (the search snippet) fills slots in the cached render on every view.

# Bump when _thread_row.html or _search_hit.html changes what it shows.
ROW_VERSION = "1"
_ROW_SLOTS = {name: _SLOT.format(name) for name in ("unread_class", "unread_mark", "time", "snippet")}


def _person_key(user: Any) -> tuple:
    """What an author's avatar, linked name and Expert label show."""
    expert = user.reputation >= settings.BARNRAISE["EXPERT_REPUTATION"]
    return (user.pk, user.username, user.display_name, user.avatar_key, user.deleted_at is not None, expert)


def _digest(kind: str, pk: int, parts: tuple) -> str:
    digest = hashlib.blake2b(repr((ROW_VERSION, translation.get_language(), parts)).encode(), digest_size=16)
    return f"{kind}:{pk}:{digest.hexdigest()}"


def _tag_names(thread: Any) -> list[str]:
    # The list prefetched its tags: read the prefetched rows, not a taggit manager built per row.
    prefetched = getattr(thread, "_prefetched_objects_cache", {}).get("tags")
    return [tag.name for tag in (prefetched if prefetched is not None else thread.tags.all())]


def row_key(thread: Any) -> str:
    """The cache key of a list row: a hash of everything the row shows but the viewer's and the clock's parts."""
    escalations = [(e.vendor, e.vendor_name, e.state) for e in getattr(thread, "escalation_states", [])]
    parts = (
        thread.title,
        thread.slug,
        thread.status,
        thread.reply_count,
        thread.score,
        thread.accepted_post_id,
        getattr(thread, "solution_state", None),
        getattr(thread, "staff_replied", False),
        escalations,
        _person_key(thread.author),
        _tag_names(thread),
    )
    return _digest("rowfrag", thread.pk, parts)


def _row_plan(thread: Any) -> list[str]:
    html = get_template("forum/_thread_row.html").render({"t": thread, "s": _ROW_SLOTS})
    return _SLOT_RE.split(html)


def render_thread_rows(threads: list[Any]) -> SafeString:
    """A list page's rows (``thread_list`` annotated them), each from its cached render plus this viewer's
    unread marker and the relative time."""
    plans = _cached(threads, row_key, _row_plan)
    marks: dict[Any, str] = {None: ""}
    out = []
    for thread, plan in zip(threads, plans, strict=True):
        unread = getattr(thread, "unread", None)
        if unread not in marks:  # at most two small renders a page: "new" and "updated"
            marks[unread] = get_template("forum/_unread_mark.html").render({"unread": unread})
        values = {"unread_class": " is-unread" if unread else "", "unread_mark": marks[unread]}
        values["time"] = reltime(thread.last_activity_at)
        out.append(_fill(plan, values))
    return mark_safe("".join(out))  # noqa: S308 - filled renders only


def hit_key(hit: Any) -> str:
    """The cache key of a search hit's frame: everything it shows but the snippet and the relative time."""
    thread, canonical = hit.thread, hit.thread.duplicate_of
    parts = (
        thread.title,
        thread.slug,
        thread.status,
        thread.reply_count,
        (canonical.pk, canonical.title, canonical.slug) if canonical else None,
    )
    return _digest("hitfrag", thread.pk, parts)


def _hit_plan(hit: Any) -> list[str]:
    html = get_template("forum/_search_hit.html").render({"hit": hit, "s": _ROW_SLOTS})
    return _SLOT_RE.split(html)


def render_search_hits(hits: list[Any]) -> SafeString:
    """A results page's hits, each from its cached frame plus its snippet and the relative time."""
    plans = _cached(hits, hit_key, _hit_plan)
    out = [
        _fill(plan, {"snippet": hit.snippet, "time": reltime(hit.thread.last_activity_at)})
        for hit, plan in zip(hits, plans, strict=True)
    ]
    return mark_safe("".join(out))  # noqa: S308 - filled renders only
