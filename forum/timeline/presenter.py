"""How things appear to a given viewer: the one audience-aware place.

Every outward form (pages and fragments, search, feeds, the knowledge base,
vendor pages, the inbox, the REST API, websocket frames and replay, webhooks,
emails, attachment downloads, slugs and redirects) asks here whether a
thread, post, note, event or attachment is

- ``SHOWN``: the viewer reads it;
- ``MASKED``: it exists for the viewer, but its text is replaced by the
  placeholder (a hidden post, for everyone but its author and moderators);
- ``NOT_FOUND``: it does not exist for the viewer (a pending post for others,
  a rejected one for all but moderators, another vendor's notes).

The rules themselves are forum.access's (``can_see_post``, ``can_see_thread``,
``can_read_stream``); this module applies them to each shape. ``PUBLIC`` is
the audience of anything sent to many at once (live frames, webhooks, feeds,
digests): what a visitor may see.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext, gettext_noop

from forum import access
from forum.access import AnyUser
from forum.models import Article, Attachment, Event, EventKind, Post, ReviewState, Thread

PUBLIC: AnyUser = AnonymousUser()

HIDDEN_TITLE = gettext_noop("Hidden thread")
HIDDEN_SLUG = "hidden-thread"  # the slug a masked thread's address carries: the real one is made from its title
HIDDEN_TEXT = gettext_noop("This post is hidden pending moderator review.")
HIDDEN_HTML = f"<p>{HIDDEN_TEXT}</p>"

# Events that carry a rendered post, so clients can insert it without a reload.
POST_KINDS = {EventKind.POSTED, EventKind.REPLIED, EventKind.EDITED}
# Moderation events carry the post as the viewer now sees it (a placeholder while hidden).
REVIEW_KINDS = {EventKind.HIDDEN, EventKind.RESTORED}
# Events whose data holds the question's title.
TITLE_KINDS = {EventKind.POSTED, EventKind.EDITED}

# A knowledge article's steps (forum.actions.articles): shown as the viewer may see the article.
ARTICLE_KINDS = {
    EventKind.ARTICLE_DRAFTED,
    EventKind.ARTICLE_PUBLISHED,
    EventKind.ARTICLE_FLAGGED,
    EventKind.ARTICLE_FIXED,
    EventKind.ARTICLE_RETIRED,
}

CACHE_PUBLIC = "public, max-age=3600"
CACHE_PRIVATE = "private, no-store"


class Seen(StrEnum):
    SHOWN = "shown"
    MASKED = "masked"
    NOT_FOUND = "not_found"


def _by_state(can_see: bool, state: str) -> Seen:
    if can_see:
        return Seen.SHOWN
    return Seen.MASKED if state == ReviewState.HIDDEN else Seen.NOT_FOUND


def post(viewer: AnyUser, item: Post) -> Seen:
    return _by_state(access.can_see_post(viewer, item), item.review_state)


def thread(viewer: AnyUser, item: Thread) -> Seen:
    """A thread is as its question: shown, masked (hidden: placeholder title and text) or not found."""
    return _by_state(access.can_see_thread(viewer, item), item.review_state)


def stream(viewer: AnyUser, vendor_id: int | None, staff_vendor_ids: list[int] | None = None) -> Seen:
    return Seen.SHOWN if access.can_read_stream(viewer, vendor_id, staff_vendor_ids) else Seen.NOT_FOUND


def notes(viewer: AnyUser, vendor_id: int, staff_vendor_ids: list[int] | None = None) -> Seen:
    """A vendor's staff notes (swarm) are its private stream: its verified staff only, no one else at all."""
    return stream(viewer, vendor_id, staff_vendor_ids)


def attachment(viewer: AnyUser, item: Attachment) -> Seen:
    """An image is served only to those who read its post's text, on a thread they may open."""
    if thread(viewer, item.post.thread) is Seen.NOT_FOUND:
        return Seen.NOT_FOUND
    return Seen.SHOWN if post(viewer, item.post) is Seen.SHOWN else Seen.NOT_FOUND


def attachment_cache_control(item: Attachment) -> str:
    """Shared caches may keep only what a visitor may see; anything else is private to this reader."""
    public = attachment(PUBLIC, item) is Seen.SHOWN
    return CACHE_PUBLIC if public else CACHE_PRIVATE


def article(viewer: AnyUser, item: Article) -> Seen:
    """An article is as its source thread, and a draft (never published) exists only for its
    author and reviewers."""
    if thread(viewer, item.thread) is not Seen.SHOWN:
        return Seen.NOT_FOUND
    return Seen.SHOWN if access.can_see_article(viewer, item) else Seen.NOT_FOUND


def require_article(viewer: AnyUser, item: Article) -> None:
    if article(viewer, item) is Seen.NOT_FOUND:
        raise Http404("No such article.")


# ---- Shapes ----


