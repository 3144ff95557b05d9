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


def shared_fragments(posts: list[Post]) -> dict[int, tuple[str, ...]]:
    """Each post's shared pieces: one cache read for all, one write for those that missed."""
    from django.core.cache import cache

    keys = {post.pk: fragment_key(post) for post in posts}
    try:
        found = cache.get_many(list(keys.values()))
    except Exception:  # noqa: BLE001 - any cache failure (Redis down) is a miss
        logger.warning("Cache unavailable: postfrag read as a miss")
        found = {}
    result, missed = {}, {}
    for post in posts:
        pieces = found.get(keys[post.pk])
        if pieces is None:
            pieces = missed[keys[post.pk]] = _render_shared(post)
        result[post.pk] = pieces
    if missed:
        try:
            cache.set_many(missed, settings.POST_FRAGMENT_CACHE_SECONDS)
        except Exception:  # noqa: BLE001 - the page never fails because the cache is down
            logger.warning("Cache unavailable: postfrag not stored")
    return result


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
        plan = self._plan(shape)
        out = plan[:]
        for i in range(1, len(out), 2):
            out[i] = values[out[i]]
        return mark_safe("".join(out))  # noqa: S308 - template output and escaped values only

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