def require_thread(viewer: AnyUser, item: Thread) -> Seen:
    """404 (not 403: its existence is not revealed) when the thread does not exist for the viewer."""
    seen = thread(viewer, item)
    if seen is Seen.NOT_FOUND:
        raise Http404("No such thread.")
    return seen


def require_post(viewer: AnyUser, item: Post) -> Seen:
    seen = post(viewer, item)
    if seen is Seen.NOT_FOUND or thread(viewer, item.thread) is Seen.NOT_FOUND:
        raise Http404("No such post.")
    return seen


def thread_title(viewer: AnyUser, item: Thread) -> str:
    return item.title if thread(viewer, item) is Seen.SHOWN else gettext(HIDDEN_TITLE)


def thread_url(viewer: AnyUser, item: Thread) -> str:
    """The thread's address; its slug (made from the title) only for those who read the title."""
    if thread(viewer, item) is Seen.SHOWN:
        return item.get_absolute_url()
    return reverse("forum:thread", args=[item.pk, HIDDEN_SLUG])


def mask_thread(viewer: AnyUser, item: Thread) -> Seen:
    """Apply the viewer's view to a loaded thread for display: unless shown, it loses its title and slug.

    Display only: callers are reads and never save the thread afterwards. A thread
    prefetched with ``questions`` (swarm's inbox) loses those too.
    """
    seen = thread(viewer, item)
    if seen is not Seen.SHOWN:
        item.title = gettext(HIDDEN_TITLE)
        item.slug = HIDDEN_SLUG
        if hasattr(item, "questions"):
            item.questions = []
    return seen


def mask_threads(viewer: AnyUser, threads: Iterable[Thread]) -> list[Thread]:
    """The threads that exist for the viewer, each masked as the viewer sees it (lists of rows)."""
    return [t for t in threads if mask_thread(viewer, t) is not Seen.NOT_FOUND]


def post_text(viewer: AnyUser, item: Post) -> tuple[str, str]:
    """(markdown, html) as the viewer reads them: the placeholder when masked, nothing when not found."""
    seen = post(viewer, item)
    if seen is Seen.SHOWN:
        return item.body, item.body_html
    return ("", HIDDEN_HTML) if seen is Seen.MASKED else ("", "")


def visible_posts(viewer: AnyUser, posts: Iterable[Post]) -> list[Post]:
    """The posts that exist for the viewer, each with ``shown_to_viewer`` (text, or the placeholder)."""
    result = []
    for item in posts:
        seen = post(viewer, item)
        if seen is Seen.NOT_FOUND:
            continue
        item.shown_to_viewer = seen is Seen.SHOWN
        result.append(item)
    return result


def public_q(prefix: str = "") -> Q:
    """The filter for threads everyone may see, on a query of threads or (with a prefix) of rows that point to one."""
    return Q(**{f"{prefix}review_state": ReviewState.VISIBLE})


def public_threads(qs: QuerySet[Thread]) -> QuerySet[Thread]:
    """Threads listed to everyone (lists, feeds, the knowledge base, vendor pages, digests): visible questions."""
    return qs.filter(public_q())


# ---- Events ----


def event(viewer: AnyUser, item: Event, staff_vendor_ids: list[int] | None = None, *, with_post: bool = True) -> Seen:
    """An event exists for those who read its stream and thread; its content is masked with its post."""
    if stream(viewer, item.vendor_id, staff_vendor_ids) is Seen.NOT_FOUND:
        return Seen.NOT_FOUND
    if thread(viewer, item.thread) is Seen.NOT_FOUND:
        return Seen.NOT_FOUND
    if item.kind in ARTICLE_KINDS and _unseen_articles(viewer, [item]):
        return Seen.NOT_FOUND
    if not with_post or item.post_id is None or item.post is None:
        return Seen.SHOWN
    return Seen.SHOWN if post(viewer, item.post) is Seen.SHOWN else Seen.MASKED


def _unseen_articles(viewer: AnyUser, events: Iterable[Event]) -> set[int]:
    """Ids of the articles named by these events that the viewer may not see (drafts). One query, or none."""
    ids = {e.data.get("article") for e in events if e.kind in ARTICLE_KINDS}
    ids.discard(None)
    if not ids:
        return set()
    rows = Article.objects.filter(pk__in=ids).only("pk", "author_id", "vendor_id", "published_at")
    return {a.pk for a in rows if not access.can_see_article(viewer, a)} | (ids - {a.pk for a in rows})


def visible_history(viewer: AnyUser, events: list[Event]) -> list[Event]:
    """A page's history without the steps of article drafts the viewer may not see."""
    unseen = _unseen_articles(viewer, events)
    if not unseen:
        return events
    return [e for e in events if not (e.kind in ARTICLE_KINDS and e.data.get("article") in unseen)]


def mask_history(events: list[Event], visible: list[Post]) -> list[Event]:
    """A page's history lines as its viewer may read them: an event about a post the viewer
    cannot see (``visible`` is what ``visible_posts`` kept) names nobody, as in event payloads.

    Display only: the events are never saved afterwards.
    """
    seen = {p.pk for p in visible}
    for item in events:
        if item.post_id is not None and item.post_id not in seen:
            item.actor = None
    return events


def _canonical_titles(viewer: AnyUser, events: list[Event]) -> dict[int, str]:
    """Titles of the canonical threads named by duplicate events, as the viewer sees them. One query."""
    ids = {e.data.get("canonical") for e in events if e.kind == EventKind.DUPLICATE}
    ids.discard(None)
    if not ids:
        return {}
    threads = Thread.objects.filter(pk__in=ids).only("pk", "title", "review_state", "author_id")
    return {t.pk: thread_title(viewer, t) for t in threads}


def _data_for(viewer: AnyUser, item: Event, seen_post: Seen | None, canonical: dict[int, str]) -> dict[str, Any]:
    data = dict(item.data or {})
    if seen_post is Seen.NOT_FOUND:
        return {}  # a post that does not exist for the viewer: nothing of what it said
    if item.kind in TITLE_KINDS and seen_post is Seen.MASKED and data.get("title") is not None:
        data["title"] = gettext(HIDDEN_TITLE)
    if item.kind == EventKind.DUPLICATE and "canonical_title" in data:
        data["canonical_title"] = canonical.get(data.get("canonical"), gettext(HIDDEN_TITLE))
    return data


def event_payloads(
    events: Iterable[Event], viewer: AnyUser = PUBLIC, *, staff_vendor_ids: list[int] | None = None
) -> list[dict[str, Any]]:
    """The JSON description of each event the viewer may read (websocket, replay, API, feeds).

    Events of a stream the viewer may not read are left out (each stream is numbered on its
    own). Events about a post or thread that does not exist for the viewer keep their place
    in the sequence, so readers see no gap, but say nothing: no actor, no data, no text.
    """
    events = [e for e in events if stream(viewer, e.vendor_id, staff_vendor_ids) is Seen.SHOWN]
    canonical = _canonical_titles(viewer, events)
    unseen = _unseen_articles(viewer, events)
    return [_payload(viewer, e, canonical, unseen) for e in events]


def _payload(viewer: AnyUser, item: Event, canonical: dict[int, str], unseen: set[int]) -> dict[str, Any]:
    target = item.post if item.post_id is not None else None
    seen_post = post(viewer, target) if target is not None else None
    if thread(viewer, item.thread) is Seen.NOT_FOUND:
        seen_post = Seen.NOT_FOUND
    if item.kind in ARTICLE_KINDS and item.data.get("article") in unseen:
        seen_post = Seen.NOT_FOUND  # a draft: its place in the sequence, nothing of what it says
    actor = item.actor if seen_post is not Seen.NOT_FOUND else None
    payload: dict[str, Any] = {
        "thread": item.thread_id,
        "seq": item.seq,
        "stream": "public" if item.vendor_id is None else f"vendor:{item.vendor_id}",
        "kind": item.kind,
        "label": item.label,
        "created_at": item.created_at.isoformat(),
        "actor": {"username": actor.username, "name": actor.name} if actor else None,
        "post": item.post_id,  # an id says nothing; clients use it to remove a post that went back to review
        "data": _data_for(viewer, item, seen_post, canonical),
    }
    carries_post = item.kind in POST_KINDS | REVIEW_KINDS and target is not None and not target.is_question
    if carries_post and seen_post is not Seen.NOT_FOUND:
        target.shown_to_viewer = seen_post is Seen.SHOWN
        from forum.fragments import render_live_post

        payload["html"] = render_live_post(target)
    return payload


def live_payload(item: Event) -> dict[str, Any]:
    """The frame sent to everyone watching the event's stream at once.

    Many people receive one frame, so it shows what the stream's whole audience may
    see: a public event as a visitor sees it; a private one as its vendor's staff do
    (only their group receives it). Authors and moderators get more on reload.
    """
    staff = [item.vendor_id] if item.vendor_id is not None else []
    return event_payloads([item], PUBLIC, staff_vendor_ids=staff)[0]


def webhook_payload(item: Event) -> dict[str, Any]:
    """A delivery's body: the event, with the thread and post as the receiving vendor may see them.

    A vendor's service identity sees what the public sees, plus its own private stream.
    """
    described = live_payload(item)
    target = item.post
    body, _html = post_text(PUBLIC, target) if target is not None else ("", "")
    shown = target is not None and post(PUBLIC, target) is not Seen.NOT_FOUND
    return {
        "id": item.pk,
        "kind": item.kind,
        "label": described["label"],
        "thread": {
            "id": item.thread_id,
            "title": thread_title(PUBLIC, item.thread),
            "url": thread_url(PUBLIC, item.thread),
        },
        "stream": "public" if item.vendor_id is None else "private",
        "seq": item.seq,
        "actor": described["actor"],
        "post": {"id": target.pk, "body": body, "author": target.author.username} if shown else None,
        "data": described["data"],
        "created_at": item.created_at.isoformat(),
    }
